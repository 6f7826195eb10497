"""Open Badges 3.0 / VC 2.0 conformance of the credentials, checked by software this project did not write:
1EdTech's AchievementCredential JSON schema (jsonschema), the VC-JWTs by jwcrypto (the product signs with
joserfc), the eddsa-jcs-2022 proofs by rfc8785 + cryptography; and the one validity rule around midnight."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jsonschema import Draft201909Validator
from jwcrypto import jwk, jws

from biliktilik.model.credentials import base58btc_decode, status_bit
from tests.conftest import DATA

SCHEMA = Path(__file__).parent / "vendor" / "ob_v3p0_achievementcredential_schema.json"
CLAIMS = ("iss", "jti", "sub", "nbf", "exp")


@pytest.fixture(scope="module")
def ledger(sample_site):
    from biliktilik.model.ledger import ledger_entries
    from biliktilik.validate import validate

    return {e["number"]: e for e in ledger_entries(validate(DATA, use_cache=False).dataset)}


def _key(site) -> tuple[jwk.JWK, dict]:
    did = json.loads((site / ".well-known" / "did.json").read_text())
    return jwk.JWK(**did["verificationMethod"][0]["publicKeyJwk"]), did


def _jwt(site, path) -> tuple[dict, dict]:
    key, _ = _key(site)
    token = jws.JWS()
    token.deserialize((site / path).read_text().strip())
    token.verify(key, alg="EdDSA")  # raises unless the issuer's key signed it
    return token.jose_header, json.loads(token.payload)


def test_every_credential_json_is_a_valid_achievement_credential(sample_site, ledger):
    validator = Draft201909Validator(json.loads(SCHEMA.read_text()))
    for e in ledger.values():
        doc = json.loads((sample_site / "v" / e["token"] / "credential.json").read_text())
        errors = sorted(validator.iter_errors(doc), key=lambda x: list(x.path))
        assert errors == [], (e["number"], [f"{list(x.path)}: {x.message}" for x in errors[:3]])
        assert isinstance(doc["proof"], list)
    broken = json.loads((sample_site / "v" / e["token"] / "credential.json").read_text())
    broken["proof"] = broken["proof"][0]  # the shape the schema refuses
    assert list(validator.iter_errors(broken))


def test_vc_jwts_follow_open_badges_3_and_verify_with_jwcrypto(sample_site, ledger):
    key, did = _key(sample_site)
    kid = did["id"] + "#key-1"
    for e in ledger.values():
        header, payload = _jwt(sample_site, f"v/{e['token']}/credential.jwt")
        assert header == {"alg": "EdDSA", "kid": kid, "typ": "JWT"}
        doc = json.loads((sample_site / "v" / e["token"] / "credential.json").read_text())
        credential = {k: v for k, v in doc.items() if k != "proof"}
        assert {k: v for k, v in payload.items() if k not in CLAIMS} == credential
        assert payload["iss"] == credential["issuer"]["id"] == did["id"]
        assert payload["jti"] == credential["id"] and credential["id"].endswith(f"/v/{e['token']}/")
        assert payload["sub"] == credential["credentialSubject"]["id"]
        assert payload["sub"].startswith("urn:uuid:") and e["token"] not in payload["sub"]
        assert payload["nbf"] == int(dt.datetime.fromisoformat(credential["validFrom"]).timestamp())
        assert payload["exp"] == int(dt.datetime.fromisoformat(credential["validUntil"]).timestamp())
        assert credential["validFrom"].endswith("T00:00:00+05:00") and credential["validUntil"].endswith("T23:59:59+05:00")
        assert credential["certificateFacts"] == json.loads(e["facts"])  # everything the page shows is signed
    tampered = (sample_site / "v" / e["token"] / "credential.jwt").read_text().strip()
    head, body, sig = tampered.split(".")
    token = jws.JWS()
    token.deserialize(f"{head}.{body[:-4]}AAAA.{sig}")
    with pytest.raises(jws.InvalidJWSSignature):
        token.verify(key, alg="EdDSA")


def test_the_2025_credential_says_when_it_expires_in_kazakhstan_time(sample_site, ledger):
    _, payload = _jwt(sample_site, f"v/{ledger['NIT-2025-0006']['token']}/credential.jwt")
    assert payload["validFrom"] == "2025-10-17T00:00:00+05:00" and payload["validUntil"] == "2028-10-16T23:59:59+05:00"
    assert payload["exp"] == int(dt.datetime(2028, 10, 16, 18, 59, 59, tzinfo=dt.timezone.utc).timestamp())
    assert payload["replaces"]["number"] == "NIT-2025-0002"


def test_eddsa_jcs_2022_proofs_verify_with_rfc8785_and_cryptography(sample_site, ledger):
    _, did = _key(sample_site)
    x = did["verificationMethod"][0]["publicKeyJwk"]["x"]
    import base64

    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))

    def check(doc):
        proof = doc["proof"][0]
        assert proof["cryptosuite"] == "eddsa-jcs-2022" and proof["verificationMethod"] == did["id"] + "#key-1"
        unsecured = {k: v for k, v in doc.items() if k != "proof"}
        config = {**{k: v for k, v in proof.items() if k != "proofValue"}, "@context": unsecured["@context"]}
        data = hashlib.sha256(rfc8785.dumps(config)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
        public.verify(base58btc_decode(proof["proofValue"][1:]), data)

    for e in ledger.values():
        check(json.loads((sample_site / "v" / e["token"] / "credential.json").read_text()))
    for rel in ("status/1.json", "status/2.json"):
        check(json.loads((sample_site / rel).read_text()))
    doc = json.loads((sample_site / "v" / e["token"] / "credential.json").read_text())
    doc["certificateFacts"]["hours"] += 1
    with pytest.raises(InvalidSignature):
        check(doc)


def test_the_signed_status_lists_tell_revoked_from_replaced(sample_site, ledger):
    _, revocation = _jwt(sample_site, "status/1")
    _, reasons = _jwt(sample_site, "status/2")
    assert revocation["credentialSubject"]["statusPurpose"] == "revocation"
    assert reasons["credentialSubject"]["statusPurpose"] == "message"
    for e in ledger.values():
        i = e["status_index"]
        assert status_bit(revocation["credentialSubject"]["encodedList"], i) == bool(e.get("revoked") or e.get("replaced_by"))
        assert status_bit(reasons["credentialSubject"]["encodedList"], i) == bool(e.get("replaced_by"))
    assert ledger["NIT-2026-0004"].get("revoked") and ledger["NIT-2025-0002"].get("replaced_by") == "NIT-2025-0006"


def test_one_validity_rule_in_kazakhstan_time():
    from biliktilik.model.facts import KZ_TIME, Validity, kz_day

    v = Validity(dt.date(2025, 10, 17), dt.date(2028, 10, 16))
    assert v.valid_from.isoformat() == "2025-10-17T00:00:00+05:00"
    assert v.valid_until.isoformat() == "2028-10-16T23:59:59+05:00"
    utc = dt.timezone.utc
    assert v.state_on(kz_day(dt.datetime(2028, 10, 16, 23, 59, 59, tzinfo=KZ_TIME))) == "valid"
    assert v.state_on(kz_day(dt.datetime(2028, 10, 17, 0, 0, 0, tzinfo=KZ_TIME))) == "expired"
    assert v.state_on(kz_day(dt.datetime(2028, 10, 16, 19, 0, 0, tzinfo=utc))) == "expired"
    assert v.state_on(kz_day(dt.datetime(2028, 10, 16, 18, 59, 59, tzinfo=utc))) == "valid"
    assert v.state_on(dt.date(2025, 10, 16)) == "not-yet"
