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


def files(ctx):
    ds, facts = ctx.dataset, ctx.facts
    renderer = Renderer(TEMPLATES, "report.html.j2", "reports.css")
    reports = all_reports(ds, facts)
    jobs, written = [], []
    for rep in reports:
        ctx.print.write(f"{REPORTS}/{rep.name}.csv", rep.csv())
        written.append((f"{rep.name}.csv", rep.title["en"]))
        for lang in LANGUAGES:
            v = report_view(rep, lang)
            ctx.print.write(f"{REPORTS}/{rep.name}.{lang}.html", _page(renderer, v))
            written.append((f"{rep.name}.{lang}.html", v["title"]))
            if len(v["rows"]) <= PDF_ROWS:
                jobs.append((f"{REPORTS}/{rep.name}.{lang}.pdf", v, v["title"]))
                written.append((f"{rep.name}.{lang}.pdf", v["title"]))
        if rep.kind == "calendar":
            for lang in LANGUAGES:
                ctx.print.write(f"{REPORTS}/{rep.name}.{lang}.ics", rep.ics(lang))
                written.append((f"{rep.name}.{lang}.ics", rep.title.get(lang)))
    for c in sorted(ds.cohorts.values(), key=lambda r: r.id):
        if facts.of_cohort(c.id):
            rep = R.report("listener-lists", ds, facts, cohort=c.id)
            ctx.print.write(f"{REPORTS}/{rep.name}.csv", rep.csv())
            lang = c.data.get("language") if c.data.get("language") in LANGUAGES else LANGUAGES[0]
            v = report_view(rep, lang)
            jobs.append((f"{REPORTS}/{rep.name}.{lang}.pdf", v, v["title"]))
            written += [(f"{rep.name}.csv", rep.title["en"]), (f"{rep.name}.{lang}.pdf", v["title"])]
        if facts.of_cohort(c.id) and c.data["end"] <= facts.today:
            rep = R.report("nobd", ds, facts, cohort=c.id)
            ctx.print.write(f"{REPORTS}/{rep.name}.csv", rep.csv())
            written.append((f"{rep.name}.csv", rep.title["en"]))
    # the country-wide reports hold a row per listener or certificate and take most of the time: largest
    # first, one job at a time per worker, streamed to disk (ctx.jobs processes)
    jobs.sort(key=lambda job: (-len(job[1]["rows"]), job[0]))
    workers = getattr(ctx, "jobs", 1) or 1
    with (getattr(ctx, "progress", None) or QUIET).stage(_("report PDFs"), total=len(jobs)) as advance:
        for rel, data in renderer.iter_pdfs(jobs, pdf_cache(ctx), workers, chunksize=1):
            ctx.print.write(rel, data)
            advance()
    ctx.print.write(f"{REPORTS}/index.html", _index(written, facts.today))
    log.info("reports: %d report(s), %d PDF(s)", len(reports), len(jobs))


def _page(renderer: Renderer, view: dict) -> str:
    """The report as a plain HTML page (no font files: a browser has its own)."""
    return renderer.env.get_template(renderer.template).render(forms=[view], title=view["title"], lang=view["lang"],
                                                               fonts=Markup(""), css=renderer.css)


def _index(written, today) -> str:
    items = "\n".join(f'<li><a href="{_html.escape(rel)}">{_html.escape(rel)}</a> — {_html.escape(title or "")}</li>'
                      for rel, title in written)
    return (f'<!DOCTYPE html>\n<html lang="kk"><head><meta charset="utf-8"><title>Есептер / Отчёты</title></head>'
            f"<body><h1>Есептер / Отчёты</h1><p>{R.date_text(today)}</p><ul>\n{items}\n</ul></body></html>\n")
