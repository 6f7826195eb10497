"""Filled-form PDFs and the validator's form check: what they cost and the ratio to a fair baseline.

    .venv/bin/python bench/forms_pdfs.py [--listeners 300] [--check-listeners 60000] [--workers N]

PDFs, on the synthetic data set (biliktilik.synth), every filled form of --listeners listeners:
  - baseline: ONE Renderer (generators.kit.weasy: one Jinja2 environment, one font configuration)
    rendering every form in this one process, no cache: the straightforward fast loop;
  - ours: the same renderer's ``iter_pdfs``: the forms shared among --workers forked processes and
    streamed back (the build's path, ``build --forms``), no cache; the same bytes (checked);
  - ours again with the PDF cache filled (a rebuild with nothing changed).
Same forms, same number, nothing extrapolated. Ours gains only what the extra cores give: each form
is still its own WeasyPrint document, so its bytes depend on it alone.

Form check (biliktilik/validate/form_checks.py): the naive way builds every filled form and asks each
for the fields it lacks; ours looks at a cohort's, programme's or organisation's fields once per
cohort and skips the fields the schema already requires; both on all --check-listeners listeners.
Every figure is printed with the load average beside it (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.validate import form_checks  # noqa: E402
from biliktilik.model import forms as F  # noqa: E402
from biliktilik.load.dataset import load_dataset  # noqa: E402
from biliktilik.model.facts import compute  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from generators import form_pdfs as G  # noqa: E402


def _data(listeners: int, tmp: Path):
    synthesize(tmp / f"data-{listeners}", listeners)
    ds = load_dataset(tmp / f"data-{listeners}", use_cache=False)
    return ds, compute(ds)


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listeners", type=int, default=300, help="listeners whose filled forms are rendered")
    ap.add_argument("--workers", type=int, default=None, help="our worker processes (default: the usable cores)")
    ap.add_argument("--check-listeners", type=int, default=60000, help="listeners of the form-check measurement")
    args = ap.parse_args()
    workers = args.workers or len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ds, facts = _data(args.listeners, tmp)
        jobs, _ = G.filled_jobs(ds, facts)
        renderer = G.Renderer()
        renderer.pdf(jobs[0][1], jobs[0][2])  # warm up fonts and templates (both use this renderer)
        t, cpu = time.perf_counter(), _cpu()
        base = {rel: renderer.pdf(view, title) for rel, view, title in jobs}
        base_s, base_cpu, base_load = time.perf_counter() - t, _cpu() - cpu, os.getloadavg()[0]
        t, cpu = time.perf_counter(), _cpu()
        ours = dict(renderer.iter_pdfs(jobs, None, workers))
        ours_s, ours_cpu, ours_load = time.perf_counter() - t, _cpu() - cpu, os.getloadavg()[0]
        if ours != base:
            sys.exit("ours and the baseline made different PDFs")
        print(f"filled forms: {len(jobs)} PDFs of {args.listeners} listeners")
        print(f"  baseline (one renderer, one process): {base_s:6.1f} s wall, {base_cpu:6.1f} s CPU "
              f"({1000 * base_s / len(jobs):.0f} ms each); load {base_load:.1f}")
        print(f"  ours ({workers} processes):              {ours_s:6.1f} s wall, {ours_cpu:6.1f} s CPU; load {ours_load:.1f}")
        print(f"  ratio baseline / ours: {base_s / ours_s:.2f} wall (at most {workers} from the processes), "
              f"{base_cpu / ours_cpu:.2f} CPU")
        list(renderer.iter_pdfs(jobs, tmp / "pdf-cache", workers))  # a first build fills the cache
        t = time.perf_counter()
        list(renderer.iter_pdfs(jobs, tmp / "pdf-cache", workers))
        warm_s = time.perf_counter() - t
        print(f"  rebuild with nothing changed (PDF cache): {warm_s:.2f} s; ratio baseline / cached {base_s / warm_s:.0f}; "
              f"load {os.getloadavg()[0]:.1f}")

        ds, facts = _data(args.check_listeners, tmp)
        t = time.perf_counter()
        form_checks.check(ds, facts)
        check_s = time.perf_counter() - t
        t = time.perf_counter()
        [m for f in F.filled_forms(ds, facts) for m in f.find_missing()]
        naive_check = time.perf_counter() - t
        print(f"form check: {len(facts.listeners)} listeners in {check_s:.2f} s; naive (every filled form asked): "
              f"{naive_check:.2f} s; ratio naive / ours {naive_check / check_s:.1f}; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
