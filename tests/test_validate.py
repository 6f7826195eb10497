"""The validator as staff meet it: the CLI on the shipped data and on broken data sets."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, findings_json, run_cli

BROKEN = sorted(p for p in (ROOT / "tests" / "broken").iterdir() if p.is_dir())
PROGRAMME = "data/programmes/teacher-organiser-80.yaml"


def _line(path: str, number: int) -> str:
    return (ROOT / path).read_text(encoding="utf-8").splitlines()[number - 1]


def test_shipped_data_has_no_errors_and_json_has_the_agreed_keys():
    proc, found = findings_json()
    assert proc.returncode == 0, proc.stderr
    assert not [f for f in found if f["severity"] == "error"]
    assert found, "the seed programme's inconsistencies must be reported"
    for f in found:
        assert set(f) == {"file", "line", "column", "severity", "code", "message", "source"}


def test_seed_programme_inconsistencies_are_warnings_on_its_own_lines():
    _, found = findings_json()
    mine = {f["code"]: [] for f in found if f["file"] == PROGRAMME}
    for f in found:
        if f["file"] == PROGRAMME:
            assert f["severity"] == "warning"
            mine[f["code"]].append(f)
    # module 3: topics add up to 40, the module prints 44 -> on the module's `hours: 44` line
    (m3,) = mine["programme.module-hours"]
    assert "module 3" in m3["message"] and "44" in m3["message"] and "40" in m3["message"]
    assert _line(PROGRAMME, m3["line"]).strip() == "hours: 44"
    # topic 3.12 prints "4 2"; module 4 prints cells adding to 10 against 12
    rows = {f["message"].split(" prints")[0]: f for f in mine["programme.row-hours"]}
    assert _line(PROGRAMME, rows["topic 3.12"]["line"]).strip() == "hours: 2"
    assert _line(PROGRAMME, rows["module 4"]["line"]).strip() == "hours: 12"
    # the final test distribution: questions 28 against a printed 30, module hours unlike the plan
    (total,) = mine["programme.test-total"]
    assert "28" in total["message"] and "30" in total["message"]
    assert _line(PROGRAMME, total["line"]).strip() == "total_questions: 30"
    modules = sorted(f["message"].split("module ")[1].split(" ")[0] for f in mine["programme.test-hours"])
    assert modules == ["2", "3", "4", "5"]
    for f in mine["programme.test-hours"]:
        assert "hours:" in _line(PROGRAMME, f["line"])


@pytest.mark.rule("work_off")
def test_kazguu_work_off_table_gaps_and_overlaps_are_reported():
    _, found = findings_json()
    table = [f for f in found if f["file"] == "data/organisations/kazguu.yaml"]
    codes = {f["code"] for f in table}
    assert {"rule.work-off-overlap", "rule.work-off-gap"} <= codes
    assert all(f["source"] == "KAZGUU rules, p. 8.1" for f in table)
    assert any("row 4" in f["message"] and "400 - 800 000" in f["message"] for f in table)


def _case_data(case: Path, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "data", work / "data")
    for f in case.rglob("*"):
        if f.is_file() and f.name != "expected.txt":
            target = work / "data" / f.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
    return work


def _expected(case: Path):
    lines = case.joinpath("expected.txt").read_text(encoding="utf-8").splitlines()
    exit_code = int(lines[-1].split()[1])
    return lines[:-1], exit_code


def _own_lines(case: Path, stdout: str) -> list[str]:
    """The findings printed for the case's own files, in the order printed."""
    own = {"data/" + f.relative_to(case).as_posix() for f in case.rglob("*") if f.name != "expected.txt"}
    return [l for l in stdout.splitlines() if l.split(":")[0] in own]


@pytest.mark.parametrize("case", BROKEN, ids=[c.name for c in BROKEN])
@pytest.mark.rule("hours_classes", "group_min_applications", "attendance_min", "final_test_min", "abroad_max_months",
                  "expulsion_grounds")
