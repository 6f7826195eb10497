"""The issuer's Ed25519 key, signed credentials (VC-JWT and Data Integrity), did:web and
the Bitstring Status Lists.

Key: ``BILIKTILIK_ISSUER_KEY`` (a PEM private key, or the 32 raw bytes in base64) or
``BILIKTILIK_ISSUER_KEY_FILE`` (a PEM file outside the repository). Without either, the
DEMO key shipped in ``demo/`` signs, with a warning: it serves the sample data only.

JOSE (the VC-JWTs, Open Badges 3.0 section 8.2) is joserfc's; the JSON Canonicalization Scheme
(RFC 8785) of the eddsa-jcs-2022 proofs is the ``rfc8785`` package's. Ed25519 signatures are
deterministic and the status lists are gzipped with a zero timestamp, so rebuilds are
byte-identical. Verification is in :mod:`biliktilik.model.verifier`.
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
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.jwk import OKPKey
from joserfc.util import urlsafe_b64decode, urlsafe_b64encode

from biliktilik.findings import BuildError
from biliktilik.project import DEMO_KEY_FILE, ISSUER_KEYS_FILE, ROOT
from biliktilik.i18n import _

log = logging.getLogger(__name__)

ENV_KEY, ENV_KEY_FILE = "BILIKTILIK_ISSUER_KEY", "BILIKTILIK_ISSUER_KEY_FILE"
ENV_KEY_ID = "BILIKTILIK_ISSUER_KEY_ID"  # which key of the key file signs (default: its one active key)
ENV_KEYS_FILE = "BILIKTILIK_ISSUER_KEYS"  # another key file than content/issuer-keys.yaml
KEY_ID = "key-1"  # the key id when there is no key file
KEY_STATES = ("active", "retired", "compromised")
REVOKED_KEYS = "biliktilik:revokedKeys"  # did.json member listing withdrawn (compromised) keys with their date
STATUS_LIST_DAYS = 14  # a status list is valid for this many days from its build day (README "Keys")
JWS_ALG = "EdDSA"  # Ed25519, as Open Badges 3.0 and VC-JOSE name it (RFC 8037)
STATUS_LIST_BITS = 131072  # 16 KiB, the minimum the Bitstring Status List spec asks for (herd privacy)
STATUS_LIST_PATH = "status/1"  # statusPurpose "revocation": set for revoked AND replaced certificates
REASON_LIST_PATH = "status/2"  # statusPurpose "message", same index: set when the reason is a replacement

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def jcs(value) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme (the ``rfc8785`` package): UTF-8 bytes."""
    return rfc8785.dumps(value)


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


_B58_PAIRS = [a + b for a in _B58 for b in _B58]  # two digits per big-number division


