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
import shutil

import pytest
from bs4 import BeautifulSoup

from biliktilik.build.pipeline import build
from biliktilik.model.certificates import certificate_facts, fingerprint, holder_name
from biliktilik.model.ledger import ledger_entries
from biliktilik.build.output import Output
from biliktilik.model.credentials import (DEMO_KEY_FILE, ENV_KEY, ENV_KEY_FILE, load_issuer, status_bit)
from biliktilik.validate import validate
from generators import verification_pages as verification
from tests.conftest import ROOT, run_cli

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
    text = _text(st)
    d = e["revoked"]["date"]
    assert f"Сертификат отозван {d:%d.%m.%Y}" in text and f"{d:%d.%m.%Y} жойылды" in text
    assert e["revoked"]["reason"] in text


def test_a_replaced_certificate_links_to_its_correction(site, sample):
    _, entries = sample
    old = _by(entries, replaced_by=True)
    new = entries[old["replaced_by"]]
    soup = _page(site, old["token"])
    st = soup.find(id="st")
    assert st["data-state"] == "replaced"
    links = {a["href"]: a.get_text() for a in st.find_all("a")}
    assert links == {f"../{new['token']}/": new["number"]}
    assert (site / "v" / new["token"] / "index.html").is_file()
    assert f"Выдан взамен сертификата {old['number']}" in _text(_page(site, new["token"]))
    # the old page shows what was certified then: the misspelt name
    assert json.loads(old["facts"])["holder"] != json.loads(new["facts"])["holder"]
    assert soup.find(attrs={"data-v": "name"}).get_text() == holder_name({"name": json.loads(old["facts"])["holder"]})


def test_validity_dates_are_on_the_page_without_script(site, sample):
    _, entries = sample
    e = next(e for e in entries.values() if e["listener"].startswith("2023-03-preschool/"))
    st = _page(site, e["token"]).find(id="st")
    assert st["data-until"] == "2026-03-16"  # three years (Order 95 p. 33) from 17.03.2023, last day
    assert "до 16.03.2026" in _text(st.find(id="sn"))


def _verify(path, site, *extra):
    return run_cli("verify", path, "--site", site, *extra)


