"""``biliktilik import``: a listener spreadsheet (.xlsx or .csv) into a cohort's YAML file.

Reading: .xlsx with openpyxl (the active sheet when visible, else the first visible one; hidden
sheets are named in a warning, the sheet read in the preview; cells as typed), .csv as UTF-16
(Excel's "Unicode Text", tab-separated), UTF-8 (with or without BOM) or else Windows-1251, ``;`` or
``,`` separated. Hostile files are refused before parsing, in one line (:func:`read_table`: zip
bombs, sheets stating more than 10,000 rows or 200 columns, giant CSV cells, unknown bytes); a
cell with a control character or bidi override is refused at the cell. The header row is the first of the first ten
rows that names at least two known columns (templates/staff/spreadsheet.yaml); the others are
passed over. Each cell is read by :mod:`biliktilik.staff.columns`; every problem is a Finding at
the spreadsheet's row (as Excel numbers it) and column, with the column's header in the message.

Writing: rows are matched to the cohort's listeners by the ``Код`` (id) column, else by IIN;
unmatched rows become new listeners (``l01``, ``l02``... after the highest). A blank cell leaves
the recorded value as it is; listeners missing from the spreadsheet are kept. The cohort file is
rewritten with ruamel.yaml's round trip (comments and layout kept). Every text is written so
that it reads back exactly (quoted where YAML would read it as something else: '?', '-', ':',
'#', '@', '`', '%', '!', '&', '*' or a quote in front, 'yes'/'no'/'on', digits, dates), and the
written text is read back and compared before anything is written.

Before writing, and on a dry run alike, the whole data folder is validated with the cohort file
replaced by the new one (a folder of links beside the data, :func:`_validate_preview`), so the
dry run shows every finding the real import would; findings on an imported listener are named
by its spreadsheet row. Nothing is written when a row or the new cohort file has an error.

A CSV saved by Excel as "CSV" in Windows-1251 has lost ә, ғ, қ, ң, ө, ұ, ү, һ (written as
'?'): such a file with '?' inside a Cyrillic word gives ``import.lost-character`` at the cell.
"""

from __future__ import annotations

import bisect
import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from openpyxl.utils import get_column_letter
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from biliktilik.files import folder_lock, write_atomically
from biliktilik.issuing import DATA_LOCK_WAIT
from biliktilik.findings import CONTROL, Finding, UsageError, escaped, sort_findings
from biliktilik.load.dataset import display_path, load_dataset
from biliktilik.staff import columns as C
from biliktilik.validate import validate
from biliktilik.i18n import _, ngettext

HEADER_SCAN_ROWS = 10
UNKNOWN_SHOWN = 5  # unknown columns named one by one; more: one line
REQUIRED = ("name.surname", "name.given", "iin", "employer", "position")  # schemas.LISTENER's required fields
QUOTED = ("iin", "phone")  # written in double quotes, as in the sample data
FLOW = ("name", "final_test", "grades", "expelled")  # short maps written on one line


@dataclass
class Row:
    number: int  # the spreadsheet's row number
    values: dict  # field path -> value read
    listener_id: str | None = None  # matched or assigned
    new: bool = False
    changes: list = field(default_factory=list)  # (field, old, new)
    bad: set = field(default_factory=set)  # field paths whose cell could not be read (a finding says why)
    empty: dict = field(default_factory=dict)  # field path -> why its cell reads as empty: "formula", "merged"


