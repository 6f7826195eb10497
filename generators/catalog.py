"""The public programme catalog (MkDocs pages, Kazakh and Russian)."""

from __future__ import annotations

from biliktilik.build import LANGUAGES

_T = {
    "kk": {"title": "Біліктілікті арттыру бағдарламалары", "hours": "академиялық сағат", "org": "Ұйым"},
    "ru": {"title": "Программы повышения квалификации", "hours": "академических часов", "org": "Организация"},
}


def _text(value, lang):
    if isinstance(value, dict):
        return value.get(lang) or value.get("kk") or ""
    return value or ""


def pages(ctx):
    ds = ctx.dataset
    for lang in LANGUAGES:
        t = _T[lang]
        lines = [f"# {t['title']}", ""]
        for pid, prog in sorted(ds.programmes.items()):
            p = prog.data
            org = ds.organisations[p["organisation"]].data
            lines.append(f"- **{_text(p['title'], lang)}** — {p['hours']} {t['hours']}; "
                         f"{t['org']}: {_text(org['name'], lang)}")
        lines.append("")
        ctx.page(lang, "index.md", "\n".join(lines))
