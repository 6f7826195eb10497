"""Two branches both issued certificates; after the merge the same numbers, tokens and status
indexes appear twice. The validator names both places; `biliktilik renumber` repairs it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from biliktilik.cli.main import main
from biliktilik.issuing import issue, ledger_entries
from biliktilik.validate import validate
from test_certificates_issue import NEW_COHORT


def _cohort(data, cohort_id):
    (data / "cohorts" / f"{cohort_id}.yaml").write_text(NEW_COHORT.replace("id: 2026-03-tor-test", f"id: {cohort_id}"),
                                                         encoding="utf-8")


def _merged(tmp_path, data_copy):
    """Branch one issues cohort A, branch two cohort B, from the same base; both appended to the ledger."""
    base = data_copy
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(base, one)
    shutil.copytree(base, two)
    _cohort(one, "2026-03-merge-a")
    _cohort(two, "2026-03-merge-b")
    issue(one, "2026-03-merge-a")
    issue(two, "2026-03-merge-b")
    base_ledger = (base / "ledger.yaml").read_text(encoding="utf-8")
    ledger_one, ledger_two = ((d / "ledger.yaml").read_text(encoding="utf-8") for d in (one, two))
    assert ledger_one.startswith(base_ledger) and ledger_two.startswith(base_ledger)
    merged = one  # the merge keeps both appended blocks, as a person resolving the conflict would
    (merged / "ledger.yaml").write_text(ledger_one + ledger_two[len(base_ledger):], encoding="utf-8")
    shutil.copy(two / "cohorts" / "2026-03-merge-b.yaml", merged / "cohorts")
    return merged


def test_duplicates_after_a_merge_name_both_places_and_renumber_repairs_them(tmp_path, data_copy, capsys):
    merged = _merged(tmp_path, data_copy)
    checked = validate(merged, use_cache=False)
    codes = {f.code for f in checked.errors}
    assert {"ledger.duplicate-number", "ledger.duplicate-status-index", "certificate.duplicate-number"} <= codes
    for f in checked.errors:
        if "duplicate" in f.code:
            other = re.search(r" at (data\S*|\S+\.yaml):(\d+)", f.message)
            assert other, f.text()  # the first place, file:line
            assert (other.group(1), int(other.group(2))) != (f.file, f.line)
            assert "biliktilik renumber" in f.message
            # the other place really holds the same value
            line = Path(other.group(1)).read_text(encoding="utf-8").splitlines()[int(other.group(2)) - 1]
            if f.code != "certificate.duplicate-token":  # "registration number X ...", "status index N ..."
                assert f.message.split()[2] in line, (f.text(), line)
    before = ledger_entries(checked.dataset)

    assert main(["renumber", "--data", str(merged), "--no-cache"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 2 and all("2026-03-merge-b/" in l for l in printed)
    checked = validate(merged, use_cache=False)
    assert checked.errors == [], [f.text() for f in checked.errors]
    after = ledger_entries(checked.dataset)
    assert len(after) == len(before)  # nothing lost, nothing added
    for key in ("number", "token", "status_index"):
        assert len({e[key] for e in after}) == len(after), key
    # branch one's certificates kept their numbers; branch two's changed, and its cohort says so
    a = [e for e in after if e["listener"].startswith("2026-03-merge-a/")]
    assert [e["number"] for e in a] == [e["number"] for e in before if e["listener"].startswith("2026-03-merge-a/")]
    assert main(["renumber", "--data", str(merged), "--no-cache"]) == 1  # nothing left to do
    assert "nothing to renumber" in capsys.readouterr().err
