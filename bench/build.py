"""The whole `biliktilik build` at national scale (issue 12).

What it compares: for each size, on synthetic data with issued certificates (biliktilik.synth:
every passed listener of a finished cohort holds a certificate, a few revoked and replaced):
  - cold: `biliktilik build` (site + staff PDFs: catalog, regulations, verification pages and
    credentials, certificate PDFs, blank forms, reports; no filled forms) with an empty cache;
  - rebuild: one certificate of one cohort revoked (biliktilik.issuing.revoke: its cohort file
    and the ledger change), then `biliktilik build` again with the cache of the cold build;
  - baseline (--baseline DIR, a checkout of another commit, e.g. the first wave's 2ab2f63 made
    with `git worktree add /tmp/wave1 2ab2f63`, with its own .venv): its `biliktilik build` run the
    same way, cold, with its own empty cache, on the same data when its validator accepts them, else
    on its own synth data of as many listeners (the first wave's: no certificates; the line says
    which); every figure is printed with its ratio to that build.
Each build runs as a subprocess of a small wrapper that reports the build's wall time, CPU time
(user + sys of the build and its worker processes; CPU / wall = cores used), the share of
half-second samples in which the machine's cores were all at least 90 % busy (/proc/stat: run it
on an otherwise idle machine), peak memory as the largest sum of PSS over the build's process tree
(/proc/PID/smaps_rollup, sampled every 0.5 s: pages shared by forked workers counted once), and the
largest single process's RSS (getrusage), with os.getloadavg() beside it.

    .venv/bin/python bench/build.py [--listeners 10000 30000 60000] [--jobs N] [--baseline /tmp/wave1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from biliktilik import issuing  # noqa: E402
from biliktilik.model.ledger import ledger_entries  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from biliktilik.validate import validate  # noqa: E402

_WRAPPER = r"""
import json, os, resource, subprocess, sys, time

def tree(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                kids.setdefault(int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]), []).append(int(d))
            except (OSError, IndexError):
                pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out

def pss_mb(pids):
    total, each = 0, []
    for pid in pids:
        try:
            for row in open(f"/proc/{pid}/smaps_rollup"):
                if row.startswith("Pss:"):
                    total += int(row.split()[1])
                    each.append((int(row.split()[1]) // 1024, pid))
        except OSError:
            pass
    return total / 1024, sorted(each, reverse=True)

def busy():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(f) - f[3] - f[4], sum(f)

t = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
import threading
out = []
reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))
reader.start()
peak, at_peak, cores, last = 0.0, [], [], busy()
while proc.poll() is None:
    time.sleep(0.5)
    total, each = pss_mb(tree(proc.pid))
    if total > peak:
        peak, at_peak = total, each
    now = busy()
    if now[1] > last[1]:
        cores.append((now[0] - last[0]) / (now[1] - last[1]) * os.cpu_count())
    last = now
reader.join()
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024,
                  "pss_mb": peak, "at_peak": [mb for mb, _pid in at_peak], "busy": sum(c >= 0.9 * os.cpu_count() for c in cores) / max(len(cores), 1),
                  "load": os.getloadavg()[0], "tail": out[0][-600:]}))
