"""Mistakes that look right and mislead: findings a person can act on.

- ``text.mixed-script``: a word in a name, employer, position, trainer or title that mixes
  Cyrillic and Latin letters («Сейткaзиевa» typed with a Latin 'a'): it looks right on the page
  but is not found by search, sorts wrongly and differs from the ID card. The finding names the
  letters of the smaller script. An error in a person's name (printed on certificates as on the
  ID card), a warning in other texts (``IT-мектеп`` may be meant).
- ``text.lost-character``: a '?' or U+FFFD (the replacement character) in a text printed on
  certificates and forms (names, employer, position, titles, the head's name): the letter was
  lost on the way, most often in a CSV saved as Windows-1251, which has no ә, ғ, қ, ң, ө, ұ, ү,
  һ («Болат?ызы»). An error: the certificate would print the '?'.
- ``name.character``: a listener's surname, given name or patronymic with a character no name has
  (a digit, '@', '_', '/', ...); names are letters, spaces, hyphens, apostrophes and dots.
- ``listener.attendance-share``: attendance written as a percent (``85%``, ``85``) or with a decimal
  comma (``0,85``): attendance is a share between 0 and 1, e.g. 0.85.
- ``text.control-character``: any text of any record holding a control character (C0 but tab,
  line feed and carriage return; DEL; C1) or a bidi embedding/override/isolate (U+202A-U+202E,
  U+2066-U+2069): invisible on the page, they reorder or hide what a name shows (``\u202e``
  turns «Иванова» around) or drive a terminal (ESC). An error; the message shows them escaped.
- ``text.formula``: a listener's surname, given name, patronymic or employer starting with ``=``,
  ``+``, ``-`` or ``@``: a spreadsheet reads such a cell as a formula (OWASP "CSV injection",
  ``=HYPERLINK(...)``). An error in a name (no name starts so; it is printed on certificates), a
  warning in an employer (``-`` may stand for "none"); ``export`` writes either as text anyway.
- ``id.latin``: an id with Cyrillic or capital letters; ids are lower-case Latin letters, digits,
  '.', '_' and '-' (they become addresses and file names).
"""

from __future__ import annotations

import re
import unicodedata

from biliktilik.findings import CONTROL, Finding, escaped
from biliktilik.i18n import _

FORMULA_START = ("=", "+", "-", "@")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "Cyrillic"
    if name.startswith("LATIN"):
        return "Latin"
    return None


def mixed_words(text: str) -> list[str]:
    """Messages for the words of ``text`` that mix Cyrillic and Latin letters, naming the odd letters."""
    out = []
    for word in _WORD.findall(text):
        letters = [(c, _script(c)) for c in word]
        cyr = [c for c, s in letters if s == "Cyrillic"]
        lat = [c for c, s in letters if s == "Latin"]
        if cyr and lat:
            odd, script, other = (lat, "Latin", "Cyrillic") if len(lat) <= len(cyr) else (cyr, "Cyrillic", "Latin")
            shown = ", ".join(f"'{c}'" for c in dict.fromkeys(odd))
            message = (_("«{word}» mixes Cyrillic and Latin letters: Latin {shown}; type the word in Cyrillic letters only")
                       if script == "Latin" else
                       _("«{word}» mixes Cyrillic and Latin letters: Cyrillic {shown}; type the word in Latin letters only"))
            out.append(message.format(word=word, shown=shown))
    return out


LOST = "?\ufffd"  # what a letter becomes when an encoding cannot hold it
_NAME_CHAR = re.compile(r"[^\W\d_]|[\s\-'’ʼ.‐]")  # a letter, space, hyphen, apostrophe or dot
_NAME = re.compile(r"(?:[^\W\d_]|[\s\-'’ʼ.‐])*")


def lost_characters(text: str) -> str | None:
    """A message when ``text`` holds '?' or U+FFFD, the marks of a letter an encoding lost
    (Windows-1251 has no ә, ғ, қ, ң, ө, ұ, ү, һ: Excel's "CSV" writes '?' for them); else None."""
    odd = [c for c in LOST if c in text]
    if not odd:
        return None
    shown = ", ".join("'?'" if c == "?" else "U+FFFD" for c in odd)
    return _("«{text}» has {shown} where a letter should be: it was probably lost in a Windows-1251 export (Excel's \"CSV\" has no ә, ғ, қ, ң, ө, ұ, ү, һ); re-save the sheet as \"CSV UTF-8\" or .xlsx and import it again, or type the letter").format(text=text, shown=shown)


def name_characters(text: str) -> str | None:
    """A message when a person's name ``text`` holds characters no name has (besides the lost
    ones of :func:`lost_characters`); else None. Names are letters (any script, with their
    combining marks), spaces, hyphens, apostrophes and dots (initials)."""
    if _NAME.fullmatch(text):  # the usual case, in one pass
        return None
    odd = sorted({c for c in text if c not in LOST and not _NAME_CHAR.fullmatch(c)
                  and not unicodedata.category(c).startswith("M")})
    if not odd:
        return None
    return _("«{text}» has {items}, which cannot be in a person's name; names are letters, spaces, hyphens, apostrophes and dots").format(
        text=text, items=", ".join(repr(c) for c in odd))


