"""Messages people read on the command line (findings, help, progress, errors) in Kazakh, Russian
or English, through gettext catalogs kept with Babel (``biliktilik/locale/<lang>/LC_MESSAGES/
biliktilik.po``). English is the source language: a message without a translation is shown in English.

The language is chosen once per process by :func:`choose`: ``--lang kk|ru|en``, else the locale
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as GNU gettext reads them), else English.
Worker processes inherit it through ``BILIKTILIK_LANG``. Finding codes are never translated.

Write every message as ``_("row {row} has no amount").format(row=n)``: named placeholders, the
translation looked up before formatting, so translators can move the placeholders."""

from __future__ import annotations

import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "biliktilik"
MESSAGE_LANGUAGES = ("kk", "ru", "en")
ENV = "BILIKTILIK_LANG"

_translation: gettext.NullTranslations = gettext.NullTranslations()
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
    Also exported as ``BILIKTILIK_LANG`` so that worker processes speak the same language."""
    global _translation, _language
    _language = lang if lang in MESSAGE_LANGUAGES else language_from_environment()
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[_language], fallback=True)
    os.environ[ENV] = _language
    return _language


def current() -> str:
    """The message language in use: ``"kk"``, ``"ru"`` or ``"en"``."""
    return _language


def _(message: str) -> str:
    """``message`` (English source text) in the chosen language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for the count ``n`` in the chosen language."""
    return _translation.ngettext(singular, plural, n)
