"""Picking the text of a language from a record's value, defined once for pages, PDFs and forms."""

from __future__ import annotations

import functools

import yaml

from biliktilik.findings import BuildError
from biliktilik.project import TEMPLATES

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


@functools.cache
def labels(name: str) -> dict:
    """The label file ``templates/<name>/labels.yaml`` as plain data, read once per process.

    Label files hold every text people read (page wording, column titles, statuses, month names) in
    Kazakh, Russian and, where useful, English; Python holds none. ``name`` is the output folder
    under ``templates/`` (``"regulation"``, ``"site"``, ``"reports"``, ``"forms"``). The result is
    shared between callers: treat it as read-only.

    Raises BuildError naming the file when it is missing, is not valid YAML or is not a mapping."""
    path = TEMPLATES / name / "labels.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BuildError(f"cannot read the label file {path}: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise BuildError(f"the label file {path} is not a mapping of labels")
    return data


def in_languages(entry: dict, **fields) -> dict:
    """A label entry ``{en: ..., kk: ..., ru: ...}`` with ``str.format(**fields)`` applied to each
    language's text (a new dict, in the file's order of languages)."""
    return {lang: text.format(**fields) if fields else text for lang, text in entry.items()}
