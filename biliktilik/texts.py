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