@dataclass
class ImportResult:
    cohort: str
    file: str  # the cohort file as findings name it
    rows: list[Row]
    findings: list[Finding]
    kept: list[str]  # listener ids in the file but not in the spreadsheet
    written: bool = False
    sheet: str | None = None  # the .xlsx sheet read (None for a CSV)

    @property
    def errors(self):
        return [f for f in self.findings if f.severity == "error"]

    def preview(self) -> str:
        """What the import does, row by row (no IINs or contacts: names and ids only)."""
        lines = []
        if self.sheet is not None:
            lines.append(_("read the sheet «{sheet}»").format(sheet=shown(self.sheet)))
        for r in self.rows:
            name = shown(" ".join(str(r.values.get(k, "")) for k in ("name.surname", "name.given") if r.values.get(k)))
            if r.listener_id is None:
                lines.append(_("row {number}: {name}: not imported (see the errors below)").format(number=r.number, name=name or "-"))
            elif r.new:
                lines.append(_("row {number}: new listener {listener_id} {name}").format(number=r.number, listener_id=r.listener_id, name=name).rstrip())
            elif r.changes:
                what = "; ".join(f"{f}: {_show(o)} -> {_show(n)}" for f, o, n in r.changes)
                lines.append(_("row {number}: {listener_id} {name}: {what}").format(number=r.number, listener_id=r.listener_id, name=name, what=what))
            else:
                lines.append(_("row {number}: {listener_id} {name}: unchanged").format(number=r.number, listener_id=r.listener_id, name=name))
        if self.kept:
            lines.append(_("kept as recorded (not in the spreadsheet): {items}").format(items=', '.join(self.kept)))
        new = sum(r.new for r in self.rows)
        changed = sum(bool(r.changes) and not r.new for r in self.rows)
        skipped = sum(r.listener_id is None for r in self.rows)
        lines.append(_("{rows} row(s): {new} new, {changed} changed, {unchanged} unchanged").format(
            rows=len(self.rows), new=new, changed=changed, unchanged=len(self.rows) - new - changed - skipped)
            + (ngettext("; {count} row not imported", "; {count} rows not imported", skipped).format(count=skipped) if skipped else ""))
        return "\n".join(lines)


def _show(value):
    if value is None:
        return _("(none)")
    if field_is_personal(value):
        return "***"
    return shown(value)


def field_is_personal(value) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\d{12}", value))


# -- reading the table -----------------------------------------------------------------------

MAX_ROWS = 10_000  # rows of a sheet (a cohort has tens of listeners; a national list is split by cohort)
MAX_COLUMNS = 200  # columns read of a sheet (the template has about 30)
MAX_UNPACKED = 50 * 1024 * 1024  # bytes: all the parts of an .xlsx together, unpacked
MAX_RATIO = 100  # unpacked / packed size of one part of an .xlsx larger than 1 MB (a zip bomb: thousands)
MAX_CSV_BYTES = 50 * 1024 * 1024
CSV_FIELD_LIMIT = 128 * 1024  # characters of one CSV cell (Python's csv default)
UNSAFE = CONTROL  # C0/C1 controls but tab, LF, CR; bidi overrides


def shown(text) -> str:
    """``text`` safe to print on a terminal: control characters and bidi overrides as escapes (``\\x1b``,
    ``\\u202e``), so a cell cannot move the cursor, recolour or reorder what the terminal shows."""
    return escaped(str(text))


class Table(list):
    """The rows of a sheet: (row number, cell values). ``encoding``: the text encoding of a CSV (None
    for .xlsx); ``sheet``: the name of the sheet read (None for .csv); ``hidden``: names of the hidden
    sheets passed over; ``notes``: (row number, column index) -> why a cell reads as empty though it
    is not (``"formula"``: a formula without a stored value; ``"merged"``: inside a merged range)."""
    encoding: str | None = None
    sheet: str | None = None

    def __init__(self, *args):
        super().__init__(*args)
        self.hidden = []
        self.notes = {}
        self.merged = []  # (first row, first column, last row, last column), 1-based

    def why_empty(self, row: int, index: int) -> str | None:
        """Why the cell at ``row`` and column ``index`` (0-based) reads as empty though it may not be:
        ``"formula"``, ``"merged"`` (not the range's first cell) or None."""
        if (row, index) in self.notes:
            return self.notes[(row, index)]
        for r0, c0, r1, c1 in self.merged:
            if r0 <= row <= r1 and c0 <= index + 1 <= c1 and (row, index + 1) != (r0, c0):
                return "merged"
        return None


