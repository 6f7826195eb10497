"""Staff reports: the right people and dates, for the shipped data and for data sets changed here.

Expected dates are worked out by hand from the records and the rule sets (Order 95 p. 11-14, 19,
31, 36, 38; the Conservatory's 6.7; KAZGUU's 6.3, 7.4, 8.1), not asked of the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest

from biliktilik.load import iin as iinmod
from biliktilik.model import reports as R
from biliktilik.validate import validate
from conftest import DATA, run_cli

TODAY = dt.date(2026, 11, 23)  # SOURCE_DATE_EPOCH of the tests


def _report(kind, data=DATA, **kw):
    checked = validate(data, use_cache=False, on=TODAY)
    return R.report(kind, checked.dataset, checked.facts, **kw)


def _json(*args, data=None):
    extra = ["--data", data] if data else []
    proc = run_cli("reports", *args, "--format", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _rows(*args, data=None):
    return _json(*args, data=data)["rows"]


# --------------------------------------------------------------------------- calendar


def test_calendar_of_2027_from_the_rule_sets():
    rows = _rows("calendar", "--year", "2027")
    got = {(r["date"], r["key"], r["organisation"], r["cohort"]) for r in rows}
    for org in ("center-nit", "conservatory", "ecd-institute", "kazguu"):
        assert ("2027-06-01", "applications_due", org, "") in got          # p. 11.2 (KAZGUU 7.4)
        assert ("2027-07-01", "district_plans_due", org, "") in got        # p. 12
        assert ("2027-09-01", "regional_plans_due", org, "") in got        # p. 13
    assert ("2027-08-01", "staff_plan_due", "kazguu", "") in got           # KAZGUU 7.4: 1 August
    assert ("2027-02-26", "nobd", "center-nit", "2027-02-tor-kk") in got     # ends Fri 19 Feb + 5 working days
    assert ("2027-02-05", "nobd", "ecd-institute", "2027-01-preschool") in got  # ends Fri 29 Jan
    assert ("2027-04-17", "post_course_report", "conservatory", "2026-04-piano-group") in got  # 6.7: a year after
    assert ("2027-10-02", "post_course_report", "conservatory", "2026-09-choir-individual") in got
    # two months before the start (p. 14): only the course abroad of 05.04.2027 has its list due in 2027
    assert [(r["date"], r["cohort"]) for r in rows if r["key"] == "listener_lists"] == [("2027-02-05", "2027-04-abroad-finland")]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    kazguu = {r["source"] for r in rows if r["organisation"] == "kazguu" and r["key"] in ("applications_due", "staff_plan_due")}
    assert kazguu == {"KAZGUU rules, p. 7.4"}
    lists = {(r["date"], r["cohort"]) for r in _rows("calendar", "--year", "2026") if r["key"] == "listener_lists"}
    assert lists == {("2026-02-06", "2026-04-piano-group"), ("2026-03-11", "2026-05-tvet-welding"),
                     ("2026-04-08", "2026-06-kazguu-teaching"), ("2026-07-07", "2026-09-choir-individual"),
                     ("2026-11-18", "2027-01-preschool"), ("2026-12-08", "2027-02-tor-kk")}  # two months before (p. 14)


def test_calendar_follows_a_changed_rule(data_copy):
    org = data_copy / "organisations" / "kazguu.yaml"
    text = org.read_text(encoding="utf-8")
    assert '  staff_plan_due:\n    value: "08-01"' in text
    org.write_text(text.replace('  staff_plan_due:\n    value: "08-01"', '  staff_plan_due:\n    value: "08-15"'), encoding="utf-8")
    rows = _rows("calendar", "--year", "2030", "--org", "kazguu", data=data_copy)
    assert {(r["date"], r["key"]) for r in rows} == {("2030-06-01", "applications_due"), ("2030-07-01", "district_plans_due"),
                                                     ("2030-08-15", "staff_plan_due"), ("2030-09-01", "regional_plans_due")}


def _ics(tmp_path, *args, env=None) -> str:
    out = tmp_path / f"cal-{len(list(tmp_path.iterdir()))}.ics"
    proc = run_cli("reports", "calendar", "--year", "2027", "--format", "ics", "--out", out, *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes().decode("utf-8")


def test_icalendar_is_deterministic_and_dated_by_the_build(tmp_path):
    a, b = _ics(tmp_path), _ics(tmp_path)
    assert a == b and a.startswith("BEGIN:VCALENDAR\r\n") and a.endswith("END:VCALENDAR\r\n")
    assert set(re.findall(r"DTSTAMP:(\S+)", a)) == {"20261123T000000Z"}
    uids = re.findall(r"UID:(\S+)", a)
    assert len(uids) == len(set(uids)) == a.count("BEGIN:VEVENT") == len(_rows("calendar", "--year", "2027"))
    assert "DTSTART;VALUE=DATE:20270801" in a
    assert all(len(line.encode("utf-8")) <= 75 for line in a.split("\r\n"))
    later = _ics(tmp_path, env={"SOURCE_DATE_EPOCH": "1798761600"})  # 2027-01-01
    assert set(re.findall(r"DTSTAMP:(\S+)", later)) == {"20270101T000000Z"}
    assert re.findall(r"UID:(\S+)", later) == uids  # a deadline keeps its UID from build to build
    ru = _ics(tmp_path, "--lang", "ru")
    unfolded = ru.replace("\r\n ", "")
    assert "SUMMARY:План повышения квалификации" in unfolded


# --------------------------------------------------------------------------- cohorts


def test_listener_lists_due_two_months_before_the_start():
    rows = {r["cohort"]: r for r in _rows("listener-lists")}
    assert rows["2027-02-tor-kk"]["due"] == "2026-12-08" and rows["2027-02-tor-kk"]["status"] == "due"
    assert rows["2027-01-preschool"]["due"] == "2026-11-18" and rows["2027-01-preschool"]["status"] == "overdue"
    assert rows["2025-10-tor-kk"]["listeners"] == 8
    one = _json("listener-lists", "--cohort", "2026-06-kazguu-teaching")
    assert "08.04.2026" in one["title"]["en"]
    assert [r["name"] for r in one["rows"]] == ["Ахметжанова Динара Саматовна", "Жанибекова Асель Маратовна",
                                                "Ким Сергей Олегович", "Нурпеисов Арман Бекович", "Токтаров Ерлан Серикович"]


def test_nobd_export_of_a_finished_cohort_as_csv():
    proc = run_cli("reports", "nobd", "--cohort", "2026-06-kazguu-teaching", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    # alphabetical: Ахметжанова, Жанибекова, Ким, Нурпеисов, Токтаров
    assert [r["iin"] for r in rows] == ["900515430254", "880318431077", "760909330665", "840229329840", "931201331485"]
    kim = rows[2]
    assert (kim["surname"], kim["outcome"], kim["certificate"]) == ("Ким", "reference", "")
    assert rows[3]["hours"] == "72" and rows[3]["end"] == "2026-06-26" and rows[3]["valid_until"] == "2029-06-25"
    due = {r["cohort"]: r["due"] for r in _rows("nobd")}
    assert due["2026-06-kazguu-teaching"] == "2026-07-03"   # Fri 26 June + 5 working days (p. 19)
    assert due["2026-09-choir-individual"] == "2026-10-09"
    proc = run_cli("reports", "nobd", "--cohort", "2027-02-tor-kk")
    assert proc.returncode == 2 and "ends on 2027-02-19" in proc.stderr and "2027-02-26" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- listeners


def test_post_course_support_of_each_graduate():
    rows = {(r["cohort"], r["listener"]): r for r in _rows("post-course")}
    assert rows[("2025-10-tor-kk", "l01")]["support_until"] == "2026-10-17"   # one calendar year (p. 36)
    assert ("2025-10-tor-kk", "l05") not in rows                               # no certificate, no support
    piano = rows[("2026-04-piano-group", "l01")]
    # Conservatory Annex 2.1: the plan covers the year after the course; no text gives it a due date,
    # so it is only submitted or not, never due or overdue. p. 6.7: the report one year after the course.
    assert (piano["plan"], piano["report_due"], piano["report"]) == ("submitted", "2027-04-17", "due")
    assert "plan_due" not in piano
    assert rows[("2026-04-piano-group", "l02")]["plan"] == "not submitted"
    choir = rows[("2026-09-choir-individual", "l01")]
    assert (choir["plan"], choir["report_due"]) == ("not submitted", "2027-10-02")
    assert not [r for r in rows.values() if r["plan"] in ("overdue", "due", "submitted late")]
    assert rows[("2025-10-tor-kk", "l01")]["plan"] == ""   # Order 95 asks for no plan; the Conservatory does
    only = _rows("post-course", "--org", "conservatory")
    assert {r["listener"] for r in only} == {"l01", "l02", "l03"} and len(only) == 4


def test_reassessment_who_may_retake_and_until_when():
    rows = {(r["cohort"], r["listener"]): r for r in _rows("reassessment")}
    assert set(rows) == {("2025-10-tor-kk", "l05"), ("2025-10-tor-kk", "l06"), ("2026-02-tor-ru", "l03"),
                         ("2026-04-piano-group", "l04"), ("2026-06-kazguu-teaching", "l03")}
    assert rows[("2025-10-tor-kk", "l06")]["status"] == "re-taken, passed"
    assert rows[("2025-10-tor-kk", "l06")]["retakes"] == "2026-02-tor-ru/l04"
    # Order 95 p. 31.1: at most once a year, with no end: two years after the course she still may
    assert (rows[("2025-10-tor-kk", "l05")]["from"], rows[("2025-10-tor-kk", "l05")]["status"]) == ("2025-10-18", "may re-take")
    assert (rows[("2026-02-tor-ru", "l03")]["from"], rows[("2026-02-tor-ru", "l03")]["status"]) == ("2026-02-21", "may re-take")
    assert "until" not in rows[("2026-02-tor-ru", "l03")]
    assert rows[("2026-04-piano-group", "l04")]["source"] == "Conservatory rules, p. 5.7"
    assert {(r["cohort"], r["listener"]) for r in _rows("reassessment", "--year", "2027")} == set(rows) - {("2025-10-tor-kk", "l06")}


def test_programmes_not_monitored_in_three_years():
    assert [r["programme"] for r in _rows("monitoring")] == [
        "conservatory-choir-registry-80", "kazguu-teaching-excellence-72", "conservatory-piano-author-72"]
    by_2027 = [r["programme"] for r in _rows("monitoring", "--year", "2027")]
    assert "ecd-preschool-leaders-72" in by_2027 and "tvet-welding-internship-36" in by_2027
    assert "teacher-organiser-80" not in by_2027  # first cohort 2025-10-06: due 2028-10-06


def test_a_monitored_programme_leaves_the_report(data_copy):
    prog = data_copy / "programmes" / "conservatory-piano-author-72.yaml"
    prog.write_text(prog.read_text(encoding="utf-8").replace("monitored: [2023-06-15]", "monitored: [2023-06-15, 2026-06-01]"),
                    encoding="utf-8")
    assert "conservatory-piano-author-72" not in [r["programme"] for r in _rows("monitoring", data=data_copy)]


# --------------------------------------------------------------------------- KAZGUU


def _add_staff(data, listeners: list[str]):
    cohort = data / "cohorts" / "2026-06-kazguu-teaching.yaml"
    cohort.write_text(cohort.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(listeners) + "\n", encoding="utf-8")


def _staff(lid, surname, iin, last_date, hours=72, paid=None):
    paid_text = f", paid_amount: {paid}" if paid is not None else ""
    return (f"  - id: {lid}\n    name: {{surname: {surname}, given: Тест, patronymic: Тестұлы}}\n    iin: \"{iin}\"\n"
            f"    employer: Высшая школа права КАЗГЮУ\n    position: преподаватель\n    phone: \"+7 700 000 00 00\"\n"
            f"    email: {lid}@example.kz\n"
            f"    staff: {{group: teaching, school: Высшая школа права, area: Кәсіби даму{paid_text}, "
            f"last_course: {{title: Курс, date: {last_date}, hours: {hours}}}}}")


def test_staff_due_for_training(data_copy):
    assert [r["name"] for r in _rows("staff-due")] == ["Ким Сергей Олегович"]  # 36 h in 2019, nothing of 72 h since
    six = iinmod.make(dt.date(1980, 5, 5), False, 901)
    four = iinmod.make(dt.date(1981, 6, 6), False, 902)
    # applying this year (no result yet): one's last 72-hour course is six years old, the other's four
    _add_staff(data_copy, [_staff("l06", "Алтынбеков", six, "2020-10-01"), _staff("l07", "Бекболатов", four, "2022-10-01")])
    rows = {r["name"].split()[0]: r for r in _rows("staff-due", data=data_copy)}
    assert set(rows) == {"Ким", "Алтынбеков"}
    assert rows["Алтынбеков"]["due"] == "2025-10-01" and rows["Алтынбеков"]["last_qualifying"] == "2020-10-01"
    assert rows["Алтынбеков"]["source"] == "KAZGUU rules, p. 6.3"
    due_2027 = {r["name"].split()[0]: r["due"] for r in _rows("staff-due", "--year", "2027", data=data_copy)}
    assert due_2027["Бекболатов"] == "2027-10-01"  # five years after 2022-10-01


def test_work_off_periods_and_what_the_table_leaves_undefined(data_copy):
    rep = _json("work-off")
    rows = {r["name"].split()[0]: r for r in rep["rows"]}
    assert rows["Ахметжанова"]["months"] == 24 and rows["Ахметжанова"]["until"] == "2028-06-26"  # over 800 000: 24 months
    assert rows["Жанибекова"]["months"] == "" and rows["Жанибекова"]["rows"] == "1, 4"          # 50 000: row 1 or row 4?
    assert rows["Жанибекова"]["period"].startswith("ambiguous")
    assert any(n.startswith("kazguu: 1-399 tenge: no row") for n in rep["notes"])                # row 4 prints "400 - 800 000"
    assert any("60,000-100,000 tenge: rows 2 and 4" in n for n in rep["notes"])
    # the table as its authors meant it (row 4 from 400 000): amounts between the rows match nothing
    org = data_copy / "organisations" / "kazguu.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("from: 400, to: 800000", "from: 400000, to: 800000"), encoding="utf-8")
    _add_staff(data_copy, [_staff("l06", "Алтынбеков", iinmod.make(dt.date(1980, 5, 5), False, 903), "2024-01-10", paid=55000)])
    rep = _json("work-off", data=data_copy)
    rows = {r["name"].split()[0]: r for r in rep["rows"]}
    assert rows["Алтынбеков"]["period"] == "undefined: no row of the table" and rows["Алтынбеков"]["until"] == ""
    assert rows["Токтаров"]["months"] == 6 and rows["Токтаров"]["until"] == "2026-12-26"   # 75 000: row 2 only now
    notes = rep["notes"]
    assert any(n.startswith("kazguu: 1-49,999 tenge: no row") for n in notes)
    assert any(n.startswith("kazguu: 50,001-59,999 tenge: no row") for n in notes)
    assert any("100,000 tenge: rows 2 and 3" in n for n in notes)


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("args, code, message", [
    (["reports", "calendar", "--year", "20x7"], 2, "'20x7' is not a year"),
    (["reports", "calendar", "--year", "0999"], 2, "year 999 is out of range"),
    (["reports", "calendar", "--org", "nope"], 2, "unknown organisation 'nope'; expected one of: center-nit, conservatory"),
    (["reports", "nobd", "--cohort", "nope"], 2, "unknown cohort 'nope'; expected one of: 2023-03-preschool"),
    (["reports", "frobnicate"], 2, "unknown report 'frobnicate'; expected one of: calendar, listener-lists"),
    (["reports", "monitoring", "--format", "ics"], 2, "--format ics is for the calendar only"),
    (["reports", "post-course", "--cohort", "2026-04-piano-group", "--org", "kazguu"], 2, "belongs to 'conservatory'"),
    (["reports", "calendar", "--format", "yaml"], 2, "invalid choice: 'yaml'"),
])
def test_report_errors_are_clear_without_traceback(args, code, message):
    proc = run_cli(*args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and not proc.stdout


def test_reports_on_invalid_data_exit_1_with_the_findings(data_copy):
    cohort = data_copy / "cohorts" / "2025-10-tor-kk.yaml"
    cohort.write_text(cohort.read_text(encoding="utf-8").replace("start: 2025-10-06", "start: 2025-13-06"), encoding="utf-8")
    proc = run_cli("reports", "calendar", "--data", data_copy)
    assert proc.returncode == 1
    assert "2025-10-tor-kk.yaml:" in proc.stderr and "Traceback" not in proc.stderr


def test_text_report_in_kazakh_cites_the_paragraph():
    proc = run_cli("reports", "staff-due", "--lang", "kk")
    assert proc.returncode == 0
    assert "Біліктілігін арттыруы тиіс қызметкерлер" in proc.stdout
    assert "КАЗГЮУ ережесі, 6.3-тармақ" in proc.stdout and "Ким Сергей Олегович" in proc.stdout


def test_the_build_writes_the_reports_to_print_only(tmp_path):
    from generators import report_files as G

    checked = validate(DATA, use_cache=False, on=TODAY)
    assert G.years(checked.dataset, checked.facts) == [2023, 2025, 2026, 2027]
    proc = run_cli("build", "--site", tmp_path / "site", "--print", tmp_path / "print",
                   env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    reports = tmp_path / "print" / "reports"
    for name in ("calendar-2027.kk.ics", "calendar-2027.ru.pdf", "calendar-2026.csv", "staff-due.kk.pdf", "work-off.ru.html",
                 "monitoring.csv", "nobd/2026-06-kazguu-teaching.csv", "listener-lists/2026-06-kazguu-teaching.ru.pdf",
                 "post-course.kk.pdf", "reassessment.csv", "index.html"):
        assert (reports / name).is_file(), name
    assert (reports / "calendar-2027.kk.ics").read_bytes().decode("utf-8") == R.report(
        "calendar", checked.dataset, checked.facts, year=2027).ics("kk")
    assert not (tmp_path / "site" / "reports").exists()
    assert "840229329840" in (reports / "nobd" / "2026-06-kazguu-teaching.csv").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- what people read (issue 13)


def _pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _report_pdf(rep, lang) -> str:
    from generators import report_files as G
    from generators.kit.tablepdf import ReportRenderer

    renderer = ReportRenderer(G.TEMPLATES)
    view = G.report_view(rep, lang)
    return _pdf_text(renderer.pdf(view, view["title"]))


def test_report_pdf_speaks_its_language_with_dates_names_and_tenge():
    """KAZGUU's work-off report (rules 8.1): Ахметжанова paid 900 000 tenge (data), 24 months from
    26.06.2026; the citation in Russian only, never the three-language dict."""
    rep = _report("work-off")
    ru = _report_pdf(rep, "ru")
    assert "900\u00a0000\u00a0₸" in ru or "900 000 ₸" in ru
    assert "26.06.2028" in ru and "2028-06-26" not in ru
    assert "Положение КАЗГЮУ, п. 8.1" in ru and "'kk':" not in ru and "{'en'" not in ru
    assert "КАЗГЮУ rules" not in ru and "ережесі" not in ru
    kk = _report_pdf(rep, "kk")
    assert "ҚазГЗУ" in kk or "КАЗГЮУ ережесі, 8.1-тармақ" in kk
    assert "Положение" not in kk and "{'en'" not in kk
    text = rep.text("ru")
    assert "900\u00a0000\u00a0₸" in text and "26.06.2028" in text
    assert json.loads(rep.json())["rows"][0]["amount"] in (900000, 50000, 250000, 75000)  # machines get numbers


def test_report_pdf_names_cohorts_and_programmes_and_marks_overdue_rows():
    """Listener lists are due two months before the start (Order 95 p. 14; the Institute's 13): the
    preschool cohort of 18.01.2027 had its list due on 18.11.2026, before the tests' today (23.11.2026),
    with no listener: overdue. The row names the programme and the dates, not the id."""
    rep = _report("listener-lists")
    kk = _report_pdf(rep, "kk")
    assert "2027-01-preschool" not in kk and "18.01.2027" in kk and "18.11.2026" in kk
    flat = re.sub(r"\s+", "", kk)
    # the one overdue row starts with the mark; the cohort is its programme's title and dates
    assert flat.count("!«") == 1 and "!«Мектепкедейінгіұйымдыбасқарудағызаманауитәсілдер»,18.01.2027–29.01.2027" in flat
    assert "!мерзіміөткен(1)" in flat
    assert "!«Педагог-ұйымдастырушының" not in flat  # 2027-02-tor-kk: due 08.12.2026, not overdue
    text = rep.text("ru").splitlines()
    rows_marked = [ln for ln in text if ln.startswith("! «")]
    assert len(rows_marked) == 1 and "18.11.2026" in rows_marked[0] and "просрочен" in rows_marked[0]
    assert "! просрочено (1)" in text
    monitoring = _report_pdf(_report("monitoring"), "ru")
    assert "conservatory-piano-author-72" not in monitoring
    assert "!Современнаяметодикафортепианнойпедагогики" in re.sub(r"\s+", "", monitoring)


def test_staff_groups_are_named_as_the_universitys_rules_name_them():
    """Seed 002, p. 5.3.1: «Профессорлық-оқытушылық құрам» (the group id 'teaching' of the records) in the
    staff-due report people read; the id stays in the CSV for programs only as its English name."""
    for lang, name in (("kk", "Профессорлық-оқытушылық құрам"), ("ru", "Профессорско-преподавательский состав")):
        proc = run_cli("reports", "staff-due", "--lang", lang)
        assert proc.returncode == 0, proc.stderr
        assert name in proc.stdout and "teaching" not in proc.stdout, proc.stdout
    pdf = re.sub(r"\s+", "", _report_pdf(_report("staff-due"), "ru"))  # the PDF people print (wrapped)
    assert "Профессорско-преподавательскийсостав" in pdf and "teaching" not in pdf, pdf


def test_the_calendar_names_cohorts_by_programme_and_dates_not_by_id():
    """data/cohorts/2026-04-piano-group.yaml: the Conservatory's «Фортепиано педагогикасының заманауи
    әдістемесі», 06.04.2026-17.04.2026; its listener list is due 06.02.2026 (Order 95 p. 14: two months)."""
    proc = run_cli("reports", "calendar", "--year", "2026", "--lang", "kk")
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.lstrip().startswith("06.02.2026"))
    assert "«Фортепиано педагогикасының заманауи әдістемесі», 06.04.2026–17.04.2026" in line, line
    assert "2026-04-piano-group" not in proc.stdout
    pdf = re.sub(r"\s+", "", _report_pdf(_report("calendar", year=2026), "kk"))  # the PDF people print
    assert "«Фортепианопедагогикасыныңзаманауиәдістемесі»,06.04.2026–17.04.2026" in pdf
    assert "2026-04-piano-group" not in pdf and "piano" not in pdf
    csv_out = run_cli("reports", "calendar", "--year", "2026", "--format", "csv").stdout
    assert "2026-04-piano-group" in csv_out  # programs keep the id


def test_icalendar_events_name_the_cohort_and_keep_ascii_uids(tmp_path):
    """The 2027 Finland cohort (data/cohorts/2027-04-abroad-finland.yaml) in a calendar app: its programme's
    title, not the id; UIDs stay ASCII hashes of the ids."""
    text = _ics(tmp_path, "--lang", "kk").replace("\r\n ", "")
    summaries = re.findall(r"SUMMARY:(.*)", text)
    assert not any("2027-04-abroad-finland" in s or "center-nit" in s for s in summaries), summaries
    import yaml

    title = yaml.safe_load((DATA / "programmes" / "center-nit-abroad-finland-72.yaml").read_text("utf-8"))["title"]["kk"]
    assert any(f"«{title}», 05.04.2027–16.04.2027" in s.replace("\\,", ",") for s in summaries), summaries
    assert all(re.fullmatch(r"[0-9a-f]{24}@biliktilik", u.strip()) for u in re.findall(r"UID:(.*)", text))


# --------------------------------------------------------------------------- report PDFs laid out by ReportLab


def _view(rows: int, lang: str = "ru", overdue=()) -> dict:
    """A report view as generators.report_files.report_view gives it, with ``rows`` rows."""
    return {"lang": lang, "title": "Тестовый отчёт «Ә»", "as_of": "по состоянию на 23.11.2026",
            "head": ["ФИО", "организация", "дата", "основание"],
            "rows": [{"cells": [f"Әбілова Ұлжан {i:04d}", "БЖИТО", "06.02.2026", "Приказ № 95, п. 14"],
                      "overdue": i in overdue} for i in range(rows)],
            "mark": "!", "legend": "! просрочено (1)" if overdue else "", "notes": ["Примечание один"],
            "sources": ["Приказ № 95, п. 14"], "sources_label": "Основание", "none": "нет строк"}


def test_report_pdf_has_every_cell_the_header_on_each_page_and_the_same_bytes_each_time():
    import pypdf

    from generators.kit.tablepdf import report_pdf

    view = _view(120, overdue={7})
    data = report_pdf(view, view["title"])
    assert report_pdf(view, view["title"]) == data  # no creation date or random id in the bytes
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3 and reader.metadata.title == view["title"]
    assert reader.trailer["/Root"]["/Lang"] == "ru"
    pages = [p.extract_text() for p in reader.pages]
    assert all("ФИО" in p and "основание" in p for p in pages)  # the header row repeats on every page
    text = re.sub(r"\s+", " ", "\n".join(pages))
    assert all(f"Әбілова Ұлжан {i:04d}" in text for i in range(120))
    assert "по состоянию на 23.11.2026" in text and "Примечание один" in text and "Основание: Приказ № 95" in text
    assert "! просрочено (1)" in text and "Тестовый отчёт «Ә»" in text
    empty = _view(0)
    assert "нет строк" in _pdf_text(report_pdf(empty, empty["title"]))


def test_report_columns_are_as_wide_as_their_text_and_fill_the_page():
    """CSS's automatic table layout: a column never narrower than its longest word; short tables
    share the page in proportion to their lines; the widths always add up to the page."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from generators.kit.tablepdf import FAMILY, FONT_SIZE, _register_fonts, column_widths

    _register_fonts()
    font = FAMILY
    short = [["a", "bbbb"], ["cc", "dddddddd"]]
    w = column_widths(short, [font, font], 500, 4)
    assert sum(w) == pytest.approx(500) and w[1] > w[0] * 3
    long = "слово " * 200
    rows = [["Жетілдіру", long, "x"], ["мерзімі", "қысқа", "y"]]
    w = column_widths(rows, [font, font], 400, 4, {2: 20})
    assert sum(w) == pytest.approx(400) and w[2] == 20
    assert w[0] >= stringWidth("Жетілдіру", font, FONT_SIZE) + 4  # the longest word fits
    assert w[1] > w[0]  # the long text takes the room left
