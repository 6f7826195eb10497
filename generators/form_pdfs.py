"""Printable forms, blank and filled, in Kazakh and Russian (WeasyPrint, A4, DejaVu embedded).

- Blank forms are public: ``site/forms/<org>/<form>.<lang>.pdf`` (``form_url()`` gives the address),
  listed on the page ``forms/`` of each language.
- Filled forms hold personal data and go to ``print/forms/`` only:
  ``print/forms/<cohort>/<listener>-application.pdf`` (and ``-post-course-plan``, ``-post-course-report``,
  ``-internship-reference``; the internship certificate, Annex 6, is made once with its QR code by
  generators/certificate_pdfs.py), ``print/forms/<org>/staff-applications-<year>.pdf``
  (``.ru.pdf`` for the Russian version), ``print/forms/<org>/acknowledgement-sheet-trainers.pdf``; a filled form is in
  the language of its cohort.

The Kazakh text of every form is read from the regulation transcriptions (content/regulations/), the
layout and the Russian version from templates/forms/layouts.yaml; biliktilik/forms.py decides which
filled forms the records give and what they print. A form the records cannot fill is not printed
(the validator says what is missing: biliktilik/form_checks.py).

Speed: a form costs mostly its layout (about 50-100 ms); each form is one WeasyPrint document, so its
bytes depend on it alone (a rebuild gives the same bytes), and many forms are shared among worker
processes (bench/forms_pdfs.py measures both against one process).
"""

from __future__ import annotations

import html as _html
import logging
import re
from functools import lru_cache


from biliktilik.model import forms as F
from biliktilik.project import LANGUAGES, REGULATIONS, labels
from biliktilik.texts import sort_key
from generators.kit.addresses import FORMS, form_url, forms_index_url, forms_of_document  # noqa: F401 (callers)
from generators.kit.weasy import Renderer, pdf_cache
from biliktilik.findings import BuildError

from biliktilik.model import regulation_text as rt
from biliktilik.i18n import _

log = logging.getLogger(__name__)


_UI = labels("forms")  # templates/forms/labels.yaml: the wording of the public index of blank forms
_ANNEX = {lang: labels("regulation")[lang]["annex"] for lang in LANGUAGES}  # '{n}-қосымша', 'Приложение {n}' 


# --------------------------------------------------------------------------- layout against the transcription


@lru_cache(maxsize=16)
def _document(doc_id: str) -> rt.Document:
    path = REGULATIONS / f"{doc_id}.yaml"
    try:
        return rt.load(path)
    except (OSError, ValueError) as exc:
        raise BuildError(f"forms: cannot read the transcription {path}: {exc}") from exc


def _norm(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"\s+", " ", text.strip()))


def printed(spec: F.FormSpec) -> tuple[dict, list]:
    """The form's printed header(s) and lines from the transcription: ({'header', 'parent', 'title'}, lines)."""
    doc = _document(spec.document)
    try:
        node = doc.node(spec.source)
    except KeyError as exc:
        raise BuildError(f"forms: {spec.key}: {exc}") from exc
    block = node.obj
    if node.kind == "annex":
        parent = doc.node(spec.parent).obj.header if spec.parent else None
        return {"header": block.header, "parent": parent}, list(block.lines)
    if node.kind in ("table", "block") or isinstance(block, (rt.Table, rt.Block)):
        table = rt.Table(id=block.id, columns=list(block.columns), rows=[list(r) for r in block.rows], title=block.title)
        return {"header": None, "parent": None}, [table]
    raise BuildError(f"forms: {spec.key}: {spec.source} is neither an annex nor a table")


def check_layout(spec: F.FormSpec) -> list:
    """The printed lines, after checking that the layout follows them one by one."""
    _, lines = printed(spec)
    layout = [ln for ln in spec.lines if not ln.get("added")]
    where = f"templates/forms/layouts.yaml: {spec.key}"
    for i, ln in enumerate(spec.lines, 1):
        if ln.get("added") and not (ln.get("table") and len(ln.get("kk") or []) == len(ln.get("ru") or []) > 0):
            raise BuildError(f"{where}: line {i}: an added line is a table with as many Kazakh as Russian columns")
    if len(layout) != len(lines):
        raise BuildError(f"{where}: {len(layout)} layout lines for the {len(lines)} printed lines of "
                         f"{spec.document}#{spec.source}")
    for i, (ln, pl) in enumerate(zip(layout, lines), 1):
        if isinstance(pl, rt.Table):
            if ln.get("table") != pl.id:
                raise BuildError(f"{where}: line {i} should be the table {pl.id}, not {ln}")
            if len(ln.get("ru") or []) != len(pl.columns):
                raise BuildError(f"{where}: table {pl.id} has {len(pl.columns)} columns, its Russian version {len(ln.get('ru') or [])}")
            continue
        if "kk" not in ln or _norm(ln["kk"]) != _norm(pl):
            raise BuildError(f"{where}: line {i} should be the printed «{pl}», not «{ln.get('kk')}»")
        if ln.get("restore") and _bare(ln["restore"]) != _bare(pl):
            raise BuildError(f"{where}: line {i}: restore «{ln['restore']}» may only add underlines, spaces and "
                             f"quote marks to the printed «{pl}»")
        for lang, text in (("kk", ln.get("restore") or pl), ("ru", ln.get("ru") or "")):
            blanks = len(F.BLANK_RE.findall(text))
            for what in ("fill", "blank_mm"):
                given = ln.get(what) or []
                given = given.get(lang) or [] if isinstance(given, dict) else given
                if given and len(given) != blanks:
                    raise BuildError(f"{where}: line {i} ({lang}) has {blanks} blank(s) but {len(given)} {what} entries")
    for i, ln in enumerate(layout, 1):
        for key in _line_keys(ln):
            if key not in F.FIELDS:
                raise BuildError(f"{where}: line {i}: unknown value key {key!r}")
    return lines


