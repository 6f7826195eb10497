"""Verification pages, signed credentials and privacy of the built site (issue 5).

The site is built once from the shipped sample data (its certificates issued; one revoked,
one replaced by a correction, the Institute's 2023 ones past their three years). Pages are
checked by what they say (BeautifulSoup), by a real Chromium on a phone-sized screen, and
the credentials by `biliktilik verify` as a verifier would run it.
"""

from __future__ import annotations

import base64
import json
import os
import re

import pytest
from bs4 import BeautifulSoup

from biliktilik.build.pipeline import build
from biliktilik.model.certificates import certificate_facts, fingerprint, holder_name
from biliktilik.model.ledger import ledger_entries
from biliktilik.build.output import Output
from biliktilik.model.credentials import (DEMO_KEY_FILE, ENV_KEY, ENV_KEY_FILE, load_issuer, status_bit)
from biliktilik.validate import validate
from generators import verification_pages as verification
from tests.conftest import ROOT

SITE_URL = "https://biliktilik.example.kz/"
MAX_PAGE = 15 * 1024


@pytest.fixture(scope="module")
def sample():
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1795392000"  # 2026-11-23
    try:
        checked = validate(ROOT / "data", use_cache=False)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH")
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    entries = {e["number"]: e for e in ledger_entries(checked.dataset)}
    return checked, entries


@pytest.fixture(scope="module")
def site(tmp_path_factory, sample):
    out = tmp_path_factory.mktemp("built")
    env = dict(os.environ)
    os.environ["SOURCE_DATE_EPOCH"] = "1795392000"
    os.environ["XDG_CACHE_HOME"] = str(out / "cache")
    try:
        build(ROOT / "data", out / "site", out / "print")
    finally:
        os.environ.clear()
        os.environ.update(env)
    return out / "site"


def _page(site, token) -> BeautifulSoup:
    return BeautifulSoup((site / "v" / token / "index.html").read_text(encoding="utf-8"), "lxml")


def _by(entries, **kw):
    for e in entries.values():
        if all((e.get(k) is not None) == v if isinstance(v, bool) else e.get(k) == v for k, v in kw.items()):
            return e
    raise LookupError(kw)


def _text(soup) -> str:
    return " ".join(soup.get_text(" ").split())


def test_verification_url_is_site_url_v_token():
    assert verification.verification_url(SITE_URL, "abc_DEF-123") == SITE_URL + "v/abc_DEF-123/"
    assert verification.verification_url("https://x.kz/sub", "t0") == "https://x.kz/sub/v/t0/"


def test_every_issued_certificate_has_a_small_self_contained_page(site, sample):
    _, entries = sample
    assert len(entries) >= 20
    for e in entries.values():
        folder = site / "v" / e["token"]
        assert sorted(p.name for p in folder.iterdir()) == ["credential.json", "credential.jwt", "index.html"]
        html = (folder / "index.html").read_bytes()
        assert len(html) <= MAX_PAGE, (e["number"], len(html))
        soup = BeautifulSoup(html, "lxml")
        assert soup.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
        for tag in soup.find_all(["a", "link", "script", "img", "iframe", "source"]):
            for attr in ("href", "src"):
                value = tag.get(attr)
                assert not value or not re.match(r"^(https?:)?//", value), (e["number"], value)
        assert not soup.find("link") and not re.search(r"@import|url\(", html.decode())
        assert soup.html["lang"] == "kk" and soup.find(attrs={"lang": "ru"})


def test_pages_state_the_facts_the_paper_states(site, sample):
    checked, entries = sample
    ds = checked.dataset
    for lf in checked.facts.listeners:
        cert = lf.data.get("certificate")
        if not isinstance(cert, dict):
            continue
        soup = _page(site, cert["token"])
        facts = certificate_facts(lf, ds)
        assert soup.find(attrs={"data-v": "name"}).get_text() == holder_name(lf.data)
        assert soup.find(attrs={"data-v": "number"}).get_text() == cert["number"]
        assert soup.find(attrs={"data-v": "hours"}).get_text() == str(lf.hours)
        assert soup.find(attrs={"data-v": "fp"}).get_text() == fingerprint(facts)  # what the PDF prints
        org = ds.organisations[lf.cohort.data["organisation"]].data
        text = _text(soup)
        assert org["name"]["kk"] in text and org["name"]["ru"] in text
        assert lf.programme.data["title"]["kk"] in text and lf.programme.data["title"]["ru"] in text
        rows = soup.select("tbody tr")
        modules = lf.programme.data["thematic_plan"]["modules"]
        assert len(rows) == len(modules)
        for row, m in zip(rows, modules):
            cells = [c.get_text() for c in row.find_all("td")]
            assert cells[0].startswith(f"{m['number']}. ") and cells[1] == str(m["hours"])
            grade = (lf.data.get("grades") or {}).get(str(m["number"]))
            assert cells[2] == (str(grade) if grade is not None else "—")
        total = soup.select_one("tfoot td.n").get_text()
        assert int(total) == sum(m["hours"] for m in modules) == lf.programme.data["hours"]


