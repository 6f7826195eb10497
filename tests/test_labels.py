"""Texts people read live in label files (templates/<output>/labels.yaml), never in Python
dictionaries: no module under biliktilik/ or generators/ may hold a dict literal keyed by the
language codes "kk" and "ru" whose values are words. The loader reads each file once and refuses
a broken one with one line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from biliktilik import project
from biliktilik.findings import BuildError

ROOT = Path(__file__).resolve().parent.parent

# generators/catalog_pages.py is being converted to templates by another change (its T dict goes then).


def _wording(node) -> bool:
    """A literal that holds words: a non-empty string, an f-string with literal text, or a dict, list
    or tuple literal holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_wording(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.Dict):
        return any(_wording(v) for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_wording(v) for v in node.elts)
    return False


def label_dicts(source: str) -> list[int]:
    """Line numbers of the dict literals keyed by "kk" and "ru" whose kk or ru value holds words."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            by_key = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
            if "kk" in by_key and "ru" in by_key and (_wording(by_key["kk"]) or _wording(by_key["ru"])):
                out.append(node.lineno)
    return sorted(out)


def test_no_module_holds_a_label_dictionary():
    found = []
    for folder in ("biliktilik", "generators"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            found += [f"{rel}:{line}" for line in label_dicts(path.read_text(encoding="utf-8"))]
    assert found == [], "label dictionaries in Python (move them to templates/<output>/labels.yaml): " + ", ".join(found)


@pytest.mark.parametrize("source, lines", [
    ('T = {"kk": {"a": "сөз"}, "ru": {"a": "слово"}}', [1]),
    ('X = {"kk": "қазақша", "ru": "на русском"}', [1]),
    ('X = {"kk": f"{n} ай", "ru": f"{n} мес."}', [1]),
    ('M = {"kk": ["қаңтар"], "ru": ["января"]}', [1]),
    ('X = {"kk": "", "ru": ""}', []),  # empty values: data, not wording
    ('X = {"kk": text_of(v, "kk"), "ru": text_of(v, "ru")}', []),
    ('X = {"en": "month"}', []),
])
def test_the_detector_finds_label_dictionaries(source, lines):
    assert label_dicts(source) == lines


def test_every_label_file_reads_and_has_both_languages():
    for name in ("regulation", "site", "reports", "forms"):
        data = project.labels(name)
        assert project.labels(name) is data  # read once
        if name != "reports":
            assert set(data["kk"]) == set(data["ru"]), name  # every Kazakh label has its Russian
    for entry in (*project.labels("reports")["titles"].values(), *project.labels("reports")["status"].values()):
        assert set(entry) == {"en", "kk", "ru"}


def test_a_broken_label_file_is_one_clear_error(tmp_path, monkeypatch):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "labels.yaml").write_text("kk: [unclosed\n", encoding="utf-8")
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "labels.yaml").write_text("- a\n", encoding="utf-8")
    monkeypatch.setattr(project, "TEMPLATES", tmp_path)
    project.labels.cache_clear()
    try:
        for name, words in (("bad", "cannot read the label file"), ("missing", "cannot read the label file"),
                            ("list", "is not a mapping")):
            with pytest.raises(BuildError) as exc:
                project.labels(name)
            assert words in str(exc.value) and "\n" not in str(exc.value), str(exc.value)
            assert str(tmp_path / name / "labels.yaml") in str(exc.value)
    finally:
        project.labels.cache_clear()


def test_russian_words_are_order_95s_own():
    """Order 95's Russian text says «повторная оценка» (not «переоценивание»), «итоговая оценка» (not
    «аттестация») and «сертификат» (not «удостоверение») for the document issued; every label file
    and form layout this project owns, and the verification page, use those words (the signed Open Badges
    credential is «электронный сертификат»)."""
    from biliktilik.project import TEMPLATES

    files = [p for p in TEMPLATES.rglob("*.yaml")] + [TEMPLATES / "forms" / "form.html.j2",
                                                    TEMPLATES / "verification" / "page.html"]
    wrong = []
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for word in ("переоценив", "аттестац", "удостоверени"):
            if word in text:
                wrong.append(f"{path.relative_to(TEMPLATES)}: {word}")
    assert not wrong, wrong
