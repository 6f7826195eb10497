"""Filled-form PDFs and the validator's form check at scale: time per form and the ratio to a naive baseline.

    .venv/bin/python bench/forms_pdfs.py [--listeners 2000] [--check-listeners 60000]

PDFs. Naive: a fresh WeasyPrint setup (font configuration, Jinja2 environment, stylesheet) for every
form, one process. Ours (generators/forms.py): one Renderer for all forms, forms shared among worker
processes when there are many. Each form is still its own document, so its bytes depend on it alone,
and a rebuild takes unchanged forms from the PDF cache (keyed by the form's HTML and the templates,
fonts and WeasyPrint version).

Form check (biliktilik/form_checks.py): the naive way builds every filled form and asks each for the
fields it lacks; ours looks at a cohort's, programme's or organisation's fields once per cohort and
skips the fields the schema already requires. Both on the synthetic data set (biliktilik.synth).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik import form_checks  # noqa: E402
from biliktilik.model import forms as F  # noqa: E402
from biliktilik.load.dataset import load_dataset  # noqa: E402
from biliktilik.model.facts import compute  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from generators import form_pdfs as G  # noqa: E402


def _data(listeners: int, tmp: Path):
    synthesize(tmp / f"data-{listeners}", listeners)
    ds = load_dataset(tmp / f"data-{listeners}", use_cache=False)
    return ds, compute(ds)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listeners", type=int, default=2000, help="listeners whose application PDFs are rendered")
    ap.add_argument("--naive", type=int, default=60, help="forms the naive baseline renders (scaled to all)")
    ap.add_argument("--check-listeners", type=int, default=60000, help="listeners of the form-check measurement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ds, facts = _data(args.listeners, tmp)
        jobs, _ = G.filled_jobs(ds, facts)
        renderer = G.Renderer()
        renderer.pdf(jobs[0][1], jobs[0][2])  # warm up fonts and templates
        t = time.perf_counter()
        ours = renderer.pdfs(jobs)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        for rel, view, title in jobs[:args.naive]:
            assert G.Renderer().pdf(view, title) == ours[rel]  # same bytes
        naive_s = (time.perf_counter() - t) / min(args.naive, len(jobs)) * len(jobs)
        per = ours_s / len(jobs) * 1000
        print(f"filled forms: {len(jobs)} PDFs in {ours_s:.1f} s ({per:.0f} ms each); naive (fresh setup per form, "
              f"one process): {naive_s:.1f} s; ratio {naive_s / ours_s:.1f}x")
        renderer.pdfs(jobs, tmp / "pdf-cache")  # a first build fills the cache
        t = time.perf_counter()
        renderer.pdfs(jobs, tmp / "pdf-cache")
        warm_s = time.perf_counter() - t
        print(f"rebuild with nothing changed (PDF cache): {warm_s:.2f} s; ratio to the naive build {naive_s / warm_s:.0f}x")

        ds, facts = _data(args.check_listeners, tmp)
        t = time.perf_counter()
        form_checks.check(ds, facts)
        check_s = time.perf_counter() - t
        t = time.perf_counter()
        [m for f in F.filled_forms(ds, facts) for m in f.find_missing()]
        naive_check = time.perf_counter() - t
        print(f"form check: {len(facts.listeners)} listeners in {check_s:.2f} s; naive (every filled form asked): "
              f"{naive_check:.2f} s; ratio {naive_check / check_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
