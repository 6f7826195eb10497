"""Nothing breaks, nothing is lost: builds killed with SIGKILL, two builds at once, a full disk.

The previous site/ and print/ are compared file by file (sha256 of every file) with what is there
after the event: they must be exactly the previous build or (a kill after the commit point, completed
at the next start) exactly the new one, never a mix, never missing."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from biliktilik.build import output as output_module
from biliktilik.build.output import Output, journal_for, publish_together, recover
from conftest import CLI, DATA, ROOT

COHORT = "cohorts/2027-02-tor-kk.yaml"  # an upcoming cohort: its seats show in the catalog


def tree(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under ``folder`` ({} when it does not exist)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _env(tmp: Path) -> dict:
    return dict(os.environ, SOURCE_DATE_EPOCH="1795392000", XDG_CACHE_HOME=str(tmp / "cache"))


def _build_cmd(data: Path, out: Path) -> list[str]:
    return CLI + ["build", "--data", str(data), "--site", str(out / "site"), "--print", str(out / "print")]


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """Data A and data B (an upcoming cohort with other seats) and the site/ and print/ each builds."""
    tmp = tmp_path_factory.mktemp("two-builds")
    shutil.copytree(DATA, tmp / "a")
    shutil.copytree(DATA, tmp / "b")
    cohort = tmp / "b" / COHORT
    text = cohort.read_text(encoding="utf-8")
    assert "seats: 25" in text
    cohort.write_text(text.replace("seats: 25", "seats: 24", 1), encoding="utf-8")
    for name in ("a", "b"):
        proc = subprocess.run(_build_cmd(tmp / name, tmp / f"out-{name}"), cwd=ROOT, env=_env(tmp),
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
    old = (tree(tmp / "out-a" / "site"), tree(tmp / "out-a" / "print"))
    new = (tree(tmp / "out-b" / "site"), tree(tmp / "out-b" / "print"))
    assert old[0] != new[0] and old[0] and old[1], "the two builds must differ, or the test proves nothing"
    return tmp, old, new


def _fresh_old(tmp: Path, out: Path):
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    shutil.copytree(tmp / "out-a" / "site", out / "site", symlinks=True)
    shutil.copytree(tmp / "out-a" / "print", out / "print", symlinks=True)


KILL_POINTS = 7


@pytest.mark.slow
def test_a_build_killed_at_any_moment_leaves_the_previous_output_or_the_whole_new_one(two_builds):
    tmp, old, new = two_builds
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    out = tmp / "kill"
    # how long a build takes here, so the kill points cover all of it, the publication included
    started = time.monotonic()
    _fresh_old(tmp, out)
    subprocess.run(_build_cmd(tmp / "b", out), cwd=ROOT, env=_env(tmp), capture_output=True, timeout=600, check=True)
    duration = time.monotonic() - started
    seen = []
    for k in range(KILL_POINTS):
        _fresh_old(tmp, out)
        # spread over the run; the last points fall in its final fifth, where the publication is
        at = rng.uniform(0.3, duration) if k < KILL_POINTS - 3 else rng.uniform(0.8 * duration, 1.02 * duration)
        proc = subprocess.Popen(_build_cmd(tmp / "b", out), cwd=ROOT, env=_env(tmp),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(at)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        site, prnt = tree(out / "site"), tree(out / "print")
        # at every moment each folder is whole: the old one or the new one (renameat2 exchange)
        assert site in (old[0], new[0]), f"site/ is neither build after a kill at {at:.2f}s (seed {seed})"
        assert prnt in (old[1], new[1]), f"print/ is neither build after a kill at {at:.2f}s (seed {seed})"
        # the next start completes a committed publication or cleans up: both old or both new
        recover([out / "site", out / "print"], journal_for(out / "site"))
        state = (tree(out / "site"), tree(out / "print"))
        assert state in (old, new), f"a mix of two builds after a kill at {at:.2f}s (seed {seed})"
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]
        assert not leftovers, leftovers
        seen.append("new" if state == new else "old")
    print(f"kill points: {KILL_POINTS}, seed {seed}, build {duration:.1f}s, outcomes {seen}")


def test_recovery_completes_a_publication_killed_between_the_two_swaps(tmp_path):
    """The commit point passed, site/ swapped, print/ not yet: the next start finishes the job."""
    for name, content in (("site", "old site"), ("print", "old print")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text(content)
    site, prnt = Output(tmp_path / "site", "site"), Output(tmp_path / "print", "print")
    site.write("index.html", "new site")
    prnt.write("index.html", "new print")
    calls = []
    real = output_module._swap_in

    def swap_once_then_die(staged, target):
        if calls:
            raise KeyboardInterrupt("killed")  # stands for SIGKILL: nothing after this runs
        calls.append(target)
        real(staged, target)

    output_module._swap_in = swap_once_then_die
    try:
        with pytest.raises(KeyboardInterrupt):
            publish_together([site, prnt], journal_for(tmp_path / "site"))
    finally:
        output_module._swap_in = real
    assert (tmp_path / "site" / "index.html").read_text() == "new site"
    assert (tmp_path / "print" / "index.html").read_text() == "old print"  # the mix a crash can leave ...
    assert recover([tmp_path / "site", tmp_path / "print"], journal_for(tmp_path / "site"))
    assert (tmp_path / "print" / "index.html").read_text() == "new print"  # ... which the next start completes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["print", "site"]


def test_two_builds_at_once_the_second_is_refused_with_the_pid(two_builds, tmp_path, capsys):
    tmp, old, _ = two_builds
    out = tmp_path / "out"
    _fresh_old(tmp, out)
    first = subprocess.Popen(_build_cmd(tmp / "b", out), cwd=ROOT, env=_env(tmp),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = out / ".site.lock"
        for _ in range(400):  # until the first build holds the lock (it writes its pid into it)
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first build never took the lock")
        from biliktilik.cli.main import main

        code = main(["build", "--data", str(tmp / "a"), "--site", str(out / "site"), "--print", str(out / "print")])
        err = capsys.readouterr().err
        assert code == 1
        assert f"another build is running (pid {first.pid})" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()


def _fail_on(monkeypatch, target, attribute, after: int):
    """Make the ``after``-th call of ``target.attribute`` raise ENOSPC."""
    real = getattr(target, attribute)
    count = {"n": 0}

    def failing(*args, **kwargs):
        count["n"] += 1
        if count["n"] == after:
            raise OSError(errno.ENOSPC, "No space left on device", str(args[0]) if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, attribute, failing)
    return count


@pytest.mark.slow
@pytest.mark.parametrize("where", ["staging", "staging in a lane", "journal", "second swap"])
def test_a_full_disk_gives_one_line_and_leaves_the_previous_output(where, two_builds, tmp_path, monkeypatch, capsys):
    tmp, old, _ = two_builds
    out = tmp_path / "out"
    _fresh_old(tmp, out)
    jobs = ["--jobs", "1"]  # the generators in this process, where the count is seen
    if where == "staging":
        count = _fail_on(monkeypatch, Output, "write", 40)  # the generators' writer, part way
    elif where == "staging in a lane":  # the generators in two forked lanes (pipeline.run_generators)
        count = _fail_on(monkeypatch, Output, "write", 40)
        jobs = ["--jobs", "2"]
    elif where == "journal":
        count = _fail_on(monkeypatch, output_module, "write_atomically", 1)
    else:
        count = _fail_on(monkeypatch, output_module, "exchange", 2)  # site/ swapped, print/ fails: undone
    from biliktilik.cli.main import main

    code = main(["build", "--no-cache", "--data", str(tmp / "b"), "--site", str(out / "site"), "--print", str(out / "print")]
                + jobs)
    err = capsys.readouterr().err
    if where != "staging in a lane":  # the lanes count their own writes: code 1 below says it was reached
        assert count["n"] >= (40 if where == "staging" else 2 if where == "second swap" else 1), \
            "the failure was never reached"
    assert code == 1, err
    lines = [l for l in err.strip().splitlines() if not l.startswith("WARNING")]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in err, err
    assert (tree(out / "site"), tree(out / "print")) == old
    assert sorted(p.name for p in out.iterdir()) == [".site.lock", "print", "site"]


def test_published_folders_are_readable_by_others(tmp_path):
    saved = os.umask(0o022)
    try:
        out = Output(tmp_path / "site", "site")
        out.write("index.html", "x")
        out.publish()
    finally:
        os.umask(saved)
    assert (tmp_path / "site").stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700: the web server reads it
