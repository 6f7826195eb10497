"""Issuing, the ledger, corrections and revocations (issue 5).

Every test works on a copy of the shipped data (which has its certificates issued,
one corrected and one revoked) and checks what a registrar sees: the files written,
the numbers given, the validator's findings with their file:line.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml

from biliktilik.model.certificates import certificate_facts, facts_hash
from biliktilik.findings import UsageError
from biliktilik.issuing import (IssueError, Numbers, Refused, correct, issue, ledger_entries, recorded_numbers,
                                revoke)
from biliktilik.validate import validate
from tests.conftest import run_cli

TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{11,}$")

# A new cohort of the 80-hour programme, with comments where ruamel.yaml tends to move them.
NEW_COHORT = """\
# A cohort added for the test. Its comments and layout must survive issuing.
id: 2026-03-tor-test
programme: teacher-organiser-80
organisation: center-nit
format: full_time
language: kk
start: 2026-03-02   # a Monday
end: 2026-03-13
seats: 25
listeners:
  - id: a1
    name: {surname: Тестова, given: Айым, patronymic: Нұрланқызы}
    iin: "900903320824"
    employer: "№ 1 мектеп"
    position: педагог-ұйымдастырушы
    attendance: 0.9
    final_test: {score: 25, max: 30}
    grades: {"1": 5, "2": 4, "3": 5, "4": 4, "5": 5}
    outcome: certificate  # passed
  # the next listener did not pass
  - id: a2
    name: {surname: Екінші, given: Ерлан}
    iin: "890606425337"
    employer: "№ 2 мектеп"
    position: мұғалім
    attendance: 0.5
    final_test: {score: 10, max: 30}
    outcome: reference

  # a blank line and a comment before the last one
  - id: a3
    name: {surname: Үшінші, given: Гүлім}
    gender: f  # no patronymic: the Russian wording (прошла) needs it
    iin: "821225421234"
    employer: "№ 3 мектеп"
    position: мұғалім
    attendance: 1.0
    final_test: {score: 30, max: 30}
    grades: {"1": 5, "2": 5, "3": 5, "4": 5, "5": 5}
    outcome: certificate
