"""Picking the text of a language from a record's value, defined once for pages, PDFs and forms."""

from __future__ import annotations

DEFAULT_LANGUAGE = "kk"  # every bilingual value has Kazakh (the schemas require it); Russian may be missing


def text_of(value, lang: str, missing=""):
    """The text of ``value`` in ``lang``.

    ``value`` is a bilingual mapping ``{"kk": ..., "ru": ...}`` (Kazakh when ``lang`` has none), a
    plain value (returned as it is), or None. ``missing`` is returned when there is no text at all
    (forms pass None to tell a missing field from an empty one)."""
    if isinstance(value, dict):
        return value.get(lang) or value.get(DEFAULT_LANGUAGE) or missing
    if value is None or value == "":
        return missing
    return value



def in_languages(entry: dict, **fields) -> dict:
    """A label entry ``{en: ..., kk: ..., ru: ...}`` with ``str.format(**fields)`` applied to each
    language's text (a new dict, in the file's order of languages)."""
    return {lang: text.format(**fields) if fields else text for lang, text in entry.items()}


# --------------------------------------------------------------------------- alphabetical order

_COLLATORS: dict = {}


def _collator(lang: str):
    """ICU's collator of ``lang`` (CLDR's "kk" or "ru" tailoring), made once per process."""
    col = _COLLATORS.get(lang)
    if col is None:
        import icu  # PyICU: ICU's Unicode Collation Algorithm with the CLDR tailorings

        col = _COLLATORS[lang] = icu.Collator.createInstance(icu.Locale(lang if lang in ("kk", "ru") else DEFAULT_LANGUAGE))
    return col


def sort_key(text, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The key that puts texts (people's names, titles) in the alphabetical order of ``lang``.

    ``text``: a string (None and non-strings are taken as their ``str``; None as ""); ``lang``: "kk"
    (the Kazakh alphabet: А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І
    Ь Э Ю Я) or "ru" (the Russian alphabet, Ё with Е, and the Kazakh letters after their base letters
    as ICU's root order puts them: Ә after А, І after И, Қ after К ...); any other language sorts as
    Kazakh. Returns ICU's binary sort key (``bytes``; compare keys of one language only). Follows the
    Unicode Collation Algorithm (UTS #10) with CLDR's "kk" and "ru" collations, through PyICU. Case and
    accents only break ties; Python's code-point order (which puts Ә Ғ Қ Ң Ө Ұ Ү Һ І after Я and Ё
    before А) is never used."""
    return _collator(lang).getSortKey("" if text is None else str(text))


def name_sort_key(name, lang: str = DEFAULT_LANGUAGE) -> tuple:
    """The alphabetical key of a person's name ``{surname, given, patronymic}`` (a string is one
    surname): surname first, then given name, then patronymic, each by :func:`sort_key` in ``lang``."""
    if not isinstance(name, dict):
        return (sort_key(name, lang),)
    return tuple(sort_key(name.get(part) or "", lang) for part in ("surname", "given", "patronymic"))
