"""Validation speed at national scale (issue 3).

What it compares, in one run on the same synthetic data set (default 60,000 listeners):
  - baseline: what one would write first, done well: PyYAML's C parser
    (``yaml.load(..., Loader=yaml.CSafeLoader)``, libyaml) + cerberus with the project's
    schemas, file by file, in this process, no cache. It does less than we do: no line and
    column for each value, no references, no Order 95 rules, no ledger, no form checks;
  - ours, cold: ``biliktilik validate --no-cache`` (a subprocess: its start-up is counted);
  - ours after a change to one file (warm cache), against the 2 s target.
Printed: each time, CPU time of ours, the load average, and the ratio ours / baseline (above 1:
ours is slower; it does more). Every file of the data set is measured; nothing is extrapolated.

    .venv/bin/python bench/validate.py [--listeners 60000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cerberus
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik.load.dataset import discover  # noqa: E402
from biliktilik.load.schemas import SCHEMAS  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402


def baseline(files):
    validators = {kind: cerberus.Validator(schema, allow_unknown=False) for kind, schema in SCHEMAS.items()}
    errors = 0
    for path, kind in files:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=yaml.CSafeLoader)
        if not validators[kind].validate(doc):
            errors += 1
    return errors


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _own_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def cli(data, cache, *extra):
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, "-m", "biliktilik", "validate", "--data", str(data), "--cache", str(cache), *extra],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(proc.stderr)
    return elapsed, _children_cpu() - cpu, proc.stdout.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listeners", type=int, default=60000)
    args = ap.parse_args()
    if not getattr(yaml, "CSafeLoader", None):
        sys.exit("PyYAML without libyaml (no yaml.CSafeLoader): the baseline would be unfairly slow")
    with tempfile.TemporaryDirectory() as tmp:
        data, cache = Path(tmp) / "data", Path(tmp) / "cache"
        print(synthesize(data, args.listeners))
        files, _ = discover(data)
        print(f"{len(files)} files; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} (the machine is shared)")
        t, cpu = time.perf_counter(), _own_cpu()
        bad = baseline(files)
        base, base_cpu = time.perf_counter() - t, _own_cpu() - cpu
        print(f"baseline  CSafeLoader + cerberus: {base:7.2f} s wall, {base_cpu:6.2f} s CPU; {bad} invalid document(s); "
              f"load {os.getloadavg()[0]:.1f}")
        cold, cold_cpu, summary = cli(data, cache, "--no-cache")
        print(f"cold      biliktilik validate:    {cold:7.2f} s wall, {cold_cpu:6.2f} s CPU ({summary}); "
              f"load {os.getloadavg()[0]:.1f}; ours / baseline: {cold / base:.2f} wall, {cold_cpu / base_cpu:.2f} CPU")
        cli(data, cache)  # fill the cache
        target = data / "cohorts" / "synth-c00010.yaml"
        target.write_text(target.read_text(encoding="utf-8").replace("attendance: 0.9\n", "attendance: 0.91\n", 1), encoding="utf-8")
        os.utime(target)
        warm, warm_cpu, summary = cli(data, cache)
        print(f"one file changed, warm cache: {warm:5.2f} s wall, {warm_cpu:5.2f} s CPU ({summary}); target <= 2 s; "
              f"load {os.getloadavg()[0]:.1f}; ours / baseline: {warm / base:.2f} wall")


if __name__ == "__main__":
    main()
