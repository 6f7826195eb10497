"""How long staff wait for `biliktilik import` of a 30-listener spreadsheet.

On a copy of the shipped data, the upcoming cohort 2027-02-tor-kk (given 40 seats) gets a
spreadsheet made by `biliktilik template` and filled with 30 listeners (IINs as numbers that lost
their leading zero, attendance as text percents). Prints, in one run, the median of 3 runs of:
  - `biliktilik validate` (the baseline: import validates the data with the new cohort file);
  - `biliktilik import --dry-run` (read and check the spreadsheet, validate the data with the
    cohort file it would write, nothing written);
  - `biliktilik import` (the same, then write the cohort file), each on a fresh copy;
and the ratios to the baseline. Each run is a fresh process, as a person runs it.

    .venv/bin/python bench/import_spreadsheet.py [--listeners 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402

from biliktilik.load import iin  # noqa: E402

COHORT = "2027-02-tor-kk"
CLI = [sys.executable, "-m", "biliktilik"]


def _run(args, cwd) -> float:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795392000", XDG_CACHE_HOME=str(cwd / "cache"))
    started = time.perf_counter()
    proc = subprocess.run(CLI + [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}")
    return took


def _letters(i: int) -> str:
    """Two letters for listener i (names have no digits: name.character)."""
    abc = "абвгдежзиклмнопрстуф"
    return abc[i // len(abc) % len(abc)] + abc[i % len(abc)]


def _fresh(base: Path, n: int) -> Path:
    work = base / f"run{n}"
    shutil.copytree(ROOT / "data", work / "data")
    f = work / "data" / "cohorts" / f"{COHORT}.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("seats: 25", "seats: 40"), encoding="utf-8")
    return work


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listeners", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        work = _fresh(base, 0)
        xlsx = base / "list.xlsx"
        _run(["template", "--cohort", COHORT, xlsx], work)
        wb = load_workbook(xlsx)
        ws = wb.worksheets[0]
        cols = {str(c.value).split(" / ")[0]: c.column for c in ws[2] if c.value}
        for i in range(args.listeners):
            r = 3 + i
            number = iin.make(dt.date(2000 + i % 5, 1 + i % 12, 1 + i % 28), bool(i % 2), 1000 + i)
            for header, value in (("Тегі", f"Тегі{_letters(i)}ова"), ("Аты", "Айгүл"), ("Әкесінің аты", "Серікқызы"),
                                  ("ЖСН", int(number)), ("Жұмыс орны", f"№ {i + 1} мектеп"), ("Лауазымы", "тәлімгер"),
                                  ("Телефон", f"+7 701 {i:03d} 11 22"), ("Қатысу", f"{80 + i % 20}%")):
                ws.cell(r, cols[header]).value = value
        wb.save(xlsx)
        timings = {"validate": [], "import --dry-run": [], "import": []}
        for n in range(3):
            w = _fresh(base, n + 1)
            timings["validate"].append(_run(["validate", "--no-cache"], w))
            timings["import --dry-run"].append(_run(["import", "--cohort", COHORT, "--dry-run", xlsx], w))
            timings["import"].append(_run(["import", "--cohort", COHORT, xlsx], w))
        base_s = statistics.median(timings["validate"])
        print(f"{args.listeners} listeners, median of 3 fresh processes each:")
        for name, values in timings.items():
            m = statistics.median(values)
            print(f"  biliktilik {name:18s} {m:6.2f} s   ({m / base_s:4.2f} x validate)")


if __name__ == "__main__":
    main()
