"""The site's own defences in Chromium (issue 10): the Content-Security-Policy breaks nothing,
an unknown certificate address on a plain static host says so, and the check page finds a
certificate by the control code printed on it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser_util import _QuietHandler, http_server, launch, search_results  # noqa: E402

from biliktilik.model.certificates import check_key, control_code, normalise_control_code

pytestmark = pytest.mark.browser

CSP_RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "")));
"""


class _PagesHandler(_QuietHandler):
    """Like GitHub Pages: a missing path gets the site's 404.html with status 404."""

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def pages_host(directory: Path):
    """A static host like GitHub Pages: a missing path gets 404.html with status 404."""
    return http_server(_PagesHandler, directory)


@pytest.fixture(scope="module")
def browser():
    with launch() as b:
        yield b


@pytest.fixture(scope="module")
def host(sample_site):
    with pages_host(sample_site) as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.add_init_script(CSP_RECORDER)
    p = context.new_page()
    yield p
    context.close()


def _tokens(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "v").iterdir() if p.is_dir() and (p / "index.html").is_file()
                  and p.name != "unknown")


# --------------------------------------------------------------------------- CSP

def test_every_mkdocs_page_has_a_policy_without_unsafe_inline_script(sample_site):
    pages = [p for p in sample_site.rglob("*.html") if "/v/" not in p.as_posix()]
    assert len(pages) > 20
    for p in pages:
        html = p.read_text(encoding="utf-8")
        m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
        assert m, p
        policy = dict(d.strip().split(" ", 1) for d in m.group(1).split(";"))
        assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'", p
        assert "unsafe-inline" not in policy["script-src"] and "http" not in m.group(1), p
        assert html.index("Content-Security-Policy") < html.index("<script"), p


@pytest.mark.parametrize("path", ["", "ru/", "programmes/teacher-organiser-80/", "ru/programmes/teacher-organiser-80/",
                                  "check/", "v/doesnotexist/"])
def test_no_csp_violation_on_load(page, host, path):
    page.goto(host + path, wait_until="networkidle")
    assert page.evaluate("() => window.__csp") == []


def test_search_language_switch_and_filters_work_under_the_policy(page, host):
    page.goto(host, wait_until="networkidle")
    found = search_results(page, "педагог")
    assert found, "search found nothing under the policy"
    page.goto(host + "?format=distance", wait_until="networkidle")
    shown = page.locator("#bk-cards .bk-card:not([hidden])").count()
    total = page.locator("#bk-cards .bk-card").count()
    assert page.locator("#bk-filters").is_visible() and 0 < shown <= total  # catalog.js ran
    page.goto(host + "programmes/teacher-organiser-80/", wait_until="networkidle")
    page.locator(".md-select > button").first.hover()
    page.locator("a.md-select__link[hreflang=ru]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/ru/programmes/teacher-organiser-80/")
    assert page.evaluate("() => window.__csp") == []


# --------------------------------------------------------------------------- 404 and unknown tokens

def test_an_unknown_token_on_a_static_host_says_unknown_in_both_languages(page, host):
    response = page.goto(host + "v/doesnotexist/", wait_until="networkidle")
    assert response.status == 404
    verdict = page.locator("[data-verdict=unknown]")
    assert verdict.is_visible()
    text = verdict.inner_text()
    assert "Сертификат табылмады" in text and "Сертификат не найден" in text
    assert not page.locator("#bk-notfound-page").is_visible()
    for a in page.locator("a").all():
        href = a.get_attribute("href") or ""
        assert not href.startswith("//"), href
    page.locator("[data-verdict=unknown] a[href$='ru/check/']").click()
    page.wait_for_load_state("networkidle")
    assert page.url == host + "ru/check/"


def test_another_missing_page_is_a_plain_404_with_working_language_links(page, host, sample_site):
    response = page.goto(host + "programmes/nope/", wait_until="networkidle")
    assert response.status == 404
    assert page.locator("#bk-notfound-page h1").inner_text() == "Бет табылмады"
    assert not page.locator("[data-verdict=unknown]").is_visible()
    hrefs = {a.get_attribute("hreflang"): a.get_attribute("href") for a in page.locator("a.md-select__link").all()}
    assert hrefs == {"kk": "/", "ru": "/ru/"}
    ru = (sample_site / "ru" / "404.html").read_text(encoding="utf-8")
    assert 'href="//' not in ru and 'href="//' not in (sample_site / "404.html").read_text(encoding="utf-8")
    page.locator(".md-select > button").first.hover()
    page.locator("a.md-select__link[hreflang=ru]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url == host + "ru/"


# --------------------------------------------------------------------------- check by control code

def test_control_codes_read_like_crockford_base32():
    code = control_code("b54vrTHe8hnj")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert code != control_code("b54vrTHe8hnk")
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_control_code(typed) == code.replace("-", "")
    assert check_key(typed) == check_key(code)
    for bad in ("", "ABCD-EFGH", code + "7", code.replace(code[0], "U", 1)):
        assert normalise_control_code(bad) is None and check_key(bad) is None


def test_the_site_lists_no_code_token_or_name(sample_site):
    """One sealed file per certificate, named by a hash of its code: no token in clear, and no page
    or file of the site names a code or a file of check/."""
    import json

    from biliktilik.model.certificates import open_check_path

    files = {f.stem: f for f in (sample_site / "check").glob("*.json")}
    tokens = _tokens(sample_site)
    assert len(files) >= len(tokens) > 0
    for t in tokens:
        code = control_code(t)
        sealed = files[check_key(code)].read_text(encoding="utf-8")
        assert t not in sealed
        assert open_check_path(code, json.loads(sealed)) == f"v/{t}/"
        with pytest.raises(ValueError):
            open_check_path("7K2M-9QXD-4R1T-HB6P", json.loads(sealed))
    others = [p for p in sample_site.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".xml", ".js")
              and p.relative_to(sample_site).parts[0] not in ("v", "check")]
    text = " ".join(p.read_text(encoding="utf-8") for p in others)
    for t in tokens:
        assert control_code(t) not in text and check_key(control_code(t)) not in text


@pytest.mark.parametrize("lang", ["", "ru/"])
def test_the_check_page_finds_a_genuine_code_and_refuses_an_invented_one(page, host, sample_site, lang):
    token = _tokens(sample_site)[0]
    code = control_code(token)
    page.goto(host, wait_until="networkidle")
    page.locator("a[href$='check/']").first.click()  # linked from the home page
    page.wait_for_load_state("networkidle")
    assert page.url == host + "check/"
    page.goto(host + lang + "check/", wait_until="networkidle")
    typed = code.lower().replace("-", " ").replace("0", "O")
    page.fill("#bk-check-code", typed)
    page.click("#bk-check button[type=submit]")
    page.wait_for_url(f"**/v/{token}/", timeout=10000)
    assert page.url == host + f"v/{token}/"

    invented = "7K2M-9QXD-4R1T-HB6P"
    assert check_key(invented) not in {check_key(control_code(t)) for t in _tokens(sample_site)}
    page.goto(host + lang + "check/", wait_until="networkidle")
    page.fill("#bk-check-code", invented)
    page.click("#bk-check button[type=submit]")
    result = page.locator("#bk-check-result[data-verdict=not-issued]")
    result.wait_for(timeout=10000)
    assert ("берген жоқ" if not lang else "не выдавала") in result.inner_text()
    page.fill("#bk-check-code", "hello")
    page.click("#bk-check button[type=submit]")
    page.locator("#bk-check-result[data-verdict=malformed]").wait_for(timeout=5000)
    assert page.url == host + lang + "check/"
    assert page.evaluate("() => window.__csp") == []
