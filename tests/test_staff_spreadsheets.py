"""Listener spreadsheets as staff use them: `template`, fill in Excel (here: openpyxl), `import`,
`validate`; CSVs with Russian headers; bad rows; `export` that Excel does not damage.
The CLI runs in a subprocess, as a person runs it."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from openpyxl import load_workbook
from ruamel.yaml import YAML

from biliktilik.load import iin as iin_check
from conftest import DATA, run_cli

COHORT = "2026-02-tor-ru"  # finished, Russian, 5 listeners with certificates, programme with modules 1-5
COHORT_FILE = f"data/cohorts/{COHORT}.yaml"

# checksum-valid IINs of people born in 2001 and 2003: they start with 0
IIN_ZERO_TEXT = iin_check.make(dt.date(2001, 3, 4), True, 100)
IIN_ZERO_NUMBER = iin_check.make(dt.date(2003, 11, 20), False, 200)
IIN_PLAIN = iin_check.make(dt.date(1990, 7, 15), True, 300)


@pytest.fixture
def work(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path


def _listeners(work, cohort=COHORT):
    doc = YAML(typ="safe").load((work / "data" / "cohorts" / f"{cohort}.yaml").read_text(encoding="utf-8"))
    return {l["id"]: l for l in doc.get("listeners") or []}


def _headers(ws, row=2):
    return {str(c.value).split(" / ")[0]: c.column for c in ws[row] if c.value}


def test_template_has_bilingual_headers_text_iin_column_validation_lists_and_prefilled_listeners(work):
    run_cli("template", "--cohort", COHORT, work / "list.xlsx", cwd=work, check=0)
    ws = load_workbook(work / "list.xlsx").worksheets[0]
    titles = [c.value for c in ws[2] if c.value]
    for kk, ru in (("Тегі", "Фамилия"), ("Аты", "Имя"), ("ЖСН", "ИИН"), ("Қатысу", "Посещаемость"), ("Нәтиже", "Результат")):
        assert f"{ru} / {kk}" in titles  # a Russian cohort: Russian first
    assert "Модуль 3 / 3-модуль" in titles and "Модуль 6 / 6-модуль" not in titles
    cols = _headers(ws)
    iin_col = cols["ИИН"]
    # typed as text in every row staff may fill, the listeners' and the free ones (seats: 20)
    for row in range(3, 23):
        assert ws.cell(row, iin_col).number_format == "@"
    assert ws.cell(3, cols["Посещаемость"]).number_format == "0%"
    # pre-filled: the recorded listeners, IIN as text
    assert ws.cell(3, cols["Фамилия"]).value == "Иванова"
    assert ws.cell(3, iin_col).value == "870814423695" and ws.cell(3, iin_col).data_type == "s"
    assert ws.cell(5, cols["Результат"]).value == "справка"
    lists = {}  # column number -> the list of allowed values, for the rows it covers
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            if dv.type == "list" and rng.min_col == rng.max_col and rng.min_row <= 3 and rng.max_row >= 22:
                lists[rng.min_col] = dv.formula1
    assert "справка" in lists[cols["Результат"]] and "сертификат" in lists[cols["Результат"]]
    assert lists[cols["Модуль 1"]] == '"1,2,3,4,5"'


def test_a_filled_template_imports_and_validates(work):
    xlsx = work / "list.xlsx"
    run_cli("template", "--cohort", COHORT, xlsx, cwd=work, check=0)
    wb = load_workbook(xlsx)
    ws = wb.worksheets[0]
    c = _headers(ws)

    def fill(row, **cells):
        for header, value in cells.items():
            ws.cell(row, c[header.replace("_", " ")]).value = value

    # an existing listener's attendance corrected, typed as 75% in a percent cell
    ws.cell(5, c["Посещаемость"]).value = 0.75
    # three new listeners, as staff type them
    fill(8, Фамилия="Жұмабаева", Имя="Айгерим", Отчество="Серікқызы", ИИН=IIN_ZERO_TEXT,
         Место_работы="КГУ «Школа № 7»", Должность="вожатая", Посещаемость=0.85,
         Балл_теста=25, Максимальный_балл_теста=30, Результат="сертификат",
         **{"Модуль 1": 5, "Модуль 2": 4, "Модуль 3": 4, "Модуль 4": 5, "Модуль 5": 5})
    fill(9, Фамилия="Петров", Имя="Олег", ИИН=int(IIN_ZERO_NUMBER),  # typed into an unformatted cell: a number
         Место_работы="КГУ «Школа № 8»", Должность="педагог-организатор", Посещаемость="90%",
         Результат="справка")
    ws.cell(9, c["ИИН"]).number_format = "General"
    fill(10, Фамилия="Сейтқазиева", Имя="Әсем", ИИН=IIN_PLAIN, Место_работы="КГУ «Гимназия № 1»",
         Должность="педагог", Посещаемость="0,6", Результат="отчислен",
         Дата_отчисления="10.02.2026", Основание_отчисления="непосещение", Причина_отчисления="Оқу шартын бұзғаны үшін")
    wb.save(xlsx)

    dry = run_cli("import", "--cohort", COHORT, "--dry-run", xlsx, cwd=work, check=0)
    assert "row 5: l03 Сергеева Анна: attendance: 0.7 -> 0.75" in dry.stdout
    assert "row 8: new listener l06 Жұмабаева Айгерим" in dry.stdout
    assert "row 9: new listener l07" in dry.stdout and "row 10: new listener l08" in dry.stdout
    assert "import.iin-restored" in dry.stdout and f"-> {IIN_ZERO_NUMBER}" in dry.stdout
    assert IIN_ZERO_TEXT not in dry.stdout  # the preview names people, it does not print their IINs
    assert _listeners(work)["l03"]["attendance"] == 0.7, "a dry run writes nothing"

    before = (work / COHORT_FILE).read_text(encoding="utf-8")
    proc = run_cli("import", "--cohort", COHORT, xlsx, cwd=work, check=0)
    assert "Traceback" not in proc.stderr
    run_cli("validate", cwd=work, check=0)
    after = (work / COHORT_FILE).read_text(encoding="utf-8")
    assert "\n# Sample data: invented listeners, synthetic IINs.\n" in after  # comments kept
    assert "reason: Қорытынды тестілеу" in after and "# sample revocation" in after
    # the recorded listeners' lines are untouched but for the one corrected value
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [("    attendance: 0.7", "    attendance: 0.75")]
    people = _listeners(work)
    assert people["l06"]["iin"] == IIN_ZERO_TEXT and people["l07"]["iin"] == IIN_ZERO_NUMBER
    assert f'iin: "{IIN_ZERO_NUMBER}"' in after
    assert people["l06"]["attendance"] == 0.85 and people["l07"]["attendance"] == 0.9
    assert people["l08"]["attendance"] == 0.6
    assert people["l06"]["grades"] == {"1": 5, "2": 4, "3": 4, "4": 5, "5": 5}
    assert people["l06"]["final_test"] == {"score": 25, "max": 30}
    assert people["l06"]["name"] == {"surname": "Жұмабаева", "given": "Айгерим", "patronymic": "Серікқызы"}
    assert people["l07"]["outcome"] == "reference" and people["l06"]["outcome"] == "certificate"
    assert people["l08"]["expelled"] == {"date": dt.date(2026, 2, 10), "ground": "attendance",
                                         "reason": "Оқу шартын бұзғаны үшін"}


def _write_csv(path, lines, encoding="cp1251", sep=";"):
    path.write_bytes("\r\n".join(sep.join(cells) for cells in lines).encode(encoding) + b"\r\n")


def test_csv_with_russian_headers_in_cp1251_and_comma_shares(work):
    csv_file = work / "from-excel.csv"
    _write_csv(csv_file, [
        ["Фамилия", "Имя", "Отчество", "ИИН", "Место работы", "Должность", "Посещаемость", "Итоговый тест",
         "Максимальный балл", "Результат"],
        ["Смирнова", "Елена", "Павловна", IIN_ZERO_TEXT.lstrip("0"), "КГУ «Школа № 3»", "педагог", "0,75", "24", "30", "справка"],
        ["Иванова", "Ольга", "Петровна", "870814423695", "КГУ «Школа-гимназия № 93», г. Караганда",
         "педагог-организатор", "92%", "27", "30", "сертификат"],
    ])
    proc = run_cli("import", "--cohort", COHORT, csv_file, cwd=work, check=0)
    assert "row 2: new listener l06 Смирнова Елена" in proc.stdout
    assert "row 3: l01 Иванова Ольга: unchanged" in proc.stdout
    people = _listeners(work)
    assert people["l06"]["iin"] == IIN_ZERO_TEXT
    assert people["l06"]["attendance"] == 0.75 and people["l06"]["final_test"] == {"score": 24, "max": 30}
    run_cli("validate", cwd=work, check=0)


def test_csv_utf8_with_comma_separator_and_kazakh_headers(work):
    csv_file = work / "kk.csv"
    _write_csv(csv_file, [
        ["Тегі", "Аты", "Әкесінің аты", "ЖСН", "Жұмыс орны", "Лауазымы", "Қатысу", "Нәтиже"],
        ["Әбенова", "Гүлнар", "", IIN_PLAIN, "№ 5 мектеп", "тәлімгер", "0.95", "анықтама"],
    ], encoding="utf-8-sig", sep=",")
    run_cli("import", "--cohort", COHORT, csv_file, cwd=work, check=0)
    assert _listeners(work)["l06"]["name"] == {"surname": "Әбенова", "given": "Гүлнар"}


def test_bad_rows_give_row_and_column_findings_and_nothing_is_written(work):
    csv_file = work / "bad.csv"
    bad_checksum = IIN_PLAIN[:11] + str((int(IIN_PLAIN[11]) + 1) % 10)
    _write_csv(csv_file, [
        ["Фамилия", "Имя", "ИИН", "Место работы", "Должность", "Посещаемость", "Модуль 2", "Результат", "Дата отчисления",
         "Любимый цвет"],
        ["Ахметов", "Ерлан", bad_checksum, "Школа № 1", "учитель", "85", "4", "сертификат", ""],
        ["Ли", "Анна", IIN_ZERO_NUMBER.lstrip("0")[:-1] + "9", "Школа № 2", "учитель", "0,9", "7", "зачёт", "31.02.2026"],
        ["", "Без", IIN_ZERO_TEXT, "Школа № 3", "учитель", "1,5", "", "справка", ""],
        ["Ким", "Виктор", "9,10128E+11", "Школа № 4", "учитель", "", "", "", ""],
    ])
    before = (work / COHORT_FILE).read_bytes()
    for extra in ([], ["--dry-run"]):
        proc = run_cli("import", "--cohort", COHORT, *extra, csv_file, cwd=work)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        out = proc.stdout.splitlines()
        expect = [
            "bad.csv:1:10: warning import.unknown-column: «Любимый цвет» (J) is no listener field; the column is not imported",
            f"bad.csv:2:3: error import.iin: «ИИН» (C): {bad_checksum} is not a valid IIN: its checksum is wrong "
            f"(the check digit is {bad_checksum[11]}, the checksum gives {IIN_PLAIN[11]}); a digit is probably mistyped: "
            "compare it with the ID card",
            "bad.csv:2:6: error import.share: «Посещаемость» (F): 85 is not a share between 0 and 1; write 0.85, 0,85 or 85%",
            "bad.csv:3:7: error import.grade: «Модуль 2» (G): 7 is not a grade; expected a whole number from 1 to 5",
            "bad.csv:3:9: error import.date: «Дата отчисления» (I): '31.02.2026' is not a date; write dd.mm.yyyy, e.g. 20.02.2026",
            "bad.csv:4:1: error import.missing: a new listener needs «Тегі / Фамилия»; this cell is empty",
            "bad.csv:4:6: error import.share: «Посещаемость» (F): 1,5 is not a share between 0 and 1; write 0.85, 0,85 or 85%",
            "bad.csv:5:3: error import.iin: «ИИН» (C): '9,10128E+11' is a number in scientific notation and its digits "
            "are lost; type the IIN again in a text cell",
        ]
        for line in expect:
            assert line in out, f"missing:\n{line}\ngot:\n{proc.stdout}"
        assert any(l.startswith("bad.csv:3:3: error import.iin:") and "with leading zeros restored" in l for l in out)
        assert any(l.startswith("bad.csv:3:8: error import.outcome: «Результат» (H): 'зачёт' is no outcome") for l in out)
        assert "left as it was" in proc.stderr
        assert (work / COHORT_FILE).read_bytes() == before


def test_an_import_the_validator_refuses_puts_the_old_file_back(work):
    csv_file = work / "low.csv"
    _write_csv(csv_file, [["Код", "Посещаемость"], ["l02", "50%"]], encoding="utf-8")
    before = (work / COHORT_FILE).read_bytes()
    proc = run_cli("import", "--cohort", COHORT, csv_file, cwd=work)
    assert proc.returncode == 1
    # the validator's finding on the new file, named by the row that brought it
    assert "low.csv:2:1: error listener.attendance: listener l02: 0.5 is below" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr
    assert (work / COHORT_FILE).read_bytes() == before


def test_export_keeps_iins_as_text_and_reimports_unchanged(work):
    run_cli("export", "--cohort", COHORT, work / "out.xlsx", cwd=work, check=0)
    ws = load_workbook(work / "out.xlsx").worksheets[0]
    iin_col = _headers(ws)["ИИН"]
    cells = [ws.cell(r, iin_col) for r in range(3, 8)]
    assert [c.value for c in cells] == [l["iin"] for l in _listeners(work).values()]
    assert all(c.data_type == "s" and c.number_format == "@" for c in cells)

    run_cli("export", "--cohort", COHORT, work / "out.csv", cwd=work, check=0)
    raw = (work / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    text = raw.decode("utf-8-sig")
    assert '"=""870814423695"""' in text and ";92%;" in text
    before = (work / COHORT_FILE).read_bytes()
    for f in ("out.csv", "out.xlsx"):
        proc = run_cli("import", "--cohort", COHORT, work / f, cwd=work, check=0)
        assert "5 row(s): 0 new, 0 changed, 5 unchanged" in proc.stdout
    assert (work / COHORT_FILE).read_bytes() == before


def test_bad_input_is_one_line_and_exit_2(work):
    (work / "broken.xlsx").write_bytes(b"not a zip at all")
    for args in (["import", "--cohort", COHORT, work / "broken.xlsx"],
                 ["import", "--cohort", "no-such-cohort", work / "broken.xlsx"],
                 ["import", "--cohort", COHORT, work / "missing.csv"],
                 ["export", "--cohort", COHORT, work / "out.pdf"],
                 ["template", "--cohort", "no-such-cohort", work / "t.xlsx"]):
        proc = run_cli(*args, cwd=work)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
