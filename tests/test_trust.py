"""A verification that only the issuer can make say "valid" (issue 10).

One site is built per session with ``site_url: http://127.0.0.1:PORT/`` and served on exactly that
port by a local http.server thread, which can also serve edited files at the issuer's own origin
(what a compromised copy would hold). Chromium (Debian's, through Playwright) opens the pages and
the test waits for the page's script to set ``#verdict[data-verdict]``; ``biliktilik verify``
fetches over HTTP. Copies on another origin, edited HTML and credentials re-signed with another
key never reach ``valid``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwcrypto import jwk as jw_jwk, jws as jw_jws

from tests.browser_util import _QuietHandler, http_server, serve
from tests.conftest import DATA, run_cli

KZ = dt.timezone(dt.timedelta(hours=5))
SEEN = dt.datetime(2026, 11, 23, 10, 0, tzinfo=KZ)  # the sample data's "today"


class _Handler(_QuietHandler):
    overrides: dict = {}

    def do_GET(self):  # noqa: N802 - stdlib name
        body = self.overrides.get(self.path.split("?")[0])
        if body is None:
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(self.path.rstrip("/") + ("/index.html" if self.path.endswith("/") else "")))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def issuer_site(tmp_path_factory):
    """(base URL, site folder, overrides dict, ledger by number): the sample data built for and served
    at http://127.0.0.1:PORT/."""
    from biliktilik.build.pipeline import build
    from biliktilik.load.dataset import Dataset  # noqa: F401 - import check only
    from biliktilik.model.ledger import ledger_entries
    from biliktilik.validate import validate

    out = tmp_path_factory.mktemp("issuer")
    site = out / "site"
    overrides: dict = {}
    handler = type("H", (_Handler,), {"overrides": overrides})
    with http_server(handler, site) as base:  # the address is known before the site is built for it
        saved = dict(os.environ)
        os.environ["SOURCE_DATE_EPOCH"] = "1795392000"
        os.environ["XDG_CACHE_HOME"] = str(out / "cache")
        try:
            build(DATA, site, out / "print", use_cache=False, site_url=base)
            entries = {e["number"]: e for e in ledger_entries(validate(DATA, use_cache=False).dataset)}
        finally:
            os.environ.clear()
            os.environ.update(saved)
        yield base, site, overrides, entries


@pytest.fixture(scope="module")
def browser():
    from tests.browser_util import launch

    with launch() as b:
        yield b


def _token(entries, which):
    e = {"valid": lambda: entries["NIT-2025-0006"], "revoked": lambda: entries["NIT-2026-0004"],
         "replaced": lambda: entries["NIT-2025-0002"],
         "expired": lambda: next(x for x in entries.values() if x["listener"].startswith("2023-03-preschool/"))}[which]()
    return e


def _verdict(browser, url, when=SEEN, js=True, csp=False):
    """Open ``url`` in a phone-sized Chromium at the instant ``when``; return (verdict, page, context).

    page.wait_for_function evaluates its predicate with eval, which the page's CSP forbids: the
    contexts bypass the CSP, except with ``csp=True`` (then the wait is on a selector)."""
    from tests.browser_util import is_local_url

    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, java_script_enabled=js,
                                  bypass_csp=not csp)
    context.clock.set_fixed_time(when)
    foreign = []
    context.on("request", lambda r: None if is_local_url(r.url) else foreign.append(r.url))
    page = context.new_page()
    page.goto(url)
    if js and csp:
        page.wait_for_selector("#verdict:not([data-verdict=''])", state="attached", timeout=15000)
    elif js:
        page.wait_for_function("document.getElementById('verdict').dataset.verdict !== ''", timeout=15000)
    assert foreign == []
    return page.get_attribute("#verdict", "data-verdict"), page, context


