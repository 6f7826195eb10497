"""Certificate + annex PDFs: time per certificate of the generator's method and of the naive one.

    .venv/bin/python bench/certificate_pdfs.py [--certificates 200] [--programmes 2] [--naive N]

Naive: one WeasyPrint document per certificate (layout of both pages, font subsetting, writing),
from the same template with the values filled in (generators.certificates.render_naive).
Ours (generators.certificates.render_cohort): each programme's form laid out by WeasyPrint once,
then per certificate only the holder's values drawn into the form's measured slots as PDF text,
the QR code as rectangles, and the file assembled from pre-serialized objects (biliktilik.pdf).
Its time includes laying out the forms, the per-certificate files and the cohort batches.

The data is synthetic (biliktilik.synth) with certificates issued in memory. At national scale
(60,000 listeners, 300 programmes) a programme has about 200 listeners, so by default the 200
certificates share 2 programmes; --programmes 20 shows a less favourable mix.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.load.dataset import load_dataset  # noqa: E402
from biliktilik.model.facts import compute  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from generators import certificate_pdfs as gc  # noqa: E402


def synthetic_certificates(n: int, programmes: int, work: Path):
    """n certificates of a synthetic data set, issued in memory (numbers and tokens made up)."""
    listeners = max(n * 2, 40)
    synthesize(work, listeners=listeners, programmes=programmes, seed=95)
    ds = load_dataset(work, None, False)
    facts = compute(ds)
    issued = 0
    for lf in facts.listeners:
        if lf.passed and issued < n and lf.completed:
            issued += 1
            lf.data["certificate"] = {"number": f"BENCH-{lf.completed.year}-{issued:05d}",
                                      "token": f"bench{issued:07d}tok", "issued": lf.completed}
    certs = gc.collect(ds, facts, "https://biliktilik.example.kz/")
    if len(certs) < n:
        raise SystemExit(f"only {len(certs)} certificates in the synthetic data; raise the listeners")
    return certs[:n]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--certificates", type=int, default=200)
    ap.add_argument("--programmes", type=int, default=2)
    ap.add_argument("--naive", type=int, default=None,
                    help="how many certificates the naive method renders (default: all; its time is per certificate)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        certs = synthetic_certificates(args.certificates, args.programmes, Path(tmp) / "data")
    by_cohort: dict[str, list] = {}
    for c in certs:
        by_cohort.setdefault(c.cohort, []).append(c)

    # warm up both (fonts loaded, templates compiled) on a renderer of their own
    warm = gc.Renderer()
    gc.render_naive(warm, certs[0])

    renderer = gc.Renderer()
    started = time.perf_counter()
    out = {}
    for cid, group in sorted(by_cohort.items()):
        out.update(gc.render_cohort(renderer, group, cid))
    ours = (time.perf_counter() - started) / len(certs)
    singles = sum(1 for k in out if k.count("/") == 2)

    naive_n = args.naive or len(certs)
    naive_renderer = gc.Renderer()
    times = []
    for c in certs[:naive_n]:
        t = time.perf_counter()
        gc.render_naive(naive_renderer, c)
        times.append(time.perf_counter() - t)
    naive = statistics.mean(times)

    from pypdf import PdfReader
    sample = out[certs[0].file]
    pages = len(PdfReader(io.BytesIO(sample)).pages)
    print(f"{len(certs)} certificates in {len(by_cohort)} cohorts, {len(renderer.forms)} programme form(s); "
          f"{singles} per-certificate PDFs ({pages} pages each) + {len(out) - singles} cohort batches")
    print(f"naive (one WeasyPrint document per certificate, {naive_n} rendered):{naive * 1000:8.1f} ms per certificate")
    print(f"ours  (forms once, values drawn into their slots):               {ours * 1000:8.1f} ms per certificate")
    print(f"ratio: {naive / ours:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