def _bare(text: str) -> str:
    """A line without what a text extraction loses: underlines, spaces and quote marks."""
    return re.sub(r"[_\s\"«»“”„]+", "", text)


def _line_keys(ln: dict) -> list[str]:
    fill = ln.get("fill") or []
    keys = [k for lst in (fill.values() if isinstance(fill, dict) else [fill]) for k in lst if k]
    keys += [ln["value"]] if ln.get("value") else []
    keys += [r["key"] for r in ln.get("replace") or []]
    keys += [k for k in ln.get("cells") or [] if k] + ([ln["rows"]] if ln.get("rows") else [])
    return keys


# --------------------------------------------------------------------------- the view a template renders


def _segments(text: str, fill: list, values: dict | None, blank: bool, replace: list, lang: str,
              mm: list | None = None) -> tuple[list, bool]:
    parts = F.BLANK_RE.split(text)
    runs = F.BLANK_RE.findall(text)
    segs: list[dict] = []
    for i, part in enumerate(parts):
        if i < len(runs) and part.endswith(" "):
            part = part[:-1] + "\u00a0"  # a word stays with the blank after it (and WeasyPrint breaks lines well)
        if part:
            segs.extend(_replaced(part, replace, values, blank, lang))
        if i < len(runs):
            key = fill[i] if i < len(fill) else None
            value = None if blank or key is None or values is None else values.get(key)
            if blank and key is not None and values:
                value = values.get(key)
            segs.append({"t": "blank", "w": round(min(max(len(runs[i]) * 0.55, 3.5), 24), 1), "v": value, "end": False,
                         "mm": (mm[i] if mm and i < len(mm) else None)})
    for a, b in zip(segs, segs[1:]):
        # WeasyPrint 70 cannot break a line inside a text box followed by another inline box on the same
        # line (it breaks after the first word instead): such text goes word by word
        a["words"] = a["t"] == "text" and b["t"] != "text"
    flex = False
    if len(runs) == 1 and segs[-1]["t"] == "blank":
        segs[-1]["end"] = flex = True  # a single blank at the end runs to the margin
        segs[-1]["w"] = None
    return segs, flex


def _replaced(part: str, replace: list, values: dict | None, blank: bool, lang: str) -> list[dict]:
    out = [{"t": "text", "s": part, "words": False}]
    if blank or not values:
        return out
    for r in replace:
        literal, value = r.get(lang), values.get(r["key"])
        if not literal or value is None:
            continue
        new = []
        for seg in out:
            if seg["t"] != "text" or literal not in seg["s"]:
                new.append(seg)
                continue
            before, _, after = seg["s"].partition(literal)
            new += ([{"t": "text", "s": before, "words": False}] if before else []) + [{"t": "value", "s": value}] + (
                [{"t": "text", "s": after, "words": False}] if after else [])
        out = new
    return out


