"""Two people run `issue` at the same time on the same data/: the lock beside data/ makes the second
wait for the first, and the ledger neither loses nor duplicates an entry."""

from __future__ import annotations

import os
import subprocess

import pytest

from biliktilik.issuing import ledger_entries
from biliktilik.validate import validate
from conftest import CLI, ROOT
from test_certificates_issue import NEW_COHORT

ROUNDS = 3  # each round: two concurrent runs


def _cohort(data, cohort_id: str):
    (data / "cohorts" / f"{cohort_id}.yaml").write_text(NEW_COHORT.replace("id: 2026-03-tor-test", f"id: {cohort_id}"),
                                                         encoding="utf-8")


def _start(data, cohort_id):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795392000")
    return subprocess.Popen(CLI + ["issue", "--data", str(data), "--cohort", cohort_id, "--no-cache"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ledger_is_whole(data, before: int, expected_new: int):
    checked = validate(data, use_cache=False)
    assert checked.errors == [], [f.text() for f in checked.errors]  # cohorts and ledger agree
    entries = ledger_entries(checked.dataset)
    assert len(entries) == before + expected_new
    for key in ("number", "token", "status_index"):
        values = [e[key] for e in entries]
        assert len(set(values)) == len(values), f"duplicate {key}"
    held = {lf.data["certificate"]["number"] for lf in checked.facts.listeners if isinstance(lf.data.get("certificate"), dict)}
    assert {e["number"] for e in entries if not e.get("replaced_by")} <= held | {e["number"] for e in entries if e.get("revoked")}
    return entries


@pytest.mark.parametrize("same", [False, True], ids=["two-cohorts", "same-cohort"])
def test_two_concurrent_issues_keep_the_ledger_whole(data_copy, same):
    before = len(ledger_entries(validate(data_copy, use_cache=False).dataset))
    issued = 0
    for r in range(ROUNDS):
        first, second = f"2026-03-test-{r}a", (f"2026-03-test-{r}a" if same else f"2026-03-test-{r}b")
        _cohort(data_copy, first)
        _cohort(data_copy, second)
        procs = [_start(data_copy, first), _start(data_copy, second)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        for code, out, err in results:
            assert "Traceback" not in err and "internal error" not in err, err
        codes = sorted(code for code, _, _ in results)
        if same:  # one issues both passed listeners; the other, after waiting, finds nothing left
            assert codes == [0, 1], results
            assert any("nothing to issue" in err for _, _, err in results), results
            issued += 2
        else:
            assert codes == [0, 0], results
            issued += 4
        _ledger_is_whole(data_copy, before, issued)
