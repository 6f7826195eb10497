"""Regulation pages: every document in full as published, every block with its stable anchor,
the amendment notes, the annexes linking to their blank forms, the Russian pages showing the
Kazakh text (never a translation), and the two-way links between the validator's rules and
the paragraphs they come from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from biliktilik.load.dataset import load_dataset
from biliktilik.model.facts import compute
from conftest import DATA, ROOT
from biliktilik.model import regulation_text as rt

DOCS = rt.load_all(ROOT / "content" / "regulations")
LANGS = {"kk": "", "ru": "ru/"}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def norm(s: str) -> str:
    return " ".join(str(s).split())


@pytest.fixture(scope="module")
def pages(sample_site):
    return {(doc, lang): soup(sample_site / prefix / "regulations" / doc / "index.html")
            for doc in DOCS for lang, prefix in LANGS.items()}


@pytest.fixture(scope="module")
def facts():
    import datetime as dt
    ds = load_dataset(DATA, use_cache=False)
    return ds, compute(ds, dt.date(2026, 11, 23))


def test_the_four_documents_are_published_in_both_languages(pages):
    assert set(DOCS) == {"order-95", "conservatory-rules", "ecd-institute-rules", "kazguu-rules"}
    for (doc, lang), page in pages.items():
        assert page.html["lang"] == lang
        h1 = norm(page.find("h1").get_text()).rstrip("¶").strip()
        assert h1 == norm(DOCS[doc].title[lang])


def test_every_anchor_of_every_document_is_on_its_page(pages):
    for (doc, lang), page in pages.items():
        ids = {t["id"] for t in page.find_all(id=True)}
        missing = [a for a in rt.anchors(DOCS[doc]) if a not in ids]
        assert not missing, (doc, lang, missing[:5])


def test_every_printed_line_is_on_the_page_in_order(pages):
    """The whole text as published: each printed line, in document order, and nothing dropped."""
    def same(s):  # the page shows "24." where printed_text() gives the bare number "24"
        return re.sub(r"(\d)\.(\s)", r"\1\2", norm(s))

    for (doc, lang), page in pages.items():
        body = same(page.find("article").get_text(" "))
        pos = 0
        for line in rt.printed_text(DOCS[doc]):
            for piece in re.split(r"(?:^|\s)\|(?=\s|$)", same(line)):  # a table row: its cells, in order
                piece = piece.strip()
                if not piece:
                    continue
                found = body.find(piece, pos)
                assert found >= 0, (doc, lang, piece[:80])
                pos = found + len(piece)


def test_order_95_paragraphs_anchors_and_text(pages):
    doc = DOCS["order-95"]
    for lang in LANGS:
        page = pages[("order-95", lang)]
        for n in range(1, 39):  # the Rules' 38 points
            el = page.find(id=f"p{n}")
            block = doc.node(f"p{n}").obj
            assert el is not None and norm(block.text) in norm(el.get_text(" ")), n
            assert el.find("a", class_="bk-n")["href"] == f"#p{n}"  # the number links to itself
        for n in range(1, 5):
            heading = page.find(id=f"ch{n}")
            assert heading.name in ("h2", "h3") and norm(heading.get_text()).startswith(f"{n}-т")  # "тaraу" as printed
        sub = page.find(id="p24-3")
        assert sub.name == "li" and "80%" in sub.get_text()
        notes = page.select(".bk-note")
        assert len(notes) == sum(1 for b in doc.blocks if b.kind == "note") > 0
        assert all(norm(n.get_text()).startswith("Ескерту") for n in notes)


def test_the_six_annexes_link_to_their_blank_forms(pages, sample_site):
    for lang, prefix in LANGS.items():
        page = pages[("order-95", lang)]
        for n in range(1, 7):
            heading = page.find(id=f"annex-{n}")
            assert heading is not None and heading.name == "h2"
            box = heading.find_next("div", class_="bk-annex")
            links = {a["hreflang"]: a["href"] for a in box.select(".bk-form-link a")}
            assert set(links) == {"kk", "ru"}, n
            for flang, href in links.items():
                assert href.endswith(f"forms/order-95/annex-{n}.{flang}.pdf")
                target = (sample_site / prefix / "regulations" / "order-95" / href).resolve()
                assert target.is_file() and target.read_bytes()[:5] == b"%PDF-", href
    conservatory = pages[("conservatory-rules", "kk")]
    for anchor in ("annex-1", "annex-2-1", "annex-2-2", "amendment-sheet", "acknowledgement-sheet"):
        el = conservatory.find(id=anchor)
        link = el.find_next("p", class_="bk-form-link")
        assert link is not None and f"forms/conservatory/{anchor}.kk.pdf" in link.find("a")["href"], anchor


def test_the_russian_pages_show_the_kazakh_text_and_say_so(pages):
    for doc in DOCS:
        page = pages[(doc, "ru")]
        note = page.find(class_="bk-lang-note")
        assert note is not None and "казахском" in note.get_text()
        for anchor in rt.anchors(DOCS[doc]):
            el = page.find(id=anchor)
            if el.name == "h2" and anchor.startswith("annex-"):  # "Приложение 1. <span lang=kk>title</span>"
                assert el.find("span", lang="kk") is not None, (doc, anchor)
                el = el.find_next("div", class_="bk-annex")
            marked = el if el.get("lang") else el.find_parent(attrs={"lang": True})
            assert marked is not None and marked["lang"] == "kk", (doc, anchor)
        assert page.find("html")["lang"] == "ru"
        assert page.find(class_="md-search__input")["placeholder"] == "Поиск"  # the interface is Russian


def _checked_anchors(ds, facts):
    out = set()
    for rules in facts.rules.values():
        for _, rule in rules.items():
            out.add((rule.source.document, rule.source.anchor))
    for rec in ds.rulesets.values():
        for rule in rec.data["rules"].values():
            out.add((rec.data["document"], rule["source"].rpartition("#")[2]))
    return out


def test_every_checked_paragraph_says_so_and_links_to_what_is_checked(pages, facts, sample_site):
    ds, fc = facts
    checked = _checked_anchors(ds, fc)
    assert ("order-95", "p24-3") in checked and ("conservatory-rules", "annex-2-1") in checked
    checks = soup(sample_site / "regulations" / "checks" / "index.html")
    for lang in LANGS:
        for doc in DOCS:
            page = pages[(doc, lang)]
            for anchor in rt.anchors(DOCS[doc]):
                el = page.find(id=anchor)
                if el.name in ("h2", "h3"):  # a heading's badge is on the line after it
                    line = el.find_next("p", class_="bk-checked-line")
                    own = line.find_all("a") if line and line.find_previous(["h2", "h3"]) is el else []
                else:  # a block's own badge, not one of its sub-paragraphs'
                    own = [b for b in el.find_all("a", class_="bk-checked") if b.find_parent(id=True) is el]
                if (doc, anchor) in checked:
                    assert own, (lang, doc, anchor)
                    assert own[0]["href"].endswith(f"checks/#{doc}-{anchor}")
                    assert own[0].get_text() == ("тексеріледі" if lang == "kk" else "проверяется")
                else:
                    assert not own, (lang, doc, anchor)
    # p1 of Order 95 is not a rule: no badge on it
    p1 = pages[("order-95", "kk")].find(id="p1")
    assert p1.find("a", class_="bk-checked") is None
    # the checks page: one row anchor per checked paragraph, linking back to it
    for doc, anchor in checked:
        row = checks.find(id=f"{doc}-{anchor}")
        assert row is not None, (doc, anchor)
        back = row.find_next("a")
        assert back["href"] == f"../{doc}/#{anchor}"  # from regulations/checks/


def test_organisation_pages_link_every_rule_to_its_paragraph(facts, sample_site):
    ds, fc = facts
    for oid, rules in fc.rules.items():
        for lang, prefix in LANGS.items():
            page = soup(sample_site / prefix / "organisations" / oid / "index.html")
            table = page.find(id="rules").find_next("table")
            hrefs = [a["href"] for a in table.find_all("a")]
            for key, rule in rules.items():
                want = f"regulations/{rule.source.document}/#{rule.source.anchor}"
                assert any(h.endswith(want) for h in hrefs), (oid, lang, key, want)
            assert len(table.find_all("tr")) - 1 == len(rules.items())
    # a finding's source, as the validator prints it, is on the checks page under the rule it names
    checks = soup(sample_site / "regulations" / "checks" / "index.html")
    row = checks.find(id="order-95-p24-3").find_parent("tr")
    assert str(fc.rules["center-nit"].attendance_min) in row.get_text() == row.get_text()
    assert "Order 95, p. 24.3" in row.get_text() and "attendance_min" in row.get_text()
    kazguu = soup(sample_site / "organisations" / "kazguu" / "index.html")
    row = next(tr for tr in kazguu.find(id="rules").find_next("table").find_all("tr")
               if "Оқу ақысын өтеу" in tr.get_text())
    assert "400 - 800 000 бастап" in row.get_text()  # as printed, with the validator's doubts elsewhere
    assert row.find("a")["href"].endswith("regulations/kazguu-rules/#p8-1")
    # the validator's finding cites the same paragraph the page links to
    assert str(fc.rules["kazguu"].work_off) == "KAZGUU rules, p. 8.1"
    assert re.search(r"kazguu-rules/#p8-1$", fc.rules["kazguu"].work_off.source.href)


def test_paragraphs_the_records_cannot_show_say_so(pages, facts):
    """A paragraph marked `checkable: false` (a duty of conduct, another body's duty...) carries a "not
    checkable from the records" marker with its reason, in the page's language; a checked paragraph
    carries the "checked" badge and no such marker; a paragraph with neither carries neither."""
    from biliktilik.project import labels
    from biliktilik.validate import coverage

    ds, _fc = facts
    cov = coverage.compute(ds)
    marked = {(p.document, p.anchor): p.reason for p in cov.paragraphs if p.state == "not_checkable"}
    assert marked[("order-95", "p24-2")] == "conduct"   # discipline and conduct
    reg = labels("regulation")
    for lang in LANGS:
        for doc in DOCS:
            page = pages[(doc, lang)]
            for anchor in rt.anchors(DOCS[doc]):
                el = page.find(id=anchor)
                own = [m for m in el.find_all("span", class_="bk-unchecked") if m.find_parent(id=True) is el]
                if (doc, anchor) in marked:
                    assert len(own) == 1, (lang, doc, anchor)
                    assert own[0].get_text() == reg[lang]["unchecked"]
                    assert reg["reasons"][marked[(doc, anchor)]][lang] in own[0]["title"]
                    assert not [b for b in el.find_all("a", class_="bk-checked") if b.find_parent(id=True) is el]
                else:
                    assert not own, (lang, doc, anchor)
    p243 = pages[("order-95", "ru")].find(id="p24-3")   # the 80% rule is checked, not "not checkable"
    assert p243.find("a", class_="bk-checked") and not p243.find("span", class_="bk-unchecked")
    kz = pages[("kazguu-rules", "kk")].find(id="p7-7")   # the Plan's notice: now checked
    assert kz.find("a", class_="bk-checked")
