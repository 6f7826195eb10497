"""The issuer's Ed25519 key, signed credentials (VC-JWT and Data Integrity), did:web,
the Bitstring Status List, and offline verification.

Key: ``BILIKTILIK_ISSUER_KEY`` (a PEM private key, or the 32 raw bytes in base64) or
``BILIKTILIK_ISSUER_KEY_FILE`` (a PEM file outside the repository). Without either, the
DEMO key shipped in ``demo/`` signs, with a warning: it serves the sample data only.

Ed25519 signatures are deterministic, every JSON text is written with sorted keys and
the status list is gzipped with a zero timestamp, so rebuilds are byte-identical.
Only ``cryptography`` is used: a JWT is base64url(header).base64url(payload).base64url(sig).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from biliktilik.findings import BuildError
from biliktilik.project import DEMO_KEY_FILE, ROOT

log = logging.getLogger(__name__)

ENV_KEY, ENV_KEY_FILE = "BILIKTILIK_ISSUER_KEY", "BILIKTILIK_ISSUER_KEY_FILE"
KEY_ID = "key-1"
STATUS_LIST_BITS = 131072  # 16 KiB, the minimum the Bitstring Status List spec asks for (herd privacy)
STATUS_LIST_PATH = "status/1"

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


# -- encodings ---------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text or ""):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact_json(value) -> bytes:
    """Sorted keys, no spaces, UTF-8: also the JSON Canonicalization Scheme (RFC 8785) for our data,
    which holds only strings, whole numbers, booleans, lists and mappings with ASCII keys."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


_B58_PAIRS = [a + b for a in _B58 for b in _B58]  # two digits per big-number division


def base58btc(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    pairs = []
    while n:
        n, r = divmod(n, 3364)
        pairs.append(_B58_PAIRS[r])
    digits = "".join(reversed(pairs)).lstrip("1")  # the top pair may start with a padding zero digit
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def base58btc_decode(text: str) -> bytes:
    n = 0
    for ch in text:
        i = _B58.find(ch)
        if i < 0:
            raise ValueError("not base58btc")
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


# -- the key -------------------------------------------------------------------------

@dataclass
class Issuer:
    key: Ed25519PrivateKey
    demo: bool
    origin: str  # where the key came from, for messages

    @property
    def public(self) -> Ed25519PublicKey:
        return self.key.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def jwk(self) -> dict:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.public_raw)}

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)


