"""Messages people read on the command line (findings, help, progress, errors) in Kazakh, Russian
or English, through gettext catalogs kept with Babel (``biliktilik/locale/<lang>/LC_MESSAGES/
biliktilik.po``, compiled to the ``.mo`` beside it, which is committed; ``tests/test_i18n.py``
checks that it matches its ``.po``). English is the source language: a message without a
translation is shown in English.

The language is chosen once per process by :func:`choose`: ``--lang kk|ru|en``, else the locale
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as GNU gettext reads them), else English.
Worker processes inherit it through ``BILIKTILIK_LANG``; a process that never called :func:`choose`
(a worker started by ``spawn``, a library caller) takes the environment's language at its first
message. Finding codes are never translated.

Write every message as ``_("row {row} has no amount").format(row=n)``: named placeholders, the
translation looked up before formatting, so translators can move the placeholders. A text defined
at import time (a module-level table) is marked with :func:`N_` and translated where it is used:
``_(_OUTCOME_TEXT[o])``.

argparse's own words ("usage:", "positional arguments", "error: ...") come from Python's
``argparse`` gettext domain; :func:`choose` points that domain at our catalog too, which holds
those few msgids (``ARGPARSE_MESSAGES`` below lists them for extraction)."""

from __future__ import annotations

import argparse
import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "biliktilik"
MESSAGE_LANGUAGES = ("kk", "ru", "en")
ENV = "BILIKTILIK_LANG"

_translation: gettext.NullTranslations | None = None  # None: not chosen yet (see _current_translation)
_language = "en"


def language_from_environment(environ=None) -> str:
    """The message language the environment asks for: ``BILIKTILIK_LANG``, then the first of
    LANGUAGE (a colon list), LC_ALL, LC_MESSAGES, LANG that names kk, ru or en; else ``"en"``.
    ``ru_RU.UTF-8`` -> ``"ru"``; ``C``/``POSIX`` -> ``"en"``."""
    environ = os.environ if environ is None else environ
    for var in (ENV, "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        for item in value.split(":"):
            code = item.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in MESSAGE_LANGUAGES:
                return code
        if value and var != "LANGUAGE":  # a set LC_ALL/LC_MESSAGES/LANG decides, even if it is C
            return "en"
    return "en"


def choose(lang: str | None = None) -> str:
    """Set this process's message language (``lang``, else the environment's) and return it.
    Also exported as ``BILIKTILIK_LANG`` so that worker processes speak the same language, and
    installed for argparse's own words (``usage:``, ``error:``; argparse calls ``gettext.gettext``
    and ``gettext.ngettext`` of its module at the moment it formats, so the later of two
    ``choose`` calls wins)."""
    global _translation, _language
    _language = lang if lang in MESSAGE_LANGUAGES else language_from_environment()
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[_language], fallback=True)
    os.environ[ENV] = _language
    argparse._ = _  # argparse did "from gettext import gettext as _, ngettext" at import
    argparse.ngettext = ngettext
    return _language


def _current_translation() -> gettext.NullTranslations:
    if _translation is None:
        choose()
    return _translation


def current() -> str:
    """The message language in use: ``"kk"``, ``"ru"`` or ``"en"``."""
    _current_translation()
    return _language


def _(message: str) -> str:
    """``message`` (English source text) in the chosen language."""
    return _current_translation().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for the count ``n`` in the chosen language
    (Kazakh has one form, Russian three: the catalogs' Plural-Forms say which)."""
    return _current_translation().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it (a text defined at import time,
    before the language is chosen); translate it with :func:`_` where it is shown."""
    return message


# argparse's own words that a person of this command line can see (Python 3.11-3.13 argparse.py),
# here so that extraction puts them in our catalog; :func:`choose` points argparse at it.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("%(prog)s: error: %(message)s\n"),
)
