"""The catalog in a real Chromium (Debian's /usr/bin/chromium via Playwright): what a visitor
sees and does. Kazakh search, the language switch staying on the page, the filters, a phone
screen, axe-core (WCAG 2 A/AA) and no request to another host."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("playwright")

from browser_util import (PHONE_VIEWPORT, axe_violations, external_requests, find_axe,  # noqa: E402
                          format_violations, horizontal_overflow, launch, search_results, serve)

TOR = "programmes/teacher-organiser-80/"
PAGES = ["", TOR, "regulations/order-95/"]  # the index, a programme page, a regulation page
LANGS = {"kk": "", "ru": "ru/"}


@pytest.fixture(scope="module")
def base(sample_site):
    with serve(sample_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with launch() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context()
    p = context.new_page()
    yield p
    context.close()


def visible_cards(page) -> list[str]:
    return page.eval_on_selector_all(
        "li.bk-card", "els => els.filter(e => !e.hidden && e.offsetParent !== null)"
                      ".map(e => e.querySelector('a').getAttribute('href'))")


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("query", ["ұйымдастырушы", "арттыру", "педагог"])
def test_a_kazakh_search_finds_the_80_hour_programme(page, base, query):
    page.goto(base, wait_until="networkidle")
    paths = [r["path"] for r in search_results(page, query)]
    assert "/" + TOR in paths, (query, paths)


def test_a_russian_search_finds_it_on_the_russian_site(page, base):
    page.goto(base + "ru/", wait_until="networkidle")
    paths = [r["path"] for r in search_results(page, "педагога-организатора")]
    assert "/ru/" + TOR in paths, paths
    assert all(p.startswith("/ru/") for p in paths)


def test_a_word_that_is_nowhere_finds_nothing(page, base):
    page.goto(base, wait_until="networkidle")
    assert search_results(page, "жоқсөзқұрастыру") == []


# --------------------------------------------------------------------------- language switch


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("path", [TOR, "regulations/order-95/", "organisations/kazguu/", ""])
def test_the_language_switch_keeps_the_page(browser, base, path, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(base + path, wait_until="networkidle")
        for target, prefix in (("ru", "ru/"), ("kk", "")):
            page.locator(".md-select > button").first.focus()
            link = page.locator(f"a.md-select__link[hreflang='{target}']")
            link.click(force=not javascript)
            page.wait_for_url(base + prefix + path)
            assert urlsplit(page.url).path == "/" + prefix + path
            assert page.locator("html").get_attribute("lang") == target
    finally:
        context.close()


# --------------------------------------------------------------------------- filters

# every programme record of the shipped data is a card on the index
N_PROGRAMMES = len(list((Path(__file__).resolve().parents[1] / "data" / "programmes").glob("*.yaml")))


def test_a_filter_narrows_the_list_and_the_address_keeps_it(page, base):
    page.goto(base, wait_until="networkidle")
    assert page.locator("#bk-filters").is_visible()
    everything = visible_cards(page)
    assert len(everything) == N_PROGRAMMES
    page.select_option("#bk-f-org", "conservatory")
    shown = visible_cards(page)
    assert len(shown) == 2 and all("conservatory-" in h for h in shown)
    assert page.locator("#bk-count").inner_text() == f"Көрсетілді: 2 / {N_PROGRAMMES}"
    assert parse_qs(urlsplit(page.url).query) == {"org": ["conservatory"]}
    page.check("#bk-f-upcoming")  # the Conservatory has no upcoming cohort
    assert visible_cards(page) == []
    assert page.locator("#bk-empty").is_visible()
    page.click("#bk-filters button[type=reset]")
    page.wait_for_function(f"() => document.querySelectorAll('li.bk-card:not([hidden])').length === {N_PROGRAMMES}")
    assert not page.locator("#bk-empty").is_visible()
    assert urlsplit(page.url).query == ""
    # an address with filters opens the list narrowed: programmes taught at a distance, with a cohort coming
    page.goto(base + "?format=distance&upcoming=1", wait_until="networkidle")
    assert page.locator("#bk-f-format").input_value() == "distance"
    assert visible_cards(page) == ["programmes/ecd-preschool-leaders-72/"]


def test_each_filter_narrows_by_its_own_facet(page, base):
    page.goto(base + "ru/", wait_until="networkidle")
    for select, value, expected in (("#bk-f-hc", "internship", ["programmes/tvet-welding-internship-36/"]),
                                    ("#bk-f-lang", "en", ["programmes/kazguu-teaching-excellence-72/"]),
                                    ("#bk-f-format", "distance", ["programmes/ecd-preschool-leaders-72/",
                                                                  "programmes/conservatory-choir-registry-80/"])):
        page.click("#bk-filters button[type=reset]")
        page.select_option(select, value)
        assert sorted(visible_cards(page)) == sorted(expected), select
    page.click("#bk-filters button[type=reset]")
    audience = page.locator("#bk-f-audience option", has_text="Хормейстеры").get_attribute("value")
    page.select_option("#bk-f-audience", audience)
    assert visible_cards(page) == ["programmes/conservatory-choir-registry-80/"]


def test_without_javascript_the_index_is_the_plain_list(browser, base):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base, wait_until="networkidle")
        assert not page.locator("#bk-filters").is_visible()
        assert len(visible_cards(page)) == N_PROGRAMMES
        page.goto(base + "?org=conservatory", wait_until="networkidle")
        assert len(visible_cards(page)) == N_PROGRAMMES
    finally:
        context.close()


# --------------------------------------------------------------------------- phone, accessibility, hosts


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PAGES + ["organisations/center-nit/", "regulations/checks/"])
def test_a_phone_shows_the_page_without_horizontal_scrolling(browser, base, lang, path):
    context = browser.new_context(viewport=PHONE_VIEWPORT)
    page = context.new_page()
    try:
        page.goto(base + LANGS[lang] + path, wait_until="networkidle")
        assert horizontal_overflow(page) <= 0
        if path == TOR:  # the thematic plan is there, readable: its table scrolls inside its own box
            table = page.locator("#plan ~ .bk-plan table").first
            assert table.is_visible()
            assert page.evaluate("() => document.querySelector('.bk-facts').getBoundingClientRect().right") <= 375
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [None, PHONE_VIEWPORT], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_wcag_violation_and_nothing_is_asked_of_another_host(browser, base, lang, path, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        assert external_requests(page, base + LANGS[lang] + path) == []
        violations = axe_violations(page, find_axe())
        assert violations == [], format_violations(violations)
        if path == "":  # with a filter applied (and on a phone the filter box opened) too
            if viewport:
                page.click("#bk-filter-box > summary")
            page.select_option("#bk-f-org", "center-nit")
            violations = axe_violations(page, find_axe())
            assert violations == [], format_violations(violations)
    finally:
        context.close()


def test_axe_on_the_organisation_and_checks_pages(page, base):
    for path in ("organisations/conservatory/", "ru/organisations/kazguu/", "regulations/checks/", "ru/about/"):
        assert external_requests(page, base + path) == []
        violations = axe_violations(page, find_axe())
        assert violations == [], (path, format_violations(violations))