# the end of the file
"""


def _new_cohort(data):
    path = data / "cohorts" / "2026-03-tor-test.yaml"
    path.write_text(NEW_COHORT, encoding="utf-8")
    return path


def _errors(data):
    return [f for f in validate(data, use_cache=False).findings if f.severity == "error"]


def _is_pure_insertion(before: str, after: str) -> bool:
    """Every line of ``before`` is still there, in order, unchanged."""
    lines = iter(after.splitlines())
    return all(any(old == new for new in lines) for old in before.splitlines())


def test_the_shipped_data_has_certificates_issued_and_validates():
    checked = validate("data", use_cache=False)
    assert checked.errors == []
    entries = ledger_entries(checked.dataset)
    cohorts = {e["listener"].split("/")[0] for e in entries}
    # the Institute's 2023 cohort (past its three years), KAZGUU, the Conservatory, the internship
    assert {"2023-03-preschool", "2026-06-kazguu-teaching", "2026-04-piano-group", "2026-05-tvet-welding"} <= cohorts
    assert any(e.get("revoked", {}).get("reason") for e in entries)
    replaced = [e for e in entries if e.get("replaced_by")]
    assert replaced and all(any(n.get("replaces") == e["number"] for n in entries) for e in replaced)
    for lf in checked.facts.listeners:
        if lf.passed and lf.cohort.data["end"] <= dt.date(2026, 11, 23):
            assert isinstance(lf.data.get("certificate"), dict), f"{lf.ref} passed but has no certificate"


def test_issue_writes_numbers_and_tokens_and_keeps_comments(data_copy):
    path = _new_cohort(data_copy)
    issued = issue(data_copy, "2026-03-tor-test")
    assert [i.ref for i in issued] == ["2026-03-tor-test/a1", "2026-03-tor-test/a3"]
    # NIT-2026-0001..0006 exist already (one of them revoked): the next ones follow
    assert [i.number for i in issued] == ["NIT-2026-0007", "NIT-2026-0008"]
    assert all(TOKEN.match(i.token) and len(i.token) >= 12 for i in issued)  # >= 72 bits
    assert len({i.token for i in issued}) == 2
    assert all(i.issued == dt.date(2026, 3, 13) for i in issued)  # default: the cohort's end
    text = path.read_text(encoding="utf-8")
    assert _is_pure_insertion(NEW_COHORT, text), text
    for comment in ("# A cohort added", "# a Monday", "# passed", "# the next listener did not pass",
                    "# a blank line and a comment before the last one", "# the end of the file"):
        assert comment in text
    # the comment before a2 still stands right before a2, after a1's new certificate
    assert re.search(r"issued: 2026-03-13\n  # the next listener did not pass\n  - id: a2", text)
    doc = yaml.safe_load(text)
    a1, a2, a3 = doc["listeners"]
    assert a1["certificate"] == {"number": "NIT-2026-0007", "token": issued[0].token, "issued": dt.date(2026, 3, 13)}
    assert "certificate" not in a2
    assert _errors(data_copy) == []
    checked = validate(data_copy, use_cache=False)
    entry = next(e for e in ledger_entries(checked.dataset) if e["number"] == "NIT-2026-0007")
    lf = checked.facts.by_ref["2026-03-tor-test/a1"]
    assert entry["hash"] == facts_hash(certificate_facts(lf, checked.dataset))
    assert json.loads(entry["facts"])["holder"]["surname"] == "Тестова"


def test_issue_again_changes_nothing(data_copy):
    path = _new_cohort(data_copy)
    issue(data_copy, "2026-03-tor-test")
    before = path.read_bytes(), (data_copy / "ledger.yaml").read_bytes()
    with pytest.raises(IssueError, match="nothing to issue in cohort '2026-03-tor-test'.*2 already hold"):
        issue(data_copy, "2026-03-tor-test")
    assert (path.read_bytes(), (data_copy / "ledger.yaml").read_bytes()) == before


def test_issue_with_a_date(data_copy):
    _new_cohort(data_copy)
    issued = issue(data_copy, "2026-03-tor-test", dt.date(2026, 3, 20))
    assert [i.number for i in issued] == ["NIT-2026-0007", "NIT-2026-0008"]
    assert all(i.issued == dt.date(2026, 3, 20) for i in issued)
    with pytest.raises(IssueError, match="after today"):
        (data_copy / "cohorts" / "x.yaml").write_text(NEW_COHORT.replace("2026-03-tor-test", "x"), encoding="utf-8")
        issue(data_copy, "x", dt.date(2027, 1, 1))


def test_numbers_are_never_reused(data_copy):
    """A revoked number, a replaced number and numbers only the ledger remembers all count."""
    numbers = recorded_numbers(validate(data_copy, use_cache=False).dataset)
    assert numbers.next("NIT", 2025) == "NIT-2025-0007"  # 0002 was replaced by 0006: neither comes back
    assert numbers.next("NIT", 2026) == "NIT-2026-0007"  # 0004 is revoked and stays taken
    assert numbers.next("KNK", 2026) == "KNK-2026-0005"
    # the last Conservatory certificate disappears from the cohort: the ledger still remembers its number
    cohort = data_copy / "cohorts" / "2026-09-choir-individual.yaml"
    text = cohort.read_text(encoding="utf-8")
    cohort.write_text(re.sub(r"    certificate:\n(      .*\n)+", "", text), encoding="utf-8")
    checked = validate(data_copy, use_cache=False)
    assert any(f.code == "ledger.vanished" and "KNK-2026-0004" in f.message for f in checked.errors)
    assert recorded_numbers(checked.dataset).next("KNK", 2026) == "KNK-2026-0005"
    assert Numbers(["NIT-2026-0006"]).next("NIT", 2027) == "NIT-2027-0001"
    assert Numbers(["KNK-2026-0004"]).next("NIT", 2026) == "NIT-2026-0001"


def test_unknown_cohort_and_cohort_with_errors(data_copy):
    with pytest.raises(UsageError, match="unknown cohort 'nope'; known cohorts: 2023-03-preschool"):
        issue(data_copy, "nope")
    path = _new_cohort(data_copy)
    path.write_text(NEW_COHORT.replace('iin: "900903320824"', 'iin: "900903320825"'), encoding="utf-8")
    with pytest.raises(Refused) as err:
        issue(data_copy, "2026-03-tor-test")
    assert "no certificate was issued" in str(err.value)
    assert any(f.code == "listener.iin" and f.line == 13 for f in err.value.findings)
    assert "certificate:" not in path.read_text(encoding="utf-8")


def test_nothing_to_issue_for_a_cohort_without_results(data_copy):
    with pytest.raises(IssueError, match="nothing to issue in cohort '2027-02-tor-kk'"):
        issue(data_copy, "2027-02-tor-kk")


def _edit(path, old, new, first=False):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1 or (first and old in text), old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def _line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_editing_an_issued_name_is_an_error_at_its_line(data_copy):
    path = data_copy / "cohorts" / "2026-02-tor-ru.yaml"
    text = _edit(path, "surname: Иванова, given: Ольга", "surname: Иванова-Ким, given: Ольга")
    errors = _errors(data_copy)
    assert len(errors) == 1
    f = errors[0]
    assert (f.code, f.line) == ("ledger.changed", _line_of(text, "Иванова-Ким"))
    assert f.file.endswith("cohorts/2026-02-tor-ru.yaml")
    assert f.column == text.splitlines()[f.line - 1].index("Иванова-Ким") + 1
    assert ("the holder's name changed from 'Иванова Ольга Петровна' to 'Иванова-Ким Ольга Петровна' "
            "since certificate NIT-2026-0001 was issued") in f.message
    assert "biliktilik correct --number NIT-2026-0001" in f.message


def test_editing_a_grade_or_the_hours_is_an_error_at_its_line(data_copy):
    cohort = data_copy / "cohorts" / "2023-03-preschool.yaml"
    text = _edit(cohort, 'grades: {"1": 4, "2": 4, "3": 4, "4": 5}', 'grades: {"1": 4, "2": 4, "3": 5, "4": 5}')
    programme = data_copy / "programmes" / "ecd-preschool-leaders-72.yaml"
    ptext = programme.read_text(encoding="utf-8")
    internship = data_copy / "cohorts" / "2026-05-tvet-welding.yaml"
    itext = _edit(internship, "to: 2026-05-22, hours: 36", "to: 2026-05-22, hours: 40", first=True)  # l01
    errors = _errors(data_copy)
    by_code = sorted((f.file.split("/")[-1], f.line, f.message) for f in errors if f.code == "ledger.changed")
    assert len(errors) == len(by_code) == 2, [f.text() for f in errors]
    grade = next(m for m in by_code if m[0] == "2023-03-preschool.yaml")
    assert grade[1] == _line_of(text, '"3": 5, "4": 5}')
    assert "the grade of module 3 changed from 4 to 5 since certificate IRRD-2023-0002 was issued" in grade[2]
    hours = next(m for m in by_code if m[0] == "2026-05-tvet-welding.yaml")
    assert hours[1] == _line_of(itext, "hours: 40")
    assert "the hours changed from 36 to 40 since certificate NIT-2026-0005 was issued" in hours[2]
    # the programme's hours: one finding at the programme's line, naming every certificate it changes
    _edit(programme, "\nhours: 72\n", "\nhours: 76\n")
    errors = [f for f in _errors(data_copy) if f.file.endswith("ecd-preschool-leaders-72.yaml") and f.code == "ledger.changed"]
    assert any("the hours changed from 72 to 76 since certificates IRRD-2023-0001, IRRD-2023-0002, IRRD-2023-0003 were issued"
               in f.message and f.line == _line_of(ptext, "hours: 72") for f in errors), [f.text() for f in errors]


def test_a_correction_replaces_the_edited_certificate(data_copy):
    path = data_copy / "cohorts" / "2026-02-tor-ru.yaml"
    _edit(path, "surname: Иванова, given: Ольга", "surname: Иванова-Ким, given: Ольга")
    with pytest.raises(IssueError, match="nothing to correct"):
        correct(data_copy, "NIT-2026-0002")
    new = correct(data_copy, "NIT-2026-0001")
    assert (new.number, new.replaces, new.issued) == ("NIT-2026-0007", "NIT-2026-0001", dt.date(2026, 2, 20))
    assert _errors(data_copy) == []
    entries = {e["number"]: e for e in ledger_entries(validate(data_copy, use_cache=False).dataset)}
    assert entries["NIT-2026-0001"]["replaced_by"] == "NIT-2026-0007"
    assert entries["NIT-2026-0007"]["replaces"] == "NIT-2026-0001"
    assert json.loads(entries["NIT-2026-0001"]["facts"])["holder"]["surname"] == "Иванова"  # what was certified stays
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["listeners"][0]["certificate"]["replaces"] == "NIT-2026-0001"
    with pytest.raises(IssueError, match="already replaced by NIT-2026-0007"):
        correct(data_copy, "NIT-2026-0001")


def test_revocation_is_recorded_with_date_and_reason(data_copy):
    with pytest.raises(UsageError, match="needs a reason"):
        revoke(data_copy, "NIT-2026-0001", dt.date(2026, 5, 1), "  ")
    with pytest.raises(IssueError, match="before the certificate was issued"):
        revoke(data_copy, "NIT-2026-0001", dt.date(2026, 1, 1), "ошибка")
    revoke(data_copy, "NIT-2026-0001", dt.date(2026, 5, 1), "Выдан ошибочно")
    assert _errors(data_copy) == []
    doc = yaml.safe_load((data_copy / "cohorts" / "2026-02-tor-ru.yaml").read_text(encoding="utf-8"))
    assert doc["listeners"][0]["certificate"]["revoked"] == {"date": dt.date(2026, 5, 1), "reason": "Выдан ошибочно"}
    with pytest.raises(IssueError, match="already revoked"):
        revoke(data_copy, "NIT-2026-0001", dt.date(2026, 5, 2), "again")


def test_the_ledger_and_the_data_must_agree(data_copy):
    ledger = data_copy / "ledger.yaml"
    ltext = ledger.read_text(encoding="utf-8")
    # a revocation without a reason
    _edit(ledger, "      reason: Қорытынды тестілеу", "      reasons: Қорытынды тестілеу")
    errors = _errors(data_copy)
    assert any(f.file.endswith("ledger.yaml") and "missing required key 'reason'" in f.message for f in errors), \
        [f.text() for f in errors]
    ledger.write_text(ltext, encoding="utf-8")
    # an edited ledger entry: its facts no longer match its hash
    _edit(ledger, '"surname":"Абенова"', '"surname":"Абенова-Тест"')
    errors = _errors(data_copy)
    assert any(f.code == "ledger.hash" and "IRRD-2023-0001" in f.message for f in errors)
    ledger.write_text(ltext, encoding="utf-8")
    # a certificate vanished from the data; and one that is in the data but not in the ledger
    cohort = data_copy / "cohorts" / "2026-09-choir-individual.yaml"
    ctext = cohort.read_text(encoding="utf-8")
    _edit(cohort, "number: KNK-2026-0004", "number: KNK-2026-0009")
    errors = _errors(data_copy)
    assert any(f.code == "ledger.vanished" and "KNK-2026-0004" in f.message and f.file.endswith("ledger.yaml")
               for f in errors)
    assert any(f.code == "ledger.missing" and "KNK-2026-0009" in f.message and f.line == _line_of(ctext, "KNK-2026-0004")
               for f in errors)
    cohort.write_text(ctext, encoding="utf-8")
    # the same token twice
    token = re.search(r"number: NIT-2026-0001\n\s+token: (\S+)", (data_copy / "cohorts" / "2026-02-tor-ru.yaml").read_text())[1]
    other = re.search(r"number: NIT-2026-0002\n\s+token: (\S+)", ltext)[1]
    _edit(ledger, f"token: {other}", f"token: {token}")
    errors = _errors(data_copy)
    assert any(f.code == "ledger.duplicate-token" for f in errors)
    # a revocation only in the cohort, not in the ledger
    ledger.write_text(ltext, encoding="utf-8")
    _edit(data_copy / "cohorts" / "2026-06-kazguu-teaching.yaml", "      number: KAZGUU-2026-0001\n",
          "      number: KAZGUU-2026-0001\n      revoked: {date: 2026-07-01, reason: test}\n")
    assert any(f.code == "ledger.revoked" and "not in the ledger" in f.message for f in _errors(data_copy))


def test_cli_issue_revoke_correct(data_copy):
    _new_cohort(data_copy)
    proc = run_cli("issue", "--data", data_copy, "--cohort", "2026-03-tor-test", check=0)
    assert "NIT-2026-0007  2026-03-tor-test/a1  Тестова Айым Нұрланқызы  issued 2026-03-13" in proc.stdout
    proc = run_cli("issue", "--data", data_copy, "--cohort", "2026-03-tor-test", check=1)
    assert "nothing to issue" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("issue", "--data", data_copy, "--cohort", "nope", check=2)
    assert "unknown cohort 'nope'" in proc.stderr
    proc = run_cli("issue", "--data", data_copy, "--cohort", "2026-03-tor-test", "--date", "2026-13-01", check=2)
    assert "not a date" in proc.stderr
    proc = run_cli("revoke", "--data", data_copy, "--number", "NIT-2026-0007", "--date", "2026-04-01",
                   "--reason", "Выдан ошибочно", check=0)
    assert "revoked NIT-2026-0007" in proc.stdout
    proc = run_cli("correct", "--data", data_copy, "--number", "NIT-2026-0008", check=1)
    assert "nothing to correct" in proc.stderr
    run_cli("validate", "--data", data_copy, check=0)


def test_building_never_invents_numbers_or_tokens(data_copy, tmp_path):
    """A cohort whose listeners passed but were not issued certificates builds without pages for them."""
    from biliktilik.build.pipeline import build

    _new_cohort(data_copy)
    before = (data_copy / "cohorts" / "2026-03-tor-test.yaml").read_bytes()
    checked = build(data_copy, tmp_path / "site", tmp_path / "print")
    assert (data_copy / "cohorts" / "2026-03-tor-test.yaml").read_bytes() == before
    assert "2026-03-tor-test" not in (data_copy / "ledger.yaml").read_text(encoding="utf-8")
    folders = {p.name for p in (tmp_path / "site" / "v").iterdir() if p.is_dir()}
    assert folders == {e["token"] for e in ledger_entries(checked.dataset)} | {"unknown"}