def base58btc(data: bytes) -> str:
    """Multibase base58btc digits (without the leading 'z') of ``data``."""
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
            raise ValueError(_("not base58btc"))
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
        """The public key as a JWK (RFC 8037): {kty: OKP, crv: Ed25519, x}."""
        return {"kty": "OKP", "crv": "Ed25519", "x": urlsafe_b64encode(self.public_raw).decode("ascii")}

    def jose_key(self) -> OKPKey:
        return OKPKey.import_key(self.key)

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
                raise ValueError(_("expected 32 raw bytes, got {count}").format(count=len(raw)))
            key = Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BuildError(_("the issuer key from {origin} cannot be read: {exc}").format(origin=origin, exc=exc)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BuildError(_("the issuer key from {origin} is not an Ed25519 private key").format(origin=origin))
    return key


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def default_key_file(host: str, environ=None) -> Path:
    """Where ``biliktilik init`` puts an instance's private key by default:
    ``$XDG_CONFIG_HOME/biliktilik/keys/<host>-key-1.pem`` (``~/.config`` without XDG_CONFIG_HOME),
    outside any repository. ``host``: the site's host in ASCII (did:web:<host>)."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "biliktilik" / "keys" / f"{host}-key-1.pem"


def _is_sample(root: Path | None) -> bool:
    return root is None or Path(root).resolve() == ROOT.resolve()


def load_issuer(environ=None, *, root: Path | None = None, site_url: str | None = None) -> Issuer:
    """The issuer key: ``$BILIKTILIK_ISSUER_KEY`` (PEM or 32 raw bytes in base64), else the PEM file
    ``$BILIKTILIK_ISSUER_KEY_FILE`` (outside this checkout), else, for the sample data only, the DEMO
    key with a warning. ``root``: the folder of the ``mkdocs.yml`` being built (None: this checkout);
    an instance made by ``biliktilik init`` (``root`` is not this checkout) never falls back to the
    DEMO key: BuildError, one line, naming the variable and the default key file for ``site_url``'s
    host. BuildError as well for a key that cannot be read or is not Ed25519 (RFC 8037)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY):
        return Issuer(_parse_key(env[ENV_KEY], f"${ENV_KEY}"), False, f"${ENV_KEY}")
    if env.get(ENV_KEY_FILE):
        path = Path(env[ENV_KEY_FILE]).expanduser()
        if _inside(path, ROOT) and path.resolve() != DEMO_KEY_FILE.resolve():
            raise BuildError(_("${env_key_file} points into the repository ({path}); keep the issuer key outside it").format(env_key_file=ENV_KEY_FILE, path=path))
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(_("cannot read the issuer key file {path}: {exc}").format(path=path, exc=exc)) from None
        return Issuer(_parse_key(text, str(path)), path.resolve() == DEMO_KEY_FILE.resolve(), str(path))
    if not _is_sample(root):
        host = urlsplit(site_url or "").hostname or "<host>"
        raise BuildError(_("no issuer key: this instance signs with its own key. Set {env_key_file}=<the key file "
                           "'biliktilik init' printed> (by default {path}), or the key itself in ${env_key}").format(
                               env_key_file=ENV_KEY_FILE, path=default_key_file(host, env), env_key=ENV_KEY))
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


def did_document(issuer: Issuer, did: str, keys: "KeySet | None" = None) -> dict:
    """The did:web document: every key of ``keys`` that is not compromised (active and retired: old
    credentials still verify) as a JsonWebKey2020 verification method under ``assertionMethod``; the
    signing key alone under ``authentication``; compromised keys only in :data:`REVOKED_KEYS`, each
    with the day it was withdrawn. Without ``keys``: the one key ``key-1`` of ``issuer``."""
    keys = keys or KeySet.single(issuer)
    trusted = [k for k in keys.keys if k.status != "compromised"]
    doc = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": [{"id": f"{did}#{k.id}", "type": "JsonWebKey2020", "controller": did,
                                "publicKeyJwk": k.jwk} for k in trusted],
        "assertionMethod": [f"{did}#{k.id}" for k in trusted],
        "authentication": [f"{did}#{keys.signing}"],
    }
    withdrawn = [k for k in keys.keys if k.status == "compromised"]
    if withdrawn:
        doc[REVOKED_KEYS] = [{"id": f"{did}#{k.id}", "revoked": k.compromised.isoformat()} for k in withdrawn]
    return doc


# -- the key file: rotation and withdrawal ------------------------------------------------

@dataclass(frozen=True)
class KeyRecord:
    """One issuer key of the key file: ``id`` (the did URL's fragment, e.g. key-2), its public ``jwk``,
    ``since``/``until`` (the days it signed), ``status`` one of :data:`KEY_STATES`, ``compromised`` (the
    day it was withdrawn, for a compromised key) and a ``note`` for the staff."""
    id: str
    jwk: dict
    status: str
    since: dt.date | None = None
    until: dt.date | None = None
    compromised: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class KeySet:
    """Every key of the issuer and the id of the one that signs this build."""
    signing: str
    keys: tuple

    @classmethod
    def single(cls, issuer: Issuer, key_id: str = KEY_ID) -> "KeySet":
        return cls(key_id, (KeyRecord(key_id, issuer.jwk(), "active"),))