def view(spec: F.FormSpec, lang: str, values: dict | None, blank: bool) -> dict:
    """What the template renders for one form: headers, then elements (lines and tables) in printed order."""
    head, lines = printed(spec), check_layout(spec)
    head = head[0]
    values = values or {}
    headers = []
    if head.get("parent"):
        headers.append(head["parent"] if lang == "kk" else spec.parent_header.get("ru") or head["parent"])
    own = spec.header.get(lang) if (lang == "ru" or "kk" in spec.header) else None
    if head.get("header") or own:
        headers.append(own or head["header"])
    elements = []
    printed_lines = iter(lines)
    for ln in spec.lines:
        if ln.get("added"):  # a table the text asks for but does not print (the plan's rows to write in)
            elements.append(_added_table(ln, lang, values, blank))
            continue
        pl = next(printed_lines)
        if isinstance(pl, rt.Table):
            elements.append(_table(ln, pl, lang, values, blank))
            continue
        if ln.get("cont") and not blank:
            continue
        text = (ln.get("restore") or pl) if lang == "kk" else ln["ru"]
        fill = ln.get("fill") or []
        fill = fill.get(lang) or [] if isinstance(fill, dict) else fill
        mm = ln.get("blank_mm") or []
        mm = mm.get(lang) or [] if isinstance(mm, dict) else mm
        segs, flex = _segments(text, fill, values, blank, ln.get("replace") or [], lang, mm)
        el = {"kind": "line", "classes": ln.get("style") or "", "segments": segs, "flex": flex, "above": None}
        if ln.get("value"):
            el["above"] = {"value": values.get(ln["value"])}
        elif ln.get("by_hand"):  # a line to write on that no record fills (the employer's head, Order 95 p. 10)
            el["above"] = {"value": None}
        elements.append(el)
    return {"page": spec.page, "headers": headers, "elements": elements, "lang": lang}


def _added_table(ln: dict, lang: str, values: dict, blank: bool) -> dict:
    """An editorial table of the layout (``added: true``): its columns in ``lang``, the record's rows
    (``rows``) on a filled form, then numbered empty rows up to ``blank_rows`` to write in by hand."""
    columns = ln.get(lang) or ln["kk"]
    data = [] if blank or not ln.get("rows") else list(values.get(ln["rows"]) or [])
    rows = [list(r) for r in data]
    rows += [[str(n)] + [""] * (len(columns) - 1) for n in range(len(rows) + 1, (ln.get("blank_rows") or 0) + 1)]
    return {"kind": "table", "title": (ln.get("title") or {}).get(lang), "widths": ln.get("widths"), "cells": None,
            "columns": columns, "rows": rows, "ruled": True}


def _table(ln: dict, table: rt.Table, lang: str, values: dict, blank: bool) -> dict:
    columns = table.columns if lang == "kk" else ln["ru"]
    title = table.title if lang == "kk" else (ln.get("title_ru") or table.title)
    el = {"kind": "table", "title": title, "widths": ln.get("widths"), "cells": None, "columns": columns, "rows": [],
          "ruled": bool(ln.get("ruled"))}
    if ln.get("cells"):
        el["cells"] = [{"label": label, "value": values.get(key) if key else None}
                       for label, key in zip(columns, ln["cells"])]
        return el
    printed_rows = [list(r) for r in table.rows]
    width = len(columns)
    data = None if blank else values.get(ln.get("rows")) if ln.get("rows") else None
    if ln.get("number_row"):
        rows = printed_rows[:1]
        rows += list(data or [])
        rows += [[""] * width for _ in range(max(0, (ln.get("blank_rows") or 0) - len(data or [])))]
    elif data:
        rows = [list(r) for r in data] + printed_rows[len(data):]
    else:
        rows = printed_rows + [[""] * width for _ in range(ln.get("blank_rows") or 0)]
    el["rows"] = rows
    return el


# --------------------------------------------------------------------------- rendering


def blank_jobs(ds=None, facts=None, only: set[str] | None = None) -> list[tuple[str, dict, str]]:
    """(rel under site/, view, title) of every blank form (of the ``org/form`` keys ``only``) in both languages."""
    jobs = []
    for spec in F.specs().values():
        if only is not None and spec.key not in only:
            continue
        for lang in LANGUAGES:
            values = F.blank_values(ds, facts, spec, lang)
            title = spec.title.get(lang) or spec.title["kk"]
            jobs.append((form_url(spec.org, spec.id, lang), view(spec, lang, values, blank=True), title))
    return jobs


def filled_jobs(ds, facts, cohort: str | None = None, organisation: str | None = None):
    """(rel under print/, view, title) of every filled form the records can fill; and the skipped ones."""
    jobs, skipped = [], []
    for filled in F.filled_forms(ds, facts, cohort, organisation):
        if filled.missing:
            skipped.append(filled)
            continue
        title = filled.spec.title.get(filled.lang) or filled.spec.title["kk"]
        shown = view(filled.spec, filled.lang, filled.values(), blank=False)
        shown["who"] = _who(filled)  # for the staff index of print/forms/ only, never printed on the form
        jobs.append((filled.rel, shown, title))
    return jobs, skipped


def _who(filled) -> str:
    """Whom a filled form is about, by name: the listener, else the organisation (its lists)."""
    name = F.full_name(filled.subject.listener.get("name")) if filled.subject.lf else None
    if name:
        return name
    org = filled.subject.organisation.data.get("name") or {}
    return org.get(filled.lang) or org.get("kk") or filled.subject.organisation.id


# --------------------------------------------------------------------------- pages and files of a build


