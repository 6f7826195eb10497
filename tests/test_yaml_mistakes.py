"""The usual YAML mistakes get a finding in plain words at their line (biliktilik.load.yamlload)."""

from __future__ import annotations

import pytest

from biliktilik.load.yamlload import load_text

HEAD = "id: c1\nlisteners:\n  - id: l01\n"

CASES = [
    # (text, code, line, column, words the message must hold)
    (HEAD + "    employer: a\n     position: b\n", "yaml.indentation", 5, 6, ["indented by 5 spaces", "above by 4"]),
    (HEAD + "    employer: a\n   position: b\n", "yaml.indentation", 5, 4, ["indented by 3 spaces", "above by 4"]),
    ("id: c1\nseats: 3\n start: 2026-01-01\n", "yaml.indentation", 3, 2, ["indented by 1 spaces", "above by 0"]),
    ("id: c1\nseats:3\nstart: 2026-01-01\n", "yaml.colon-space", 2, 1, ["'seats:3'", "write 'seats: 3'"]),
    (HEAD + "    employer:a\n    position: b\n", "yaml.colon-space", 4, 5, ["write 'employer: a'"]),
    ("id: c1\nvenue: 'Абай 5\nseats: 3\n", "yaml.unclosed-quote", 2, 8, ["never closed"]),
    ("id: c1\nvenue: \"Абай 5\nseats: 3\n", "yaml.unclosed-quote", 2, 8, ["never closed"]),
    ("id: c1\nvenue: Hall: A\nseats: 3\n", "yaml.colon-in-value", 2, 12, ["venue: 'Hall: A'"]),
    (HEAD + "    employer: Гимназия #3\n", "yaml.comment-in-text", 4, 24,
     ["employer is only 'Гимназия'", "employer: 'Гимназия #3'"]),
    (HEAD + "    name: {surname: Ким #2, given: Анна}\n", "yaml.comment-in-text", 4, 25, ["in quotes"]),
]


@pytest.mark.parametrize("text,code,line,column,words", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_a_yaml_mistake_is_told_in_plain_words(text, code, line, column, words):
    findings = []
    load_text(text, "x.yaml", findings)
    assert [(f.code, f.line, f.column) for f in findings] == [(code, line, column)], [f.text() for f in findings]
    for word in words:
        assert word in findings[0].message, findings[0].message


def test_comments_after_ids_numbers_and_quoted_text_are_fine():
    text = HEAD + ("    employer: '№ 3 мектеп' # quoted: the comment is a comment\n"
                   "    position: мұғалім\n"
                   "    certificate:\n"
                   "      replaces: NIT-2025-0002  # a sample correction\n"
                   "    attendance: 0.9  # of 40 hours\n"
                   "    # a comment of its own\n")
    findings = []
    data = load_text(text, "x.yaml", findings)
    assert findings == [], [f.text() for f in findings]
    assert data["listeners"][0]["employer"] == "№ 3 мектеп"


def test_the_shipped_data_has_no_cut_text():
    """Real comments after values exist in data/ (after ids and enumerations): none is flagged."""
    from conftest import DATA

    for path in sorted(DATA.rglob("*.yaml")):
        findings = []
        load_text(path.read_text(encoding="utf-8"), str(path), findings)
        assert not [f for f in findings if f.code == "yaml.comment-in-text"], [f.text() for f in findings]
