"""The regulation transcriptions (content/regulations/*.yaml) are faithful to their sources.

(a) every word of each source, in order, is in the transcription, and the transcription adds none;
(b) Order 95 has all of its Rules' paragraphs, sub-paragraphs and annexes;
(c) anchors are unique and follow the scheme; cite() and display_number() give the expected forms.

The sources are read from $BILIKTILIK_SEEDS (default: <repo>/../shared/seeds); the faithfulness
tests are skipped only when that folder does not exist.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REG_DIR = ROOT / "content" / "regulations"
SEEDS = Path(os.environ.get("BILIKTILIK_SEEDS", ROOT.parent / "shared" / "seeds"))

from biliktilik.model import regulation_text as rt  # noqa: E402

DOC_IDS = ["order-95", "conservatory-rules", "ecd-institute-rules", "kazguu-rules"]

# --------------------------------------------------------------------------- tokens

PAGE_NUMBER = re.compile(r"^\s*\d+\s+беттің\s+\d+\s+беті\s*$")  # "13 беттің 9 беті"
TOKEN = re.compile(r"[^\W_]+")  # letters and digits; punctuation, bullets, underscores (blanks) ignored


def normalise(text: str) -> str:
    # a hyphen followed by a line break or space inside a word: "жай-\n\nкүйін", "кәсіби- жеке"
    return re.sub(r"(?<=[^\W_])[-\u2010\u2011]\s*(?=[^\W_])", "", text)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(normalise(text))


def seed_text(doc) -> str:
    """The source without its page-break artefacts (page numbers, the lines listed in page_artefacts)."""
    raw = (SEEDS / doc.source).read_text(encoding="utf-8")
    pending = Counter(doc.page_artefacts)
    kept = []
    for line in raw.splitlines():
        clean = re.sub(r"\s+", " ", line).strip()
        if PAGE_NUMBER.match(line):
            pending[clean] -= 1 if pending[clean] > 0 else 0
            continue
        if pending[clean] > 0:
            pending[clean] -= 1
            continue
        kept.append(line)
    unused = [a for a, n in pending.items() if n > 0]
    assert not unused, f"{doc.id}: page_artefacts not found in the source: {unused}"
    return "\n".join(kept)


def align(seed: list[str], trans: list[str]):
    """Greedy in-order match of the source tokens within the transcription's.

    A transcription word may be the join of consecutive source tokens (a word the PDF broke over
    narrow table-column lines without a hyphen: "Ме / кте / п" -> "Мектеп"). Returns
    (index of the first unmatched source token or None, positions of transcription tokens not
    matched by any source token, the joined words)."""
    i = j = 0
    extra, joined = [], []
    while i < len(seed):
        if j >= len(trans):
            return i, extra, joined
        if seed[i] == trans[j]:
            i, j = i + 1, j + 1
            continue
        acc, k = seed[i], i
        while len(acc) < len(trans[j]) and trans[j].startswith(acc) and k + 1 < len(seed):
            k += 1
            acc += seed[k]
        if acc == trans[j]:
            joined.append(trans[j])
            i, j = k + 1, j + 1
            continue
        extra.append(j)
        j += 1
    extra.extend(range(j, len(trans)))
    return None, extra, joined


def first_difference(seed: list[str], trans: list[str]) -> str:
    """A readable account of the first passage where the two token lists part."""
    sm = difflib.SequenceMatcher(None, seed, trans, autojunk=False)
    for op, a1, a2, b1, b2 in sm.get_opcodes():
        if op == "equal":
            continue
        before = " ".join(seed[max(0, a1 - 8):a1])
        return (f"{op}: source has [{' '.join(seed[a1:a2][:40])}], transcription has "
                f"[{' '.join(trans[b1:b2][:40])}] after «… {before}» (source token {a1})")
    return "no difference"


@pytest.fixture(scope="module")
def docs():
    return {i: rt.load(REG_DIR / f"{i}.yaml") for i in DOC_IDS}


# --------------------------------------------------------------------------- (a) faithfulness


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"source documents not found at {SEEDS} (set BILIKTILIK_SEEDS)")
@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_word_of_the_source_in_order(docs, doc_id):
    doc = docs[doc_id]
    seed = tokens(seed_text(doc))
    trans = tokens("\n".join(rt.printed_text(doc)))
    assert len(seed) > 500
    missing_at, extra, joined = align(seed, trans)
    if missing_at is not None:
        context = " ".join(seed[missing_at:missing_at + 25])
        pytest.fail(f"{doc_id}: source words missing or out of order from token {missing_at}: «{context} …»\n"
                    f"{first_difference(seed, trans)}")
    if extra:
        j = extra[0]
        pytest.fail(f"{doc_id}: {len(extra)} transcription words are not in the source, first at «"
                    f"{' '.join(trans[max(0, j - 5):j + 10])}»\n{first_difference(seed, trans)}")
    # words are rejoined only where the PDF broke them inside a narrow table column
    cells = set(tokens("\n".join(table_cells(doc))))
    stray = [w for w in joined if w not in cells]
    assert not stray, f"{doc_id}: source tokens joined outside tables (a lost space?): {stray}"


def table_cells(doc):
    for b in doc.blocks:
        tables = [ln for ln in b.lines if isinstance(ln, rt.Table)] if b.kind == "annex" else []
        if b.kind == "table":
            tables.append(b)
        for t in tables:
            yield from t.columns
            for r in t.rows:
                yield from r


def test_align_joins_words_split_by_narrow_columns():
    assert align(["Ме", "кте", "п", "Т", "А", "Ә"], ["Мектеп", "ТАӘ"]) == (None, [], ["Мектеп", "ТАӘ"])
    assert align(["a", "b", "c"], ["a", "c"])[0] == 1
    assert align(["a", "c"], ["a", "b", "c"]) == (None, [1], [])
    assert tokens("жай-\n\nкүйін кәсіби- жеке ____ 80%-на") == tokens("жай-күйін кәсіби-жеке 80%-на")


# --------------------------------------------------------------------------- (b) structure of Order 95


def test_order_95_rules_are_complete(docs):
    doc = docs["order-95"]
    a = rt.anchors(doc)
    for n in range(1, 39):
        assert f"p{n}" in a, f"order-95: paragraph {n} of the Rules missing"
    assert "p39" not in a
    assert [x for x in a if re.fullmatch(r"p24-\d+", x)] == ["p24-1", "p24-2", "p24-3", "p24-4"]
    assert "p23" in a and {"p23-1", "p23-2", "p23-3", "p23-part2-1", "p23-part2-2"} <= set(a)
    for n in range(1, 7):
        assert f"annex-{n}" in a
    for n in range(1, 6):
        assert f"order-p{n}" in a
    assert [f"ch{n}" for n in range(1, 5)] == [x for x in a if x.startswith("ch")]
    # the Rules' paragraphs are in order and each chapter opens where the source opens it
    rules = [x for x in a if re.fullmatch(r"p\d+", x)]
    assert rules == [f"p{n}" for n in range(1, 39)]
    assert a.index("ch2") == a.index("p5") - 1 and a.index("ch4") < a.index("p34")
    assert "p1-note1" in a and a.index("p1-note1") > a.index("p1")
    p24 = doc.node("p24").obj
    assert [i.number for i in p24.items] == ["1)", "2)", "3)", "4)"]
    assert "80%" in p24.items[2].text and "50%" in p24.items[3].text


def test_organisation_documents_structure(docs):
    k = rt.anchors(docs["kazguu-rules"])
    assert {"p6-3-1", "p6-3-2", "p8-1", "p8-1-table1", "annex-1", "annex-1-table1"} <= set(k)
    table = docs["kazguu-rules"].node("p8-1-table1").obj
    assert len(table.rows) == 5 and table.rows[0] == ["1.", "50 000 тг", "3 ай"]
    c = rt.anchors(docs["conservatory-rules"])
    assert {"s1", "p1-1", "p1-2", "p1-2-1", "annex-1", "annex-2", "annex-2-1", "annex-2-2"} <= set(c)
    assert [x for x in c if re.fullmatch(r"s\d+", x)] == [f"s{n}" for n in range(1, 10)]
    e = rt.anchors(docs["ecd-institute-rules"])
    assert [x for x in e if re.fullmatch(r"p\d+", x)] == [f"p{n}" for n in range(1, 30)]


# --------------------------------------------------------------------------- (c) anchors and citations


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_anchors_unique_and_well_formed(docs, doc_id):
    a = rt.anchors(docs[doc_id])
    dup = [x for x, n in Counter(a).items() if n > 1]
    assert not dup, f"{doc_id}: duplicate anchors {dup}"
    bad = [x for x in a if not rt.ANCHOR_RE.match(x)]
    assert not bad, f"{doc_id}: malformed anchors {bad}"
    assert docs[doc_id].language == "kk"
    assert set(docs[doc_id].title) <= {"kk", "ru"} and docs[doc_id].title["kk"]


def test_cite_and_display_number(docs):
    d = docs["order-95"]
    assert rt.display_number(d, "p24-3") == "24.3"
    assert rt.cite(d, "p24-3") == "№ 95 бұйрық, 24-тармақ 3) тармақша"
    assert rt.cite(d, "p24-3", "ru") == "Приказ № 95, пп. 3) п. 24"
    assert rt.cite(d, "p24-3", "en") == "Order 95, p. 24.3"
    assert rt.cite(d, "order-p2-1") == "№ 95 бұйрық, бұйрық мәтіні, 2-тармақ 1) тармақша"
    assert rt.cite(d, "annex-3") == "№ 95 бұйрық, 3-қосымша"
    assert rt.cite(d, "p1-note1", "en") == "Order 95, p. 1, note"
    k = docs["kazguu-rules"]
    assert rt.display_number(k, "p6-3-1") == "6.3.1"
    assert rt.display_number(k, "p7-14b") == "7.14 (2)"
    with pytest.raises(KeyError):
        rt.cite(d, "p99")


def _write(tmp_path, blocks_yaml: str, name="x") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"id: {name}\nlanguage: kk\ntitle: {{kk: X}}\nshort: {{kk: X}}\nblocks:\n{blocks_yaml}",
                 encoding="utf-8")
    return p


def test_duplicate_and_malformed_anchors_are_rejected(tmp_path):
    ok = "- {kind: paragraph, id: p1, number: '1', text: a, items: [{id: p1-1, number: 1), text: b}]}\n"
    assert rt.anchors(rt.load(_write(tmp_path, ok))) == ["p1", "p1-1"]
    cases = {
        "duplicate anchor 'p1'": ok + "- {kind: paragraph, id: p1, number: '1', text: c}\n",
        "malformed anchor 'P 2'": "- {kind: paragraph, id: 'P 2', number: '2', text: a}\n",
        "paragraph 2 must be 'p2'": "- {kind: paragraph, id: p3, number: '2', text: a}\n",
        "must be 'p1-1'": "- {kind: paragraph, id: p1, number: '1', text: a, items: [{id: p1-2, text: b}]}\n",
        "a note is": "- {kind: note, id: p7-note1, text: a}\n",
        "unknown kind": "- {kind: poem, id: x1, text: a}\n",
    }
    for message, body in cases.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            rt.load(_write(tmp_path, body))
