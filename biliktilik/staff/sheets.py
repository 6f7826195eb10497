"""``biliktilik template`` and ``biliktilik export``: a cohort's listeners as a spreadsheet.

The .xlsx (openpyxl) has a note in row 1, the Kazakh and Russian headers in row 2 (the cohort's
language first) and a row per listener from row 3. The IIN column is typed as text (number
format ``@``) so that Excel keeps leading zeros; attendance is formatted as percent; the outcome
and the module grades carry data validation lists; dates are real date cells shown dd.mm.yyyy.
A template has empty typed rows up to the cohort's seats (and never fewer than 10 free).

The .csv (export only) is UTF-8 with a BOM, ``;``-separated (what Excel expects in Kazakh and
Russian locales, where the decimal separator is a comma). Excel reads a bare ``012345678901`` in a
CSV as a number and drops the zero, so IINs are written as ``="012345678901"``: Excel and
LibreOffice show the text ``012345678901``, and ``biliktilik import`` reads the convention back.
Attendance is written ``92%``, dates ``dd.mm.yyyy``, the outcome in the cohort's language.

Formula injection (OWASP "CSV Injection"): a text from the data is never a formula. In the
.xlsx every text cell is written as a string (``t="s"``/inline string, never an ``<f>`` element),
even one starting with ``=``. In the .csv a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading apostrophe (``'=HYPERLINK(...)``), which Excel and LibreOffice
show as text; ``biliktilik import`` removes that apostrophe again. The ``="..."`` of IINs and
phones is written only around digits, spaces, ``+``, ``(``, ``)`` and ``-``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from biliktilik.files import write_atomically
from biliktilik.findings import UsageError
from biliktilik.staff import columns as C
from biliktilik.staff.importing import _cohort_record
from biliktilik.i18n import _

HEADER_ROW = 2
FREE_ROWS = 10
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


def _put(ws, row: int, column: int, value):
    """Write ``value`` to the cell; a text always as a string, never a formula (openpyxl would store
    a text starting with '=' as one)."""
    cell = ws.cell(row, column, value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _value(listener: dict, path: str):
    node = listener
    for step in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def _context(data_dir: Path, cohort_id: str):
    ds, cohort, programme, modules = _cohort_record(Path(data_dir), cohort_id)
    language = cohort.data.get("language") if cohort.data.get("language") in ("kk", "ru") else "kk"
    listeners = [l for l in cohort.data.get("listeners") or [] if isinstance(l, dict)]
    title = ""
    if programme is not None:
        t = programme.data.get("title") or {}
        title = t.get(language) or t.get("kk") or programme.id
    return cohort, language, listeners, C.columns(modules), title


def _check_suffix(path: Path, allowed):
    if path.suffix.lower() not in allowed:
        raise UsageError(_("{path}: expected a file ending in {items}").format(path=path, items=' or '.join(allowed)))


def workbook_bytes(data_dir: Path, cohort_id: str, with_free_rows: bool = True) -> bytes:
    """The cohort's spreadsheet as .xlsx bytes (see the module docstring)."""
    cohort, language, listeners, cols, title = _context(data_dir, cohort_id)
    s = C.spec()
    wb = Workbook()
    ws = wb.active
    ws.title = s["sheet"]["title"][language][:31]
    d = cohort.data
    _put(ws, 1, 1, s["sheet"]["note"][language].format(
        cohort=cohort.id, programme=title, start=_dmy(d.get("start")), end=_dmy(d.get("end"))))
    ws.cell(1, 1).font = Font(italic=True)
    for j, col in enumerate(cols, start=1):
        cell = _put(ws, HEADER_ROW, j, col.title(language))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
    seats = d.get("seats") if isinstance(d.get("seats"), int) else 0
    last = HEADER_ROW + max(len(listeners) + (FREE_ROWS if with_free_rows else 0),
                            seats if with_free_rows else 0, 1)
    for i, listener in enumerate(listeners, start=HEADER_ROW + 1):
        for j, col in enumerate(cols, start=1):
            value = _value(listener, col.field)
            if value is None:
                continue
            if col.type in C.CHOICES:
                value = C.choice_label(col.type, value, language)
            _put(ws, i, j, value)
    for j, col in enumerate(cols, start=1):
        fmt = {"iin": "@", "phone": "@", "share": "0%", "date": "DD.MM.YYYY"}.get(col.type)
        if fmt:
            for i in range(HEADER_ROW + 1, last + 1):
                ws.cell(i, j).number_format = fmt
        rng = f"{get_column_letter(j)}{HEADER_ROW + 1}:{get_column_letter(j)}{last}"
        dv = None
        errors = s["sheet"]["validation_error"]
        if col.type in C.CHOICES:
            words = ",".join(C.choice_label(col.type, code, language) for code in s[C.CHOICES[col.type]])
            dv = DataValidation(type="list", formula1=f'"{words}"', allow_blank=True, error=errors[col.type][language])
        elif col.type == "grade":
            dv = DataValidation(type="list", formula1='"1,2,3,4,5"', allow_blank=True, error=errors["grade"][language])
        elif col.type == "share":
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                                error=errors["share"][language])
        if dv is not None:
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _dmy(value) -> str:
    return value.strftime("%d.%m.%Y") if isinstance(value, dt.date) else str(value or "")


def write_template(data_dir: Path, cohort_id: str, out: Path) -> int:
    """Write the cohort's spreadsheet for staff to fill (.xlsx); returns the number of listeners pre-filled."""
    out = Path(out)
    _check_suffix(out, (".xlsx",))
    write_atomically(out, workbook_bytes(data_dir, cohort_id, with_free_rows=True))
    return len(_context(data_dir, cohort_id)[2])


def export(data_dir: Path, cohort_id: str, out: Path) -> int:
    """Write the cohort's listeners to ``out`` (.xlsx or .csv, see the module docstring); returns how many."""
    out = Path(out)
    _check_suffix(out, (".xlsx", ".csv"))
    if out.suffix.lower() == ".xlsx":
        write_atomically(out, workbook_bytes(data_dir, cohort_id, with_free_rows=False))
        return len(_context(data_dir, cohort_id)[2])
    cohort, language, listeners, cols, _ = _context(data_dir, cohort_id)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([c.title(language) for c in cols])
    for listener in listeners:
        w.writerow([_csv_cell(_value(listener, c.field), c, language) for c in cols])
    write_atomically(out, "\ufeff" + buf.getvalue())
    return len(listeners)


def _csv_cell(value, col: C.Column, language: str) -> str:
    """The CSV text of one value (see the module docstring), never a live formula."""
    text = _csv_text(value, col, language)
    if text.startswith(FORMULA_START) and not (col.type in ("iin", "phone") and _KEPT_AS_TEXT.fullmatch(text)):
        return "'" + text
    if re.match(r"'+[=+\-@\t\r]", text):  # looks protected already: protected once more, so import gives it back exactly
        return "'" + text
    return text


_KEPT_AS_TEXT = re.compile(r'="[0-9 +()-]*"')


def _csv_text(value, col: C.Column, language: str) -> str:
    if value is None:
        return ""
    if col.type in ("iin", "phone") and re.fullmatch(r"[0-9 +()-]*", str(value)):
        return f'="{value}"'
    if col.type == "share" and isinstance(value, (int, float)):
        return f"{round(value * 100, 2):g}%"
    if col.type == "date":
        return _dmy(value)
    if col.type in C.CHOICES:
        return C.choice_label(col.type, value, language)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)