def _parse_key(text: str, origin: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text[text.index("-----BEGIN"):].encode("ascii"), password=None)
        else:
            raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
            if len(raw) != 32:
                raise ValueError(f"expected 32 raw bytes, got {len(raw)}")
            key = Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BuildError(f"the issuer key from {origin} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BuildError(f"the issuer key from {origin} is not an Ed25519 private key")
    return key


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def load_issuer(environ=None) -> Issuer:
    """The issuer key: from the environment, else the DEMO key (with a warning)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY):
        return Issuer(_parse_key(env[ENV_KEY], f"${ENV_KEY}"), False, f"${ENV_KEY}")
    if env.get(ENV_KEY_FILE):
        path = Path(env[ENV_KEY_FILE]).expanduser()
        if _inside(path, ROOT) and path.resolve() != DEMO_KEY_FILE.resolve():
            raise BuildError(f"${ENV_KEY_FILE} points into the repository ({path}); keep the issuer key outside it")
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(f"cannot read the issuer key file {path}: {exc}") from None
        return Issuer(_parse_key(text, str(path)), path.resolve() == DEMO_KEY_FILE.resolve(), str(path))
    log.warning("signing with the DEMO issuer key %s: fine for the sample data, never for real certificates "
                "(set %s or %s)", DEMO_KEY_FILE.relative_to(ROOT), ENV_KEY, ENV_KEY_FILE)
    return Issuer(_parse_key(DEMO_KEY_FILE.read_text(encoding="ascii"), "the DEMO key"), True, "DEMO key")


# -- did:web ---------------------------------------------------------------------------

def did_for(site_url: str) -> str:
    """did:web of the site: the host (a port %-encoded), then the path's segments."""
    parts = urlsplit(site_url if "://" in site_url else "https://localhost/")
    host = parts.hostname or "localhost"
    if parts.port:
        host += quote(f":{parts.port}", safe="")
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def did_document_path(did: str) -> str:
    """Where did:web resolves, relative to the site's root: did:web:host -> .well-known/did.json;
    did:web:host:path (a site under https://host/path/) -> did.json."""
    return "did.json" if did.split(":")[3:] else ".well-known/did.json"


def did_document(issuer: Issuer, did: str) -> dict:
    vm = f"{did}#{KEY_ID}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": [{"id": vm, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": issuer.jwk()}],
        "assertionMethod": [vm],
        "authentication": [vm],
    }


# -- signing ---------------------------------------------------------------------------

def sign_jwt(payload: dict, issuer: Issuer, kid: str, typ: str = "vc+jwt") -> str:
    header = {"alg": "EdDSA", "kid": kid, "typ": typ}
    signing_input = b64url(compact_json(header)) + "." + b64url(compact_json(payload))
    return signing_input + "." + b64url(issuer.sign(signing_input.encode("ascii")))


class JwtSigner:
    """VC-JWTs under one key: the header is encoded once."""

    def __init__(self, issuer: Issuer, kid: str, typ: str = "vc+jwt"):
        self.issuer = issuer
        self.head = b64url(compact_json({"alg": "EdDSA", "kid": kid, "typ": typ}))

    def sign(self, payload_json: bytes) -> bytes:
        signing_input = (self.head + "." + b64url(payload_json)).encode("ascii")
        return signing_input + b"." + b64url(self.issuer.sign(signing_input)).encode("ascii")


class ProofSigner:
    """eddsa-jcs-2022 proofs under one key: the hash of each proof configuration is kept."""

    def __init__(self, issuer: Issuer, verification_method: str):
        self.issuer = issuer
        self.vm = verification_method
        self._config: dict = {}

    def proof(self, document_json: bytes, context, created: str) -> dict:
        """``document_json`` is the document's compact JSON (JCS for our data), without a proof."""
        options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": created,
                   "verificationMethod": self.vm, "proofPurpose": "assertionMethod"}
        key = (created, json.dumps(context, sort_keys=True))
        config_hash = self._config.get(key)
        if config_hash is None:
            config_hash = self._config[key] = hashlib.sha256(compact_json({**options, "@context": context})).digest()
        signature = self.issuer.sign(config_hash + hashlib.sha256(document_json).digest())
        return {**options, "proofValue": "z" + base58btc(signature)}


def data_integrity_proof(document: dict, issuer: Issuer, verification_method: str, created: str) -> dict:
    """An eddsa-jcs-2022 DataIntegrityProof over ``document`` (which holds no proof yet)."""
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": created,
               "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    hash_data = _jcs_hash_data(document, options)
    return {**options, "proofValue": "z" + base58btc(issuer.sign(hash_data))}


def _jcs_hash_data(document: dict, options: dict) -> bytes:
    config = {**options, "@context": document.get("@context")}
    return hashlib.sha256(compact_json(config)).digest() + hashlib.sha256(compact_json(document)).digest()


# -- status list -------------------------------------------------------------------------

def encode_status_list(revoked_indices, size: int = STATUS_LIST_BITS) -> str:
    size = max(size, (max(revoked_indices, default=-1) // 8 + 1) * 8)
    bits = bytearray(size // 8)
    for i in revoked_indices:
        bits[i // 8] |= 0x80 >> (i % 8)  # index 0 is the first (leftmost) bit
    return "u" + b64url(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


def status_bit(encoded: str, index: int) -> bool:
    if not encoded.startswith("u"):
        raise ValueError("the status list is not base64url multibase")
    bits = gzip.decompress(b64url_decode(encoded[1:]))
    if index // 8 >= len(bits):
        raise ValueError(f"index {index} is beyond the status list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(site_url: str, did: str, revoked_indices, valid_from: str) -> dict:
    url = site_url + STATUS_LIST_PATH
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": valid_from,
        "credentialSubject": {"id": url + "#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode_status_list(revoked_indices)},
    }


# -- verification (offline) ----------------------------------------------------------------

@dataclass
class Verified:
    ok: bool = False
    lines: list[str] = field(default_factory=list)
    credential: dict | None = None


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None


def _resolve_target(target: str, site: Path) -> Path:
    if re.match(r"^[a-z][a-z0-9+.-]*://", target, re.I):
        parts = urlsplit(target)
        base = _site_path_prefix(site)
        path = parts.path
        if base and path.startswith(base):
            path = path[len(base):]
        rel = path.lstrip("/")
        local = site / rel
        if not rel or rel.endswith("/") or local.is_dir():
            local = local / "credential.jwt"
        return local
    path = Path(target)
    return path / "credential.jwt" if path.is_dir() else path


def _site_path_prefix(site: Path) -> str:
    did = _site_did(site)
    segments = did.split(":")[3:] if did else []
    return "/" + "/".join(segments) if segments else ""


def _site_did(site: Path) -> str | None:
    for rel in (".well-known/did.json", "did.json"):
        p = site / rel
        if p.is_file():
            try:
                return json.loads(p.read_text(encoding="utf-8")).get("id")
            except ValueError:
                return None
    return None


def _public_key(kid: str, site: Path, lines: list[str]) -> Ed25519PublicKey:
    did = kid.split("#")[0]
    if not did.startswith("did:web:"):
        raise ValueError(f"the key {kid!r} is not a did:web key")
    doc_path = site / did_document_path(did)
    if not doc_path.is_file():
        raise ValueError(f"the issuer's DID document for {did} is not in {site}/ (looked for {doc_path}); give --site")
    doc = _read_json(doc_path)
    if doc.get("id") != did:
        raise ValueError(f"{doc_path} describes {doc.get('id')}, not {did}")
    for vm in doc.get("verificationMethod") or []:
        if vm.get("id") == kid and isinstance(vm.get("publicKeyJwk"), dict):
            jwk = vm["publicKeyJwk"]
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise ValueError(f"{kid} is not an Ed25519 key")
            lines.append(f"issuer key: {kid} (from {doc_path})")
            return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    raise ValueError(f"{doc_path} has no key {kid}")


def _check_jwt(text: str, site: Path, lines: list[str]) -> dict:
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWT (three base64url parts separated by dots)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the JWT cannot be decoded: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        raise ValueError(f"unsupported JWT algorithm {header.get('alg') if isinstance(header, dict) else header!r}; expected EdDSA")
    key = _public_key(str(header.get("kid")), site, lines)
    try:
        key.verify(signature, (parts[0] + "." + parts[1]).encode("ascii"))
    except InvalidSignature:
        raise _Mismatch("signature: does NOT match: the credential was altered or not signed by this issuer") from None
    if not isinstance(payload, dict):
        raise ValueError("the JWT payload is not a credential")
    return payload


def _check_proof(doc: dict, site: Path, lines: list[str]) -> dict:
    proof = doc.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != "eddsa-jcs-2022":
        raise ValueError("the JSON credential has no eddsa-jcs-2022 proof")
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    value = proof.get("proofValue") or ""
    if not value.startswith("z"):
        raise ValueError("proofValue is not base58btc multibase")
    key = _public_key(str(proof.get("verificationMethod")), site, lines)
    try:
        key.verify(base58btc_decode(value[1:]), _jcs_hash_data(unsecured, options))
    except InvalidSignature:
        raise _Mismatch("signature: does NOT match: the credential was altered or not signed by this issuer") from None
    return unsecured


class _Mismatch(ValueError):
    pass


def _status(credential: dict, site: Path, lines: list[str]) -> bool:
    """True when the credential is not revoked (its status list is read from the site and checked too)."""
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict):
        lines.append("status: the credential names no status list")
        return True
    url = entry.get("statusListCredential", "")
    local = site / (urlsplit(url).path[len(_site_path_prefix(site)):].lstrip("/"))
    if not local.is_file():
        raise ValueError(f"the status list {url} is not in {site}/")
    status = _check_jwt(local.read_text(encoding="ascii"), site, [])
    encoded = ((status.get("credentialSubject") or {}).get("encodedList")) or ""
    index = int(entry.get("statusListIndex"))
    if status_bit(encoded, index):
        lines.append(f"status: REVOKED (bit {index} of {url} is set)")
        return False
    lines.append(f"status: not revoked (bit {index} of {url})")
    return True


def verify_credential(target: str, site: Path = Path("site"), on: dt.date | None = None) -> Verified:
    """Check a credential file (or a URL mapped into ``site``): signature, status, dates."""
    from biliktilik.model.facts import today

    result = Verified()
    lines = result.lines
    site = Path(site)
    try:
        path = _resolve_target(target, site)
        if not path.is_file():
            raise ValueError(f"no credential at {path}")
        data = path.read_bytes()
        text = data.decode("utf-8")
        if text.lstrip().startswith("{"):
            doc = json.loads(text)
            if not isinstance(doc, dict):
                raise ValueError("not a credential")
            credential = _check_proof(doc, site, lines)
            lines.insert(0, f"{path}: Data Integrity proof (eddsa-jcs-2022)")
        else:
            credential = _check_jwt(text, site, lines)
            lines.insert(0, f"{path}: VC-JWT (EdDSA)")
        lines.append("signature: valid")
        result.credential = credential
        ok = _status(credential, site, lines)
        day = (on or today()).isoformat()
        start, until = str(credential.get("validFrom", ""))[:10], str(credential.get("validUntil", ""))[:10]
        if start and day < start:
            lines.append(f"validity: not yet valid (from {start})")
            ok = False
        elif until and day > until:
            lines.append(f"validity: EXPIRED (valid until {until})")
            ok = False
        else:
            lines.append(f"validity: valid on {day}" + (f" (until {until})" if until else ""))
        result.ok = ok
    except _Mismatch as exc:
        lines.append(str(exc))
    except (ValueError, UnicodeDecodeError, OSError, TypeError) as exc:
        lines.append(f"invalid: {exc}")
    lines.append("result: " + ("VALID" if result.ok else "NOT VALID"))
    return result
