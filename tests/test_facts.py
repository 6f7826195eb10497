"""Facts computed once: outcomes, validity, support, re-takes, monitoring, KAZGUU staff, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from biliktilik.load import iin
from biliktilik.model.facts import add_months, add_working_days, planning_deadlines, work_off
from biliktilik.validate import validate
from conftest import DATA

TODAY = dt.date(2026, 11, 23)


def _checked():
    return validate(DATA, use_cache=False, on=TODAY)


@pytest.mark.rule("attendance_min", "final_test_min")
def test_outcomes_follow_the_rules_of_order_95():
    facts = _checked().facts
    by = facts.by_ref
    assert by["2025-10-tor-kk/l01"].outcome == "certificate"
    assert by["2025-10-tor-kk/l05"].outcome == "reference"      # attendance 0.62 < 0.8
    assert by["2025-10-tor-kk/l05"].failures[0].rule.source.anchor == "p24-3"
    assert by["2025-10-tor-kk/l06"].outcome == "reference"      # 12 of 30 < 50 %
    assert str(by["2025-10-tor-kk/l06"].failures[0].rule) == "Order 95, p. 24.4"
    assert by["2025-10-tor-kk/l07"].outcome == "expelled"
    assert by["2025-10-tor-kk/l08"].outcome == "certificate"    # exactly 0.8 and 15 of 30 pass
    assert by["2026-05-tvet-welding/l01"].outcome == "internship_certificate"


@pytest.mark.rule("post_course_support_months", "certificate_validity_years", "post_course_report_due_months")
def test_dates_from_the_rule_sets():
    facts = _checked().facts
    lf = facts.by_ref["2025-10-tor-kk/l01"]
    assert lf.support_until == dt.date(2026, 10, 17)            # one calendar year (p. 36)
    cert = lf.data.get("certificate") or {}
    start = cert.get("issued") or dt.date(2025, 10, 17)
    assert lf.certificate_valid_until == dt.date(start.year + 3, start.month, start.day) - dt.timedelta(days=1)
    failed = facts.by_ref["2025-10-tor-kk/l06"]
    assert failed.retake_from == dt.date(2025, 10, 18)              # the day after the course; no end (p. 31.1)
    assert not hasattr(failed, "retake_until")
    piano = facts.by_ref["2026-04-piano-group/l01"]                # the Conservatory wants a report after a year
    assert piano.post_course_report_due == dt.date(2027, 4, 17)


@pytest.mark.rule("staff_obligations", "work_off")
def test_kazguu_staff_obligations_and_work_off():
    facts = _checked().facts
    staff = {s.name["surname"]: s for s in facts.staff}
    kim = staff["Ким"]                 # failed this course, last 72-hour course never: 36 h in 2019
    assert kim.last_qualifying is None and kim.next_due == TODAY
    nur = staff["Нурпеисов"]           # passed 72 h on 2026-06-26
    assert nur.next_due == dt.date(2031, 6, 26)
    assert staff["Ахметжанова"].work_off_months == 24        # 900 000 > 800 000
    assert staff["Ахметжанова"].work_off_rows == [5]
    assert staff["Токтаров"].work_off_months is None          # 75 000: rows 2 and 4 (printed "400 - 800 000")
    assert staff["Токтаров"].work_off_rows == [2, 4]


def test_work_off_table_lookup_reports_undefined_amounts():
    class R:
        value = [{"row": 1, "exactly": 50000, "months": 3}, {"row": 2, "from": 60000, "to": 100000, "months": 6}]
    assert work_off(R, 55000) == (None, [])
    assert work_off(R, 50000) == (3, [1])
    assert work_off(R, 100000) == (6, [2])


@pytest.mark.rule("monitoring_interval_years", "applications_due", "district_plans_due", "regional_plans_due", "staff_plan_due", "listener_lists_months_before")
def test_monitoring_and_planning_deadlines():
    checked = _checked()
    due = {p.id: (last, when, overdue) for p, last, when, overdue in checked.facts.monitoring}
    assert due["conservatory-piano-author-72"] == (dt.date(2023, 6, 15), dt.date(2026, 6, 15), True)
    assert due["conservatory-choir-registry-80"][2] is True     # approved 2021, never monitored
    deadlines = planning_deadlines(checked.dataset, checked.facts, 2027, "center-nit")
    whats = {(d.what, d.date) for d in deadlines}
    assert ("applications_due", dt.date(2027, 6, 1)) in whats
    assert ("district_plans_due", dt.date(2027, 7, 1)) in whats
    assert ("regional_plans_due", dt.date(2027, 9, 1)) in whats
    kazguu = {(d.what, d.date) for d in planning_deadlines(checked.dataset, checked.facts, 2027, "kazguu")}
    assert ("staff_plan_due", dt.date(2027, 8, 1)) in kazguu
    lists = [d for d in planning_deadlines(checked.dataset, checked.facts, 2026, "center-nit") if d.what == "listener_lists"]
    assert any(d.cohort == "2027-02-tor-kk" and d.date == dt.date(2026, 12, 8) for d in lists)


def test_date_helpers():
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_working_days(dt.date(2026, 11, 20), 5) == dt.date(2026, 11, 27)  # Friday + 5 working days


def test_working_days_know_kazakhstan_holidays_and_transferred_days_off():
    """Expected days worked out by hand from the law on holidays (a holiday on a weekend moves the
    day off to the next working day) and the Government's 2024 transfer (Sat 4 May worked, Wed 8 May off)."""
    # Fri 20 March 2026: Nauryz 21-23 March (Sat, Sun, Mon), so 24 and 25 March are days off too
    assert add_working_days(dt.date(2026, 3, 20), 5) == dt.date(2026, 4, 1)
    # Thu 30 April 2026: 1 May (Fri), 7 May (Thu), 9 May (Sat -> Mon 11 May off)
    assert add_working_days(dt.date(2026, 4, 30), 5) == dt.date(2026, 5, 12)
    # Thu 2 May 2024: Sat 4 May a working day by decree, 7, 8 (transferred), 9 May off
    assert add_working_days(dt.date(2024, 5, 2), 5) == dt.date(2024, 5, 13)
    # Mon 14 December 2026: 16 December (Wed) Independence Day
    assert add_working_days(dt.date(2026, 12, 14), 5) == dt.date(2026, 12, 22)
    # Fri 23 October 2026: 25 October (Sun) Republic Day -> Mon 26 October off
    assert add_working_days(dt.date(2026, 10, 23), 5) == dt.date(2026, 11, 2)
    # Fri 3 July 2026: 6 July (Mon) Capital Day
    assert add_working_days(dt.date(2026, 7, 3), 5) == dt.date(2026, 7, 13)


