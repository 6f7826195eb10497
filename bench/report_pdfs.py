"""Staff report PDFs: ReportLab (generators/kit/tablepdf.py, what the build uses) against WeasyPrint
(generators/kit/weasy.py's Renderer, what it used before), on the same views.

    .venv/bin/python bench/report_pdfs.py [--listeners 10000] [--cohorts 60]

On synthetic data (biliktilik.synth) of --listeners listeners:
  - the per-cohort listener lists (one PDF each, in the cohort's language) of the first --cohorts
    cohorts with listeners: the kind of report whose number grows with the data (one per cohort:
    about 3,000 at 60,000 listeners);
  - every country-wide report of up to 1,000 rows (the build's PDF_ROWS), in Kazakh.
Baseline: ONE WeasyPrint Renderer (one Jinja2 environment, one font configuration, the fonts
already loaded), each report its own document, in this one process; ours: ReportLab, each report its
own document, in this one process. Same views, same number, one process each: the ratio is the
layout engine's alone. CPU seconds (process time) with the load average beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.model import reports as R  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from biliktilik.validate import validate  # noqa: E402
from generators import report_files as G  # noqa: E402
from generators.kit.tablepdf import report_pdf  # noqa: E402
from generators.kit.weasy import Renderer  # noqa: E402


def _time(render, views) -> tuple[float, int]:
    started = time.process_time()
    size = sum(len(render(v, v["title"])) for v in views)
    return time.process_time() - started, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listeners", type=int, default=10000)
    ap.add_argument("--cohorts", type=int, default=60, help="per-cohort listener lists rendered")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        synthesize(data, args.listeners)
        checked = validate(data, use_cache=False)
    ds, facts = checked.dataset, checked.facts
    lists = []
    for cid in sorted(ds.cohorts):
        if facts.of_cohort(cid) and len(lists) < args.cohorts:
            rep = R.report("listener-lists", ds, facts, cohort=cid)
            lang = ds.cohorts[cid].data.get("language") if ds.cohorts[cid].data.get("language") in ("kk", "ru") else "kk"
            lists.append(G.report_view(rep, lang))
    country = [v for v in (G.report_view(rep, "kk") for rep in G.all_reports(ds, facts)) if len(v["rows"]) <= G.PDF_ROWS]
    weasy = Renderer(G.TEMPLATES, "report.html.j2", "reports.css")
    weasy.pdf(lists[0], lists[0]["title"])  # WeasyPrint imported, fonts loaded: not counted
    report_pdf(lists[0], lists[0]["title"])
    print(f"{args.listeners} listeners; load average {os.getloadavg()[0]:.1f}")
    for label, views in ((f"{len(lists)} cohort lists", lists),
                         (f"{len(country)} country-wide reports ({sum(len(v['rows']) for v in country)} rows)", country)):
        base, base_size = _time(weasy.pdf, views)
        ours, size = _time(report_pdf, views)
        print(f"{label:<46} WeasyPrint {base:7.2f}s ({base / len(views) * 1000:6.1f} ms each, {base_size / 1e6:5.1f} MB)"
              f"  ReportLab {ours:6.2f}s ({ours / len(views) * 1000:6.1f} ms each, {size / 1e6:5.1f} MB)"
              f"  ratio {base / ours:4.1f}x")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
