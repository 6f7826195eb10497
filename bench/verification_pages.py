"""Verification pages at national scale (issue 5): target 60,000 pages in at most 30 s.

In one run, on the synthetic data set (biliktilik.synth, default 60,000 listeners):
  - certificates are issued in memory to every listener who passed (synthetic listeners
    carry none); if fewer than --pages passed, the issued ones are issued again under new
    numbers and tokens until there are --pages certificates;
  - ours: generators.verification renders every page with one Jinja2 environment, signs
    each credential (VC-JWT and Data Integrity proof) and writes the three files of each
    certificate through the site writer;
  - naive baseline: the same work, but each page rendered through a fresh Jinja2
    Environment and template, as a per-page renderer does (MkDocs-like per-page overhead),
    measured on the first --baseline-pages pages and scaled to all pages.

    .venv/bin/python bench/verification_pages.py [--listeners 60000] [--pages 60000] [--baseline-pages 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.issuing import issue_in_memory  # noqa: E402
from biliktilik.build.output import Output  # noqa: E402
from biliktilik.model.credentials import load_issuer  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from biliktilik.validate import validate  # noqa: E402
from generators import verification  # noqa: E402

SITE_URL = "https://biliktilik.example.kz/"


def certificates(data: Path, listeners: int, pages: int):
    t = time.perf_counter()
    print(synthesize(data, listeners))
    checked = validate(data, use_cache=False)
    if not checked.ok:
        sys.exit(f"the synthetic data does not validate: {len(checked.errors)} error(s)")
    entries = issue_in_memory(checked.dataset, checked.facts)
    certs = verification.certs_from_entries(entries, checked.facts)
    base, i = list(certs), 0
    while len(certs) < pages and base:
        src = base[i % len(base)]
        i += 1
        certs.append(dataclasses.replace(src, number=f"{src.number}-R{i}", token=f"{src.token}r{i}", index=len(certs)))
    certs = certs[:pages]
    print(f"{len(certs):,} certificates ({len(entries):,} issued to synthetic listeners) ready in "
          f"{time.perf_counter() - t:.1f}s (not timed below)")
    return certs


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


CPU_USED = {}


def ours(certs, out: Path, issuer, workers=None) -> float:
    site = Output(out / "site", "site")
    t, cpu = time.perf_counter(), _cpu()
    verification.publish(certs, SITE_URL, issuer, site, workers)
    elapsed = time.perf_counter() - t
    CPU_USED["ours"] = _cpu() - cpu
    site.discard()
    return elapsed


def naive(certs, out: Path, issuer) -> float:
    """Same files, each page rendered by a freshly made environment and template."""
    site = Output(out / "naive", "site")
    t = time.perf_counter()
    for cert in certs:
        pub = verification.Publisher(SITE_URL, issuer, site.write, env=verification.environment())
        pub.certificate(cert)
    elapsed = time.perf_counter() - t
    site.discard()
    return elapsed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listeners", type=int, default=60000)
    ap.add_argument("--pages", type=int, default=60000)
    ap.add_argument("--baseline-pages", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: one per CPU, at most 8)")
    ap.add_argument("--tmp", type=Path, default=None, help="where the temporary data and sites go (default: the system's)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-verification-", dir=args.tmp))
    try:
        issuer = load_issuer()
        certs = certificates(tmp / "data", args.listeners, args.pages)
        n = len(certs)
        sample = certs[: min(args.baseline_pages, n)]
        load = os.getloadavg()[0]
        ours_s = ours(certs, tmp, issuer, args.workers)
        naive_sample = naive(sample, tmp, issuer)
        naive_s = naive_sample * n / len(sample)
        print(f"ours:  {n:,} pages (page + credential.jwt + credential.json each) in {ours_s:.1f}s "
              f"= {1000 * ours_s / n:.2f} ms/page (target: 60,000 in 30 s)")
        print(f"naive: a fresh Jinja2 environment per page: {naive_sample:.1f}s for {len(sample):,} pages "
              f"= {1000 * naive_sample / len(sample):.2f} ms/page, {naive_s:.1f}s for {n:,} (scaled)")
        print(f"       CPU time (all processes): {CPU_USED['ours']:.1f}s on {os.cpu_count()} CPU(s); "
              f"load average before: {load:.1f} (other work on the machine slows the figures down)")
        print(f"ratio: ours is {naive_s / ours_s:.1f}x faster than the naive baseline")
        pages_per_30s = int(30 * n / ours_s)
        print(f"{'OK' if ours_s <= 30 * n / 60000 else 'SLOW'}: at this speed 30 s render {pages_per_30s:,} pages")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