@pytest.mark.rule("nobd_working_days")
def test_the_nobd_deadline_of_a_cohort_ending_before_nauryz(tmp_path):
    """Order 95 p. 19: NOBD data within 5 working days of the course end; the rule uses the holidays."""
    import shutil

    from biliktilik.model.facts import cohort_deadline

    work = tmp_path / "data"
    shutil.copytree(DATA, work)
    f = work / "cohorts" / "2026-02-tor-ru.yaml"
    text = f.read_text(encoding="utf-8")
    assert "end: 2026-02-20" in text
    f.write_text(text.replace("end: 2026-02-20", "end: 2026-03-20"), encoding="utf-8")
    checked = validate(work, use_cache=False, on=TODAY)
    due = cohort_deadline(checked.facts, checked.dataset.cohorts["2026-02-tor-ru"], "nobd")
    assert (due.date, str(due.rule)) == (dt.date(2026, 4, 1), "Order 95, p. 19")


def test_iin_checksum():
    valid = iin.make(dt.date(1985, 3, 14), True, 1037)
    assert iin.problem(valid) is None
    broken = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    assert "check digit" in iin.problem(broken)
    assert iin.problem("12345") == "an IIN has 12 digits"


@pytest.mark.rule("certificate_validity_from", "certificate_validity_years")
def test_validity_starts_where_each_organisations_text_says():
    """Conservatory p. 5.5: "three years from the day the course ended"; the Order 95 defaults
    (p. 33) count from the issue day. Validity windows are local days at +05:00."""
    from biliktilik.model.facts import certificate_validity

    rules = _checked().facts.rules
    knk, nit = rules["conservatory"], rules["center-nit"]
    assert str(knk.certificate_validity_from) == "Conservatory rules, p. 5.5"
    assert str(nit.certificate_validity_from) == "Order 95, p. 33"
    # a certificate issued three weeks after the course ended on 17 April 2026
    v = certificate_validity(dt.date(2026, 5, 8), knk, dt.date(2026, 4, 17))
    assert (v.first_day, v.last_day) == (dt.date(2026, 4, 17), dt.date(2029, 4, 16))
    assert v.valid_from.isoformat() == "2026-04-17T00:00:00+05:00"
    assert v.valid_until.isoformat() == "2029-04-16T23:59:59+05:00"
    v = certificate_validity(dt.date(2026, 5, 8), nit, dt.date(2026, 4, 17))
    assert (v.first_day, v.last_day) == (dt.date(2026, 5, 8), dt.date(2029, 5, 7))
    # the listener facts use the same function
    facts = validate(DATA, use_cache=False, on=TODAY).facts
    choir = facts.by_ref["2026-09-choir-individual/l01"]          # the course ended 2 October 2026
    assert choir.certificate_valid_until == dt.date(2029, 10, 1)


def test_a_conservatory_certificate_issued_late_counts_from_the_course_end(tmp_path):
    import shutil

    work = tmp_path / "data"
    shutil.copytree(DATA, work)
    f = work / "cohorts" / "2026-09-choir-individual.yaml"
    text = f.read_text(encoding="utf-8")
    assert "issued: 2026-10-02" in text
    f.write_text(text.replace("issued: 2026-10-02", "issued: 2026-10-20"), encoding="utf-8")
    facts = validate(work, use_cache=False, on=TODAY).facts
    assert facts.by_ref["2026-09-choir-individual/l01"].certificate_valid_until == dt.date(2029, 10, 1)


def test_the_holders_gender_from_the_record_or_the_patronymic():
    from biliktilik.model.certificates import holder_gender

    assert holder_gender({"name": {"patronymic": "Серікқызы"}}) == "f"
    assert holder_gender({"name": {"patronymic": "Ерболұлы"}}) == "m"
    assert holder_gender({"name": {"patronymic": "Игоревна"}}) == "f"
    assert holder_gender({"name": {"patronymic": "Олегович"}}) == "m"
    assert holder_gender({"name": {"patronymic": "Ильинична"}}) == "f"
    assert holder_gender({"name": {"surname": "Ли", "given": "Анна"}}) is None          # no patronymic
    assert holder_gender({"name": {"surname": "Ли", "given": "Анна"}, "gender": "f"}) == "f"
