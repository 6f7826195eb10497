"""The listener spreadsheet's columns and how one cell is read.

The columns, their Kazakh and Russian headers, the other headers staff use and the outcome
words are data: ``templates/staff/spreadsheet.yaml``. Here a header is matched to a column and
a cell value (what openpyxl gives for .xlsx: str, int, float, datetime; always str for .csv)
becomes the record's value, or a problem a person can fix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from biliktilik.load import iin as iin_check
from biliktilik.project import TEMPLATES
from biliktilik.i18n import _

SPEC_FILE = TEMPLATES / "staff" / "spreadsheet.yaml"


@dataclass(frozen=True)
class Column:
    field: str  # dotted path in the listener record, e.g. "name.surname"; grades: "grades.<number>"
    type: str  # text, iin, phone, email, share, number, grade, date, outcome, ground
    header: dict  # {"kk": ..., "ru": ...}
    width: int = 14

    def title(self, language: str) -> str:
        """The header cell: the cohort's language first, e.g. 'Фамилия / Тегі' for a Russian cohort."""
        first = self.header.get(language) or self.header["kk"]
        others = [v for k, v in self.header.items() if k in ("kk", "ru") and v != first]
        return " / ".join([first, *others])


class CellProblem(ValueError):
    """A cell that cannot be read; the message says what was expected."""


@lru_cache(maxsize=1)
def spec() -> dict:
    """templates/staff/spreadsheet.yaml as data."""
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return re.sub(r"[\s.«»\"'*:]+", " ", str(text).lower().replace("ё", "е")).strip()


def columns(module_numbers) -> list[Column]:
    """Every column for a programme whose thematic plan has these module numbers (str, e.g. "1")."""
    s = spec()
    cols = [Column(c["field"], c["type"], c["header"], c.get("width", 14)) for c in s["columns"]]
    g = s["grade_column"]
    at = next(i for i, c in enumerate(cols) if c.field == "outcome")
    grades = [Column(f"grades.{n}", "grade", {k: v.format(number=n) for k, v in g["header"].items()}, g.get("width", 10))
              for n in module_numbers]
    return cols[:at] + grades + cols[at:]


def match_header(text, module_numbers) -> Column | None:
    """The column a header cell names ('Фамилия', 'Тегі / Фамилия', 'Модуль 2', '2-модуль'), or None."""
    if text is None or not str(text).strip():
        return None
    cols = columns(module_numbers)
    names = {}
    for c in cols:
        for h in c.header.values():
            names[_norm(h)] = c
    for c_spec in spec()["columns"]:
        for alias in c_spec.get("aliases", []):
            names[_norm(alias)] = next(c for c in cols if c.field == c_spec["field"])
    whole = _norm(text)
    parts = [whole] + [_norm(p) for p in re.split(r"[/|\n]", str(text)) if p.strip()]
    for part in parts:
        if part in names:
            return names[part]
    words = "|".join(re.escape(w) for w in spec()["grade_column"]["words"])
    for part in parts:
        m = re.fullmatch(rf"(?:(?:{words})\s*-?\s*(\d+)|(\d+)\s*-?\s*(?:{words}))", part)
        if m:
            number = m[1] or m[2]
            return Column(f"grades.{number}", "grade", {}, 10)
    return None


def outcome_words() -> dict[str, str]:
    """Every accepted outcome word (normalised) -> the outcome code."""
    out = {}
    for code, words in spec()["outcomes"].items():
        out[_norm(code)] = code
        for w in words.values():
            out[_norm(w)] = code
    return out


def outcome_label(code: str, language: str) -> str:
    return spec()["outcomes"].get(code, {}).get(language, code)


CHOICES = {"outcome": "outcomes", "ground": "grounds", "gender": "genders"}  # column type -> its words in spreadsheet.yaml


def choice_words(kind: str) -> dict[str, str]:
    """Every accepted word (normalised) of a list column (``outcome``, ``ground``) -> its code."""
    out = {}
    for code, words in spec()[CHOICES[kind]].items():
        out[_norm(code)] = code
        for w in words.values():
            out[_norm(w)] = code
    return out


