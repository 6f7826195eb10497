"""MkDocs hooks of the catalog build (``hooks:`` in mkdocs.yml).

- Edit links point at the file a page is made from: a generated page names it in its front
  matter (``bk_edit: data/programmes/<id>.yaml``; empty for pages made from many records), a
  hand-written page is ``content/pages/<lang>/<path>``. MkDocs would otherwise point them at
  the generated Markdown in a temporary folder, which is in no repository.
- The heading permalinks' title is in the page's language.
- ``mkdocs build`` / ``mkdocs serve`` run straight on mkdocs.yml (docs_dir is then
  content/pages itself): the data is validated and the Kazakh pages are generated into a
  temporary folder, as ``biliktilik build`` does; that command builds both languages,
  the verification pages and the PDFs.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urljoin

from biliktilik.project import LANGUAGES, labels

# the title of a heading's permalink, per site language (templates/site/labels.yaml)
PERMALINK_TITLE = {lang: labels("site")[lang]["permalink_title"] for lang in LANGUAGES}


def _plain_mkdocs(config):
    from mkdocs.exceptions import PluginError

    from biliktilik.build.pipeline import docs_for_plain_mkdocs
    from biliktilik.project import read_config
    from biliktilik.findings import InvalidData, render

    config_file = Path(config.config_file_path)
    declared = read_config(config_file).get("docs_dir") or "docs"
    if Path(config.docs_dir).resolve() != (config_file.parent / declared).resolve():
        return  # `biliktilik build` gives MkDocs the docs it generated
    work = Path(tempfile.mkdtemp(prefix="biliktilik-mkdocs-"))
    atexit.register(shutil.rmtree, work, True)
    try:
        config.docs_dir = str(docs_for_plain_mkdocs(config_file, work))
    except InvalidData as exc:
        raise PluginError(render(exc.findings, "text") + f"\n{exc}") from None


def on_config(config):
    _plain_mkdocs(config)
    lang = config.theme.get("language") or "kk"
    toc = config.mdx_configs.setdefault("toc", {})
    if lang in PERMALINK_TITLE:
        toc["permalink_title"] = PERMALINK_TITLE[lang]
    return config


def on_page_markdown(markdown, page, config, files):
    meta = page.meta or {}
    if "bk_edit" in meta:
        path = meta.get("bk_edit") or ""
    else:
        path = f"content/pages/{config.theme.get('language') or 'kk'}/{page.file.src_uri}"
    repo, edit_uri = config.repo_url, config.edit_uri
    if path and repo and edit_uri:
        base = repo if repo.endswith("/") else repo + "/"
        page.edit_url = urljoin(base, edit_uri.strip("/") + "/" + path)
    else:
        page.edit_url = None
    return markdown
