"""``biliktilik import``: a listener spreadsheet (.xlsx or .csv) into a cohort's YAML file.

Reading: .xlsx with openpyxl (the first sheet; cells as typed), .csv as UTF-8 (with or without
BOM) or else Windows-1251, ``;`` or ``,`` separated. The header row is the first of the first ten
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

import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from biliktilik.files import folder_lock, write_atomically
from biliktilik.issuing import DATA_LOCK_WAIT
from biliktilik.findings import Finding, UsageError, sort_findings
from biliktilik.load.dataset import display_path, load_dataset
from biliktilik.staff import columns as C
from biliktilik.validate import validate
from biliktilik.i18n import _, ngettext

HEADER_SCAN_ROWS = 10
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


@dataclass
class ImportResult:
    cohort: str
    file: str  # the cohort file as findings name it
    rows: list[Row]
    findings: list[Finding]
    kept: list[str]  # listener ids in the file but not in the spreadsheet
    written: bool = False

    @property
    def errors(self):
        return [f for f in self.findings if f.severity == "error"]

    def preview(self) -> str:
        """What the import does, row by row (no IINs or contacts: names and ids only)."""
        lines = []
        for r in self.rows:
            name = " ".join(str(r.values.get(k, "")) for k in ("name.surname", "name.given") if r.values.get(k))
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
    return str(value)


def field_is_personal(value) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\d{12}", value))


# -- reading the table -----------------------------------------------------------------------

def read_table(path: Path) -> list[tuple[int, list]]:
    """(row number, cell values) of every row of the first sheet of an .xlsx, or of a .csv.

    Raises UsageError (one line) for a missing, unreadable or unsupported file."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(_("{path}: no such file").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise UsageError(_("{path}: expected an .xlsx or .csv file (an old .xls: save it as .xlsx first)").format(path=path))


def _read_xlsx(path: Path):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UsageError(_("{path}: not a readable .xlsx workbook ({name})").format(path=path, name=exc.__class__.__name__)) from None
    try:
        ws = wb.worksheets[0]
        return [(i, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


class Table(list):
    """The rows of a sheet, with the text encoding of a CSV (None for .xlsx)."""
    encoding: str | None = None


def _read_csv(path: Path):
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ("\t" if "\t" in first and "," not in first else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table((i, row) for i, row in enumerate(reader, start=1))
    table.encoding = encoding
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
    header_at, cols = None, {}
    for number, cells in table[:HEADER_SCAN_ROWS]:
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
    for i, v in enumerate(headers):
        if not C.is_blank(v) and i not in cols:
            findings.append(Finding(source, header_at, i + 1, "warning", "import.unknown-column",
                                    _("«{v}» ({get_column_letter}) is no listener field; the column is not imported").format(v=v, get_column_letter=get_column_letter(i + 1))))
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
                continue
            col = cols[i]
            where = f"«{_clean(headers[i])}» ({get_column_letter(i + 1)})"
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
    rows, findings = parse_rows(read_table(Path(path)), source, modules)
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
                names = ", ".join(_header_of(f) for f in missing)
                findings.append(Finding(source, row.number, 1, "error", "import.missing",
                                        ngettext("a new listener needs {names}; this cell is empty",
                                                 "a new listener needs {names}; these cells are empty", len(missing)).format(names=names)))
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
    kept = [l.get("id") for l in listeners if isinstance(l, dict) and id(l) not in matched
            and l.get("id") not in {r.listener_id for r in rows if r.new}]
    result = ImportResult(cohort_id, cohort.file, rows, sort_findings(findings), kept)
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
    whole folder is validated through a temporary folder of symbolic links (the other files stay
    where they are, only the new cohort file is written there), so cross-file checks (ledger,
    duplicate IINs, re-takes) run as after a real import. Findings name the real cohort file."""
    data_dir = Path(data_dir)
    target = cohort.path.resolve()
    with tempfile.TemporaryDirectory(prefix="biliktilik-import-preview-") as tmp:
        mirror = Path(tmp) / data_dir.resolve().name

        def symlink(src: Path, dst: Path):
            try:
                os.symlink(src.resolve(), dst, target_is_directory=src.is_dir())
            except OSError:  # no symbolic links here (Windows without the right): a copy
                if src.is_dir():
                    shutil.copytree(src, dst)
                else:
                    shutil.copy2(src, dst)

        def link(src: Path, dst: Path):
            if src.resolve() == target.parent and src.is_dir():
                dst.mkdir()
                for child in os.scandir(src):
                    if Path(child.path).resolve() != target:
                        symlink(Path(child.path), dst / child.name)
                (dst / target.name).write_text(text, encoding="utf-8")
            else:
                symlink(src, dst)

        mirror.mkdir()
        for entry in os.scandir(data_dir):
            link(Path(entry.path), mirror / entry.name)
        checked = validate(mirror, use_cache=False)
        shown = display_path(mirror)
        mirror_file = f"{shown}/{target.relative_to(data_dir.resolve()).as_posix()}"
        own = [f for f in checked.findings if f.file == mirror_file]
    return [Finding(cohort.file, f.line, f.column, f.severity, f.code, f.message, f.source) for f in own]


def _by_row(findings: list[Finding], text: str, rows: list[Row], source: str) -> list[Finding]:
    """The findings of the new cohort file, those inside a listener a spreadsheet row brought named by
    that row (``source:row:1``, the listener's id in the message); the others stay on the file."""
    doc = _yaml().load(text)
    listeners = doc.get("listeners") if isinstance(doc, CommentedMap) else None
    if not isinstance(listeners, CommentedSeq) or not listeners:
        return findings
    starts = [listeners.lc.item(i)[0] + 1 for i in range(len(listeners))]  # 1-based first line of each
    ends = starts[1:] + [len(text.splitlines()) + 1]
    row_of = {r.listener_id: r.number for r in rows if r.listener_id}
    out = []
    for f in findings:
        at = next((i for i, (a, b) in enumerate(zip(starts, ends)) if a <= f.line < b), None)
        lid = listeners[at].get("id") if at is not None and isinstance(listeners[at], dict) else None
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
    import yaml

    if not isinstance(value, str):
        return value
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