def _key_date(value, where: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BuildError(_("{where}: {value!r} is not a date YYYY-MM-DD").format(where=where, value=value))


def _key_record(item, where: str) -> KeyRecord:
    allowed = {"id", "public_key", "from", "until", "status", "compromised", "note"}
    if not isinstance(item, dict):
        raise BuildError(_("{where}: a key is a mapping with id, public_key, from, status").format(where=where))
    unknown = sorted(set(map(str, item)) - allowed)
    if unknown:
        raise BuildError(_("{where}: unknown field {unknown!r} (expected {items})").format(where=where, unknown=unknown[0], items=', '.join(sorted(allowed))))
    kid = item.get("id")
    if not isinstance(kid, str) or not kid or not all(c.isascii() and (c.isalnum() or c == "-") for c in kid):
        raise BuildError(_("{where}: id {kid!r} is not a key id like key-2 (ASCII letters, digits, '-')").format(where=where, kid=kid))
    status = item.get("status")
    if status not in KEY_STATES:
        raise BuildError(_("{where} ({kid}): status {status!r} is not one of {items}").format(where=where, kid=kid, status=status, items=', '.join(KEY_STATES)))
    try:
        public_key_from_jwk(item.get("public_key"))
    except ValueError as exc:
        raise BuildError(f"{where} ({kid}): public_key: {exc}") from None
    jwk = {k: item["public_key"][k] for k in ("kty", "crv", "x")}
    compromised = _key_date(item.get("compromised"), f"{where} ({kid}) compromised")
    if (status == "compromised") != (compromised is not None):
        raise BuildError(_("{where} ({kid}): a compromised key needs the date it was withdrawn (compromised: YYYY-MM-DD), and only a compromised key has one").format(where=where, kid=kid))
    return KeyRecord(kid, jwk, status, _key_date(item.get("from"), f"{where} ({kid}) from"),
                     _key_date(item.get("until"), f"{where} ({kid}) until"), compromised, str(item.get("note") or ""))


def load_keys(issuer: Issuer, environ=None, path: Path | None = None) -> KeySet:
    """The issuer's keys from the key file (``$BILIKTILIK_ISSUER_KEYS``, else ``content/issuer-keys.yaml``)
    and the id of the signing key (``$BILIKTILIK_ISSUER_KEY_ID``, else the file's one active key).

    The file (YAML) is ``keys:`` a list of ``{id, public_key: {kty: OKP, crv: Ed25519, x}, from, until,
    status: active|retired|compromised, compromised: YYYY-MM-DD, note}``: public halves only, the private
    key stays in the secret store. The signing key must be listed, ``active``, and its public key must be
    ``issuer``'s, so a build never signs what its did.json cannot verify. Without a file: the one key
    ``key-1`` of ``issuer`` (or the id in the environment). Raises BuildError, one line, for a file that
    cannot be read or is wrong."""
    env = os.environ if environ is None else environ
    path = Path(path or env.get(ENV_KEYS_FILE) or ISSUER_KEYS_FILE)
    chosen = env.get(ENV_KEY_ID) or None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return KeySet.single(issuer, chosen or KEY_ID)
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(_("cannot read the issuer key file {path}: {exc}").format(path=path, exc=exc)) from None
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise BuildError(_("{path}{at}: not YAML: {value}").format(path=path, at=at, value=getattr(exc, 'problem', None) or exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list) or set(doc) - {"keys"}:
        raise BuildError(_("{path}: expected one member 'keys:', a list of keys").format(path=path))
    records = tuple(_key_record(item, f"{path}: key {i + 1}") for i, item in enumerate(doc["keys"]))
    ids = [k.id for k in records]
    for kid in ids:
        if ids.count(kid) > 1:
            raise BuildError(_("{path}: the key id {kid} is listed twice").format(path=path, kid=kid))
    if chosen is None:
        active = [k.id for k in records if k.status == "active"]
        if len(active) != 1:
            raise BuildError(_("{path} lists {count} active keys; mark one active or set ${env_key_id}").format(path=path, count=len(active), env_key_id=ENV_KEY_ID))
        chosen = active[0]
    record = next((k for k in records if k.id == chosen), None)
    mine = issuer.jwk()
    if record is None:
        raise BuildError(_("the signing key {chosen} is not in {path}; add it: {{id: {chosen}, public_key: {{kty: OKP, crv: Ed25519, x: {x}}}, status: active}}").format(chosen=chosen, path=path, x=mine['x']))
    if record.status != "active":
        raise BuildError(_("the signing key {chosen} is {status} in {path}; sign with an active key").format(chosen=chosen, status=record.status, path=path))
    if record.jwk != mine:
        raise BuildError(_("the issuer key from {origin} is not {chosen} of {path} (its public key x is {x}, the file's {x2})").format(origin=issuer.origin, chosen=chosen, path=path, x=mine['x'], x2=record.jwk['x']))
    return KeySet(chosen, records)


# -- signing ---------------------------------------------------------------------------

def public_key_from_jwk(jwk: dict) -> Ed25519PublicKey:
    """An Ed25519 public key from its JWK; ValueError for any other key."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" in jwk:
        raise ValueError(_("not an Ed25519 public JWK"))
    try:
        return Ed25519PublicKey.from_public_bytes(urlsafe_b64decode(str(jwk.get("x", "")).encode("ascii")))
    except (ValueError, binascii.Error) as exc:
        raise ValueError(_("not an Ed25519 public JWK: {exc}").format(exc=exc)) from None


class JwtSigner:
    """Compact JWS (VC-JWT) under one key, by joserfc: header {alg: EdDSA, kid, typ}."""

    def __init__(self, issuer: Issuer, kid: str, typ: str = "JWT"):
        self.key = issuer.jose_key()
        self.header = {"alg": JWS_ALG, "kid": kid, "typ": typ}

    def sign(self, payload_json: bytes) -> bytes:
        """``payload_json``: the claims as JSON bytes (JCS). Returns the compact JWS, ASCII."""
        with warnings.catch_warnings():  # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519";
            warnings.simplefilter("ignore")  # Open Badges 3.0 and the browsers' verifiers use "EdDSA"
            return jws.serialize_compact(self.header, payload_json, self.key, algorithms=[JWS_ALG]).encode("ascii")


def jwt_claims(credential: dict) -> dict:
    """The registered JWT claims Open Badges 3.0 (section 8.2.4.1, VC-JWT) asks for beside the
    credential's own members: iss = issuer.id, jti = id, sub = credentialSubject.id, nbf = validFrom
    and exp = validUntil as epoch seconds (the instants carry their +05:00 offset)."""
    import datetime as dt

    issuer = credential.get("issuer")
    claims = {"iss": issuer.get("id") if isinstance(issuer, dict) else issuer, "jti": credential["id"],
              "nbf": int(dt.datetime.fromisoformat(credential["validFrom"]).timestamp())}
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if credential.get("validUntil"):
        claims["exp"] = int(dt.datetime.fromisoformat(credential["validUntil"]).timestamp())
    return claims


def jwt_payload(credential: dict) -> bytes:
    """The VC-JWT payload of a credential: its members at the top level plus :func:`jwt_claims`, JCS."""
    return jcs({**credential, **jwt_claims(credential)})


def jcs_object(members: dict[str, bytes]) -> bytes:
    """RFC 8785 serialization of a JSON object whose member values are already canonical
    (``{name: jcs(value)}``): members sorted by the UTF-16 code units of their names, each name
    serialized by ``rfc8785``. Equal, byte for byte, to ``jcs`` of the object itself."""
    names = sorted(members, key=lambda name: name.encode("utf-16be"))
    return b"{" + b",".join(jcs(name) + b":" + members[name] for name in names) + b"}"


def credential_payloads(credential: dict) -> tuple[bytes, bytes]:
    """(the VC-JWT payload, the JCS of the credential) of a credential without proof, canonicalised
    once: each top-level member goes through ``rfc8785`` one time and both objects are put
    together from the same bytes (:func:`jcs_object`). Equal to ``(jwt_payload(credential),
    jcs(credential))``; about half the canonicalisation work of computing them apart, which is
    most of the cost of signing a certificate's two credentials."""
    members = {name: jcs(value) for name, value in credential.items()}
    document = jcs_object(members)
    claims = {name: jcs(value) for name, value in jwt_claims(credential).items()}
    return jcs_object({**members, **claims}), document


class ProofSigner:
    """eddsa-jcs-2022 proofs (W3C VC Data Integrity EdDSA Cryptosuites) under one key."""

    def __init__(self, issuer: Issuer, verification_method: str):
        self.issuer = issuer
        self.vm = verification_method
        self._config: dict = {}

    def proof(self, document: dict, created: str, canonical: bytes | None = None) -> dict:
        """The DataIntegrityProof over ``document`` (which holds no proof): sha256(JCS(proof
        config with the document's @context)) + sha256(JCS(document)), signed with Ed25519.
        ``canonical``: JCS(document) when the caller has it already (:func:`credential_payloads`)."""
        options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": created,
                   "verificationMethod": self.vm, "proofPurpose": "assertionMethod"}
        context = document.get("@context")
        key = (created, json.dumps(context, sort_keys=True))
        config_hash = self._config.get(key)
        if config_hash is None:
            config_hash = self._config[key] = hashlib.sha256(jcs({**options, "@context": context})).digest()
        if canonical is None:
            canonical = jcs(document)
        signature = self.issuer.sign(config_hash + hashlib.sha256(canonical).digest())
        return {**options, "proofValue": "z" + base58btc(signature)}


def proof_hash_data(document: dict, proof: dict) -> bytes:
    """What an eddsa-jcs-2022 proof signs, for a verifier: ``document`` without its proof, the
    proof without its proofValue (VC Data Integrity EdDSA Cryptosuites v1.0, section 3.3)."""
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    config = {**options, "@context": document.get("@context")}
    return hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(document)).digest()