def test_broken_data_gives_exact_findings_and_no_traceback(case, tmp_path, update_golden):
    """The golden expected.txt holds exactly the findings at the case's files, in order, and the exit
    code; it is written only by ``pytest --update-golden`` (a case without one fails)."""
    work = _case_data(case, tmp_path)
    own = {"data/" + f.relative_to(case).as_posix() for f in case.rglob("*") if f.name != "expected.txt"}
    proc = run_cli("validate", cwd=work)
    if update_golden:
        lines = _own_lines(case, proc.stdout)
        case.joinpath("expected.txt").write_text("\n".join(lines + [f"exit {proc.returncode}"]) + "\n", encoding="utf-8")
    assert case.joinpath("expected.txt").exists(), f"{case.name} has no expected.txt; review the output of " \
        f"'pytest tests/test_validate.py --update-golden -k {case.name}' and commit it"
    expected, exit_code = _expected(case)
    assert proc.returncode == exit_code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert _own_lines(case, proc.stdout) == expected
    out = proc.stdout.splitlines()
    stray = [l for l in out if ": error " in l and l.split(":")[0] not in own]
    assert not stray, "errors outside the broken file:\n" + "\n".join(stray)
    # the same findings as JSON, with file and line
    _, found = findings_json(cwd=work)
    for line in expected:
        file, lineno = line.split(":")[0], int(line.split(":")[1])
        assert any(f["file"] == file and f["line"] == lineno for f in found)


def test_golden_comparison_is_exact(tmp_path):
    """A finding missing, added or moved is a failure: the comparison is on the whole list."""
    case = next(c for c in BROKEN if len(_expected(c)[0]) >= 1)
    expected, _ = _expected(case)
    printed = "\n".join(expected)
    assert _own_lines(case, printed) == expected
    assert _own_lines(case, printed + "\n" + expected[0]) != expected  # one more
    assert _own_lines(case, "\n".join(expected[1:])) != expected  # one fewer


def _tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The shipped data built once into a site/ that broken builds must leave alone."""
    work = tmp_path_factory.mktemp("built")
    shutil.copytree(ROOT / "data", work / "data")
    run_cli("build", "--data", work / "data", "--site", work / "site", "--print", work / "print",
            env={"XDG_CACHE_HOME": str(work / "cache")}, check=0)
    return work


ERROR_CASES = [c for c in BROKEN if c.joinpath("expected.txt").exists() and _expected(c)[1] == 1]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_failed_build_leaves_the_previous_site_as_it_was(case, built_site, tmp_path):
    site, prnt = tmp_path / "site", tmp_path / "print"
    shutil.copytree(built_site / "site", site)
    shutil.copytree(built_site / "print", prnt)
    before, before_print = _tree_digest(site), _tree_digest(prnt)
    work = _case_data(case, tmp_path)
    proc = run_cli("build", "--data", work / "data", "--site", site, "--print", prnt)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "left as it was" in proc.stderr
    expected, _ = _expected(case)
    assert expected[0].split(": error")[0].split(":")[0] in proc.stderr
    assert _tree_digest(site) == before
    assert _tree_digest(prnt) == before_print
    leftovers = [p.name for p in tmp_path.iterdir() if ".building-" in p.name]
    assert not leftovers


def test_github_format_prints_annotations():
    proc = run_cli("validate", "--format", "github")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines and all(l.startswith(("::warning ", "::error ")) for l in lines)
    assert any(f"file={PROGRAMME},line=" in l for l in lines)


def test_usage_errors_exit_2_without_traceback():
    for args in (["validate", "--format", "yaml"], ["frobnicate"], ["validate", "--bogus"]):
        proc = run_cli(*args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr


def test_missing_data_folder_is_a_finding(tmp_path):
    proc = run_cli("validate", "--data", tmp_path / "nope", "--format", "json")
    assert proc.returncode == 1
    (f,) = json.loads(proc.stdout)
    assert f["code"] == "data.missing"


@pytest.mark.rule("reassessment_per_year")
def test_a_late_retake_is_allowed_a_second_within_a_year_is_not(tmp_path):
    """Order 95 p. 31.1 (and Conservatory p. 5.7): re-assessment at most once a year; no text
    limits how long after the course it may be. 2025-10-tor-kk ended 2025-10-17."""
    case = ROOT / "tests" / "broken" / "retake-late"
    work = _case_data(case, tmp_path)
    (work / "data" / "cohorts" / "again.yaml").unlink()
    _, found = findings_json(cwd=work)
    assert not [f for f in found if f["file"] == "data/cohorts/late.yaml"]   # 16 months after: fine
    work = _case_data(case, tmp_path / "both")
    _, found = findings_json(cwd=work)
    both = sorted((f["file"], f["code"], f["source"]) for f in found if f["code"].startswith("listener.retake"))
    assert both == [("data/cohorts/again.yaml", "listener.retake-count", "Order 95, p. 31.1"),
                    ("data/cohorts/late.yaml", "listener.retake-count", "Order 95, p. 31.1")]