def _org_name(ds, org_id: str, lang: str) -> str:
    org = ds.organisations.get(org_id)
    if org is None:
        return _UI[lang]["national"]
    name = org.data.get("name") or {}
    return name.get(lang) or name.get("kk") or org_id


def pages(ctx):
    """forms/index.md of each language: the blank forms, grouped by organisation, both languages linked."""
    ds = ctx.dataset
    groups: dict[str, list[F.FormSpec]] = {}
    for spec in F.specs().values():
        groups.setdefault(spec.org, []).append(spec)
    order = sorted(groups, key=lambda o: (o != "order-95", o))
    for lang in LANGUAGES:
        ui = _UI[lang]
        base = "../" * (0 if lang == LANGUAGES[0] else 1) + "../"
        lines = [f"# {ui['index_title']}", "", ui["intro"], ""]
        for org in order:
            lines += [f"## {_html.escape(_org_name(ds, org, lang))}", ""]
            for spec in groups[org]:
                title = spec.title.get(lang) or spec.title["kk"]
                number = spec.id.removeprefix("annex-").replace("-", ".") if spec.id.startswith("annex-") else ""
                prefix = _ANNEX[lang].format(n=number) + ": " if number else ""  # one form: «1-қосымша»
                links = " · ".join(
                    f'<a href="{form_url(spec.org, spec.id, fl, base)}" hreflang="{fl}" data-form="{spec.key}">PDF, {ui[fl]}</a>'
                    for fl in LANGUAGES)
                lines.append(f"- {_html.escape(prefix + title)} — {links}")
            lines.append("")
        ctx.page(lang, f"{FORMS}/index.md", "\n".join(lines))


def files(ctx):
    """site/forms/: every blank form; print/forms/: every listener's filled forms only when the build
    asks for them (``build --forms``: ``ctx.filled_forms``), streamed to disk as they are rendered by
    ``ctx.jobs`` processes. Staff print a cohort's forms with ``biliktilik forms --cohort``."""
    from biliktilik.progress import QUIET

    progress = getattr(ctx, "progress", None) or QUIET
    workers = getattr(ctx, "jobs", 1) or 1
    renderer = Renderer()
    cache = pdf_cache(ctx) if getattr(ctx, "cache", None) is not None else None
    blank = blank_jobs(ctx.dataset, ctx.facts)
    with progress.stage(_("blank forms"), total=len(blank)) as advance:
        for rel, data in renderer.iter_pdfs(blank, cache, workers):
            ctx.site.write(rel, data)
            advance()
    if not getattr(ctx, "filled_forms", True):
        log.info("forms: %d blank; filled forms not rendered (build --forms, or biliktilik forms --cohort)", len(blank))
        return
    jobs, skipped = filled_jobs(ctx.dataset, ctx.facts)
    with progress.stage(_("filled forms"), total=len(jobs)) as advance:
        for rel, data in renderer.iter_pdfs(jobs, cache, workers):
            ctx.print.write(rel, data)
            advance()
    ctx.print.write(f"{FORMS}/index.html", _print_index(jobs, skipped))
    log.info("forms: %d blank, %d filled, %d not filled (see the validator's form.missing-field)",
             len(blank), len(jobs), len(skipped))


def _print_index(jobs, skipped) -> str:
    """print/forms/index.html for staff: every filled form by the name of whom it is about (the listener,
    or the organisation of a list), cohort by cohort in Kazakh or Russian alphabetical order (the form's
    language), and the forms the records could not fill.
    Wording: ``print_index`` of templates/forms/labels.yaml, Kazakh / Russian."""
    kk, ru = _UI["kk"]["print_index"], _UI["ru"]["print_index"]
    # folder by folder (a cohort, an organisation), people in the alphabetical order of the forms' language
    jobs = sorted(jobs, key=lambda j: (j[0].rsplit("/", 1)[0], sort_key(j[1].get("who") or "", j[1].get("lang") or "kk"),
                                       j[0]))
    rows = "\n".join(
        f'<li><a href="{_html.escape(rel.removeprefix(FORMS + "/"))}">{_html.escape(shown.get("who") or rel)}</a>'
        f" — {_html.escape(title)} <small>({_html.escape(rel)})</small></li>"
        for rel, shown, title in jobs)
    missing = "\n".join(f"<li>{_html.escape(f.rel)}: {_html.escape(', '.join(m.field.what for m in f.missing))}</li>"
                        for f in skipped)
    return (f'<!DOCTYPE html>\n<html lang="kk"><head><meta charset="utf-8"><title>{_html.escape(kk["title"])}</title>'
            f"</head><body><h1>{_html.escape(kk['title'])} / {_html.escape(ru['title'])}</h1><ul>\n{rows}\n</ul>"
            + (f"<h2>{_html.escape(kk['missing'])} / {_html.escape(ru['missing'])}</h2><ul>\n{missing}\n</ul>"
               if missing else "") + "</body></html>\n")