def test_a_revoked_certificate_says_so_at_its_old_address(site, sample):
    _, entries = sample
    e = _by(entries, revoked=True)
    soup = _page(site, e["token"])
    st = soup.find(id="st")
    assert st["data-state"] == "revoked"
    d = e["revoked"]["date"]
    assert f"Сертификат отозван {d:%d.%m.%Y}" in _text(st) and f"{d:%d.%m.%Y} жойылды" in _text(st)
    revoked = soup.select_one("#verdict [data-m=revoked]")  # shown once the signed status list says revoked
    assert e["revoked"]["reason"] in _text(revoked) and f"отозван {d:%d.%m.%Y}" in _text(revoked)


def test_a_replaced_certificate_links_to_its_correction(site, sample):
    _, entries = sample
    old = _by(entries, replaced_by=True)
    new = entries[old["replaced_by"]]
    soup = _page(site, old["token"])
    st = soup.find(id="st")
    assert st["data-state"] == "replaced" and new["number"] in _text(st)
    links = {a["href"]: a.get_text() for a in soup.select("#verdict [data-m=replaced] a")}
    assert links == {f"../{new['token']}/": new["number"]}
    assert (site / "v" / new["token"] / "index.html").is_file()
    newpage = _page(site, new["token"])
    assert f"Выдан взамен сертификата {old['number']}" in _text(newpage)
    assert newpage.select_one("#prev a")["href"] == f"../{old['token']}/"
    # the old page shows what was certified then: the misspelt name
    assert json.loads(old["facts"])["holder"] != json.loads(new["facts"])["holder"]
    assert soup.find(attrs={"data-v": "name"}).get_text() == holder_name({"name": json.loads(old["facts"])["holder"]})


def test_validity_dates_are_on_the_page_without_script(site, sample):
    _, entries = sample
    e = next(e for e in entries.values() if e["listener"].startswith("2023-03-preschool/"))
    st = _page(site, e["token"]).find(id="st")
    assert st["data-until"] == "2026-03-16"  # three years (Order 95 p. 33) from 17.03.2023, last day
    assert st["data-state"] == "expired" and "недействителен с 17.03.2026" in _text(st)  # on the build date
    current = _page(site, _by(entries, replaces="NIT-2025-0002")["token"]).find(id="st")
    assert "до 16.10.2028" in _text(current.find(id="sn")) and "Статус на дату сборки сайта 23.11.2026" in _text(current)


def test_rebuilt_files_are_byte_identical(sample, tmp_path):
    checked, _ = sample
    certs = verification.collect(checked.dataset, checked.facts)
    issuer = load_issuer({})
    trees = []
    for n, workers in ((1, 1), (2, 2)):
        out = Output(tmp_path / f"s{n}", "site")
        verification.PARALLEL_FROM, saved = 1, verification.PARALLEL_FROM
        try:
            verification.publish(certs, SITE_URL, issuer, out, workers=workers)  # inline, then worker processes
        finally:
            verification.PARALLEL_FROM = saved
        out.publish()
        trees.append({p.relative_to(tmp_path / f"s{n}").as_posix(): p.read_bytes()
                      for p in sorted((tmp_path / f"s{n}").rglob("*")) if p.is_file()})
    assert trees[0] == trees[1] and len(trees[0]) == 3 * len(certs) + 8