"""


def run_build(checkout: Path, data: Path, out: Path, cache: Path, jobs: int | None) -> dict:
    python = checkout / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    cmd = [str(python), "-m", "biliktilik", "build", "--data", str(data), "--site", str(out / "site"),
           "--print", str(out / "print"), "--cache", str(cache)]
    if jobs and checkout == ROOT:
        cmd += ["--jobs", str(jobs)]
    env_note = {"XDG_CACHE_HOME": str(cache)}
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, str(checkout)] + cmd, capture_output=True, text=True,
                          env={**os.environ, **env_note, "PYTHONPATH": str(checkout)})
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        sys.exit(f"build failed in {checkout}: {result['tail']}")
    return result


def baseline_data(checkout: Path, data: Path, own: Path, n: int) -> tuple[Path, str]:
    """The data the baseline builds: ours when its validator accepts them, else its own synth's of
    the same number of listeners (the first wave's schemas know neither today's rule keys nor issued
    certificates: its synth issues none, so its build has no verification pages, credentials or
    certificate PDFs, and a ratio to it understates what ours does), with a note saying which."""
    python = checkout / ".venv" / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    if subprocess.run([str(python), "-m", "biliktilik", "validate", "--data", str(data)], cwd=checkout, env=env,
                      capture_output=True).returncode == 0:
        return data, "  (the same data)"
    subprocess.run([str(python), "-m", "biliktilik", "synth", "--listeners", str(n), "--out", str(own)], cwd=checkout,
                   env=env, check=True, capture_output=True)
    return own, "  (its own synth data of as many listeners: no certificates issued, so no verification pages or certificate PDFs)"


def line(label: str, r: dict, base: dict | None) -> str:
    ratio = f"  x{r['wall'] / base['wall']:.2f} of baseline wall" if base else ""
    return (f"{label:<34} wall {r['wall']:7.1f}s  cpu {r['cpu']:7.1f}s  cores {r['cpu'] / r['wall']:.2f}  "
            f"all cores busy {r['busy'] * 100:3.0f}% of the time  peak memory {r['pss_mb']:6.0f} MB (PSS, all processes; "
            f"largest process {r['rss_mb']:5.0f} MB RSS)  load {r['load']:.1f}{ratio}"
            + (f"\n{'':<34} at the peak, each process's PSS (MB): {r['at_peak']}" if r.get("at_peak") else ""))


def revoke_one(data: Path) -> str:
    checked = validate(data, use_cache=False)
    entries = [e for e in ledger_entries(checked.dataset) if not e.get("revoked") and not e.get("replaced_by")]
    e = entries[len(entries) // 2]
    issuing.revoke(data, e["number"], e["issued"] + dt.timedelta(days=1), "bench / bench")
    return e["listener"].split("/")[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listeners", type=int, nargs="+", default=[10000, 30000, 60000])
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--baseline", type=Path, default=None, help="a checkout of the commit to compare with")
    ap.add_argument("--baseline-up-to", type=int, default=10000, help="run the baseline only up to this size")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    print(f"{os.cpu_count()} cores; load {os.getloadavg()}")
    first = None
    try:
        for n in args.listeners:
            data = work / f"data-{n}"
            print(synthesize(data, n), flush=True)
            base = None
            if args.baseline and n <= args.baseline_up_to:
                base_data, note = baseline_data(args.baseline, data, work / f"base-data-{n}", n)
                base = run_build(args.baseline, base_data, work / f"base-{n}", work / f"base-cache-{n}", None)
                print(line(f"{n:,} baseline cold", base, None) + note, flush=True)
                shutil.rmtree(work / f"base-{n}", ignore_errors=True)
            cold = run_build(ROOT, data, work / f"out-{n}", work / f"cache-{n}", args.jobs)
            cold["n"] = n
            first = first or cold
            print(line(f"{n:,} cold", cold, base) + f"  per 1,000 listeners {cold['wall'] / n * 1000:.1f}s wall, "
                  f"{cold['cpu'] / n * 1000:.1f}s CPU" + (f"  (x{cold['wall'] / first['wall'] * first['n'] / n:.2f} of the "
                  f"first size's time per listener)" if first is not cold else ""), flush=True)
            cohort = revoke_one(data)
            warm = run_build(ROOT, data, work / f"out-{n}", work / f"cache-{n}", args.jobs)
            print(line(f"{n:,} rebuild ({cohort} changed)", warm, base)
                  + f"  rebuild/cold wall {warm['wall'] / cold['wall']:.3f}, CPU {warm['cpu'] / cold['cpu']:.3f}", flush=True)
            shutil.rmtree(work / f"out-{n}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
