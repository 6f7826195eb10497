"""Staff reports under print/reports/ (never site/: they name people): HTML and PDF in Kazakh and
Russian, CSV, and the planning calendar as iCalendar.

- ``calendar-<year>.{kk,ru}.{html,pdf,ics}`` and ``.csv`` for every year of the data (and the build
  year and the next);
- ``listener-lists``, ``post-course``, ``monitoring``, ``reassessment``, ``staff-due``, ``work-off``,
  ``nobd``: ``.{kk,ru}.{html,pdf}`` and ``.csv``;
- ``listener-lists/<cohort>.{csv,kk.pdf}`` for every cohort with listeners, ``nobd/<cohort>.csv`` for
  every finished cohort (the export, due within the rule's working days);
- ``index.html`` linking them all.

The rows and dates are biliktilik.reports' (which reads biliktilik.facts); this module only writes them.
"""

from __future__ import annotations

import html as _html
import logging

from markupsafe import Markup

from biliktilik.model import reports as R
from biliktilik.progress import QUIET
from biliktilik.project import LANGUAGES, ROOT, labels
from biliktilik.i18n import _

from generators.kit.tablepdf import ReportRenderer
from generators.kit.weasy import Renderer, pdf_cache

log = logging.getLogger(__name__)

TEMPLATES = ROOT / "templates" / "reports"
REPORTS = "reports"
_TEXT = labels("reports")["text"]  # templates/reports/labels.yaml


def years(ds, facts) -> list[int]:
    """The calendar years the build prints: those of the cohorts' dates, the build year and the next."""
    out = {facts.today.year, facts.today.year + 1}
    for c in ds.cohorts.values():
        for key in ("start", "end"):
            d = c.data.get(key)
            if hasattr(d, "year"):
                out.add(d.year)
    return sorted(out)


def all_reports(ds, facts) -> list[R.Report]:
    """Every report the build writes, in a stable order."""
    out = [R.report("calendar", ds, facts, year=y) for y in years(ds, facts)]
    for kind in R.KINDS[1:]:
        out.append(R.report(kind, ds, facts))
    return out


def report_view(rep: R.Report, lang: str) -> dict:
    """What report.html.j2 shows of ``rep`` in ``lang``: every text in that language (titles, names,
    citations), dates dd.mm.yyyy, amounts in tenge, overdue rows flagged."""
    head, rows = rep.table(lang)
    flags = rep.overdue(lang)
    mark = _TEXT["overdue_mark"][lang].strip()
    return {"lang": lang, "title": rep.title.get(lang) or rep.title["en"], "as_of": R.as_of_text(rep.as_of, lang),
            "head": head, "rows": [{"cells": r, "overdue": late} for r, late in zip(rows, flags)],
            "mark": mark, "legend": _TEXT["overdue_legend"][lang].format(mark=mark, n=sum(flags)) if any(flags) else "",
            "notes": [n.get(lang) or n["en"] for n in rep.notes],
            "sources": [R.source_text(x, lang) for x in rep.sources], "sources_label": _TEXT["sources"][lang],
            "none": _TEXT["none"][lang]}


# A country-wide report (a row per listener or certificate) is printed as a PDF only up to this many rows:
# WeasyPrint lays a table out at about 8 ms and 0.17 MB a row, so 30,000 rows (60,000 listeners) would take
# minutes and gigabytes for one file nobody prints whole. Larger reports are published as HTML (printable
# from the browser) and CSV; staff print a part with `biliktilik reports KIND --org ID` or `--cohort ID`.
PDF_ROWS = 1000


REPORT_KIND = "report"


def _report_key(cache, rep: R.Report, langs, html: bool, ics: bool) -> str | None:
    """The cache key of one report's files: the report itself (its name, kind, titles, columns, every
    row with its raw values, notes, sources, as-of date and, for a calendar, its deadlines as their
    repr: the iCalendar events), the languages it is written in and which files it has; the CSV, HTML
    and PDFs are functions of these and of the code (in every key). None without a cache or when a
    value cannot be keyed (the files are then made and written every time)."""
    if cache is None:
        return None
    try:
        return cache.key(REPORT_KIND, rep.name, rep.kind, rep.title, rep.columns, rep.rows, rep.as_of, rep.notes,
                         rep.sources, rep.order, [repr(d) for d in rep.deadlines] if rep.kind == "calendar" else None,
                         list(langs), html, ics, PDF_ROWS)
    except TypeError:
        return None


class _Pending:
    """A report's files not found in the cache: written (and kept under ``key``) once its PDFs are made."""

    def __init__(self, key, files, pdfs):
        self.key, self.files, self.waiting = key, files, set(pdfs)