@pytest.mark.parametrize("which,phrases", [
    ("valid", ["ДЕЙСТВИТЕЛЕН до 16.10.2028", "ЖАРАМДЫ: 16.10.2028 дейін"]),
    ("revoked", ["НЕДЕЙСТВИТЕЛЕН: сертификат отозван 10.03.2026", "ЖАРАМСЫЗ"]),
    ("replaced", ["НЕДЕЙСТВИТЕЛЕН: сертификат заменён исправленным: NIT-2025-0006"]),
    ("expired", ["НЕДЕЙСТВИТЕЛЕН: срок действия истёк, с 17.03.2026", "ЖАРАМСЫЗ: мерзімі өтті"]),
])
def test_genuine_pages_reach_the_verdict_the_data_says(browser, issuer_site, which, phrases):
    base, site, _, entries = issuer_site
    e = _token(entries, which)
    verdict, page, context = _verdict(browser, base + f"v/{e['token']}/")
    try:
        assert verdict == which
        text = page.inner_text("#verdict")
        for phrase in phrases:
            assert phrase in text
        assert "Статус на дату сборки" not in text  # the unchecked status is gone once checked
        assert page.get_attribute("#sig", "data-state") == "ok"
        green = page.eval_on_selector("#verdict", "e => getComputedStyle(e).borderLeftColor")
        assert (green == "rgb(30, 126, 52)") == (which == "valid")  # green only on a valid certificate
        assert page.eval_on_selector("#sig", "e => e.className") == "sig"
        assert "127.0.0.1" in page.inner_text(".dom")  # the issuer's domain is named
        if which == "revoked":
            assert e["revoked"]["reason"] in text
        if which == "replaced":  # the link leads to the correction, which links back
            page.click("#verdict [data-m=replaced] a >> nth=1")
            page.wait_for_function("document.getElementById('verdict').dataset.verdict !== ''")
            assert page.get_attribute("#verdict", "data-verdict") == "valid"
            assert page.inner_text("[data-v=number]") == "NIT-2025-0006"
            assert page.inner_text("#prev a") == "NIT-2025-0002"
            assert "Выдан взамен сертификата NIT-2025-0002" in page.inner_text("#prev")
    finally:
        context.close()


@pytest.mark.parametrize("when,expected", [
    (dt.datetime(2028, 10, 16, 23, 59, 59, tzinfo=KZ), "valid"),
    (dt.datetime(2028, 10, 17, 0, 0, 0, tzinfo=KZ), "expired"),
    (dt.datetime(2028, 10, 16, 19, 0, 0, tzinfo=dt.timezone.utc), "expired"),  # 00:00 on the 17th in Astana
    (dt.datetime(2028, 10, 16, 18, 59, 59, tzinfo=dt.timezone.utc), "valid"),
])
def test_validity_turns_at_midnight_in_kazakhstan_whatever_the_viewer_zone(browser, issuer_site, when, expected):
    """Seen in 2028, the site serves the status lists of that week's daily build (a 2026 list is stale)."""
    base, site, overrides, entries = issuer_site
    overrides.update(lists_of_a_later_build(base, site, dt.date(2028, 10, 10)))
    try:
        verdict, _, context = _verdict(browser, base + f"v/{entries['NIT-2025-0006']['token']}/", when)
        context.close()
    finally:
        overrides.clear()
    assert verdict == expected


def lists_of_a_later_build(base: str, site, day: dt.date) -> dict:
    """{path: bytes} of the status lists the build of ``day`` publishes: the built site's bits, with
    that day's validFrom/validUntil, signed with the sample data's key (what the daily build serves)."""
    from biliktilik.model import credentials as C

    issuer = C.load_issuer(dict(os.environ))
    signer = C.JwtSigner(issuer, f"{C.did_for(base)}#{C.KEY_ID}", "vc+jwt")
    out = {}
    for path in (C.STATUS_LIST_PATH, C.REASON_LIST_PATH):
        status = json.loads((site / (path + ".json")).read_text(encoding="utf-8"))
        status.pop("proof")
        status["validFrom"], status["validUntil"] = C.status_list_window(day)
        out["/" + path] = signer.sign(C.jwt_payload(status)) + b"\n"
    return out


def test_without_script_the_page_says_the_status_is_as_of_the_build(browser, issuer_site):
    base, _, _, entries = issuer_site
    _, page, context = _verdict(browser, base + f"v/{entries['NIT-2025-0006']['token']}/", js=False)
    try:
        assert page.get_attribute("#verdict", "data-verdict") == ""
        text = page.inner_text("#verdict")
        assert "Статус на дату сборки сайта 23.11.2026, без проверки" in text and "до 16.10.2028" in text
        assert "ДЕЙСТВИТЕЛЕН" not in text and "не проверена" in page.inner_text("#sig")
    finally:
        context.close()