def choice_label(kind: str, code: str, language: str) -> str:
    """The word a list column (``outcome``, ``ground``) shows for ``code`` in ``language``."""
    return spec()[CHOICES[kind]].get(code, {}).get(language, code)


# -- reading one cell ----------------------------------------------------------------------

def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def _unwrap(text: str) -> str:
    """Undo the conventions that keep a number as text in Excel: ="0123", a leading tab or apostrophe."""
    text = text.strip().lstrip("\t'").strip()
    m = re.fullmatch(r'="(.*)"', text)
    return m[1] if m else text


def read_iin(value) -> tuple[str, str | None]:
    """(12-digit IIN, note) from a text or number cell.

    A number (or a digit string) shorter than 12 digits lost its leading zeros to a spreadsheet:
    they are restored only when the IIN checksum (biliktilik.load.iin) proves the padded value;
    the note says so. Raises CellProblem otherwise."""
    if isinstance(value, bool):
        raise CellProblem(_("expected 12 digits, got {value!r}").format(value=value))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellProblem(_("expected 12 digits, got the number {value}").format(value=value))
        value = int(value)
    if isinstance(value, int):
        digits, was_number = str(value), True
    else:
        text = _unwrap(str(value)).replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"\d+[.,]\d+E\+?\d+", text, re.IGNORECASE):
            raise CellProblem(_("'{text}' is a number in scientific notation and its digits are lost; type the IIN again in a text cell").format(text=text))
        if not text.isdigit():
            raise CellProblem(_("'{text}' is not 12 digits").format(text=text))
        digits, was_number = text, False
    if len(digits) == 12:
        problem = iin_check.problem(digits)
        if problem and iin_check.check_digit(digits[:11]) != int(digits[11]):
            raise CellProblem(_("{digits} is not a valid IIN: its checksum is wrong ({problem}); a digit is probably mistyped: compare it with the ID card").format(digits=digits, problem=problem))
        if problem:
            raise CellProblem(_("{digits} is not a valid IIN: {problem}").format(digits=digits, problem=problem))
        return digits, None
    if len(digits) > 12:
        raise CellProblem(_("{digits} has {count} digits; an IIN has 12").format(digits=digits, count=len(digits)))
    padded = digits.zfill(12)
    if iin_check.problem(padded) is None:
        how = _("a number") if was_number else _("text without them")
        return padded, _("leading zero(s) restored: {digits} -> {padded} (the cell held {how}; the checksum confirms it)").format(digits=digits, padded=padded, how=how)
    raise CellProblem(_("{digits} has {count} digits; an IIN has 12, and with leading zeros restored ({padded}) the checksum fails").format(digits=digits, count=len(digits), padded=padded))


def read_share(value) -> float:
    """A share 0..1 from 0.85, '0,85', '0.85', '85%' or '85 %' (a cell formatted as percent gives 0.85)."""
    if isinstance(value, bool):
        raise CellProblem(_("expected a share such as 0.85 or 85%, got {value!r}").format(value=value))
    if isinstance(value, (int, float)):
        share = float(value)
    else:
        text = _unwrap(str(value)).replace("\u00a0", " ").strip()
        m = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*%", text)
        try:
            share = float(m[1].replace(",", ".")) / 100 if m else float(text.replace(",", "."))
        except ValueError:
            raise CellProblem(_("'{text}' is not a share; write 0.85, 0,85 or 85%").format(text=text)) from None
    if not 0 <= share <= 1:
        raise CellProblem(_("{text} is not a share between 0 and 1; write 0.85, 0,85 or 85%").format(text=_text(value)))
    return round(share, 4)