def test_the_issuer_key_comes_from_the_environment(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization

    from biliktilik.findings import BuildError

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    issuer = load_issuer({ENV_KEY: base64.b64encode(raw).decode()})
    assert not issuer.demo and issuer.public_raw == key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "issuer.pem").write_bytes(pem)
    assert load_issuer({ENV_KEY_FILE: str(tmp_path / "issuer.pem")}).public_raw == issuer.public_raw
    inside = ROOT / "data" / "issuer.pem"
    with pytest.raises(BuildError, match="outside"):
        load_issuer({ENV_KEY_FILE: str(inside)})
    with pytest.raises(BuildError, match="cannot be read"):
        load_issuer({ENV_KEY: "not a key"})
    assert load_issuer({}).demo and "DEMO" in DEMO_KEY_FILE.name


def _personal_data(checked):
    values = set()
    for lf in checked.facts.listeners:
        d = lf.data
        values.add(d["iin"])
        if d.get("email"):
            values.add(d["email"])
        if d.get("phone"):
            values.add(d["phone"])
            digits = re.sub(r"\D", "", d["phone"])
            values.update({digits, digits[1:], "+" + digits})
        if d.get("address"):
            values.add(d["address"])
    return values


def test_the_site_holds_no_personal_data_and_no_token_outside_its_page(site, sample):
    checked, entries = sample
    personal = _personal_data(checked)
    assert len(personal) > 50
    tokens = {e["token"]: e for e in entries.values()}
    # token -> the folders it may appear in: its own, and the page of the certificate it replaced
    allowed = {e["token"]: {f"v/{e['token']}"} for e in entries.values()}
    for e in entries.values():
        if e.get("replaced_by"):  # the old page links the correction, the correction links back
            allowed[entries[e["replaced_by"]]["token"]].add(f"v/{e['token']}")
            allowed[e["token"]].add(f"v/{entries[e['replaced_by']]['token']}")
    names = {holder_name(lf.data) for lf in checked.facts.listeners}
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 3 * len(entries)
    for path in files:
        rel = path.relative_to(site).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        for value in personal:
            assert value not in text, f"{rel} contains personal data {value!r}"
        folder = "/".join(rel.split("/")[:2])
        for token in tokens:
            if token in text:
                assert folder in allowed[token], f"{rel} contains the token of {tokens[token]['number']}"
        if not rel.startswith("v/"):
            for name in names:
                assert name not in text, f"{rel} names {name}"
    sitemap = site / "sitemap.xml"
    if sitemap.exists():
        assert "/v/" not in sitemap.read_text(encoding="utf-8")


# -- in a real browser -----------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from tests.browser_util import launch

    with launch() as b:
        yield b


@pytest.fixture(scope="module")
def served(site):
    from tests.browser_util import serve

    with serve(site) as base:
        yield base


def _phone(browser, **kw):
    return browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, **kw)


def _open(context, url):
    from tests.browser_util import all_requests, is_local_url

    page = context.new_page()
    requests = all_requests(page, url, settle_ms=100)
    assert [u for u in requests if not is_local_url(u)] == []
    page.wait_for_selector("#sig[data-state=ok], #sig[data-state=bad], #sig[data-state=na]", state="attached")
    return page


def test_unknown_token_page_explains_how_to_check(site, browser, served):
    for rel in ("v/index.html", "v/unknown/index.html"):
        soup = BeautifulSoup((site / rel).read_text(encoding="utf-8"), "lxml")
        assert soup.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
        assert "Как проверить сертификат" in _text(soup) and "QR" in _text(soup)
    assert "сертификат не найден" in _text(BeautifulSoup((site / "v/unknown/index.html").read_text(), "lxml"))
    from tests.browser_util import horizontal_overflow

    context = _phone(browser)
    try:
        page = _open_plain(context, served + "v/unknown/")
        assert horizontal_overflow(page) <= 0
    finally:
        context.close()


def _open_plain(context, url):
    page = context.new_page()
    page.goto(url)
    return page


def test_encodings_match_known_values():
    from biliktilik.model.credentials import base58btc, base58btc_decode, did_for, encode_status_list

    assert base58btc(b"Hello World!") == "2NEpo7TZRRrLZSi2U"  # the base58btc test vector
    assert base58btc(b"\0\0\x01") == "112" and base58btc_decode("112") == b"\0\0\x01"
    assert did_for("https://biliktilik.example.kz/") == "did:web:biliktilik.example.kz"
    assert did_for("http://localhost:8000/a/b/") == "did:web:localhost%3A8000:a:b"
    listed = encode_status_list([0, 9, 131071])
    assert [status_bit(listed, i) for i in (0, 1, 8, 9, 131071)] == [True, False, False, True, True]
