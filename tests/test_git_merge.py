"""Two branches issue certificates from the same commit and merge in real git: the ledger merges
without a conflict (.gitattributes: the `biliktilik merge-ledger` driver), `renumber --keep` (main's ledger) gives the
branch's certificates new numbers, and the result validates with no error."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from biliktilik.cli.main import main
from biliktilik.issuing import ledger_entries
from biliktilik.validate import validate
from test_certificates_issue import NEW_COHORT

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo, *args, check=True):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.kz", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.kz", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_SYSTEM=os.devnull)
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _issue_cohort(repo, cohort_id, message):
    (repo / "data" / "cohorts" / f"{cohort_id}.yaml").write_text(
        NEW_COHORT.replace("id: 2026-03-tor-test", f"id: {cohort_id}"), encoding="utf-8")
    assert main(["issue", "--cohort", cohort_id, "--data", str(repo / "data"), "--no-cache"]) == 0
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)


def _numbers(data, prefix):
    return {e["listener"]: (e["number"], e["token"], e["status_index"])
            for e in ledger_entries(validate(data, use_cache=False).dataset) if e["listener"].startswith(prefix)}


def test_two_branches_that_issued_merge_and_renumber_to_no_error(tmp_path, data_copy, monkeypatch, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.move(str(data_copy), repo / "data")
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    data = repo / "data"
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")

    _git(repo, "switch", "-q", "-c", "feature")
    _issue_cohort(repo, "2026-03-branch-b", "issue cohort b on a branch")
    _git(repo, "switch", "-q", "main")
    _issue_cohort(repo, "2026-03-main-a", "issue cohort a on main (published)")
    published = _numbers(data, "2026-03-main-a/")
    main_ledger = _git(repo, "show", "main:data/ledger.yaml").stdout

    _git(repo, "switch", "-q", "feature")
    # before the driver is set up, git's line merge sees the two appended blocks as a conflict
    assert _git(repo, "merge", "-q", "main", check=False).returncode != 0
    assert "<<<<<<<" in (data / "ledger.yaml").read_text(encoding="utf-8")
    _git(repo, "merge", "--abort")

    # set up once per clone, as the README says: then it merges cleanly, the branch's entries first
    command = Path(sys.executable).parent / "biliktilik"
    _git(repo, "config", "merge.biliktilik-ledger.name", "biliktilik ledger")
    _git(repo, "config", "merge.biliktilik-ledger.driver", f"{command} merge-ledger %O %A %B")
    _git(repo, "merge", "-q", "--no-edit", "main")
    ledger = (data / "ledger.yaml").read_text(encoding="utf-8")
    assert "<<<<<<<" not in ledger and ">>>>>>>" not in ledger
    assert ledger.index("2026-03-branch-b/") < ledger.index("2026-03-main-a/")
    codes = {f.code for f in validate(data, use_cache=False).errors}
    assert "ledger.duplicate-number" in codes, codes

    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(main_ledger))
    assert main(["renumber", "--keep", "-", "--data", str(data), "--no-cache"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed and all(line.startswith("2026-03-branch-b/") for line in printed), printed

    checked = validate(data, use_cache=False)
    assert checked.errors == [], [f.text() for f in checked.errors]
    assert _numbers(data, "2026-03-main-a/") == published  # what main published keeps its numbers
    entries = ledger_entries(checked.dataset)
    for key in ("number", "token", "status_index"):
        assert len({e[key] for e in entries}) == len(entries), key

    _git(repo, "commit", "-qam", "renumber after merging main")
    _git(repo, "switch", "-q", "main")
    _git(repo, "merge", "-q", "--no-edit", "feature")  # the pull request now merges cleanly
    assert validate(data, use_cache=False).errors == []
    assert _numbers(data, "2026-03-main-a/") == published


def test_renumber_keep_refuses_what_is_no_ledger(data_copy, tmp_path, capsys):
    bad = tmp_path / "not-a-ledger.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    assert main(["renumber", "--keep", str(bad), "--data", str(data_copy), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "expected a ledger" in err and "Traceback" not in err


BASE = """\
# the ledger
certificates:
  - number: NIT-2026-0001
    token: AAAAAAAAAAAA
    listener: c/l01
    status_index: 0
"""
OURS_NEW = """\
  - number: NIT-2026-0002
    token: BBBBBBBBBBBB
    listener: c/l02
    status_index: 1
"""
THEIRS_NEW = """\
  - number: NIT-2026-0002
    token: CCCCCCCCCCCC
    listener: d/l01
    status_index: 1
"""
REVOKED = BASE + """\
    revoked:
      date: 2026-05-01
      reason: {why}
"""


def test_merge_ledger_texts_keeps_both_and_takes_either_sides_change():
    from biliktilik.issuing import merge_ledger_texts

    merged = merge_ledger_texts(BASE, BASE + OURS_NEW, BASE + THEIRS_NEW)
    assert merged == BASE + OURS_NEW + THEIRS_NEW
    # a revocation on their side of an entry this side did not touch is taken
    merged = merge_ledger_texts(BASE, BASE + OURS_NEW, REVOKED.format(why="a") + THEIRS_NEW)
    assert merged == REVOKED.format(why="a") + OURS_NEW + THEIRS_NEW
    # both sides changed the same entry differently: a conflict for git
    assert merge_ledger_texts(BASE, REVOKED.format(why="a"), REVOKED.format(why="b")) is None
    assert merge_ledger_texts(BASE, REVOKED.format(why="a"), REVOKED.format(why="a")) == REVOKED.format(why="a")


def test_merge_ledger_driver_reports_a_conflict_and_leaves_ours(tmp_path, capsys):
    files = {}
    for name, text in (("base", BASE), ("ours", REVOKED.format(why="a")), ("theirs", REVOKED.format(why="b"))):
        files[name] = tmp_path / name
        files[name].write_text(text, encoding="utf-8")
    assert main(["merge-ledger", str(files["base"]), str(files["ours"]), str(files["theirs"])]) == 1
    assert "both branches changed the same certificate" in capsys.readouterr().err
    assert files["ours"].read_text(encoding="utf-8") == REVOKED.format(why="a")
