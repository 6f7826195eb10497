"""The catalog's templates escape every value for where it lands, and its label file has every
text in every language (generators/kit/mdtemplates.py, templates/catalog/)."""

from __future__ import annotations

import json

import pytest
from markupsafe import Markup

from biliktilik.project import LANGUAGES
from generators import catalog_pages
from generators.kit import mdtemplates

HOSTILE = 'A "b" </script><img src=x onerror=alert(1)> [x](javascript:alert(1)) *y* & z'


def _render(source: str, **values) -> str:
    env = mdtemplates.environment(catalog_pages.TEMPLATES)
    return env.from_string(source).render(**values)


def test_a_plain_value_prints_as_markdown_text_without_markup():
    out = _render("{{ x }}", x=HOSTILE)
    assert "<" not in out and ">" not in out
    assert "\\[x\\]\\(javascript:alert\\(1\\)\\)" in out and "\\*y\\*" in out and "&amp;" in out


def test_html_attribute_and_link_target_cannot_be_left():
    out = _render('<p title="{{ x|html }}"><a href="{{ u|url }}">l</a> [l]({{ u|url }})</p>', x=HOSTILE,
                  u='https://a.kz/x") onclick="1 (b)')
    assert out.count('"') == 4 and "<img" not in out
    assert "%22%29%20onclick=%221%20%28b%29" in out


def test_json_ld_cannot_close_its_script_element():
    text = str(mdtemplates.jsonld({"name": HOSTILE}))
    assert "</script>" not in text and "<" not in text and "&" not in text
    assert json.loads(text)["name"] == HOSTILE


def test_a_label_with_parts_escapes_the_label_and_plain_parts_but_keeps_markup_parts():
    out = mdtemplates.md_fill("[{a}] {b} *", a="*x*", b=Markup("[ok](y.md)"))
    assert out == "\\[\\*x\\*\\] [ok](y.md) \\*"


def test_every_label_has_every_language():
    for lang in LANGUAGES:
        assert catalog_pages.labels(lang).keys() == catalog_pages.labels(LANGUAGES[0]).keys()


def test_a_label_missing_a_language_is_a_one_line_error(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text("catalog:\n  kk: Каталог\n", encoding="utf-8")
    with pytest.raises(mdtemplates.LabelError, match="label 'catalog' has no text for ru"):
        mdtemplates.labels(path, ("kk", "ru"))