def read_number(value) -> int | float:
    if isinstance(value, bool):
        raise CellProblem(_("expected a number, got {value!r}").format(value=value))
    if isinstance(value, (int, float)):
        number = value
    else:
        text = _unwrap(str(value)).replace(" ", "").replace("\u00a0", "")
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise CellProblem(_("'{text}' is not a number").format(text=text)) from None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if number < 0:
        raise CellProblem(_("{number} is below 0").format(number=number))
    return number


def read_grade(value) -> int:
    try:
        grade = read_number(value)
    except CellProblem:
        raise CellProblem(_("'{text}' is not a grade; expected a whole number from 1 to 5").format(text=_text(value))) from None
    if not isinstance(grade, int) or not 1 <= grade <= 5:
        raise CellProblem(_("{grade} is not a grade; expected a whole number from 1 to 5").format(grade=grade))
    return grade


def read_date(value) -> dt.date:
    """A date from a date cell or text dd.mm.yyyy (also yyyy-mm-dd)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _unwrap(_text(value))
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellProblem(_("'{text}' is not a date; write dd.mm.yyyy, e.g. 20.02.2026").format(text=text))


def read_outcome(value) -> str:
    words = outcome_words()
    key = _norm(_text(value))
    if key not in words:
        shown = ", ".join(sorted({w["kk"] for w in spec()["outcomes"].values()} | {w["ru"] for w in spec()["outcomes"].values()}))
        raise CellProblem(_("'{text}' is no outcome; expected one of: {shown}").format(text=_text(value), shown=shown))
    return words[key]


def read_ground(value) -> str:
    words = choice_words("ground")
    key = _norm(_text(value))
    if key not in words:
        shown = ", ".join(sorted({w["kk"] for w in spec()["grounds"].values()} | {w["ru"] for w in spec()["grounds"].values()}))
        raise CellProblem(f"'{_text(value)}' is no ground of expulsion; expected one of: {shown}")
    return words[key]


def read_gender(value) -> str:
    """'f' or 'm' from the words of spreadsheet.yaml ``genders`` (әйел/ер, жен/муж, f/m, ...)."""
    words = choice_words("gender")
    key = _norm(_text(value))
    if key not in words:
        shown = ", ".join(sorted({w[k] for w in spec()["genders"].values() for k in ("kk", "ru")}))
        raise CellProblem(_("'{text}' is no gender; expected one of: {shown}").format(text=_text(value), shown=shown))
    return words[key]


def read_text(value) -> str:
    """A text cell as written. Excel's ways of keeping a number as text are undone (``="0123"``;
    a leading apostrophe or tab before digits: ``'0123``), and so is the apostrophe ``export`` puts
    before a text starting with ``= + - @``, a tab or CR (``'=HYPERLINK(..)`` reads ``=HYPERLINK(..)``,
    which validation then refuses as ``text.formula``); an apostrophe or quote that is part of the
    text (``'Болашақ' мектебі``) is kept."""
    text = _text(value)
    m = re.fullmatch(r'="(.*)"', text)
    if m:
        return m[1]
    if re.match(r"'+[=+\-@\t\r]", text):  # the apostrophe `export` puts before a text a spreadsheet would take for a formula
        return text[1:]
    if re.fullmatch(r"[\t']+[\d +()-]*", text):
        return text.lstrip("\t'").strip()
    return text


def read_phone(value) -> str:
    text = read_text(value)
    if isinstance(value, (int, float)) and not text.startswith("+") and len(text) == 11 and text.startswith("7"):
        text = "+" + text  # 77011234567 typed as a number lost its plus
    if not re.fullmatch(r"\+?[0-9 ()-]{7,20}", text):
        raise CellProblem(_("'{text}' is not a phone number such as +7 701 234 56 78").format(text=text))
    return text


def read_email(value) -> str:
    text = read_text(value)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise CellProblem(_("'{text}' is not an e-mail address").format(text=text))
    return text


READERS = {
    "text": read_text, "iin": read_iin, "phone": read_phone, "email": read_email, "share": read_share,
    "number": read_number, "grade": read_grade, "date": read_date, "outcome": read_outcome,
    "ground": read_ground, "gender": read_gender,
}


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
