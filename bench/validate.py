"""Validation speed at national scale (issue 3).

Prints, in one run on the same synthetic data set (default 60,000 listeners):
  - naive baseline: plain PyYAML (yaml.safe_load) + cerberus, file by file, no cache;
  - our cold run (no cache), and the ratio;
  - our run after a change to one file (warm cache), against the 2 s target.

    .venv/bin/python bench/validate.py [--listeners 60000] [--baseline-files N]

--baseline-files measures the baseline on the first N files and scales it to all files
(default: all files; the full baseline takes a couple of minutes here).
"""

from __future__ import annotations

import argparse
import os
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
            doc = yaml.safe_load(fh)
        if not validators[kind].validate(doc):
            errors += 1
    return errors


def cli(data, cache, *extra):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "biliktilik", "validate", "--data", str(data), "--cache", str(cache), *extra],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(proc.stderr)
    return elapsed, proc.stdout.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listeners", type=int, default=60000)
    ap.add_argument("--baseline-files", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, cache = Path(tmp) / "data", Path(tmp) / "cache"
        print(synthesize(data, args.listeners))
        files, _ = discover(data)
        sample = files[: args.baseline_files] if args.baseline_files else files
        t = time.perf_counter()
        bad = baseline(sample)
        base = (time.perf_counter() - t) * len(files) / len(sample)
        scaled = f" (measured on {len(sample)} of {len(files)} files, scaled)" if len(sample) < len(files) else ""
        print(f"baseline  PyYAML + cerberus: {base:7.2f} s{scaled}; {bad} invalid document(s)")
        cold, summary = cli(data, cache, "--no-cache")
        print(f"cold      biliktilik validate: {cold:7.2f} s  ({summary})  -> {base / cold:.1f}x faster than the baseline (target >= 5x)")
        cli(data, cache)  # fill the cache
        target = data / "cohorts" / "synth-c00010.yaml"
        target.write_text(target.read_text(encoding="utf-8").replace("attendance: 0.9\n", "attendance: 0.91\n", 1), encoding="utf-8")
        os.utime(target)
        warm, summary = cli(data, cache)
        print(f"one file changed, warm cache: {warm:5.2f} s  ({summary})  target <= 2 s; {base / warm:.0f}x faster than the baseline")


if __name__ == "__main__":
    main()
