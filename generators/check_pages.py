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
    out = {}
    for entry in ledger_entries(ds):
        token = entry.get("token")
        if not isinstance(token, str) or not token:
            continue
        code = control_code(token)
        sealed = seal_check_path(code, f"v/{token}/")
        out[f"{FOLDER}/{check_key(code)}.json"] = json.dumps(sealed, separators=(",", ":")) + "\n"
    return out


def files(ctx):
    for rel, text in check_files(ctx.dataset).items():
        ctx.site.write(rel, text)
