"""Verification pages at national scale (issue 5): target 60,000 pages in at most 30 s.

In one run, on the synthetic data set (biliktilik.synth, default 60,000 listeners):
  - the certificates of the synthetic ledger (synth issues them to every listener of a
    finished cohort who passed); if there are fewer than --pages, they are copied under new
    numbers and tokens until there are --pages certificates;
  - ours: generators.verification_pages.publish (no output cache): certificates grouped by
    cohort, forked workers that render, sign (each credential member canonicalised once for
    both the VC-JWT and the proof) and write straight into the staging folder;
  - baseline: the straightforward fast version of the same files: ONE Jinja2 environment and
    template, the same number of forked processes, every certificate a task (imap, chunks of
    64) whose three files go back to the parent, which writes them through the site writer;
    the VC-JWT payload and the proof's document canonicalised separately (``jwt_payload`` and
    ``ProofSigner.proof`` as they stand alone).
Both make the same files for the same certificates (checked on a sample), measured on all
of them: nothing is extrapolated. Printed: wall and CPU time of each, the load average beside
each, and the ratio baseline / ours.

    .venv/bin/python bench/verification_pages.py [--listeners 60000] [--pages 60000] [--workers N]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.build.output import Output  # noqa: E402
from biliktilik.model import credentials as signing  # noqa: E402
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
    certs = verification.collect(checked.dataset, checked.facts)  # synth issues them, as real data has them
    base, i = list(certs), 0
    while len(certs) < pages and base:
        src = base[i % len(base)]
        i += 1
        certs.append(dataclasses.replace(src, number=f"{src.number}-R{i}", token=f"{src.token}r{i}", index=len(certs)))
    certs = certs[:pages]
    print(f"{len(certs):,} certificates ({len(base):,} in the synthetic ledger, the rest copies under new tokens) ready in "
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


_BASE: tuple | None = None  # (publisher, certs): set before the baseline's workers fork


def _baseline_files(i: int) -> list[tuple[str, bytes]]:
    pub, certs = _BASE
    cert = certs[i]
    base = f"v/{cert.token}/"
    fp = verification.fingerprint_of(cert)
    html = pub.page.render(verification.page_context(cert, pub.site_url, pub.did, pub.issuer.demo, pub.as_of,
                                                     pub.csp, fp)).encode("utf-8")
    cred = verification.credential(cert, pub.site_url, pub.did, fp)
    jwt = pub.jwt.sign(signing.jwt_payload(cred))
    proof = pub.proofs.proof(cred, cred["validFrom"])
    return [(base + "index.html", html), (base + "credential.jwt", jwt + b"\n"),
            (base + "credential.json", verification.json_file({**cred, "proof": [proof]}))]


def baseline(certs, out: Path, issuer, workers: int) -> float:
    """The same files: one environment, ``workers`` forked processes, one task per certificate."""
    global _BASE
    site = Output(out / "baseline", "site")
    t, cpu = time.perf_counter(), _cpu()
    pub = verification.Publisher(SITE_URL, issuer, site.write)
    pub.shared(certs)
    _BASE = (pub, certs)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for files in pool.imap(_baseline_files, range(len(certs)), chunksize=64):
                for rel, content in files:
                    site.write(rel, content)
    finally:
        _BASE = None
    elapsed = time.perf_counter() - t
    CPU_USED["baseline"] = _cpu() - cpu
    sample = certs[:: max(1, len(certs) // 50)]
    ours = Output(out / "check", "site")
    verification.publish(sample, SITE_URL, issuer, ours, 1)
    for cert in sample:
        for name in ("index.html", "credential.jwt", "credential.json"):
            rel = f"v/{cert.token}/{name}"
            if ours.path(rel).read_bytes() != site.path(rel).read_bytes():
                sys.exit(f"the baseline and ours differ in {rel}")
    ours.discard()
    site.discard()
    return elapsed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listeners", type=int, default=60000)
    ap.add_argument("--pages", type=int, default=60000)
    ap.add_argument("--workers", type=int, default=None, help="worker processes of both (default: the usable cores)")
    ap.add_argument("--tmp", type=Path, default=None, help="where the temporary data and sites go (default: the system's)")
    args = ap.parse_args(argv)
    workers = args.workers or len(os.sched_getaffinity(0))
    tmp = Path(tempfile.mkdtemp(prefix="bench-verification-", dir=args.tmp))
    try:
        issuer = load_issuer()
        certs = certificates(tmp / "data", args.listeners, args.pages)
        n = len(certs)
        load0 = os.getloadavg()[0]
        ours_s = ours(certs, tmp, issuer, workers)
        load1 = os.getloadavg()[0]
        base_s = baseline(certs, tmp, issuer, workers)
        load2 = os.getloadavg()[0]
        print(f"{workers} worker process(es) each; {os.cpu_count()} CPU(s); the machine is shared: load average "
              f"{load0:.1f} before, {load1:.1f} after ours, {load2:.1f} after the baseline")
        print(f"ours:     {n:,} certificates (page + credential.jwt + credential.json) in {ours_s:.1f}s wall, "
              f"{CPU_USED['ours']:.1f}s CPU = {1000 * CPU_USED['ours'] / n:.2f} ms CPU each")
        print(f"baseline: {n:,} certificates in {base_s:.1f}s wall, {CPU_USED['baseline']:.1f}s CPU = "
              f"{1000 * CPU_USED['baseline'] / n:.2f} ms CPU each")
        print(f"ratio baseline / ours: {base_s / ours_s:.2f} wall, {CPU_USED['baseline'] / CPU_USED['ours']:.2f} CPU "
              f"(target: 60,000 pages in 30 s wall; at this speed 30 s render {int(30 * n / ours_s):,})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
