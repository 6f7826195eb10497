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
- No text from data/ runs as script (issue 10). Titles from front matter are escaped once, as
  ``markupsafe.Markup``, so Material's raw ``{{ page.title }}`` (``<title>``, header, nav, footer)
  and the search index print them as text and its ``| e`` does not escape them twice; the JSON-LD
  string carries no ``<``, ``>`` or ``&``; every title and text of ``search/search_index.json`` is
  sanitised (nh3) after the build, since Material's search renders them as HTML.
- Every page (and 404.html) gets a Content-Security-Policy ``<meta>`` right after its charset:
  nothing from another host, no plugin, no inline script but the page's own by their sha256
  (Material's few), see :func:`csp_policy`.
- The 404 page gets its labels (``templates/notfound/labels.yaml``): under ``v/`` it shows that
  the certificate is unknown, in Kazakh and Russian.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urljoin

from markupsafe import Markup, escape

from biliktilik.project import LANGUAGES, labels

# the title of a heading's permalink and the site's description, per site language (templates/site/labels.yaml)
PERMALINK_TITLE = {lang: labels("site")[lang]["permalink_title"] for lang in LANGUAGES}
SITE_DESCRIPTION = {lang: labels("site")[lang]["site_description"] for lang in LANGUAGES}


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
        config.site_description = SITE_DESCRIPTION[lang]  # the pages' meta description in their language
    names = (config.extra or {}).get("site_names")  # the site's name per language (an instance's kk/ru names)
    if isinstance(names, dict) and isinstance(names.get(lang), str) and names[lang].strip():
        config.site_name = names[lang].strip()
    return config


def on_env(env, config, files):
    """The theme's compiled templates kept between builds (generators.kit.jinja; a build chose the folder)."""
    from generators.kit import jinja

    env.bytecode_cache = jinja.bytecode_cache("mkdocs-theme", autoescape=env.autoescape)
    return env


def on_page_markdown(markdown, page, config, files):
    meta = page.meta or {}
    _escape_meta(meta)
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


# --------------------------------------------------------------------------- no script from data/

def _escape_meta(meta: dict) -> None:
    """Front matter values Material prints raw, made safe in place (idempotent).

    ``title`` -> ``Markup`` of its HTML-escaped text (Material prints ``{{ page.meta.title }}``
    unescaped; a Markup value also passes its ``| e`` filters unchanged). ``bk_jsonld`` (JSON text
    for ``<script type="application/ld+json">``) -> ``<``, ``>``, ``&`` as ``\\u003c`` etc., which is
    the same JSON and cannot close the script element. ``description`` is escaped by main.html."""
    title = meta.get("title")
    if title is not None and not isinstance(title, Markup):
        meta["title"] = Markup(escape(str(title)))
    jsonld = meta.get("bk_jsonld")
    if isinstance(jsonld, str):
        meta["bk_jsonld"] = jsonld.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def sanitise_search_index(path: Path) -> int:
    """Rewrite MkDocs/Material's ``search_index.json`` with every doc's ``title`` and ``text``
    passed through nh3 (ammonia): no script element, event-handler attribute or ``javascript:``
    address survives; ordinary markup (``<code>``, ``<p>``, ...) stays. Returns how many fields
    changed. A missing file is left alone (search plugin off)."""
    import nh3

    if not path.is_file():
        return 0
    index = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for doc in index.get("docs") or []:
        for key in ("title", "text"):
            value = doc.get(key)
            if isinstance(value, str) and value:
                clean = nh3.clean(value)
                if clean != value:
                    doc[key] = clean
                    changed += 1
    if changed:
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return changed


def folding() -> dict:
    """The search folding rules (templates/search/folding.yaml): {"letters": {kk: ru}, "suffixes": [...],
    "min_stem": int}."""
    import yaml

    from biliktilik.project import ROOT

    return yaml.safe_load((ROOT / "templates" / "search" / "folding.yaml").read_text(encoding="utf-8"))


_HTML_TAG = re.compile(r"<[^>]*>")


def fold(text: str, letters: dict) -> str:
    """``text`` lower-cased with every Kazakh letter replaced by the nearest Russian one as
    ``letters`` says (ә->а, ғ->г, қ->к, ң->н, ө->о, ұ/ү->у, һ->х, і and Latin i->и); HTML tags dropped."""
    text = _HTML_TAG.sub(" ", text).lower()
    return text.translate(str.maketrans({k: v for k, v in letters.items()}))


def fold_search_index(path: Path) -> int:
    """Add to every doc of Material's ``search_index.json`` a field ``fold``: its title and text
    folded (:func:`fold`), indexed by Material's worker beside title and text (``config.fields``),
    never shown. Writes ``folding.json`` beside it for the query script. Returns the docs folded;
    a missing index (search plugin off) is left alone."""
    if not path.is_file():
        return 0
    rules = folding()
    index = json.loads(path.read_text(encoding="utf-8"))
    docs = index.get("docs") or []
    for doc in docs:
        doc["fold"] = fold(f"{doc.get('title') or ''} {doc.get('text') or ''}", rules["letters"])
    index.setdefault("config", {}).setdefault("fields", {})["fold"] = {"boost": 1.0}
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (path.parent / "folding.json").write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    return len(docs)


def on_post_build(config):
    index = Path(config.site_dir) / "search" / "search_index.json"
    sanitise_search_index(index)
    fold_search_index(index)


# --------------------------------------------------------------------------- Content-Security-Policy

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_SRC = re.compile(r"\ssrc\s*=", re.I)
_TYPE = re.compile(r"""\stype\s*=\s*["']?([^"'\s>]+)""", re.I)
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}
_CHARSET = re.compile(r"<meta\s+charset=[^>]*>", re.I)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-<base64>'``, CSP Level 2/3 hash sources) of every inline
    script the browser would execute: ``<script>`` without ``src`` whose ``type`` is absent or a
    JavaScript type. Data blocks (``application/json``, ``application/ld+json``) are not run and
    need none. Hashes are over the UTF-8 bytes between the tags, as the browser computes them."""
    out = []
    for attrs, body in _SCRIPT.findall(html):
        if _SRC.search(attrs):
            continue
        m = _TYPE.search(attrs)
        if m and m.group(1).lower() not in _JS_TYPES:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in out:
            out.append(source)
    return out


def csp_policy(script_hashes: list[str]) -> str:
    """The page's Content-Security-Policy: this origin only; inline script only by hash; inline
    style allowed (Material sets a few style attributes); images also as data: (Material's icons);
    no plugins, no <base> elsewhere, forms post only here. ``frame-ancestors`` is ignored in a
    <meta> policy: the web server sets it (README, "Security headers")."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes) if script_hashes else "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


def with_csp(html: str) -> str:
    """``html`` with a CSP ``<meta http-equiv>`` right after its ``<meta charset>`` (before any
    script, so the policy covers them all); unchanged when it has no charset tag or has a policy."""
    if 'http-equiv="Content-Security-Policy"' in html:
        return html
    m = _CHARSET.search(html)
    if not m:
        return html
    tag = f'\n    <meta http-equiv="Content-Security-Policy" content="{csp_policy(inline_script_hashes(html))}">'
    return html[: m.end()] + tag + html[m.end():]


def on_post_page(output, page, config):
    return with_csp(nbsp(output))


# --------------------------------------------------------------------------- typography

_TAG = re.compile(r"(<[^>]*>)")
_RAW = re.compile(r"<(script|style|pre|code|textarea)\b", re.I)
_NUMERO = re.compile(r"№[ \t]+(?=\S)")
_UNIT = re.compile(r"(\d)[ \t]+(?=(?:сағ\.|сағат|ч\.|час|%|академиялық сағат|академических час))")


def nbsp(html: str) -> str:
    """``html`` with a non-breaking space after «№» and between a number and its unit (сағ., ч.,
    %), in text only: tags, attributes and the content of script, style, pre, code and textarea
    stay as they are. Kazakh and Russian typography (GOST R 7.0.97-2016, 5.5: a sign and its
    number are not split across lines)."""
    parts = _TAG.split(html)
    raw = None
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            m = _RAW.match(part)
            if m and raw is None:
                raw = m.group(1).lower()
            elif raw and part.lower().startswith(f"</{raw}"):
                raw = None
            continue
        if raw is None and part:
            parts[i] = _UNIT.sub("\\1\u00a0", _NUMERO.sub("№\u00a0", part))
    return "".join(parts)



# --------------------------------------------------------------------------- 404

def on_template_context(context, template_name, config):
    if template_name == "404.html":
        context["bk_notfound"] = labels("notfound")  # whole: the 404 page shows kk and ru together
        context["bk_site_root"] = site_root(config)
    return context


def site_root(config) -> str:
    """The path of the whole site (all languages) from site_url, with a trailing slash: "/" for
    https://host/, "/sub/" for https://host/sub/. The Russian build's site_url ends in "ru/"."""
    from urllib.parse import urlsplit

    path = urlsplit(config.site_url or "/").path or "/"
    if not path.endswith("/"):
        path += "/"
    lang = config.theme.get("language")
    languages = (config.extra or {}).get("languages") or [lang]
    if lang != languages[0] and path.endswith(f"/{lang}/"):
        path = path[: -len(lang) - 1]
    return path


def on_post_template(output_content, template_name, config):
    if template_name == "404.html":
        return with_csp(nbsp(output_content))
    return output_content
