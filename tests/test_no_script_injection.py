"""No text from data/ runs as script anywhere on the site (issue 10).

The site is built once per session from a hostile copy of data/ (tests/hostile.py: every free-text
field of every record kind starts with script payloads; certificates issued anew so every
verification page exists). Every .html page of site/ is then opened in Chromium with
``window.__pwn``, ``alert``, ``confirm`` and ``prompt`` recording calls; none may be called.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser_util import launch, search_results, serve  # noqa: E402
from conftest import DATA  # noqa: E402
from hostile import PAYLOAD  # noqa: E402

pytestmark = pytest.mark.browser

#: Defines the payloads' target before any page script runs; every call is recorded and logged.
RECORDER = """
(() => {
  window.__pwned = [];
  const hit = (what) => (...args) => {
    window.__pwned.push(what + ":" + args.join(","));
    console.log("__PWNED__ " + what + " " + args.join(","));
  };
  window.__pwn = hit("__pwn");
  window.alert = hit("alert");
  window.confirm = hit("confirm");
  window.prompt = hit("prompt");
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push(e.violatedDirective + " " + e.blockedURI);
    console.log("__CSP__ " + e.violatedDirective + " " + e.blockedURI);
  });
})();
"""


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory) -> Path:
    """site/ built once per session from the hostile copy of data/."""
    from biliktilik.build.pipeline import build
    from hostile import hostile_copy

    out = tmp_path_factory.mktemp("hostile-site")
    saved = dict(os.environ)
    os.environ["SOURCE_DATE_EPOCH"] = "1795392000"
    os.environ["XDG_CACHE_HOME"] = str(out / "cache")
    try:
        data = hostile_copy(DATA, out / "data")
        build(data, out / "site", out / "print", use_cache=False)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return out / "site"


@pytest.fixture(scope="module")
def browser():
    with launch() as b:
        yield b


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def test_the_hostile_data_reaches_every_kind_of_page(hostile_site):
    """The test means something: the payloads are in the catalog, organisation and verification pages."""
    pages = _pages(hostile_site)
    assert any(p.startswith("v/") for p in pages), "no verification page was built"
    for rel in ("programmes/teacher-organiser-80/index.html", "organisations/center-nit/index.html",
                "ru/programmes/teacher-organiser-80/index.html"):
        text = (hostile_site / rel).read_text(encoding="utf-8")
        assert "__pwn(1)" in text, rel
    verification = [p for p in pages if p.startswith("v/") and "unknown" not in p and p.endswith("/index.html")]
    assert verification
    assert "__pwn(1)" in (hostile_site / verification[0]).read_text(encoding="utf-8")


def test_no_payload_runs_on_any_page(browser, hostile_site):
    pages = _pages(hostile_site)
    assert len(pages) > 40
    ran: dict[str, list[str]] = {}
    violations: dict[str, list[str]] = {}
    with serve(hostile_site) as base:
        context = browser.new_context()
        context.add_init_script(RECORDER)
        page = context.new_page()
        for rel in pages:
            url = base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
            page.goto(url, wait_until="load")
            page.wait_for_timeout(50)
            calls = page.evaluate("() => window.__pwned || []")
            if calls:
                ran[rel] = calls
            blocked = page.evaluate("() => window.__csp || []")
            if blocked:
                violations[rel] = blocked
        context.close()
    assert not ran, f"script from data/ ran on {len(ran)} page(s): {json.dumps(ran, ensure_ascii=False)[:2000]}"
    # The payloads ran nowhere, and not because the policy blocked them: escaping did it.
    assert not violations, f"CSP violations: {json.dumps(violations, ensure_ascii=False)[:2000]}"


@pytest.mark.parametrize("lang", ["", "ru/"])
def test_no_payload_runs_in_search_results(browser, hostile_site, lang):
    """Material renders search results (titles, text) as HTML: hostile titles must stay text there."""
    with serve(hostile_site) as base:
        context = browser.new_context()
        context.add_init_script(RECORDER)
        page = context.new_page()
        results, shown, calls = [], "", []
        for query in ("педагог", "img", "script"):  # one query a page load (search_results waits for the placeholder)
            page.goto(base + lang, wait_until="load")
            results += search_results(page, query)
            page.wait_for_timeout(300)
            calls += page.evaluate("() => window.__pwned")
            shown += page.evaluate("() => document.querySelector('.md-search-result').textContent")
        context.close()
    assert results, "the search found nothing: the check below would prove nothing"
    assert "__pwn(1)" in shown, "the hostile titles are not among the results"
    assert calls == []


def test_the_search_index_holds_no_raw_markup_from_data(hostile_site):
    for index in (hostile_site / "search/search_index.json", hostile_site / "ru/search/search_index.json"):
        docs = json.loads(index.read_text(encoding="utf-8"))["docs"]
        assert any("__pwn(1)" in d["title"] or "__pwn(1)" in d["text"] for d in docs)
        for d in docs:
            for field in ("title", "text"):
                assert not re.search(r"<(script|img|iframe|svg)\b", d[field], re.I), (index, d["location"], d[field][:300])
                assert not re.search(r"\son\w+\s*=", re.sub(r"&[a-z]+;|&#\d+;", "", d[field]).split(">")[0]
                                     if d[field].startswith("<") else ""), d["location"]


def test_the_payload_is_shown_as_text(browser, hostile_site):
    """Escaped, not dropped: a programme page shows the payload's characters literally in its title."""
    with serve(hostile_site) as base:
        context = browser.new_context()
        context.add_init_script(RECORDER)
        page = context.new_page()
        page.goto(base + "programmes/teacher-organiser-80/", wait_until="load")
        title = page.title()
        h1 = page.locator("article h1").first.text_content()
        description = page.locator("meta[name=description]").get_attribute("content")
        context.close()
    assert PAYLOADS_START in title
    assert PAYLOADS_START in h1
    assert description is None or "<img" not in description or PAYLOADS_START in description


PAYLOADS_START = PAYLOAD[:40]


def test_pdfs_print_the_payloads_as_text(hostile_site):
    """WeasyPrint gets escaped HTML: a hostile holder name and title come out of the PDF as the same text."""
    from pypdf import PdfReader

    pdfs = sorted((hostile_site.parent / "print" / "certificates").glob("*/*.pdf"))
    assert pdfs
    text = re.sub(r"\s+", "", " ".join(page.extract_text() for page in PdfReader(pdfs[0]).pages))
    assert re.sub(r"\s+", "", "<img src=x onerror=__pwn(1)>") in text
    assert re.sub(r"\s+", "", "</script><script>__pwn(3)</script>") in text
