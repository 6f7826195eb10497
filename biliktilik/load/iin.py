"""Kazakhstan's individual identification number (IIN, ЖСН): 12 digits, YYMMDD,
a century/sex digit, four serial digits and a check digit."""

from __future__ import annotations

import datetime as dt
from biliktilik.i18n import _

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def check_digit(first11: str) -> int | None:
    """The 12th digit for the first 11, or None where no digit is possible."""
    digits = [int(c) for c in first11]
    value = sum(w * d for w, d in zip(_W1, digits)) % 11
    if value == 10:
        value = sum(w * d for w, d in zip(_W2, digits)) % 11
        if value == 10:
            return None
    return value


def problem(iin: str) -> str | None:
    """What is wrong with an IIN, or None when it is valid."""
    if len(iin) != 12 or not iin.isdigit():
        return _("an IIN has 12 digits")
    expected = check_digit(iin[:11])
    if expected is None:
        return _("no valid check digit exists for these first 11 digits")
    if expected != int(iin[11]):
        return _("the check digit is {iin}, the checksum gives {expected}").format(iin=iin[11], expected=expected)
    century = _CENTURY.get(int(iin[6]))
    if century is not None:
        try:
            dt.date(century + int(iin[:2]), int(iin[2:4]), int(iin[4:6]))
        except ValueError:
            return _("digits 1-6 ({iin}) are not a birth date YYMMDD").format(iin=iin[:6])
    return None


def make(birth: dt.date, female: bool, serial: int) -> str:
    """A checksum-valid IIN for synthetic data; ``serial`` is varied until one exists."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + (1 if female else 0)
    while True:
        first = f"{birth:%y%m%d}{century_digit}{serial % 10000:04d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)
        serial += 1


def sex(iin) -> str | None:
    """'m' or 'f' as the IIN's 7th digit tells it, or None.

    Kazakhstan's IIN (Law "On national registers of identification numbers", 2007; the 7th digit
    encodes century and sex): 1, 3, 5 a man born in the 19th, 20th, 21st century; 2, 4, 6 a woman.
    None for anything that is not a checksum-valid IIN (see :func:`problem`) or whose 7th digit is
    0 or 7-9 (numbers given to foreigners and legal entities do not tell the sex)."""
    if not isinstance(iin, str) or problem(iin) is not None:
        return None
    digit = int(iin[6])
    if digit in (1, 3, 5):
        return "m"
    if digit in (2, 4, 6):
        return "f"
    return None