def test_a_copy_on_another_origin_is_unverified_and_names_the_issuer(browser, issuer_site):
    base, site, _, entries = issuer_site
    with serve(site) as other:
        assert other != base
        for which in ("valid", "revoked"):
            verdict, page, context = _verdict(browser, other + f"v/{_token(entries, which)['token']}/")
            try:
                assert verdict == "unverified"
                assert f"не на сайте выдавшей организации: {base[7:-1]}" in page.inner_text("#verdict")
            finally:
                context.close()


def _edit(html: str, old: str, new: str) -> str:
    assert old in html, old
    return html.replace(old, new, 1)


@pytest.mark.parametrize("edit", ["hours", "organisation", "module-hours", "name", "status-block"])
def test_edited_html_at_the_issuer_origin_never_says_valid(browser, issuer_site, edit):
    base, site, overrides, entries = issuer_site
    e = entries["NIT-2026-0004"] if edit == "status-block" else entries["NIT-2025-0006"]
    path = f"/v/{e['token']}/"
    html = (site / path.strip("/") / "index.html").read_text(encoding="utf-8")
    facts = json.loads(e["facts"])
    if edit == "hours":
        html = _edit(html, f'<span data-v="hours">{facts["hours"]}</span>', '<span data-v="hours">108</span>')
    elif edit == "organisation":
        html = _edit(html, facts["organisation"]["name"]["ru"], "Назарбаев Университет")
    elif edit == "module-hours":
        m = facts["modules"][0]
        html = _edit(html, f'data-v="m{m["number"]}h">{m["hours"]}<', f'data-v="m{m["number"]}h">{m["hours"] + 10}<')
    elif edit == "name":
        html = _edit(html, '<dd data-v="name">', '<dd data-v="name">Иванов ')
    else:  # a revoked certificate's page edited to show the valid block: the signed list still says revoked
        html = re.sub(r'data-state="revoked"', 'data-state="valid" data-until="2029-02-19"', html)
        html = re.sub(r"<p><b>Сертификаттың күші.*?</p>", "<p>Срок действия: до 19.02.2029.</p>", html, flags=re.S)
    overrides[path] = html.encode("utf-8")
    try:
        verdict, page, context = _verdict(browser, base + path.lstrip("/"))
        context.close()
    finally:
        overrides.clear()
    assert verdict == ("revoked" if edit == "status-block" else "unverified")


def _resign(credential_jwt: str, key: Ed25519PrivateKey) -> str:
    """The same header and payload signed with another key (jwcrypto)."""
    import base64

    head, body, _ = credential_jwt.strip().split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    header = json.loads(base64.urlsafe_b64decode(pad(head)))
    payload = base64.urlsafe_b64decode(pad(body))
    token = jw_jws.JWS(payload)
    token.add_signature(jw_jwk.JWK.from_pyca(key), alg="EdDSA", protected=json.dumps(header))
    return token.serialize(compact=True)


def test_credentials_re_signed_with_another_key_never_say_valid(browser, issuer_site, tmp_path):
    base, site, overrides, entries = issuer_site
    e = entries["NIT-2025-0006"]
    key = Ed25519PrivateKey.generate()
    forged = _resign((site / "v" / e["token"] / "credential.jwt").read_text(), key)
    # at the issuer's origin, the issuer's did.json: the signature fails
    overrides[f"/v/{e['token']}/credential.jwt"] = forged.encode()
    try:
        verdict, page, context = _verdict(browser, base + f"v/{e['token']}/")
        assert verdict == "unverified" and page.get_attribute("#sig", "data-state") == "bad"
        context.close()
    finally:
        overrides.clear()
    # a whole copy on another origin with its own did.json holding the forger's key
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    did = json.loads((copy / ".well-known" / "did.json").read_text())
    did["verificationMethod"][0]["publicKeyJwk"] = json.loads(jw_jwk.JWK.from_pyca(key.public_key()).export_public())
    (copy / ".well-known" / "did.json").write_text(json.dumps(did))
    (copy / "v" / e["token"] / "credential.jwt").write_text(forged)
    with serve(copy) as other:
        verdict, _, context = _verdict(browser, other + f"v/{e['token']}/")
        context.close()
    assert verdict == "unverified"


