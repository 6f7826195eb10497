"""Jinja2 for the Markdown pages MkDocs renders (Python-Markdown with raw HTML and ``md_in_html``),
and the label files that hold their wording.

One environment per template folder, made once. Every value a template prints is escaped for
where it lands, so a text from ``data/`` cannot become markup:

================================  =============================================================
``{{ x }}``                        Markdown text (the default for every plain string):
                                   ``sitekit.esc_md``, which also escapes ``& < >``
``{{ x|html }}``                   HTML text, or a double-quoted attribute value (``esc_html``)
``{{ x|url }}``                    a link target: characters that end a Markdown link or an
                                   attribute (space, ``( ) < > " \\``) are percent-encoded
``{{ d|jsonld }}``                 JSON for ``<script type="application/ld+json">``: ``< > &``
                                   as ``\\u003c \\u003e \\u0026`` (``</script>`` cannot close it)
``{{ fill(label, part=...) }}``    a label (Markdown-escaped) with ready-made parts put in
``{{ label|fill_html(...) }}``     the same for HTML text
================================  =============================================================

Values that are already markup (``markupsafe.Markup``: macro results, the filters above,
``date_html``) are printed unchanged. ``StrictUndefined``: a missing name stops the build.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from pathlib import Path

import jinja2
import yaml
from markupsafe import Markup

from biliktilik.findings import BuildError

from generators.kit.sitekit import date_html, esc_html, esc_md, front_matter, paragraphs
from generators.kit import jinja


class LabelError(BuildError):
    """A label file that cannot be used (unreadable, or a key missing a language)."""


@functools.lru_cache(maxsize=None)
def labels(path: Path, languages: tuple[str, ...]) -> dict[str, dict]:
    """A label file ``{key: {lang: text}}`` -> ``{lang: {key: text}}``.

    Every key must have a non-empty value for every language in ``languages`` (an empty
    string is allowed where a language needs no text). Raises LabelError with one line.
    """
    try:
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise LabelError(f"{path}: cannot read the labels: {exc}") from exc
    if not isinstance(raw, dict):
        raise LabelError(f"{path}: expected a mapping of label keys")
    out: dict[str, dict] = {lang: {} for lang in languages}
    for key, texts in raw.items():
        missing = [lang for lang in languages if not isinstance(texts, dict) or texts.get(lang) is None]
        if missing:
            raise LabelError(f"{path}: label '{key}' has no text for {', '.join(missing)}")
        for lang in languages:
            out[lang][key] = texts[lang]
    return out


def md_fill(label: str, **parts) -> Markup:
    """A label with parts put in (``str.format`` fields): the label's own text is escaped as
    Markdown; the parts are escaped as Markdown too unless they are already Markup."""
    marks = {key: f"\x00{i}\x00" for i, key in enumerate(parts)}
    out = esc_md(str(label).format(**marks))
    for key, mark in marks.items():
        part = parts[key]
        out = out.replace(mark, part if isinstance(part, Markup) else esc_md(part))
    return Markup(out)


def html_fill(label: str, **parts) -> Markup:
    """The HTML-text twin of ``md_fill``."""
    marks = {key: f"\x00{i}\x00" for i, key in enumerate(parts)}
    out = esc_html(str(label).format(**marks))
    for key, mark in marks.items():
        part = parts[key]
        out = out.replace(mark, part if isinstance(part, Markup) else esc_html(part))
    return Markup(out)


def jsonld(data) -> Markup:
    """JSON-LD for a ``<script type="application/ld+json">`` element (schema.org; HTML's script
    data state: ``<``, ``>`` and ``&`` are written as JSON escapes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def url(value) -> Markup:
    """A link target safe in a Markdown link ``(...)`` and in a double-quoted attribute."""
    return Markup(urllib.parse.quote(str(value), safe="/:?#[]@!$&'*+,;=%-._~"))


def paras(text) -> Markup:
    """A folded YAML text as Markdown paragraphs (each escaped)."""
    return Markup("\n\n".join(esc_md(p) for p in paragraphs(text)))


def bullets(items, ordered: bool = False) -> Markup:
    """Plain-text items as a Markdown list (``-`` or ``1.``), empty items left out."""
    mark = "1." if ordered else "-"
    return Markup("\n".join(f"{mark} {esc_md(x)}" for x in items if str(x).strip()))


def code(value) -> Markup:
    """A Markdown code span (backticks in the value are dropped; Markdown escapes the rest)."""
    return Markup("`" + str(value).replace("`", "") + "`")


def _markdown_text(value):
    """Jinja's finalize: a plain value printed without a filter is Markdown text."""
    if isinstance(value, Markup) or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return Markup(esc_md(value))


def environment(folder: Path) -> jinja2.Environment:
    """The environment for one folder of ``*.md.j2`` templates (see the module's table)."""
    env = jinja.environment(folder, autoescape=True, undefined=jinja2.StrictUndefined, finalize=_markdown_text,
                            keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(html=lambda v: Markup(esc_html(v)), md=lambda v: Markup(esc_md(v)), url=url,
                       jsonld=jsonld, code=code, paras=paras, bullets=bullets, fill_html=html_fill)
    env.globals.update(fill=md_fill, date_html=lambda d, lang: Markup(date_html(d, lang)),
                       front_matter=lambda **meta: Markup(front_matter(**meta).rstrip("\n")))
    return env