# -- status lists -------------------------------------------------------------------------

def encode_status_list(set_indices, size: int = STATUS_LIST_BITS) -> str:
    """Bitstring Status List encodedList: multibase base64url (no padding) of the GZIP of the
    bitstring, index 0 the leftmost bit; at least ``size`` bits."""
    size = max(size, (max(set_indices, default=-1) // 8 + 1) * 8)
    bits = bytearray(size // 8)
    for i in set_indices:
        bits[i // 8] |= 0x80 >> (i % 8)
    return "u" + urlsafe_b64encode(gzip.compress(bytes(bits), compresslevel=9, mtime=0)).decode("ascii")


def status_bit(encoded: str, index: int) -> bool:
    """The bit ``index`` of an encodedList; ValueError when it is not one or is too short."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError(_("the status list is not base64url multibase"))
    try:
        bits = gzip.decompress(urlsafe_b64decode(encoded[1:].encode("ascii")))
    except (OSError, ValueError, binascii.Error) as exc:
        raise ValueError(_("the status list cannot be decoded: {exc}").format(exc=exc)) from None
    if index < 0 or index // 8 >= len(bits):
        raise ValueError(_("index {index} is beyond the status list").format(index=index))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_window(build_day: dt.date, data_day: dt.date | None = None) -> tuple[str, str]:
    """(validFrom, validUntil) of the status lists a build signs: from 00:00 (Kazakhstan time, UTC+5) of
    the later of the build day (``facts.today``: SOURCE_DATE_EPOCH when set) and the last day the data
    names (an issue or a revocation), for :data:`STATUS_LIST_DAYS` days. A verifier refuses a list past
    its validUntil, so a list replayed from an older build stops working after the window: the site must
    be rebuilt within it (the publish workflow runs daily)."""
    start = max(build_day, data_day or build_day)
    return f"{start.isoformat()}T00:00:00+05:00", f"{(start + dt.timedelta(days=STATUS_LIST_DAYS)).isoformat()}T00:00:00+05:00"


def status_list_credential(site_url: str, did: str, set_indices, valid_from: str,
                           path: str = STATUS_LIST_PATH, purpose: str = "revocation",
                           valid_until: str | None = None) -> dict:
    """A BitstringStatusListCredential (W3C Bitstring Status List v1.0) published at site_url+path.

    ``purpose`` "revocation": the list every credential names (revoked or replaced: not valid);
    "message": the second list, same indices, whose set bit says the reason is a replacement
    (statusSize 1, statusMessage 0x0 revoked, 0x1 replaced). ``valid_until``: see
    :func:`status_list_window`."""
    url = site_url + path
    subject = {"id": url + "#list", "type": "BitstringStatusList", "statusPurpose": purpose,
               "encodedList": encode_status_list(set_indices)}
    if purpose == "message":
        subject["statusSize"] = 1
        subject["statusMessage"] = [{"status": "0x0", "message": "revoked"}, {"status": "0x1", "message": "replaced"}]
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": valid_from,
        **({"validUntil": valid_until} if valid_until else {}),
        "credentialSubject": subject,
    }


def json_bytes(value) -> bytes:
    """A JSON file's bytes (sorted keys, UTF-8, one line and a newline): not what is signed."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"