def read_table(path: Path) -> Table:
    """(row number, cell values) of every row of the sheet of an .xlsx (the active sheet when
    visible, else the first visible one), or of a .csv.

    Hostile files are refused before they are parsed (UsageError, one line): an .xlsx whose parts
    unpack to more than MAX_UNPACKED bytes or with a part compressed more than MAX_RATIO times (a
    zip bomb), a sheet stating more than MAX_ROWS rows or MAX_COLUMNS columns, a CSV over
    MAX_CSV_BYTES or with a cell over CSV_FIELD_LIMIT characters, a text in no known encoding.
    Rows are streamed (never padded to the sheet's stated size) and reading stops at the first
    non-empty row past MAX_ROWS. Raises UsageError too for a missing, unreadable or unsupported file."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(_("{path}: no such file").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise UsageError(_("{path}: expected an .xlsx or .csv file (an old .xls: save it as .xlsx first)").format(path=path))


def _too_many_rows(path) -> UsageError:
    return UsageError(_("{path}: more than {limit} rows; a listener spreadsheet holds one cohort (delete the empty rows at the bottom, or split the list)").format(path=path, limit=MAX_ROWS))


def _check_zip(path: Path) -> None:
    """Refuse an .xlsx whose parts would unpack to too much (see :func:`read_table`), from the sizes
    its zip directory states (Python's zipfile never unpacks more than the stated size)."""
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UsageError(_("{path}: not a readable .xlsx workbook ({name})").format(path=path, name=exc.__class__.__name__)) from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED:
        raise UsageError(_("{path}: refused: the workbook unpacks to {size} MB, more than {limit} MB (a listener list is far smaller; is it the right file?)").format(
            path=path, size=total // (1024 * 1024), limit=MAX_UNPACKED // (1024 * 1024)))
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise UsageError(_("{path}: refused: its part {part} is compressed {ratio} times, as a zip bomb is (a real sheet: under {limit} times)").format(
                path=path, part=shown(m.filename), ratio=m.file_size // max(m.compress_size, 1), limit=MAX_RATIO))


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    _check_zip(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        raw = load_workbook(path, read_only=True, data_only=False)  # formulas, to say why a cell is empty
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, AttributeError) as exc:
        raise UsageError(_("{path}: not a readable .xlsx workbook ({name})").format(path=path, name=exc.__class__.__name__)) from None
    try:
        visible = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if not visible:
            raise UsageError(_("{path}: every sheet of the workbook is hidden; show the sheet with the listeners (right-click a sheet tab, Unhide)").format(path=path))
        active = wb.active
        ws = active if active in visible else visible[0]
        table = Table()
        table.sheet = ws.title
        table.hidden = [w.title for w in wb.worksheets if w not in visible]
        rows, cols = ws.max_row, ws.max_column  # as the sheet states (its <dimension>), None when it does not
        if rows and rows > MAX_ROWS + HEADER_SCAN_ROWS:
            raise UsageError(_("{path}: the sheet «{sheet}» reaches row {count}, more than {limit} rows; a listener spreadsheet holds one cohort (delete the rows below the list, or split it)").format(
                path=path, sheet=shown(ws.title), count=rows, limit=MAX_ROWS))
        if cols and cols > MAX_COLUMNS:
            raise UsageError(_("{path}: the sheet «{sheet}» has {count} columns, more than {limit}; delete the columns that are not listener fields").format(
                path=path, sheet=shown(ws.title), count=cols, limit=MAX_COLUMNS))
        width = min(cols or MAX_COLUMNS, MAX_COLUMNS)
        ws.reset_dimensions()  # never pad rows to a stated size
        raw_ws = raw[ws.title]
        raw_ws.reset_dimensions()
        table.merged = _merged_ranges(raw_ws)
        formulas = raw_ws.iter_rows(values_only=True, max_col=width)
        for i, row in enumerate(ws.iter_rows(values_only=True, max_col=width), start=1):
            raw_row = next(formulas, ())
            values = list(row)
            if i > MAX_ROWS + HEADER_SCAN_ROWS:
                if any(not C.is_blank(v) for v in values):
                    raise _too_many_rows(path)
                continue  # blank rows below the list (formatted, never typed in): passed over
            while values and values[-1] is None:
                values.pop()
            for j, v in enumerate(raw_row):
                if isinstance(v, str) and v.startswith("=") and (j >= len(row) or row[j] is None):
                    table.notes[(i, j)] = "formula"
            if values:
                table.append((i, values))
        return table
    finally:
        wb.close()
        raw.close()


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range of a read-only sheet,
    from its XML's <mergeCell ref="A3:B4"> (openpyxl's read-only sheets do not keep them)."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    out = []
    try:
        with ws._get_source() as src:
            for _event, el in iterparse(src):
                if el.tag.endswith("}mergeCell"):
                    c0, r0, c1, r1 = range_boundaries(el.get("ref", ""))
                    out.append((r0, c0, r1, c1))
                el.clear()
    except (ValueError, TypeError, SyntaxError):
        return []
    return out[:1000]


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding) of a CSV: UTF-16 (Excel's "Unicode Text": a BOM, or NUL bytes, which are the
    high bytes of tabs, line ends and digits in UTF-16 and in no UTF-8 or Windows-1251 text),
    UTF-8 (with or without BOM) or Windows-1251; UsageError for bytes of none of them."""
    head = raw[:4096]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif max(head[1::2].count(0), head[0::2].count(0)) * 10 >= len(head) // 2 > 0:
        # one code unit in ten or more with a NUL byte: UTF-16, where tabs, line ends, digits and Latin
        # letters have one (a text in UTF-8 or Windows-1251 has none, or a stray one)
        encoding = "utf-16-le" if head[1::2].count(0) >= head[0::2].count(0) else "utf-16-be"
    else:
        encoding = None
    for candidate in ([encoding] if encoding else ["utf-8-sig", "cp1251"]):
        try:
            text = raw.decode(candidate)
            return text.lstrip("\ufeff"), candidate
        except UnicodeDecodeError as exc:
            problem = exc
    raise UsageError(_("{path}: not a text in UTF-8, UTF-16 or Windows-1251 (byte 0x{byte:02x} at position {position}); save the sheet as \"CSV UTF-8\" or .xlsx").format(
        path=path, byte=problem.object[problem.start], position=problem.start)) from None


def _read_csv(path: Path) -> Table:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise UsageError(_("{path}: refused: {size} MB, more than {limit} MB (a listener list is far smaller; is it the right file?)").format(
            path=path, size=path.stat().st_size // (1024 * 1024), limit=MAX_CSV_BYTES // (1024 * 1024)))
    text, encoding = _decode(path.read_bytes(), path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    if encoding.startswith("utf-16") and "\t" in first:
        delimiter = "\t"  # Excel's "Unicode Text"
    else:
        delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ("\t" if "\t" in first and "," not in first else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table()
    old_limit = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        for i, row in enumerate(reader, start=1):
            if i > MAX_ROWS + HEADER_SCAN_ROWS:
                if any(v.strip() for v in row):
                    raise _too_many_rows(path)
                continue
            table.append((i, row))
    except csv.Error as exc:
        raise UsageError(_("{path}: row {row}: a cell longer than {limit} characters or a broken quote ({problem}); no listener field is that long").format(
            path=path, row=reader.line_num, limit=CSV_FIELD_LIMIT, problem=shown(exc))) from None
    finally:
        csv.field_size_limit(old_limit)
    table.encoding = "cp1251" if encoding == "cp1251" else encoding
    return table


_LOST_IN_WORD = re.compile(r"[\u0400-\u04ff]\?|\?[\u0400-\u04ff]")  # '?' beside a Cyrillic letter


# -- import ----------------------------------------------------------------------------------

def _cohort_record(data_dir: Path, cohort_id: str):
    ds = load_dataset(data_dir, use_cache=False)
    cohort = ds.cohorts.get(cohort_id)
    if cohort is None:
        known = ", ".join(sorted(ds.cohorts)) or "none"
        raise UsageError(_("unknown cohort '{cohort_id}'; expected one of: {known}").format(cohort_id=cohort_id, known=known))
    programme = ds.programmes.get(cohort.data.get("programme"))
    modules = []
    if programme is not None:
        for m in (programme.data.get("thematic_plan") or {}).get("modules") or []:
            if isinstance(m, dict) and m.get("number") is not None:
                modules.append(str(m["number"]))
    return ds, cohort, programme, modules


def parse_rows(table, source: str, module_numbers) -> tuple[list[Row], list[Finding]]:
    """Rows of a table read into field values, and the findings (file = ``source``, line = row number,
    column = column number). Fully blank rows are passed over."""
    findings = []
    for name in getattr(table, "hidden", ()):
        findings.append(Finding(source, 1, 1, "warning", "import.hidden-sheet",
                                _("the hidden sheet «{hidden}» was not read (only «{sheet}» was); show it and move its rows to that sheet if they belong to the list").format(
                                    hidden=shown(name), sheet=shown(table.sheet))))
    header_at, cols = None, {}
    for number, cells in (r for r in table if r[0] <= HEADER_SCAN_ROWS):
        found = {i: C.match_header(v, module_numbers) for i, v in enumerate(cells)}
        found = {i: c for i, c in found.items() if c is not None}
        if len(found) >= 2:
            header_at, cols = number, found
            headers = cells
            break
    if header_at is None:
        findings.append(Finding(source, 1, 1, "error", "import.header",
                                _("no header row found in the first 10 rows; expected columns such as «Тегі»/«Фамилия», «Аты»/«Имя», «ЖСН»/«ИИН» (see `biliktilik template`)")))
        return [], findings
    seen = {}
    for i, c in sorted(cols.items()):
        if c.field in seen:
            findings.append(Finding(source, header_at, i + 1, "error", "import.header",
                                    _("«{headers}» ({get_column_letter}) is the same column as «{headers2}» ({get_column_letter2}); keep one").format(headers=headers[i], get_column_letter=get_column_letter(i + 1), headers2=headers[seen[c.field]], get_column_letter2=get_column_letter(seen[c.field] + 1))))
        else:
            seen[c.field] = i
    unknown = [i for i, v in enumerate(headers) if not C.is_blank(v) and i not in cols]
    if len(unknown) > UNKNOWN_SHOWN:  # one line, not one per column
        findings.append(Finding(source, header_at, unknown[0] + 1, "warning", "import.unknown-column",
                                _("{count} columns are no listener fields and are not imported: {items}, ...").format(
                                    count=len(unknown), items=", ".join(f"«{shown(_clean(headers[i]))}» ({get_column_letter(i + 1)})" for i in unknown[:UNKNOWN_SHOWN]))))
    else:
        for i in unknown:
            findings.append(Finding(source, header_at, i + 1, "warning", "import.unknown-column",
                                    _("«{v}» ({get_column_letter}) is no listener field; the column is not imported").format(v=shown(headers[i]), get_column_letter=get_column_letter(i + 1))))
    if "iin" not in seen and "id" not in seen:
        findings.append(Finding(source, header_at, 1, "error", "import.header",
                                _("no «ЖСН»/«ИИН» column: rows cannot be matched to listeners")))
    rows = []
    iins = {}
    for number, cells in table:
        if number <= header_at or all(C.is_blank(v) for v in cells):
            continue
        row = Row(number, {})
        for f, i in seen.items():
            value = cells[i] if i < len(cells) else None
            if C.is_blank(value):
                why = table.why_empty(number, i) if isinstance(table, Table) else None
                if why:
                    row.empty[f] = why
                continue
            col = cols[i]
            where = f"«{shown(_clean(headers[i]))}» ({get_column_letter(i + 1)})"
            if isinstance(value, str) and UNSAFE.search(value.strip("\t\r\n")):
                findings.append(Finding(source, number, i + 1, "error", "import.control-character",
                                        _("{where}: «{text}» holds control characters or text-direction overrides ({items}), which no listener field has; retype the cell").format(
                                            where=where, text=shown(value), items=", ".join(sorted({shown(c) for c in UNSAFE.findall(value.strip("\t\r\n"))})))))
                row.bad.add(f)
                continue
            try:
                read = C.READERS[col.type](value)
            except C.CellProblem as exc:
                findings.append(Finding(source, number, i + 1, "error", f"import.{col.type}", f"{where}: {exc}"))
                row.bad.add(f)
                continue
            if col.type == "text" and getattr(table, "encoding", None) == "cp1251" and _LOST_IN_WORD.search(read):
                findings.append(Finding(source, number, i + 1, "error", "import.lost-character",
                                        _("{where}: «{text}» has '?' inside a Cyrillic word: this CSV is in Windows-1251 (Excel's \"CSV\"), which has no ә, ғ, қ, ң, ө, ұ, ү, һ and writes '?' for them; save the sheet as \"CSV UTF-8\" or .xlsx and import that").format(where=where, text=read)))
                row.bad.add(f)  # elsewhere a '?' in a printed text is the validator's text.lost-character
            if col.type == "iin":
                read, note = read
                if note:
                    findings.append(Finding(source, number, i + 1, "warning", "import.iin-restored", f"{where}: {note}"))
                if read in iins:
                    findings.append(Finding(source, number, i + 1, "error", "import.duplicate-iin",
                                            _("{where}: the same IIN as row {iins}").format(where=where, iins=iins[read])))
                iins.setdefault(read, number)
            row.values[f] = read
        rows.append(row)
    return rows, findings


def _clean(header) -> str:
    return " ".join(str(header).split())


def import_listeners(data_dir: Path, cohort_id: str, path: Path, dry_run: bool = False) -> ImportResult:
    """Read ``path`` and merge its rows into the cohort's listeners (see the module's docstring).

    Returns the ImportResult: the rows, the findings of the spreadsheet (file = the sheet, line =
    its row, column = its column) and the validation findings of the cohort file as it would be
    written (on an imported listener: named by its row; others: on the cohort file), on a dry run
    and a real import alike; ``written`` is True only when the file was written (no error).
    Raises UsageError for an unknown cohort, an unreadable file, or values that would not read
    back from the YAML (nothing written). A real import holds the data folder's lock (as issue,
    revoke and correct do: Busy after DATA_LOCK_WAIT seconds), so it never mixes with another
    change of the data."""
    if dry_run:
        return _import_listeners(Path(data_dir), cohort_id, path, dry_run)
    with folder_lock(Path(data_dir), _("change of the data"), wait=DATA_LOCK_WAIT):
        return _import_listeners(Path(data_dir), cohort_id, path, dry_run)


def _import_listeners(data_dir: Path, cohort_id: str, path: Path, dry_run: bool) -> ImportResult:
    ds, cohort, programme, modules = _cohort_record(data_dir, cohort_id)
    source = display_path(Path(path))
    table = read_table(Path(path))
    rows, findings = parse_rows(table, source, modules)
    doc = _yaml().load(cohort.path.read_text(encoding="utf-8"))
    listeners = doc.get("listeners")
    if not isinstance(listeners, list):
        listeners = CommentedSeq()
    by_id = {l.get("id"): l for l in listeners if isinstance(l, dict)}
    by_iin = {str(l.get("iin")): l for l in listeners if isinstance(l, dict) and l.get("iin")}
    next_number, width = _next_id(by_id)
    matched = set()
    for row in rows:
        target = by_id.get(row.values.get("id")) if row.values.get("id") else None
        if target is None and row.values.get("iin") in by_iin:
            target = by_iin[row.values["iin"]]
        if target is not None:
            if id(target) in matched:
                findings.append(Finding(source, row.number, 1, "error", "import.duplicate-listener",
                                        _("listener {id} is already in an earlier row").format(id=target.get('id'))))
            matched.add(id(target))
            row.listener_id = target.get("id")
            row.changes = _apply(target, row.values, new=False)
        else:
            # a cell that could not be read is not empty: its own finding says what is wrong
            missing = [f for f in REQUIRED if f not in row.values and f not in row.bad]
            if missing:
                plain = [f for f in missing if f not in row.empty]
                if plain:
                    names = ", ".join(_header_of(f) for f in plain)
                    findings.append(Finding(source, row.number, 1, "error", "import.missing",
                                            ngettext("a new listener needs {names}; this cell is empty",
                                                     "a new listener needs {names}; these cells are empty", len(plain)).format(names=names)))
                for f in missing:
                    if row.empty.get(f) == "formula":
                        findings.append(Finding(source, row.number, 1, "error", "import.formula",
                                                _("{name}: a formula without a stored value; save the file in Excel first, or paste the values (Paste Special, Values)").format(name=_header_of(f))))
                    elif row.empty.get(f) == "merged":
                        findings.append(Finding(source, row.number, 1, "error", "import.merged",
                                                _("{name}: a merged cell (its value is in the merged range's first cell); unmerge the cells and fill each row").format(name=_header_of(f))))
            if missing or row.bad:
                continue
            row.new = True
            if row.values.get("id"):
                row.listener_id = row.values["id"]
            else:
                row.listener_id = f"l{next_number:0{width}d}"
                next_number += 1
            listener = CommentedMap()
            listener["id"] = row.listener_id
            row.changes = _apply(listener, {k: v for k, v in row.values.items() if k != "id"}, new=True)
            listeners.append(listener)
            by_id[row.listener_id] = listener
    new_ids = {r.listener_id for r in rows if r.new}  # once, not per listener (20,000 rows: 89 s)
    kept = [l.get("id") for l in listeners if isinstance(l, dict) and id(l) not in matched
            and l.get("id") not in new_ids]
    result = ImportResult(cohort_id, cohort.file, rows, sort_findings(findings), kept, sheet=table.sheet)
    if "listeners" not in doc:
        doc["listeners"] = listeners
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    text = buf.getvalue()
    _check_reads_back(text, rows, cohort.file)
    own = _validate_preview(data_dir, cohort, text)
    result.findings = sort_findings(result.findings + _by_row(own, text, rows, source))
    if dry_run or result.errors or not any(r.new or r.changes for r in rows):
        return result  # nothing to write
    write_atomically(cohort.path, text)  # exactly what was validated
    result.written = True
    return result


def _validate_preview(data_dir: Path, cohort, text: str) -> list[Finding]:
    """The findings in the cohort's file when the data folder holds ``text`` as that file: the
    whole folder is validated through a temporary mirror beside it (hard links to the other files,
    a copy where links are refused; no symbolic links, which the validator refuses when they lead
    out of the data folder), with only the new cohort file written there, so cross-file checks
    (ledger, duplicate IINs, re-takes) run as after a real import. Findings name the real cohort file."""
    data_dir = Path(data_dir).resolve()
    target = cohort.path.resolve()

    def mirror_tree(src: Path, dst: Path):
        dst.mkdir()
        for entry in os.scandir(src):
            path, there = Path(entry.path), dst / entry.name
            if path.resolve() == target:
                continue
            if entry.is_dir():  # follows a link inside the data folder, as the validator does
                mirror_tree(path, there)
            elif entry.is_file():
                try:
                    os.link(path.resolve(), there)
                except OSError:  # another file system, or links not permitted: a copy
                    shutil.copy2(path, there)

    try:  # beside the data folder: one file system, so hard links work
        where = tempfile.TemporaryDirectory(prefix=".biliktilik-import-preview-", dir=data_dir.parent)
    except OSError:  # a read-only parent: the system's temporary folder (copies)
        where = tempfile.TemporaryDirectory(prefix="biliktilik-import-preview-")
    with where as tmp:
        mirror = Path(tmp) / data_dir.name
        mirror_tree(data_dir, mirror)
        (mirror / target.relative_to(data_dir)).write_text(text, encoding="utf-8")
        checked = validate(mirror, use_cache=False)
        shown = display_path(mirror)
        mirror_file = f"{shown}/{target.relative_to(data_dir).as_posix()}"
        own = [f for f in checked.findings if f.file == mirror_file]
    return [Finding(cohort.file, f.line, f.column, f.severity, f.code, f.message, f.source) for f in own]


def _by_row(findings: list[Finding], text: str, rows: list[Row], source: str) -> list[Finding]:
    """The findings of the new cohort file, those inside a listener a spreadsheet row brought named by
    that row (``source:row:1``, the listener's id in the message); the others stay on the file."""
    import yaml

    if not findings:
        return findings
    # the listeners' lines from the node tree of libyaml's composer (no round-trip load: 10,000 listeners)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.compose(text, Loader=loader)
    nodes = next((v for k, v in doc.value if k.value == "listeners"), None) if isinstance(doc, yaml.MappingNode) else None
    if not isinstance(nodes, yaml.SequenceNode) or not nodes.value:
        return findings
    starts = [n.start_mark.line + 1 for n in nodes.value]  # 1-based first line of each
    ends = starts[1:] + [len(text.splitlines()) + 1]
    ids = [next((v.value for k, v in n.value if k.value == "id"), None) if isinstance(n, yaml.MappingNode) else None
           for n in nodes.value]
    row_of = {r.listener_id: r.number for r in rows if r.listener_id}
    out = []
    for f in findings:
        at = bisect.bisect_right(starts, f.line) - 1  # the listener whose lines hold the finding (log n, not n)
        at = at if at >= 0 and f.line < ends[at] else None
        lid = ids[at] if at is not None else None
        if lid in row_of:
            out.append(Finding(source, row_of[lid], 1, f.severity, f.code,
                               _("listener {id}: {message}").format(id=lid, message=f.message), f.source))
        else:
            out.append(f)
    return out


def _check_reads_back(text: str, rows: list[Row], file: str):
    """Raise UsageError when the YAML about to be written does not read back (with the validator's
    loader) to the values of the rows: a safety net under :func:`_scalar`'s quoting."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(_("{file}: the imported values would not read back as YAML ({problem}); nothing was written").format(
            file=file, problem=str(exc).splitlines()[0])) from None
    by_id = {l.get("id"): l for l in (data or {}).get("listeners") or [] if isinstance(l, dict)}
    for row in rows:
        listener = by_id.get(row.listener_id)
        if listener is None:
            continue
        written = row.values if row.new else {path: new for path, _old, new in row.changes}
        for path, value in written.items():
            if path == "id":
                continue
            node = listener
            for step in path.split("."):
                node = node.get(step) if isinstance(node, dict) else None
            if node != value or type(node) is not type(value):
                raise UsageError(_("{file}: row {number}: {path} would read back as {got!r}, not {value!r}; nothing was written").format(
                    file=file, number=row.number, path=path, got=node, value=value))


def _header_of(field_path: str) -> str:
    for c in C.columns([]):
        if c.field == field_path:
            return f"«{c.title('kk')}»"
    return field_path


def _next_id(by_id) -> tuple[int, int]:
    numbers = [(int(m[1]), len(m[1])) for i in by_id if isinstance(i, str) for m in [re.fullmatch(r"l(\d+)", i)] if m]
    if not numbers:
        return 1, 2
    return max(n for n, _ in numbers) + 1, max(2, max(w for _, w in numbers))


def _apply(listener: CommentedMap, values: dict, new: bool) -> list:
    """Set the values (field path -> value) in the listener; returns the (field, old, new) changes."""
    changes = []
    order = [c.field for c in C.columns(sorted({k.split(".", 1)[1] for k in values if k.startswith("grades.")}, key=_num))]
    for path in sorted(values, key=lambda p: order.index(p) if p in order else len(order)):
        value = values[path]
        if path == "id":
            continue
        parts = path.split(".")
        node = listener
        for step in parts[:-1]:
            if not isinstance(node.get(step), dict):
                child = CommentedMap()
                if step in FLOW:
                    child.fa.set_flow_style()
                node[step] = child
            node = node[step]
        key = parts[-1]
        if parts[0] == "grades":
            key = DoubleQuotedScalarString(key)
        old = node.get(key)
        if old == value and type(old) is type(value):
            continue
        if old is not None and str(old) == str(value):
            continue
        node[key] = DoubleQuotedScalarString(value) if path in QUOTED else _scalar(value, flow=parts[0] in FLOW)
        changes.append((path, None if new else old, value))
    return [] if new else changes


def _scalar(value, flow: bool = True):
    """``value`` as the YAML writer should write it: a text that would not read back as the same
    text when written plain (``?Болат``, ``- a``, ``yes``, ``0123``, ``2026-02-20``, ``#5``, a
    leading quote...) as a double-quoted string; others as they are. Decided by reading the plain
    form back with PyYAML (the validator's YAML 1.1 reader) in a block map and, when ``flow`` (the
    value goes into a one-line map such as ``name: {surname: ..}``), in a flow map as well."""
    if not isinstance(value, str):
        return value
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML11_WORDS:
        return value  # letters and digits in words: reads back as itself (no YAML probe for every name)
    return _probed(value, flow)


_PLAIN = re.compile(r"[^\W\d_][^\W_]*(?: [^\W_]+)*")
_YAML11_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


@lru_cache(maxsize=4096)
def _probed(value: str, flow: bool):
    """:func:`_scalar` by reading the plain form back with PyYAML (cached: employers and positions repeat)."""
    import yaml

    docs = (f"k: {value}\n", f"- k: {value}\n") + ((f"{{k: {value}}}\n", f"- {{k: {value}}}\n") if flow else ())
    for doc in docs:
        try:
            back = yaml.safe_load(doc)
        except yaml.YAMLError:
            return DoubleQuotedScalarString(value)
        if isinstance(back, list):
            back = back[0]
        if not isinstance(back, dict) or back.get("k") != value or not isinstance(back.get("k"), str) or list(back) != ["k"]:
            return DoubleQuotedScalarString(value)
    return value


def _num(text: str):
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _yaml() -> YAML:
    """The round-trip settings of biliktilik.issuing: comments, quotes and layout kept."""
    y = YAML()
    y.preserve_quotes = True
    y.width = 1 << 20
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.ignore_aliases = lambda data: True
    return y