def test_signatures_verify_and_fail_when_one_byte_changes(site, sample, tmp_path):
    _, entries = sample
    e = _by(entries, listener="2026-06-kazguu-teaching/l01")
    folder = site / "v" / e["token"]
    for name in ("credential.jwt", "credential.json"):
        ok = _verify(folder / name, site)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "signature: valid" in ok.stdout and "result: VALID" in ok.stdout
        data = bytearray((folder / name).read_bytes())
        positions = [len(data) // 3, len(data) // 2, len(data) - 20]
        for pos in positions:
            bad = bytearray(data)
            bad[pos] = ord("A") if bad[pos] != ord("A") else ord("B")
            target = tmp_path / f"{pos}-{name}"
            target.write_bytes(bytes(bad))
            proc = _verify(target, site)
            assert proc.returncode == 1, (name, pos, proc.stdout)
            assert "result: NOT VALID" in proc.stdout and "Traceback" not in proc.stderr
    # a URL whose path maps into the site: no network
    proc = _verify(SITE_URL + f"v/{e['token']}/", site)
    assert proc.returncode == 0 and "signature: valid" in proc.stdout
    # the holder's name changed in the readable credential: the proof no longer matches
    doc = json.loads((folder / "credential.json").read_text(encoding="utf-8"))
    doc["credentialSubject"]["identifier"][0]["identityHash"] = "Someone Else"
    (tmp_path / "renamed.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    proc = _verify(tmp_path / "renamed.json", site)
    assert proc.returncode == 1 and "does NOT match" in proc.stdout
    assert _verify(tmp_path / "missing.jwt", site).returncode == 1


def test_verify_reports_revoked_and_expired(site, sample):
    _, entries = sample
    revoked = _by(entries, revoked=True)
    proc = _verify(site / "v" / revoked["token"] / "credential.jwt", site)
    assert proc.returncode == 1 and "signature: valid" in proc.stdout and "status: REVOKED" in proc.stdout
    expired = next(e for e in entries.values() if e["listener"].startswith("2023-03-preschool/"))
    path = site / "v" / expired["token"] / "credential.jwt"
    proc = _verify(path, site, "--date", "2026-11-23")
    assert proc.returncode == 1 and "EXPIRED" in proc.stdout
    assert _verify(path, site, "--date", "2025-01-01").returncode == 0


def test_credential_is_an_open_badge_signed_by_the_did_web_key(site, sample):
    _, entries = sample
    e = _by(entries, listener="2025-10-tor-kk/l01")
    jwt = (site / "v" / e["token"] / "credential.jwt").read_text().strip()
    head, body, _ = jwt.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    header = json.loads(base64.urlsafe_b64decode(pad(head)))
    cred = json.loads(base64.urlsafe_b64decode(pad(body)))
    did = json.loads((site / ".well-known" / "did.json").read_text())
    assert did["id"] == "did:web:biliktilik.example.kz"
    assert header == {"alg": "EdDSA", "kid": "did:web:biliktilik.example.kz#key-1", "typ": "vc+jwt"}
    assert header["kid"] in did["assertionMethod"]
    assert did["verificationMethod"][0]["publicKeyJwk"]["x"] == load_issuer({}).jwk()["x"]
    assert cred["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["id"] == SITE_URL + f"v/{e['token']}/"
    assert cred["registrationNumber"] == e["number"]
    assert cred["credentialSubject"]["achievement"]["type"] == ["Achievement"]
    assert cred["validFrom"] == "2025-10-17T00:00:00Z" and cred["validUntil"] == "2028-10-16T23:59:59Z"
    assert cred["credentialStatus"]["statusListCredential"] == SITE_URL + "status/1"
    readable = json.loads((site / "v" / e["token"] / "credential.json").read_text())
    assert readable["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert {k: v for k, v in readable.items() if k != "proof"} == cred


def test_the_status_list_marks_revoked_and_replaced_certificates(site, sample):
    _, entries = sample
    jwt = (site / "status" / "1").read_text().strip()
    body = jwt.split(".")[1]
    status = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    encoded = status["credentialSubject"]["encodedList"]
    for e in entries.values():
        assert status_bit(encoded, e["status_index"]) == bool(e.get("revoked") or e.get("replaced_by")), e["number"]
    assert run_cli("verify", site / "status" / "1", "--site", site).returncode == 0


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
    assert trees[0] == trees[1] and len(trees[0]) == 3 * len(certs) + 5


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
        if e.get("replaced_by"):
            allowed[entries[e["replaced_by"]]["token"]].add(f"v/{e['token']}")
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


@pytest.mark.parametrize("which,state,phrase", [
    ("current", "valid", "Действителен до 16.10.2028"),
    ("revoked", "revoked", "Сертификат отозван 10.03.2026"),
    ("replaced", "replaced", "Сертификат заменён исправленным"),
    ("expired", "expired", "Срок действия истёк: недействителен с 17.03.2026"),
])
def test_chromium_on_a_phone_shows_the_status_and_verifies_the_signature(browser, served, sample, which, state, phrase):
    from tests.browser_util import horizontal_overflow

    _, entries = sample
    e = {"current": lambda: _by(entries, replaces="NIT-2025-0002"),
         "revoked": lambda: _by(entries, revoked=True),
         "replaced": lambda: _by(entries, replaced_by=True),
         "expired": lambda: next(x for x in entries.values() if x["listener"].startswith("2023-03-preschool/"))}[which]()
    context = _phone(browser)
    context.clock.set_fixed_time("2026-11-23T10:00:00")
    try:
        page = _open(context, served + f"v/{e['token']}/")
        assert page.get_attribute("#st", "data-state") == state
        assert phrase in page.inner_text("#st")
        assert page.get_attribute("#sig", "data-state") == "ok"
        assert "Подпись проверена" in page.inner_text("#sig") and "Қолтаңба расталды" in page.inner_text("#sig")
        assert page.inner_text("[data-v=number]") == e["number"]
        assert horizontal_overflow(page) <= 0
        if which == "current":  # WCAG 2.1 A/AA, when axe-core is installed (make test installs it)
            from tests.browser_util import axe_violations, find_axe, format_violations

            try:
                axe = find_axe()
            except FileNotFoundError:
                axe = None
            if axe:
                violations = axe_violations(page, axe)
                assert violations == [], format_violations(violations)
        if which == "replaced":
            page.click("#st a >> nth=0")
            page.wait_for_selector("#sig[data-state=ok]")
            assert page.inner_text("[data-v=number]") == e["replaced_by"]
    finally:
        context.close()


def test_chromium_decides_expiry_on_the_day_it_is_viewed(browser, served, sample):
    _, entries = sample
    e = _by(entries, replaces="NIT-2025-0002")
    for day, state in (("2028-10-16T12:00:00", "valid"), ("2028-10-17T12:00:00", "expired")):
        context = _phone(browser)
        context.clock.set_fixed_time(day)
        try:
            page = _open(context, served + f"v/{e['token']}/")
            assert page.get_attribute("#st", "data-state") == state, day
        finally:
            context.close()


def test_chromium_without_script_shows_the_dates(browser, served, sample):
    _, entries = sample
    e = _by(entries, replaces="NIT-2025-0002")
    context = _phone(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(served + f"v/{e['token']}/")
        assert "Срок действия: до 16.10.2028" in page.inner_text("#st")
        assert "включите JavaScript" in page.inner_text("#sig")
        assert page.is_visible("[data-v=name]") and page.is_visible("tbody tr")
    finally:
        context.close()


def test_chromium_says_when_the_page_does_not_match_the_signature(browser, site, sample, tmp_path):
    from tests.browser_util import serve

    _, entries = sample
    e = _by(entries, listener="2026-04-piano-group/l02")
    copy = tmp_path / "site"
    shutil.copytree(site / "v", copy / "v")
    shutil.copytree(site / ".well-known", copy / ".well-known")
    page_file = copy / "v" / e["token"] / "index.html"
    html = page_file.read_text(encoding="utf-8")
    page_file.write_text(html.replace('<span data-v="hours">72</span>', '<span data-v="hours">108</span>'), encoding="utf-8")
    assert html != page_file.read_text(encoding="utf-8")
    with serve(copy) as base:
        context = _phone(browser)
        try:
            page = _open(context, base + f"v/{e['token']}/")
            assert page.get_attribute("#sig", "data-state") == "bad"
            assert "Подпись НЕ совпадает" in page.inner_text("#sig")
        finally:
            context.close()


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
