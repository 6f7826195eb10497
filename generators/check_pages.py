"""The check page: a verifier types the control code printed on a certificate and reaches its
verification page, or learns that this issuer never issued it (issue 10).

- ``check/`` in every language (``check.md``), in the nav, so the home page links to it; the
  wording is in ``templates/check/labels.yaml``, the script in
  ``templates/overrides/assets/javascripts/check.js``.
- ``site/check/<key>.json`` for every certificate in the ledger, ``key`` =
  :func:`biliktilik.model.certificates.check_key` of its control code, holding only the
  verification path ``v/<token>/``, sealed with AES-GCM under a key derived from the same code
  (:func:`~biliktilik.model.certificates.seal_check_path`). Nothing lists the codes, numbers, names
  or tokens, and no file shows a token: a file is found and opened only with its 80-bit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from biliktilik.model.certificates import check_key, control_code, seal_check_path
from biliktilik.model.ledger import ledger_entries
from biliktilik.project import LANGUAGES, ROOT
from generators.kit.sitekit import esc_html, esc_md, front_matter

LABELS = ROOT / "templates" / "check" / "labels.yaml"
PAGE = "check.md"
FOLDER = "check"  # under the site root, once for every language


def labels() -> dict:
    """{lang: {key: text}} of the check page (templates/check/labels.yaml)."""
    return yaml.safe_load(Path(LABELS).read_text(encoding="utf-8"))


def page_markdown(lang: str, default: str = LANGUAGES[0]) -> str:
    """The check page of ``lang`` as Markdown with the form's raw HTML (texts escaped)."""
    t = labels()[lang]
    root = "../" if lang == default else "../../"  # from <lang>/check/ to the site root
    data = " ".join(f'data-{k}="{esc_html(t[k])}"' for k in ("wait", "malformed", "not_issued", "found", "error"))
    return (front_matter(title=t["title"], description=t["description"], bk_edit="", hide=["toc"])
            + f"# {esc_md(t['heading'])}\n\n{esc_md(t['intro'])}\n\n"
            f'<form id="bk-check" class="bk-check" data-root="{root}" {data} autocomplete="off">\n'
            f'<label for="bk-check-code">{esc_html(t["label"])}</label>\n'
            '<input id="bk-check-code" name="code" type="text" autocapitalize="characters" spellcheck="false" '
            'maxlength="40" placeholder="XXXX-XXXX-XXXX-XXXX" required>\n'
            f'<button type="submit" class="md-button md-button--primary">{esc_html(t["button"])}</button>\n'
            '<p id="bk-check-result" role="status" aria-live="polite"></p>\n'
            f"</form>\n\n<noscript><p>{esc_html(t['noscript'])}</p></noscript>\n")


def pages(ctx):
    for lang in LANGUAGES:
        ctx.page(lang, PAGE, page_markdown(lang))


def check_files(ds) -> dict[str, str]:
    """site-relative path -> JSON text, one per certificate of the ledger."""
    tokens = [e.get("token") for e in ledger_entries(ds)]
    return {rel: data.decode("utf-8") for rel, data in check_files_of(t for t in tokens if isinstance(t, str) and t)}


CACHE_KIND = "check"


def check_files_of(tokens) -> list[tuple[str, bytes]]:
    """[(site-relative path, JSON bytes)] of the check files of ``tokens`` (verification tokens)."""
    out = []
    for token in tokens:
        code = control_code(token)
        sealed = seal_check_path(code, f"v/{token}/")
        out.append((f"{FOLDER}/{check_key(code)}.json", (json.dumps(sealed, separators=(",", ":")) + "\n").encode()))
    return out


def files(ctx):
    """site/check/: one sealed file per certificate of the ledger (``check_files``). With the build's
    output cache (``ctx.cache``) the files are grouped by cohort and kept under the cohort's tokens: an
    unchanged cohort's files are put back as hard links to the cache's blobs, not sealed and written
    again (issue 12: a rebuild's cost does not grow with the certificates it did not change)."""
    cache = getattr(ctx, "cache", None)
    if cache is None:
        for rel, text in check_files(ctx.dataset).items():
            ctx.site.write(rel, text)
        return
    by_cohort: dict[str, list[str]] = {}
    for entry in ledger_entries(ctx.dataset):
        token = entry.get("token")
        if isinstance(token, str) and token:
            by_cohort.setdefault(str(entry.get("listener", "")).split("/")[0], []).append(token)
    for cohort in sorted(by_cohort):
        key = cache.key(CACHE_KIND, by_cohort[cohort])
        if cache.link(CACHE_KIND, key, ctx.site.root, claim=ctx.site.claim) is not None:
            continue
        produced = check_files_of(by_cohort[cohort])
        for rel, _data in produced:
            ctx.site.claim(rel)
        cache.store(CACHE_KIND, key, produced, ctx.site.root)