def files(ctx):
    """print/reports/ (see the module's docstring). With the build's output cache (``ctx.cache``)
    each report's files (CSV, HTML, iCalendar, PDFs) are kept under ``_report_key`` (issue 12 part 4):
    a report whose rows did not change is put back as hard links to the cache's blobs, with no HTML
    rendered, no PDF read and nothing written. The rows themselves (biliktilik.model.reports) are
    computed in every build: the key is made from them."""
    ds, facts = ctx.dataset, ctx.facts
    cache = getattr(ctx, "cache", None)
    renderer = ReportRenderer(TEMPLATES)
    reports = all_reports(ds, facts)
    jobs, written, pending = [], [], {}
    linked = 0

    def one(rep: R.Report, langs, pdf_langs, ics: bool, html: bool):
        """The files of ``rep`` in ``langs``: from the cache, or made now (PDFs queued as jobs)."""
        nonlocal linked
        key = _report_key(cache, rep, langs, html, ics)
        if key is not None and cache.link(REPORT_KIND, key, ctx.print.root, claim=ctx.print.claim) is not None:
            linked += 1
            return
        csv_text = rep.csv()
        views = {lang: report_view(rep, lang) for lang in langs}
        made = [(f"{REPORTS}/{rep.name}.csv", csv_text.encode("utf-8"))]
        if html:
            made += [(f"{REPORTS}/{rep.name}.{lang}.html", _page(renderer, views[lang]).encode("utf-8")) for lang in langs]
        if ics:
            made += [(f"{REPORTS}/{rep.name}.{lang}.ics", rep.ics(lang).encode("utf-8")) for lang in LANGUAGES]
        pdfs = [(f"{REPORTS}/{rep.name}.{lang}.pdf", views[lang], views[lang]["title"]) for lang in pdf_langs]
        jobs.extend(pdfs)
        if key is None:
            for rel, data in made:
                ctx.print.write(rel, data)
        else:
            for rel, _data in made:
                ctx.print.claim(rel)
            group = _Pending(key, made, [rel for rel, _v, _t in pdfs])
            for rel, _v, _t in pdfs:
                pending[rel] = group
            if not pdfs:
                cache.store(REPORT_KIND, key, made, ctx.print.root)

    def title(rep: R.Report, lang: str) -> str:
        return rep.title.get(lang) or rep.title["en"]

    for rep in reports:  # the country-wide reports: CSV, HTML in each language, PDFs up to PDF_ROWS rows
        pdf_langs = list(LANGUAGES) if len(rep.rows) <= PDF_ROWS else []
        one(rep, LANGUAGES, pdf_langs, rep.kind == "calendar", True)
        written.append((f"{rep.name}.csv", rep.title["en"]))
        for lang in LANGUAGES:
            written.append((f"{rep.name}.{lang}.html", title(rep, lang)))
            if lang in pdf_langs:
                written.append((f"{rep.name}.{lang}.pdf", title(rep, lang)))
        if rep.kind == "calendar":
            for lang in LANGUAGES:
                written.append((f"{rep.name}.{lang}.ics", rep.title.get(lang)))
    for c in sorted(ds.cohorts.values(), key=lambda r: r.id):  # per cohort: a CSV and one PDF in its language
        if facts.of_cohort(c.id):
            rep = R.report("listener-lists", ds, facts, cohort=c.id)
            lang = c.data.get("language") if c.data.get("language") in LANGUAGES else LANGUAGES[0]
            one(rep, [lang], [lang], False, False)
            written += [(f"{rep.name}.csv", rep.title["en"]), (f"{rep.name}.{lang}.pdf", title(rep, lang))]
        if facts.of_cohort(c.id) and c.data["end"] <= facts.today:
            rep = R.report("nobd", ds, facts, cohort=c.id)
            one(rep, [], [], False, False)
            written.append((f"{rep.name}.csv", rep.title["en"]))
    # the country-wide reports hold a row per listener or certificate and take most of the time: largest
    # first, one job at a time per worker, streamed to disk (ctx.jobs processes)
    jobs.sort(key=lambda job: (-len(job[1]["rows"]), job[0]))
    workers = getattr(ctx, "jobs", 1) or 1
    with (getattr(ctx, "progress", None) or QUIET).stage(_("report PDFs"), total=len(jobs)) as advance:
        for rel, data in renderer.iter_pdfs(jobs, pdf_cache(ctx), workers, chunksize=1):
            group = pending.pop(rel, None)
            if group is None:
                ctx.print.write(rel, data)
            else:
                ctx.print.claim(rel)
                group.files.append((rel, data))
                group.waiting.discard(rel)
                if not group.waiting:  # the report's last PDF: every file of it to the cache, linked here
                    cache.store(REPORT_KIND, group.key, group.files, ctx.print.root)
            advance()
    ctx.print.write(f"{REPORTS}/index.html", _index(written, facts.today))
    log.info("reports: %d report(s), %d PDF(s), %d report(s) from the cache", len(reports), len(jobs), linked)


def _page(renderer: Renderer, view: dict) -> str:
    """The report as a plain HTML page (no font files: a browser has its own)."""
    return renderer.env.get_template(renderer.template).render(forms=[view], title=view["title"], lang=view["lang"],
                                                               fonts=Markup(""), css=renderer.css)


def _index(written, today) -> str:
    items = "\n".join(f'<li><a href="{_html.escape(rel)}">{_html.escape(rel)}</a> — {_html.escape(title or "")}</li>'
                      for rel, title in written)
    return (f'<!DOCTYPE html>\n<html lang="kk"><head><meta charset="utf-8"><title>Есептер / Отчёты</title></head>'
            f"<body><h1>Есептер / Отчёты</h1><p>{R.date_text(today)}</p><ul>\n{items}\n</ul></body></html>\n")