def _texts(record, path, value, out, person: bool = False, strict: bool = False):
    """Findings on the texts in ``value`` (a text or a map of texts: a name, {kk, ru}) at ``path``;
    ``person``: a person's name (mixed scripts are errors); ``strict``: a listener's name in its
    parts (surname, given, patronymic), where a character no name has is an error too (a trainer's
    or head's name is one free text and may carry a degree: «к.п.н.»)."""
    if isinstance(value, str):
        if "?" in value or "\ufffd" in value:  # inline: these run on every listener's texts
            out.append(record.finding(path, "error", "text.lost-character", lost_characters(value)))
        if strict and not _NAME.fullmatch(value):
            odd = name_characters(value)
            if odd:
                out.append(record.finding(path, "error", "name.character", odd))
        for message in mixed_words(value):
            out.append(record.finding(path, "error" if person else "warning", "text.mixed-script", message))
    elif isinstance(value, dict):
        for k, v in value.items():
            _texts(record, path + (k,), v, out, person, strict)


def _controls(record, path, value, out):
    """``text.control-character`` for every text in ``value`` (any nesting of maps and lists)."""
    if isinstance(value, str):
        if CONTROL.search(value):
            odd = ", ".join(sorted({escaped(c) for c in CONTROL.findall(value)}))
            out.append(record.finding(path, "error", "text.control-character",
                                      _("«{text}» holds control characters or text-direction overrides ({items}): invisible on the page, they hide or reorder what it shows; retype the text").format(
                                          text=escaped(value), items=odd)))
    elif isinstance(value, dict):
        for k, v in value.items():
            _controls(record, path + (k,), v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _controls(record, path + (i,), v, out)


def _formula(record, path, value, out, severity):
    if isinstance(value, str) and value.lstrip().startswith(FORMULA_START):
        out.append(record.finding(path, severity, "text.formula",
                                  _("«{text}» starts with '{first}', which a spreadsheet reads as the start of a formula (a link or a command); `export` writes it as text, but check it: a name or employer does not start so").format(
                                      text=escaped(value), first=value.lstrip()[0])))


def _id(record, path, value, what, out):
    if isinstance(value, str) and not _ID.fullmatch(value):
        odd = sorted({c for c in value if c.isalpha() and not ("a" <= c <= "z")})
        if odd:
            out.append(record.finding(path, "error", "id.latin",
                                      _("{what} '{value}' has {items}: ids are lower-case Latin letters, digits, '.', '_' and '-' only (they become addresses and file names)").format(what=what, value=value, items=', '.join((repr(c) for c in odd)))))


def _share(value) -> bool:
    if isinstance(value, str):
        return bool(re.fullmatch(r"\s*\d+(?:[.,]\d+)?\s*%\s*|\s*\d+,\d+\s*", value))
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 1 < value <= 100


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _records(ds, kind: str) -> list:
    """The records of ``kind`` (singular), including those whose file failed its schema: these
    checks read only a record's own text, so they still help on a file that has other errors."""
    return list(ds.of_kind(kind).values()) + [r for r in ds.unsound if r.kind == kind]


def check(ds, facts) -> list[Finding]:
    """Findings on text that looks right but misleads (see the module's docstring), for every
    organisation, programme, cohort and rule set of ``ds``."""
    out: list[Finding] = []
    for kind in ("organisation", "programme", "cohort", "ruleset"):
        for record in _records(ds, kind):
            _id(record, ("id",), record.data.get("id"), _("{kind} id").format(kind=kind), out)
            _controls(record, (), record.data, out)
    for org in _records(ds, "organisation"):
        _texts(org, ("name",), org.data.get("name"), out)
        head = org.data.get("head")
        if isinstance(head, dict):
            _texts(org, ("head", "title"), head.get("title"), out)
            _texts(org, ("head", "name"), head.get("name"), out, person=True)
        else:
            _texts(org, ("head",), head, out)
    for prog in _records(ds, "programme"):
        _texts(prog, ("title",), prog.data.get("title"), out)
    for cohort in _records(ds, "cohort"):
        for i, trainer in enumerate(_list(cohort.data.get("trainers"))):
            if isinstance(trainer, dict):
                _texts(cohort, ("trainers", i, "name"), trainer.get("name"), out, person=True)
        for i, listener in enumerate(_list(cohort.data.get("listeners"))):
            if not isinstance(listener, dict):
                continue
            _id(cohort, ("listeners", i, "id"), listener.get("id"), _("listener id"), out)
            _texts(cohort, ("listeners", i, "name"), listener.get("name"), out, person=True, strict=True)
            for key in ("employer", "position"):
                _texts(cohort, ("listeners", i, key), listener.get(key), out)
            name = listener.get("name")
            for key in ("surname", "given", "patronymic"):
                if isinstance(name, dict):
                    _formula(cohort, ("listeners", i, "name", key), name.get(key), out, "error")
            _formula(cohort, ("listeners", i, "employer"), listener.get("employer"), out, "warning")
            value = listener.get("attendance")
            if _share(value):
                out.append(cohort.finding(("listeners", i, "attendance"), "error", "listener.attendance-share",
                                          _("attendance is a share between 0 and 1, e.g. 0.85; got {value!r}").format(value=value)))
    return out
