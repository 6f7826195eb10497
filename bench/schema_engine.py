"""The schema engine's cost (issue 11): cerberus for every record against fast-accept-then-cerberus.

On ``biliktilik synth`` data (default 10,000 listeners), every record file is parsed once with the
project's loader (positions kept, as validation does); then, in this process, only the schema step
is timed, three ways over the same documents:
  - baseline: ``RecordValidator`` (cerberus) validates every record;
  - ours: the compiled predicate (biliktilik.load.schemacheck) accepts, cerberus runs only on the
    documents it does not accept (``schemaengine.check``, findings made);
  - ours with a broken listener in every 20th cohort file (cerberus then validates those files
    whole), to show what a data set with mistakes costs.
Printed: seconds (CPU of this process) and the ratio baseline / ours. Nothing is extrapolated.

    .venv/bin/python bench/schema_engine.py [--listeners 10000] [--data DIR]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.load import schemaengine  # noqa: E402
from biliktilik.load.dataset import discover  # noqa: E402
from biliktilik.load.yamlload import LEDGER_LIMITS, LIMITS, load_file, plain  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402


def _cpu() -> float:
    return time.process_time()


def run(data: Path):
    found, _ = discover(data)
    docs = []
    for path, kind in found:
        doc = load_file(path, str(path), [], LEDGER_LIMITS if kind == "ledger" else LIMITS)
        if doc is not None:
            docs.append((kind, doc))
    listeners = sum(len(d.get("listeners") or []) for k, d in docs if k == "cohort")
    print(f"{len(docs)} record files, {listeners:,} listeners, load average {os.getloadavg()[0]:.1f}")

    plain_docs = [(k, plain(d)) for k, d in docs]
    start = _cpu()
    invalid = 0
    for kind, doc in plain_docs:
        if not schemaengine.validator(kind).validate(doc):
            invalid += 1
    base = _cpu() - start
    print(f"baseline  cerberus for every record:      {base:7.2f} s CPU; {invalid} invalid file(s)")

    start = _cpu()
    findings = sum(len(schemaengine.check(kind, doc, "x.yaml")) for kind, doc in docs)
    ours = _cpu() - start
    print(f"ours      fast accept, then cerberus:     {ours:7.2f} s CPU; {findings} finding(s); "
          f"baseline / ours {base / ours:5.1f}")

    broken = []
    cohorts = 0
    for kind, doc in docs:
        if kind == "cohort" and doc.get("listeners"):
            cohorts += 1
            if cohorts % 20 == 0:
                doc = copy.copy(doc)
                doc["listeners"] = list(doc["listeners"])
                first = dict(doc["listeners"][0])
                first["attendance"] = 85  # a percent where a share is asked
                doc["listeners"][0] = first
        broken.append((kind, doc))
    start = _cpu()
    findings = sum(len(schemaengine.check(kind, doc, "x.yaml")) for kind, doc in broken)
    mixed = _cpu() - start
    print(f"ours      1 in 20 cohorts with a mistake: {mixed:7.2f} s CPU; {findings} finding(s); "
          f"baseline / ours {base / mixed:5.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=10000)
    parser.add_argument("--data", type=Path, help="an existing data folder instead of synthetic data")
    args = parser.parse_args()
    if args.data:
        run(args.data)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "data"
        synthesize(out, listeners=args.listeners)
        run(out)


if __name__ == "__main__":
    main()