def test_the_content_security_policy_blocks_inline_script(browser, issuer_site):
    base, site, overrides, entries = issuer_site
    e = entries["NIT-2025-0006"]
    html = (site / "v" / e["token"] / "index.html").read_text(encoding="utf-8")
    import html as htmllib

    csp = htmllib.unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1))
    assert "script-src 'self';" in csp and "connect-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in html and '<script src="../verify.js" defer></script>' in html
    unknown = (site / "v" / "unknown" / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in unknown and 'data-verdict="unknown"' in unknown
    path = f"/v/{e['token']}/"
    overrides[path] = html.replace("</main>", "<script>document.title='injected'</script></main>").encode()
    try:
        verdict, page, context = _verdict(browser, base + path.lstrip("/"), csp=True)
        title = page.title()
        border = page.eval_on_selector("#verdict", "e => getComputedStyle(e).borderLeftColor")  # the style's hash admits it
        context.close()
    finally:
        overrides.clear()
    assert title != "injected" and verdict == "valid" and border == "rgb(30, 126, 52)"


# -- biliktilik verify ------------------------------------------------------------------------

def _verify(*args):
    return run_cli("verify", *args)


def test_verify_fetches_from_the_issuer_and_prints_the_facts_and_one_verdict(issuer_site):
    base, _, _, entries = issuer_site
    e = entries["NIT-2025-0006"]
    facts = json.loads(e["facts"])
    proc = _verify(base + f"v/{e['token']}/", "--issuer", base, "--date", "2026-11-23")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("VALID: ") and "until 2028-10-16" in last
    for value in (facts["number"], facts["holder"]["surname"], facts["programme"]["title"]["ru"],
                  f"hours: {facts['hours']}", "2025-10-17"):
        assert value in proc.stdout
    cases = {"NIT-2026-0004": "REVOKED", "NIT-2025-0002": "REPLACED"}
    for number, word in cases.items():
        proc = _verify(base + f"v/{entries[number]['token']}/", "--issuer", base, "--date", "2026-11-23")
        assert proc.returncode == 1 and proc.stdout.strip().splitlines()[-1].startswith(word + ": "), proc.stdout
    expired = _token(entries, "expired")
    proc = _verify(base + f"v/{expired['token']}/credential.json", "--issuer", base, "--date", "2026-11-23")
    assert proc.returncode == 1 and proc.stdout.strip().splitlines()[-1].startswith("EXPIRED: ")
    proc = _verify(base + f"v/{expired['token']}/credential.json", "--issuer", base, "--date", "2025-01-01")
    assert proc.returncode == 0, proc.stdout


def test_verify_refuses_a_foreign_host_and_a_tampered_credential(issuer_site, tmp_path):
    base, site, _, entries = issuer_site
    e = entries["NIT-2025-0006"]
    with serve(site) as other:
        proc = _verify(other + f"v/{e['token']}/", "--issuer", base)
    assert proc.returncode == 1 and "not the issuer's" in proc.stdout and "Traceback" not in proc.stderr
    proc = _verify(f"https://evil.example/v/{e['token']}/")  # mkdocs.yml's issuer: no request is made
    assert proc.returncode == 1 and proc.stdout.startswith("UNVERIFIED: the host of https://evil.example/")
    doc = json.loads((site / "v" / e["token"] / "credential.json").read_text(encoding="utf-8"))
    doc["certificateFacts"]["hours"] = 108
    (tmp_path / "more-hours.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    proc = _verify(tmp_path / "more-hours.json", "--issuer", base)
    assert proc.returncode == 1 and "UNVERIFIED: the signature does NOT match" in proc.stdout
    forged = _resign((site / "v" / e["token"] / "credential.jwt").read_text(), Ed25519PrivateKey.generate())
    (tmp_path / "forged.jwt").write_text(forged)
    proc = _verify(tmp_path / "forged.jwt", "--issuer", base)
    assert proc.returncode == 1 and "UNVERIFIED: the signature does NOT match" in proc.stdout
    proc = _verify(tmp_path / "missing.jwt", "--issuer", base)
    assert proc.returncode == 1 and "UNVERIFIED: cannot read" in proc.stdout and "Traceback" not in proc.stderr
