"""Issuer keys (issue 14): rotation, and the response to a stolen key.

One served address, three real builds of the sample data in a row, with one output cache (as a CI
cache would keep it):

1. ``key-1``: the shipped key file (the DEMO key, active);
2. ``rotated``: key-1 retired, a new key-2 active (its private key in a file outside the repository);
3. ``compromised``: key-1 marked compromised on 2026-11-20, key-2 active.

Each stage's site is kept and served at the same origin; the old ``credential.jwt`` of stage 1 (signed
with key-1) is served in place of the current one, as a copy made before the theft would be. Pages are
checked in Chromium, the CLI as a person runs it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from biliktilik.findings import BuildError
from biliktilik.model import credentials as C
from biliktilik.model.verifier import verify
from tests.browser_util import http_server
from tests.conftest import DATA, run_cli
from tests.test_trust import SEEN, _Handler, browser  # noqa: F401 - fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STOLEN_ON = "2026-11-20"
NUMBER = "NIT-2025-0006"  # valid until 2028


class _StageHandler(_Handler):
    stage: dict = {}

    def translate_path(self, path):
        self.directory = str(self.stage["root"])
        return super().translate_path(path)


def _key_file(path, entries):
    lines = ["keys:"]
    for e in entries:
        lines.append(f"  - id: {e['id']}")
        lines.append(f"    public_key: {{kty: OKP, crv: Ed25519, x: {e['x']}}}")
        for field in ("from", "until", "status", "compromised", "note"):
            if field in e:
                lines.append(f"    {field}: {e[field]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """(base URL, {stage: site folder}, stage state, overrides, the token of NUMBER)."""

    out = tmp_path_factory.mktemp("keys")
    site = out / "site"
    state: dict = {"root": site}
    overrides: dict = {}
    handler = type("H", (_StageHandler,), {"overrides": overrides, "stage": state})
    with http_server(handler, site) as base:  # the address is known before the site is built for it
        yield from _stage_builds(out, site, base, state, overrides)


def _stage_builds(out, site, base, state, overrides):
    from biliktilik.build.pipeline import build
    from biliktilik.model.ledger import ledger_entries
    from biliktilik.validate import validate

    demo_x = C.load_issuer({}).jwk()["x"]
    key2 = Ed25519PrivateKey.generate()
    pem = out / "key-2.pem"  # outside the repository, as $BILIKTILIK_ISSUER_KEY_FILE must be
    pem.write_bytes(key2.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    x2 = base64.urlsafe_b64encode(key2.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).rstrip(b"=").decode()
    rotated = _key_file(out / "keys-rotated.yaml", [
        {"id": "key-1", "x": demo_x, "from": "2025-01-01", "until": "2026-11-22", "status": "retired"},
        {"id": "key-2", "x": x2, "from": "2026-11-23", "status": "active"}])
    compromised = _key_file(out / "keys-compromised.yaml", [
        {"id": "key-1", "x": demo_x, "from": "2025-01-01", "until": STOLEN_ON, "status": "compromised",
         "compromised": STOLEN_ON, "note": "a copy of the key was found on a lost laptop"},
        {"id": "key-2", "x": x2, "from": "2026-11-23", "status": "active"}])
    saved = dict(os.environ)
    folders = {}
    try:
        for name, env in (("key-1", {}),
                          ("rotated", {C.ENV_KEY_FILE: str(pem), C.ENV_KEYS_FILE: str(rotated)}),
                          ("compromised", {C.ENV_KEY_FILE: str(pem), C.ENV_KEYS_FILE: str(compromised)})):
            os.environ.clear()
            os.environ.update({k: v for k, v in saved.items() if not k.startswith("BILIKTILIK_ISSUER")})
            os.environ.update(SOURCE_DATE_EPOCH="1795392000", XDG_CACHE_HOME=str(out / "cache"), **env)
            build(DATA, site, out / "print", use_cache=True, site_url=base)  # one cache for the three builds
            folders[name] = out / name
            shutil.copytree(site, folders[name])
        token = next(e["token"] for e in ledger_entries(validate(DATA, use_cache=False).dataset)
                     if e["number"] == NUMBER)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    yield base, folders, state, overrides, token


def _header(jwt: str) -> dict:
    head = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def _open(browser, url):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 667}, bypass_csp=True)
    context.clock.set_fixed_time(SEEN)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("document.getElementById('verdict').dataset.verdict !== ''", timeout=15000)
    result = (page.get_attribute("#verdict", "data-verdict"), page.inner_text("#verdict"),
              page.get_attribute("#sig", "data-state"))
    context.close()
    return result


def _serve(stages, stage, old_jwt=None):
    base, folders, state, overrides, token = stages
    state["root"] = folders[stage]
    overrides.clear()
    if old_jwt:
        overrides[f"/v/{token}/credential.jwt"] = old_jwt.encode("ascii")
    return base + f"v/{token}/"


def _credentials(folder):
    return sorted((folder / "v").glob("*/credential.jwt"))


def test_rotation_signs_every_credential_with_the_new_key_and_old_copies_still_verify(browser, stages):  # noqa: F811
    base, folders, _, _, token = stages
    did = C.did_for(base)
    doc = json.loads((folders["rotated"] / ".well-known" / "did.json").read_text(encoding="utf-8"))
    assert doc["assertionMethod"] == [f"{did}#key-1", f"{did}#key-2"]
    assert doc["authentication"] == [f"{did}#key-2"] and C.REVOKED_KEYS not in doc
    old, new = _credentials(folders["key-1"]), _credentials(folders["rotated"])
    assert len(new) == len(old) > 10
    for before, after in zip(old, new):  # the cached stage-1 outputs were not served again
        a, b = before.read_text().strip(), after.read_text().strip()
        assert _header(a)["kid"] == f"{did}#key-1" and _header(b)["kid"] == f"{did}#key-2"
        assert a.split(".")[1] == b.split(".")[1]  # the same signed facts, only the key changed
        proof = json.loads((after.parent / "credential.json").read_text(encoding="utf-8"))["proof"][0]
        assert proof["verificationMethod"] == f"{did}#key-2"
    for status in ("status/1", "status/2"):
        assert _header((folders["rotated"] / status).read_text())["kid"] == f"{did}#key-2"
    old_jwt = (folders["key-1"] / "v" / token / "credential.jwt").read_text().strip()
    # the genuine page, and a copy of the credential saved before the rotation: both valid
    assert _open(browser, _serve(stages, "rotated"))[0] == "valid"
    assert _open(browser, _serve(stages, "rotated", old_jwt))[0] == "valid"
    proc = run_cli("verify", folders["key-1"] / "v" / token / "credential.jwt", "--issuer", base,
                   "--site", folders["rotated"], "--date", "2026-11-23")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"signature valid, key {did}#key-1" in proc.stdout and proc.stdout.strip().endswith("until 2028-10-16")


def test_a_stolen_key_is_withdrawn_and_what_it_signed_is_refused(browser, stages):  # noqa: F811
    base, folders, _, _, token = stages
    did = C.did_for(base)
    site = folders["compromised"]
    text = (site / ".well-known" / "did.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["assertionMethod"] == [f"{did}#key-2"] == [vm["id"] for vm in doc["verificationMethod"]]
    assert doc[C.REVOKED_KEYS] == [{"id": f"{did}#key-1", "revoked": STOLEN_ON}]
    assert C.load_issuer({}).jwk()["x"] not in text  # the stolen public key is no longer offered for checking
    assert "laptop" not in text  # the staff's note stays in the key file
    for path in _credentials(site):  # every genuine credential was signed again with key-2
        assert _header(path.read_text())["kid"] == f"{did}#key-2"
    assert (site / "v" / token / "credential.jwt").read_text().split(".")[1] == \
        (folders["key-1"] / "v" / token / "credential.jwt").read_text().split(".")[1]

    verdict, _, sig = _open(browser, _serve(stages, "compromised"))
    assert (verdict, sig) == ("valid", "ok")
    old_jwt = (folders["key-1"] / "v" / token / "credential.jwt").read_text().strip()
    verdict, shown, sig = _open(browser, _serve(stages, "compromised", old_jwt))
    assert (verdict, sig) == ("unverified", "bad")
    assert "отозван выдавшей организацией 20.11.2026" in shown
    assert "20.11.2026 кері қайтарып алды" in shown

    # the CLI: the old copy served at the page's address, and the old files read locally
    proc = run_cli("verify", base + f"v/{token}/", "--issuer", base, "--date", "2026-11-23")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == (
        f"UNVERIFIED: signed with the key {did}#key-1, which the issuer withdrew on {STOLEN_ON} (compromised): "
        "this copy is not the issuer's current credential")
    for name in ("credential.jwt", "credential.json"):
        out = verify(str(folders["key-1"] / "v" / token / name), base, site=site, on=dt.date(2026, 11, 23))
        assert out.verdict == "UNVERIFIED" and f"withdrew on {STOLEN_ON}" in out.reason, out.reason
        out = verify(str(site / "v" / token / name), base, site=site, on=dt.date(2026, 11, 23))
        assert out.verdict == "VALID", out.reason
    # a status list signed with the stolen key (here the fresh one of stage 1) is refused too
    stages[3].clear()
    stages[3]["/status/1"] = (folders["key-1"] / "status" / "1").read_bytes()
    try:
        verdict, shown, _ = _open(browser, base + f"v/{token}/")
        out = verify(base + f"v/{token}/", base, on=dt.date(2026, 11, 23))
    finally:
        stages[3].clear()
    assert verdict == "unverified" and "20.11.2026" in shown
    assert out.verdict == "UNVERIFIED" and f"{did}#key-1, which the issuer withdrew on {STOLEN_ON}" in out.reason


def test_the_key_file_is_checked_with_one_line_errors(tmp_path):
    demo = C.load_issuer({})
    x = demo.jwk()["x"]
    other = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    cases = {
        "a compromised key without its date": (
            [{"id": "key-1", "x": x, "status": "compromised"}], "a compromised key needs the date it was withdrawn"),
        "an unknown status": ([{"id": "key-1", "x": x, "status": "lost"}],
                              "status 'lost' is not one of active, retired, compromised"),
        "two active keys": ([{"id": "key-1", "x": x, "status": "active"},
                             {"id": "key-2", "x": other, "status": "active"}],
                            "lists 2 active keys; mark one active or set $BILIKTILIK_ISSUER_KEY_ID"),
        "signing with a retired key": ([{"id": "key-1", "x": x, "status": "retired"},
                                        {"id": "key-2", "x": other, "status": "active"}], None),
        "another public key": ([{"id": "key-1", "x": other, "status": "active"}],
                               f"is not key-1 of {tmp_path}/keys.yaml (its public key x is {x}"),
        "a date that is none": ([{"id": "key-1", "x": x, "status": "active", "from": "1 June"}],
                                "'1 June' is not a date YYYY-MM-DD"),
        "a key id with a space": ([{"id": "key 1", "x": x, "status": "active"}], "is not a key id like key-2"),
    }
    for name, (entries, message) in cases.items():
        path = _key_file(tmp_path / "keys.yaml", entries)
        env = {C.ENV_KEY_ID: "key-1"} if message is None else {}
        with pytest.raises(BuildError) as err:
            C.load_keys(demo, env, path)
        text = str(err.value)
        assert "\n" not in text and (message or "the signing key key-1 is retired") in text, (name, text)
    path = _key_file(tmp_path / "keys.yaml", [{"id": "key-1", "x": x, "status": "active"}])
    with pytest.raises(BuildError, match="the signing key key-2 is not in .*; add it: {id: key-2, public_key: "):
        C.load_keys(demo, {C.ENV_KEY_ID: "key-2"}, path)  # an id the file does not list
    assert C.load_keys(demo, {}, path) == C.KeySet("key-1", (C.KeyRecord("key-1", demo.jwk(), "active"),))
    assert C.load_keys(demo, {}, tmp_path / "none.yaml") == C.KeySet.single(demo)  # no key file: key-1


def test_a_build_with_a_key_the_key_file_does_not_list_stops_with_one_line(tmp_path):
    """The usual mistake: the real key set as the secret, the key file still listing the DEMO key."""
    raw = base64.b64encode(bytes(range(32))).decode()
    proc = run_cli("build", "--site", tmp_path / "site", "--print", tmp_path / "print",
                   env={C.ENV_KEY: raw, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "biliktilik: the issuer key from $BILIKTILIK_ISSUER_KEY is not key-1 of ")
    assert not (tmp_path / "site").exists()
