"""The rules as written, part 3 (issue 13): each rule of the texts that the records can show is held
to them, with the paragraph cited, on hidden records around its edges; the coverage of the four
texts is computed from the data. Expected values come from the texts (and the law on holidays),
never from the code under test."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli
from biliktilik.load.dataset import load_dataset
from biliktilik.model import regulation_text as rt
from biliktilik.model.facts import abroad_last_day, notice_deadline, repayment_due, whole_months
from biliktilik.project import labels
from biliktilik.validate import coverage, validate

D = dt.date


def _edit(data: Path, rel: str, change):
    path = data / rel
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _found(data: Path, *codes, on=D(2026, 11, 30)):
    checked = validate(data, use_cache=False, on=on)
    return [f for f in checked.findings if f.code in codes]


def _listener(doc, lid):
    return next(x for x in doc["listeners"] if x["id"] == lid)


# -- abroad: up to one year -------------------------------------------------------------------------

@pytest.mark.rule("abroad_max_months")
def test_a_course_abroad_of_exactly_a_year_passes_a_year_and_a_day_does_not(data_copy):
    """Order 95 p. 5.3: abroad "1 (бір) жылға дейінгі мерзімге". From 5 April 2027 a year of days ends on
    4 April 2028; ending on 5 April 2028 is a year and a day."""
    cohort = "cohorts/2027-04-abroad-finland.yaml"
    _edit(data_copy, cohort, lambda c: c.update(end=D(2028, 4, 4)))
    assert _found(data_copy, "cohort.abroad-duration") == []
    _edit(data_copy, cohort, lambda c: c.update(end=D(2028, 4, 5)))
    (f,) = _found(data_copy, "cohort.abroad-duration")
    assert f.severity == "error" and f.source == "Order 95, p. 5.3"
    assert f.file.endswith("2027-04-abroad-finland.yaml") and "2028-04-04" in f.message
    # a course at home is not limited by the months
    _edit(data_copy, "programmes/center-nit-abroad-finland-72.yaml", lambda p: p.update(abroad=False))
    assert _found(data_copy, "cohort.abroad-duration") == []


@pytest.mark.rule("abroad_max_months")
def test_the_last_day_of_a_year_abroad():
    assert abroad_last_day(D(2027, 4, 5), 12) == D(2028, 4, 4)
    assert abroad_last_day(D(2027, 1, 1), 12) == D(2027, 12, 31)
    assert abroad_last_day(D(2027, 4, 5), 6) == D(2027, 10, 4)


# -- KAZGUU 7.7: the Plan's notice within five working days ------------------------------------------

@pytest.mark.rule("staff_plan_notice_working_days")
def test_five_working_days_skip_weekends_and_capital_day():
    # approved Wed 1 July 2026: Thu 2 (1), Fri 3 (2), Mon 6 July is Capital Day (a public holiday),
    # Tue 7 (3), Wed 8 (4), Thu 9 (5)
    assert notice_deadline(D(2026, 7, 1), 5) == D(2026, 7, 9)
    # a window without a holiday: approved Wed 8 July -> 9, 10, 13, 14, 15
    assert notice_deadline(D(2026, 7, 8), 5) == D(2026, 7, 15)
    # Nauryz 2026: 21-23 March, with Saturday's and Sunday's holidays moved to Tue 24 and Wed 25;
    # approved Fri 20 March -> 26, 27, 30, 31 March, 1 April
    assert notice_deadline(D(2026, 3, 20), 5) == D(2026, 4, 1)


@pytest.mark.rule("staff_plan_notice_working_days")
def test_kazguu_plan_notice_with_a_holiday_inside_the_window(data_copy):
    org = "organisations/kazguu.yaml"
    _edit(data_copy, org, lambda o: o.update(staff_plans=[{"year": 2026, "approved": D(2026, 7, 1), "notified": D(2026, 7, 9)}]))
    assert _found(data_copy, "organisation.plan-notice") == []   # day 5, counting past Capital Day
    _edit(data_copy, org, lambda o: o.update(staff_plans=[{"year": 2026, "approved": D(2026, 7, 1), "notified": D(2026, 7, 10)}]))
    (f,) = _found(data_copy, "organisation.plan-notice")
    assert f.severity == "error" and f.source == "KAZGUU rules, p. 7.7" and "by 2026-07-09" in f.message
    _edit(data_copy, org, lambda o: o.update(staff_plans=[{"year": 2026, "approved": D(2026, 7, 1), "notified": D(2026, 6, 30)}]))
    (f,) = _found(data_copy, "organisation.plan-notice")
    assert "before it was approved" in f.message
    _edit(data_copy, org, lambda o: o.update(staff_plans=[{"year": 2026, "approved": D(2026, 7, 1)}]))
    (f,) = _found(data_copy, "organisation.plan-notice")
    assert f.severity == "warning" and "2026-07-09" in f.message
    assert _found(data_copy, "organisation.plan-notice", on=D(2026, 7, 9)) == []   # not yet due


# -- expulsion: grounds and reimbursement ------------------------------------------------------------

@pytest.mark.rule("expulsion_grounds")
def test_expulsion_grounds_are_those_the_texts_list(data_copy):
    cohort = "cohorts/2025-10-tor-kk.yaml"

    def ground(g, **more):
        def change(c):
            _listener(c, "l07")["expelled"]["ground"] = g
            _listener(c, "l07").update(more)
        return change

    assert _found(data_copy, "listener.expelled-ground", "listener.expelled-attendance") == []   # shipped: attendance
    _edit(data_copy, cohort, ground("conduct"))   # p24.2 through p32
    assert _found(data_copy, "listener.expelled-ground") == []
    _edit(data_copy, cohort, ground("programme_not_completed"))   # KAZGUU's ground, not Order 95's
    (f,) = _found(data_copy, "listener.expelled-ground")
    assert f.source == "Order 95, p. 32" and "schedule, conduct, attendance, abroad_result" in f.message
    _edit(data_copy, cohort, ground("abroad_result"))   # p27 is about courses abroad
    (f,) = _found(data_copy, "listener.expelled-ground")
    assert "not abroad" in f.message
    _edit(data_copy, cohort, ground("attendance", attendance=0.9))   # p24.3: 80% was met
    (f,) = _found(data_copy, "listener.expelled-attendance")
    assert f.severity == "warning" and "0.9" in f.message and "0.8" in f.message


@pytest.mark.rule("expulsion_grounds")
def test_a_conservatory_expulsion_is_for_a_breach_of_the_contract(data_copy):
    cohort = "cohorts/2026-04-piano-group.yaml"

    def expel(g):
        def change(c):
            l = c["listeners"][0]
            for k in ("outcome", "certificate", "attendance", "final_test", "grades"):
                l.pop(k, None)
            l["expelled"] = {"date": c["start"], "ground": g, "reason": "—"}
        return change

    _edit(data_copy, cohort, expel("agreement"))
    assert _found(data_copy, "listener.expelled-ground") == []
    _edit(data_copy, cohort, expel("attendance"))
    (f,) = _found(data_copy, "listener.expelled-ground")
    assert f.source == "Conservatory rules, p. 5.8"


@pytest.mark.rule("expulsion_reimbursement", "expulsion_grounds")
def test_kazguu_expels_with_reimbursement(data_copy):
    cohort = "cohorts/2026-06-kazguu-teaching.yaml"

    def expel(g, reimbursed=None):
        def change(c):
            l = _listener(c, "l03")
            for k in ("outcome", "certificate", "attendance", "final_test", "grades"):
                l.pop(k, None)
            l["expelled"] = {"date": c["start"], "ground": g, "reason": "—"}
            if reimbursed is not None:
                l["expelled"]["reimbursed"] = reimbursed
        return change

    _edit(data_copy, cohort, expel("programme_not_completed"))
    (f,) = _found(data_copy, "listener.expelled-reimbursement")
    assert f.severity == "warning" and f.source == "KAZGUU rules, p. 7.14 (2)"
    _edit(data_copy, cohort, expel("programme_not_completed", reimbursed=250000))
    assert _found(data_copy, "listener.expelled-reimbursement") == []
    _edit(data_copy, cohort, expel("attendance"))
    (f,) = _found(data_copy, "listener.expelled-ground")
    assert f.source == "KAZGUU rules, p. 7.14 (2)" and "programme_not_completed" in f.message


# -- KAZGUU 8: proportional or no repayment ----------------------------------------------------------

def test_whole_months_and_the_proportional_share():
    assert whole_months(D(2026, 6, 26), D(2026, 12, 25)) == 5
    assert whole_months(D(2026, 6, 26), D(2026, 12, 26)) == 6
    # 900 000 tenge: row 5 of the table, 24 months; leaving after 6 whole months leaves 18 of 24
    assert repayment_due(900000, 24, D(2026, 6, 26), D(2026, 12, 28), "proportional") == 675000
    assert repayment_due(900000, 24, D(2026, 6, 26), D(2026, 12, 28), "none") == 0
    assert repayment_due(900000, 24, D(2026, 6, 26), D(2029, 1, 1), "proportional") == 0   # worked off
    with pytest.raises(ValueError):
        repayment_due(900000, 24, D(2026, 6, 26), D(2026, 12, 28), "half")


@pytest.mark.rule("repayment_employee_leaves", "repayment_employer_dismisses")
def test_kazguu_repayment_on_leaving(data_copy):
    cohort = "cohorts/2026-06-kazguu-teaching.yaml"   # ends 2026-06-26; l02 paid 900 000 tenge

    def leave(initiative, repaid=None):
        def change(c):
            staff = _listener(c, "l02")["staff"]
            staff["left"] = {"date": D(2026, 12, 28), "initiative": initiative}
            staff.pop("repaid", None)
            if repaid is not None:
                staff["repaid"] = repaid
        return change

    _edit(data_copy, cohort, leave("employee"))
    (f,) = _found(data_copy, "listener.repayment")
    assert f.severity == "warning" and "675,000" in f.message and f.source == "KAZGUU rules, p. 1.1"
    _edit(data_copy, cohort, leave("employee", repaid=675000))
    assert _found(data_copy, "listener.repayment") == []
    _edit(data_copy, cohort, leave("employee", repaid=900000))
    (f,) = _found(data_copy, "listener.repayment")
    assert f.severity == "error" and "675,000" in f.message
    _edit(data_copy, cohort, leave("employer"))
    assert _found(data_copy, "listener.repayment") == []
    _edit(data_copy, cohort, leave("employer", repaid=100000))
    (f,) = _found(data_copy, "listener.repayment")
    assert f.severity == "error" and f.source == "KAZGUU rules, p. 1.2" and " 0 are due" in f.message


# -- trainers ----------------------------------------------------------------------------------------

@pytest.mark.rule("trainer_categories")
def test_trainer_categories_and_their_years(data_copy):
    welding = "cohorts/2026-05-tvet-welding.yaml"   # an enterprise specialist: p21.2 asks 3 years
    _edit(data_copy, welding, lambda c: c["trainers"][0].update(experience_years=3))
    assert _found(data_copy, "cohort.trainer-experience", "cohort.trainer-category") == []
    _edit(data_copy, welding, lambda c: c["trainers"][0].update(experience_years=2))
    (f,) = _found(data_copy, "cohort.trainer-experience")
    assert f.source == "Order 95, p. 21" and "at least 3 years" in f.message
    _edit(data_copy, welding, lambda c: c["trainers"][0].update(category="phd"))   # the Conservatory's, not p21's
    (f,) = _found(data_copy, "cohort.trainer-category")
    assert f.severity == "error" and "profile-teacher, enterprise-specialist, university-faculty" in f.message
    _edit(data_copy, welding, lambda c: c["trainers"][0].pop("category"))
    (f,) = _found(data_copy, "cohort.trainer-category")
    assert f.severity == "warning"


@pytest.mark.rule("trainers_max", "trainer_choice_min_experience_years")
def test_conservatory_two_or_three_trainers_and_the_listeners_choice(data_copy):
    piano = "cohorts/2026-04-piano-group.yaml"
    t = {"name": "Әлиева Гүлнар Серікқызы", "category": "master"}
    _edit(data_copy, piano, lambda c: c["trainers"].extend([dict(t), dict(t)]))   # 3: allowed (3.6)
    assert _found(data_copy, "cohort.trainers-max") == []
    _edit(data_copy, piano, lambda c: c["trainers"].append(dict(t)))   # 4
    (f,) = _found(data_copy, "cohort.trainers-max")
    assert f.source == "Conservatory rules, p. 3.6" and "at most 3" in f.message
    # 3.12: a teacher the listener chose has at least 3 years in the profile
    _edit(data_copy, piano, lambda c: c.update(trainers=[{**t, "chosen": True, "experience_years": 3}]))
    assert _found(data_copy, "cohort.trainer-choice") == []
    _edit(data_copy, piano, lambda c: c.update(trainers=[{**t, "chosen": True, "experience_years": 2}]))
    (f,) = _found(data_copy, "cohort.trainer-choice")
    assert f.source == "Conservatory rules, p. 3.12"


# -- languages, work breaks, stages -------------------------------------------------------------------

@pytest.mark.rule("languages")
def test_kazguu_languages_are_the_three_the_text_names(data_copy):
    ds = load_dataset(data_copy, None, False)
    rule = ds.organisations["kazguu"].data["rules"]["languages"]
    assert rule == {"value": ["kk", "ru", "en"], "source": "p7-10"}   # 7.10: мемлекеттік, орыс, ағылшын
    assert _found(data_copy, "cohort.language-rule", "programme.language-rule") == []
    # a narrower rule is enforced on cohorts and programmes
    _edit(data_copy, "organisations/kazguu.yaml", lambda o: o["rules"]["languages"].update(value=["kk"]))
    found = _found(data_copy, "cohort.language-rule", "programme.language-rule")
    assert {f.code for f in found} == {"cohort.language-rule", "programme.language-rule"}
    assert all(f.source == "KAZGUU rules, p. 7.10" for f in found)


@pytest.mark.rule("work_breaks")
def test_work_breaks_as_the_texts_word_them(data_copy):
    piano = "cohorts/2026-04-piano-group.yaml"   # Conservatory 3.3: without a break, a partial break
    _edit(data_copy, piano, lambda c: c.update(work_break="partial"))
    assert _found(data_copy, "cohort.work-break") == []
    _edit(data_copy, piano, lambda c: c.update(work_break="with"))
    (f,) = _found(data_copy, "cohort.work-break")
    assert f.source == "Conservatory rules, p. 3.3"
    abroad = "cohorts/2027-04-abroad-finland.yaml"   # Order 95 p5.3
    _edit(data_copy, piano, lambda c: c.pop("work_break"))
    _edit(data_copy, abroad, lambda c: c.update(work_break="abroad"))
    assert _found(data_copy, "cohort.work-break") == []
    _edit(data_copy, abroad, lambda c: c.update(work_break="without"))
    (f,) = _found(data_copy, "cohort.work-break")
    assert f.source == "Order 95, p. 5" and "abroad" in f.message


@pytest.mark.rule("staged_yearly")
def test_a_staged_course_is_taken_one_stage_a_year(data_copy):
    """Order 95 p. 23: "кезең-кезеңмен ұйымдастыру кезінде педагогтер оқытудан жыл сайын өтеді"."""
    prog = "programmes/teacher-organiser-80.yaml"
    _edit(data_copy, prog, lambda p: p.update(stages=2))
    for cid in ("2025-10-tor-kk", "2026-02-tor-ru", "2027-02-tor-kk"):
        _edit(data_copy, f"cohorts/{cid}.yaml", lambda c: c.update(stage=1))
    assert _found(data_copy, "cohort.stage", "listener.stage-year") == []
    first = yaml.safe_load((data_copy / "cohorts/2025-10-tor-kk.yaml").read_text(encoding="utf-8"))
    person = {k: v for k, v in _listener(first, "l01").items()
              if k in ("id", "name", "iin", "employer", "position", "gender")}
    second = {"id": "stage-2", "programme": "teacher-organiser-80", "organisation": "center-nit", "format": "full_time",
              "language": "kk", "start": D(2026, 10, 5), "end": D(2026, 10, 16), "seats": 20, "stage": 2,
              "listeners": [person]}
    (data_copy / "cohorts/stage-2.yaml").write_text(yaml.safe_dump(second, allow_unicode=True), encoding="utf-8")
    assert _found(data_copy, "cohort.stage", "listener.stage-year") == []   # 2025, then 2026
    second.update(start=D(2027, 10, 4), end=D(2027, 10, 15))
    (data_copy / "cohorts/stage-2.yaml").write_text(yaml.safe_dump(second, allow_unicode=True), encoding="utf-8")
    (f,) = _found(data_copy, "listener.stage-year")
    assert f.file.endswith("stage-2.yaml") and f.source == "Order 95, p. 23" and "2025" in f.message
    second.update(stage=3)
    (data_copy / "cohorts/stage-2.yaml").write_text(yaml.safe_dump(second, allow_unicode=True), encoding="utf-8")
    assert [f.code for f in _found(data_copy, "cohort.stage")] == ["cohort.stage"]


def test_an_expulsion_needs_its_ground(data_copy):
    _edit(data_copy, "cohorts/2025-10-tor-kk.yaml", lambda c: _listener(c, "l07")["expelled"].pop("ground"))
    checked = validate(data_copy, use_cache=False)
    assert any("ground" in f.message and f.severity == "error" for f in checked.findings), checked.findings


# -- coverage ----------------------------------------------------------------------------------------

DOCS = {d.id: d for d in (rt.load(p) for p in sorted((ROOT / "content" / "regulations").glob("*.yaml")))}


def test_every_classified_paragraph_exists_and_every_reason_has_words():
    ds = load_dataset(ROOT / "data", None, False)
    cov = coverage.compute(ds, ROOT / "tests")
    assert cov.unknown_keys == []
    assert set(cov.documents) == set(DOCS)
    reasons = labels("regulation")["reasons"]
    for p in cov.paragraphs:
        assert p.anchor in rt.anchors(DOCS[p.document]), (p.document, p.anchor)
        if p.state == "not_checkable":
            assert p.reason in reasons and all(reasons[p.reason].get(l) for l in ("kk", "ru", "en")), p
        if p.state == "not_encoded":
            assert p.note, p
    for doc in cov.documents:
        n = cov.counts(doc)
        assert n["in_texts"] == n["checked"] + n["printed"] + n["not_checkable"] + n["not_encoded"]
        assert n["encoded"] == n["in_texts"] - n["not_encoded"]
        assert n["not_checkable"] > 0 and n["checked"] > 0


def test_every_checked_rule_has_a_test_that_holds_the_records_to_it():
    """What "matching the text" means: each rule the validator checks or computes is named by at least
    one test marked @pytest.mark.rule; the marks name only rules that exist."""
    ds = load_dataset(ROOT / "data", None, False)
    cov = coverage.compute(ds, ROOT / "tests")
    marked = coverage.marked_tests(ROOT / "tests")
    assert set(marked) <= set(coverage.APPLIED), set(marked) - set(coverage.APPLIED)
    untested = sorted({k for p in cov.paragraphs if p.state == "checked" for k in p.keys
                       if coverage.APPLIED[k][0] in ("check", "compute") and k not in marked})
    assert untested == []
    assert cov.counts()["matching"] == cov.counts()["checked"]


def test_the_coverage_command_prints_the_counts_of_the_data():
    proc = run_cli("rules", "--coverage", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    cov = coverage.compute(load_dataset(ROOT / "data", None, False), ROOT / "tests")
    assert out["total"] == cov.counts()
    assert set(out["documents"]) == set(DOCS)
    p242 = next(p for p in out["paragraphs"] if p["document"] == "order-95" and p["anchor"] == "p24-2")
    assert p242["state"] == "not_checkable" and p242["reason"] == "conduct"
    p53 = next(p for p in out["paragraphs"] if p["document"] == "order-95" and p["anchor"] == "p5-3")
    assert p53["state"] == "checked" and p53["rules"] == ["abroad_max_months"] and p53["tests"]
    text = run_cli("rules", "--coverage")
    assert text.returncode == 0 and "order-95" in text.stdout and str(cov.counts()["in_texts"]) in text.stdout
    bad = run_cli("rules", "--data", str(ROOT / "no-such-folder"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "no data folder" in bad.stderr


# -- rules of parts 1-2 that had no test of their own ---------------------------------------------------

@pytest.mark.rule("academic_hour_minutes")
def test_eighty_academic_hours_of_45_minutes_need_three_days(data_copy):
    """Order 95 p. 23: an academic hour is 45 minutes; 80 of them are 3600 minutes, more than the 2880
    of two days, less than the 4320 of three."""
    cohort = "cohorts/2026-02-tor-ru.yaml"   # the 80-hour programme, full time
    _edit(data_copy, cohort, lambda c: c.update(end=D(2026, 2, 4)))
    assert _found(data_copy, "cohort.duration") == []
    _edit(data_copy, cohort, lambda c: c.update(end=D(2026, 2, 3)))
    (f,) = _found(data_copy, "cohort.duration")
    assert f.source == "Order 95, p. 23" and "45 minutes" in f.message and "2 day(s)" in f.message


@pytest.mark.rule("formats")
def test_formats_are_the_organisations(data_copy):
    ds = load_dataset(data_copy, None, False)
    # Conservatory 3.4: күндізгі; қашықтықтан (онлайн); аралас
    assert ds.organisations["conservatory"].data["rules"]["formats"]["value"] == ["full_time", "distance", "blended"]
    _edit(data_copy, "organisations/conservatory.yaml", lambda o: o["rules"]["formats"].update(value=["full_time"]))
    found = _found(data_copy, "programme.format")
    assert found and all(f.source == "Conservatory rules, p. 3.4" for f in found)
    assert any(f.file.endswith("conservatory-piano-author-72.yaml") and "'blended'" in f.message for f in found)


@pytest.mark.rule("course_hours")
def test_a_conservatory_author_course_is_72_hours(data_copy):
    prog = "programmes/conservatory-piano-author-72.yaml"   # 3.13: the author course, 72 academic hours
    assert _found(data_copy, "programme.course-hours", "programme.course-kind") == []
    _edit(data_copy, prog, lambda p: p.update(hours=80))
    (f,) = _found(data_copy, "programme.course-hours")
    assert f.source == "Conservatory rules, p. 3.13" and "72" in f.message
    _edit(data_copy, prog, lambda p: p.pop("course_kind"))
    (f,) = _found(data_copy, "programme.course-kind")
    assert "author (72 h)" in f.message and "registry (80 h)" in f.message
