"""Verifying a certificate's credential the way a relying party must: only the issuer can make it say VALID.

The issuer is fixed before anything is read: its site address (``site_url`` of ``mkdocs.yml``, or
``--issuer``) gives the did:web identifier and the one place its keys are published,
``<site_url>.well-known/did.json`` (did:web, absolute, never relative to the credential). Then:

1. the credential (a VC-JWT or a JSON credential with an eddsa-jcs-2022 proof; a URL only on the
   issuer's site) is verified with the key it names (JWT ``kid``, proof ``verificationMethod``) when
   did.json lists that key under ``assertionMethod`` (key rotation: the active and retired keys; a key in
   ``biliktilik:revokedKeys`` was withdrawn and is refused with its date) (joserfc for JOSE, ``rfc8785`` +
   ``cryptography`` for the proof); the issuer, ``iss``, ``jti``, ``sub``, ``nbf`` and ``exp`` must agree
   with the credential;
2. its status is read from the issuer's signed Bitstring Status Lists (``status/1`` revocation: revoked
   or replaced; ``status/2`` message, same index: set when the reason is a replacement), each list
   verified the same way and read only before its ``validUntil`` (an old list replayed is refused);
3. its validity window is decided on the Kazakhstan calendar day (UTC+5, :func:`facts.kz_day`).

The verdict is one of VALID, REVOKED, REPLACED, EXPIRED, UNVERIFIED, with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import OKPKey

from biliktilik.model import credentials as C
from biliktilik.model.facts import Validity, kz_day
from biliktilik.i18n import _

VERDICTS = ("VALID", "REVOKED", "REPLACED", "EXPIRED", "UNVERIFIED")
FETCH_TIMEOUT = 15  # seconds per request
MAX_BYTES = 4 * 1024 * 1024  # no credential, DID document or status list is bigger


class Unverified(Exception):
    """The credential could not be verified; the message says why, in one line."""


@dataclass
class Outcome:
    """``verdict`` one of :data:`VERDICTS`; ``reason`` one line; ``lines`` what was checked;
    ``facts`` the signed certificate facts (None unless the signature verified)."""
    verdict: str = "UNVERIFIED"
    reason: str = ""
    lines: list[str] = field(default_factory=list)
    facts: dict | None = None
    credential: dict | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "VALID"


def normal_site_url(url: str) -> str:
    """``scheme://host[:port]/path/`` with a trailing slash; ValueError unless http(s) with a host."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(_("the issuer address {url!r} is not an http(s) URL with a host").format(url=url))
    return url if url.endswith("/") else url + "/"


def _origin(url: str) -> tuple:
    p = urlsplit(url)
    return (p.scheme, (p.hostname or "").lower(), p.port or {"http": 80, "https": 443}.get(p.scheme))


def on_site(url: str, site_url: str) -> bool:
    """True when ``url`` is on the issuer's site: same scheme, host and port, under its path (False for an
    address that cannot be parsed, e.g. a port that is not a number)."""
    try:
        return _origin(url) == _origin(site_url) and urlsplit(url).path.startswith(urlsplit(site_url).path)
    except ValueError:
        return False


class Fetcher:
    """Reads the issuer's files: over HTTP(S) (urllib), or from a built ``site`` folder (offline).

    Only addresses on the issuer's site are read; any other raises Unverified."""

    def __init__(self, site_url: str, site: Path | None = None):
        self.site_url = site_url
        self.site = Path(site) if site else None

    def get(self, url: str) -> bytes:
        if not on_site(url, self.site_url):
            raise Unverified(_("{url} is not on the issuer's site {site_url}").format(url=url, site_url=self.site_url))
        if self.site is not None:
            rel = urlsplit(url).path[len(urlsplit(self.site_url).path):]
            local = self.site / rel
            if rel == "" or rel.endswith("/"):
                local = local / "index.html"
            if not local.resolve().is_relative_to(self.site.resolve()):
                raise Unverified(_("{url} leads out of {site}/").format(url=url, site=self.site))
            return read_limited(local, url)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "*/*"}),
                                        timeout=FETCH_TIMEOUT) as response:
                if not on_site(response.geturl(), self.site_url):
                    raise Unverified(_("{url} redirected off the issuer's site to {target}").format(url=url, target=response.geturl()))
                data = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise Unverified(_("cannot fetch {url}: HTTP {code}").format(url=url, code=exc.code)) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Unverified(_("cannot fetch {url}: {reason}").format(url=url, reason=getattr(exc, 'reason', exc))) from None
        if len(data) > MAX_BYTES:
            raise Unverified(_("{url} is larger than {max_bytes} bytes").format(url=url, max_bytes=MAX_BYTES))
        return data


def read_limited(path: Path, what: str) -> bytes:
    """The bytes of a local file of at most :data:`MAX_BYTES`; Unverified when unreadable or larger."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Unverified(_("cannot read {what}: {strerror}").format(what=what, strerror=exc.strerror)) from None
    if len(data) > MAX_BYTES:
        raise Unverified(_("{what} is larger than {max_bytes} bytes").format(what=what, max_bytes=MAX_BYTES))
    return data


def _json(data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Unverified(_("{what} is not JSON: {exc}").format(what=what, exc=exc)) from None
    except RecursionError:
        raise Unverified(_("{what} is not JSON a verifier reads: nested too deeply").format(what=what)) from None


class Issuer:
    """The issuer fixed by its site address: its did:web and (lazily) its DID document's keys.

    A signature names its key (the JWT header's ``kid``, the proof's ``verificationMethod``); it is
    checked with that key only when the issuer's did.json lists it under ``assertionMethod`` (rotation:
    the active and the retired keys); a key listed in ``biliktilik:revokedKeys`` was withdrawn
    (compromised) and what it signed is refused, with the day it was withdrawn."""

    def __init__(self, site_url: str, fetcher: Fetcher):
        self.site_url = site_url
        self.did = C.did_for(site_url)
        self.did_url = site_url + C.did_document_path(self.did)
        self.fetcher = fetcher
        self._doc: dict | None = None
        self.used: list[str] = []  # the key ids that verified something, in order

    def document(self) -> dict:
        if self._doc is None:
            doc = _json(self.fetcher.get(self.did_url), _("the DID document {did_url}").format(did_url=self.did_url))
            if not isinstance(doc, dict) or doc.get("id") != self.did:
                raise Unverified(_("{did_url} does not describe {did}").format(did_url=self.did_url, did=self.did))
            self._doc = doc
        return self._doc

    def jwk(self, kid) -> dict:
        """The public JWK of the key ``kid`` (a did URL of this issuer) from its did.json; Unverified when
        the key is not the issuer's, not listed for assertions, or withdrawn (with the date)."""
        if not isinstance(kid, str) or not kid.startswith(self.did + "#"):
            raise Unverified(_("the signature names the key {kid!r}, not one of the issuer's ({did}#...)").format(kid=kid, did=self.did))
        doc = self.document()
        revoked = doc.get(C.REVOKED_KEYS)
        for entry in revoked if isinstance(revoked, list) else []:
            if isinstance(entry, dict) and entry.get("id") == kid:
                raise Unverified(_("signed with the key {kid}, which the issuer withdrew on {revoked} (compromised): this copy is not the issuer's current credential").format(kid=kid, revoked=entry.get('revoked')))
        methods = doc.get("assertionMethod")
        if not isinstance(methods, list) or kid not in methods:
            raise Unverified(_("{did_url} does not list {kid} for assertions").format(did_url=self.did_url, kid=kid))
        for vm in doc.get("verificationMethod") or []:
            if isinstance(vm, dict) and vm.get("id") == kid and vm.get("controller") == self.did:
                try:
                    C.public_key_from_jwk(vm.get("publicKeyJwk"))
                except ValueError as exc:
                    raise Unverified(f"{kid}: {exc}") from None
                if kid not in self.used:
                    self.used.append(kid)
                return vm["publicKeyJwk"]
        raise Unverified(_("{did_url} has no key {kid}").format(did_url=self.did_url, kid=kid))

    def _header(self, text: str) -> dict:
        """The protected header of a compact JWS, unverified (to pick the key it names)."""
        try:
            header = jws.extract_compact(text.strip().encode("ascii")).protected
            if not isinstance(header, dict):
                raise ValueError(_("the header is not a JSON object"))
            return header
        except JoseError as exc:
            detail = f"{exc.error}: {exc.description}" if exc.description else exc.error
            raise Unverified(_("not a VC-JWT signed with {jws_alg} ({detail})").format(jws_alg=C.JWS_ALG, detail=detail)) from None
        except (ValueError, UnicodeError, TypeError) as exc:
            raise Unverified(_("not a compact JWT: {exc}").format(exc=exc)) from None

    def verify_jwt(self, text: str, typ: str) -> dict:
        """The payload of a compact JWS signed by one of this issuer's keys (the one its header's kid names)
        with header typ ``typ``."""
        header = self._header(text)
        kid = header.get("kid")
        if header.get("alg") == C.JWS_ALG:
            jwk = self.jwk(kid)
        else:  # joserfc refuses it below and says why ("alg none", ...); any well-formed key will do
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        key = OKPKey.import_key({k: v for k, v in jwk.items() if k in ("kty", "crv", "x")})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # joserfc's note that "EdDSA" is now spelt "Ed25519"
                token = jws.deserialize_compact(text.strip(), key, algorithms=[C.JWS_ALG])
        except BadSignatureError:
            raise Unverified(_("the signature does NOT match the issuer's key {kid} (altered, or signed by someone else)").format(kid=kid)) from None
        except JoseError as exc:  # not a JWS this verifier accepts: alg none, crit, malformed, too large...
            detail = f"{exc.error}: {exc.description}" if exc.description else exc.error
            raise Unverified(_("not a VC-JWT signed with {jws_alg} ({detail})").format(jws_alg=C.JWS_ALG, detail=detail)) from None
        except ValueError as exc:
            raise Unverified(_("not a compact JWT: {exc}").format(exc=exc)) from None
        header = token.protected
        if header.get("typ") != typ:
            raise Unverified(_("the JWT header typ is {found!r}, expected {expected!r}").format(found=header.get('typ'), expected=typ))
        payload = _json(token.payload, _("the JWT payload"))
        if not isinstance(payload, dict):
            raise Unverified(_("the JWT payload is not a credential"))
        return payload

    def verify_proof(self, document: dict) -> dict:
        """The credential (without proof) of a JSON credential with this issuer's eddsa-jcs-2022 proof."""
        proofs = document.get("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs]
        proof = next((p for p in proofs if isinstance(p, dict) and p.get("cryptosuite") == "eddsa-jcs-2022"), None)
        if proof is None:
            raise Unverified(_("the JSON credential has no eddsa-jcs-2022 proof"))
        kid = proof.get("verificationMethod")
        if proof.get("proofPurpose") != "assertionMethod":
            raise Unverified(_("the proof's purpose is {purpose!r}, not assertionMethod").format(purpose=proof.get('proofPurpose')))
        jwk = self.jwk(kid)
        value = proof.get("proofValue")
        if not isinstance(value, str):
            raise Unverified(_("the proof has no proofValue string"))
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        try:
            if not value.startswith("z"):
                raise ValueError(_("proofValue is not base58btc multibase"))
            C.public_key_from_jwk(jwk).verify(C.base58btc_decode(value[1:]), C.proof_hash_data(unsecured, proof))
        except InvalidSignature:
            raise Unverified(_("the signature does NOT match the issuer's key {kid} (altered, or signed by someone else)").format(kid=kid)) from None
        except (ValueError, TypeError) as exc:
            raise Unverified(_("the proof cannot be checked: {exc}").format(exc=exc)) from None
        return unsecured


def _instant(value, what: str) -> dt.datetime:
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise Unverified(_("{what} {value!r} is not a date-time").format(what=what, value=value)) from None
    if instant.tzinfo is None:
        raise Unverified(_("{what} {value!r} has no time zone").format(what=what, value=value))
    return instant


def check_claims(payload: dict, issuer: Issuer) -> dict:
    """The credential of an OB 3.0 VC-JWT payload after checking iss/jti/sub/nbf/exp against it."""
    credential = {k: v for k, v in payload.items() if k not in ("iss", "jti", "sub", "nbf", "exp")}
    try:
        expected = C.jwt_claims(credential)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise Unverified(_("the credential lacks what a VC-JWT needs: {exc}").format(exc=exc)) from None
    for claim in ("iss", "jti", "sub", "nbf", "exp"):
        if payload.get(claim) != expected.get(claim):
            raise Unverified(_("the JWT claim {claim} ({found!r}) does not match the credential ({expected!r})").format(claim=claim, found=payload.get(claim), expected=expected.get(claim)))
    return credential


def _check_credential(credential: dict, issuer: Issuer, page_url: str | None) -> None:
    ident = credential.get("issuer")
    if (ident.get("id") if isinstance(ident, dict) else ident) != issuer.did:
        raise Unverified(_("the credential's issuer is {ident!r}, not {did}").format(ident=ident, did=issuer.did))
    cid = str(credential.get("id") or "")
    if not on_site(cid, issuer.site_url):
        raise Unverified(_("the credential's address {cid} is not on the issuer's site {site_url}").format(cid=cid, site_url=issuer.site_url))
    if page_url is not None and cid != page_url:
        raise Unverified(_("{page_url} serves the credential of another page ({cid})").format(page_url=page_url, cid=cid))


def _status_list(issuer: Issuer, url: str, purpose: str, now: dt.datetime) -> dict:
    payload = issuer.verify_jwt(issuer.fetcher.get(url).decode("ascii", "replace"), "vc+jwt")
    status = check_claims(payload, issuer)
    if status.get("issuer") != issuer.did or status.get("id") != url:
        raise Unverified(_("the status list {url} is not the issuer's").format(url=url))
    check_fresh(status, url, now)
    subject = status.get("credentialSubject") or {}
    if "BitstringStatusListCredential" not in (status.get("type") or []) or subject.get("statusPurpose") != purpose:
        raise Unverified(_("{url} is not a Bitstring Status List for {purpose}").format(url=url, purpose=purpose))
    return subject


def check_fresh(status: dict, url: str, now: dt.datetime) -> None:
    """A status list is read only inside its signed window: it must carry validUntil, and ``now`` must not
    be past it (an older signed list, replayed by a stale cache or whoever serves the issuer's address,
    could hide a revocation). The window is credentials.STATUS_LIST_DAYS days from its build day."""
    if not status.get("validUntil"):
        raise Unverified(_("the status list {url} has no validUntil: it cannot be told from an old copy").format(url=url))
    until = _instant(status["validUntil"], _("the status list's validUntil"))
    if now > until:
        raise Unverified(_("the status list {url} was valid until {valid_until}: an old copy (the issuer's current list is rebuilt daily)").format(url=url, valid_until=status['validUntil']))


def status_of(credential: dict, issuer: Issuer, lines: list[str], now: dt.datetime | None = None) -> str:
    """'ok', 'revoked' or 'replaced' from the issuer's signed status lists, each current at ``now``
    (default the clock; see :func:`check_fresh`)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    entry = credential.get("credentialStatus")
    expected = issuer.site_url + C.STATUS_LIST_PATH
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry" \
            or entry.get("statusPurpose") != "revocation" or entry.get("statusListCredential") != expected:
        raise Unverified(_("the credential does not name the issuer's revocation list {expected}").format(expected=expected))
    try:
        index = int(entry.get("statusListIndex"))
        revoked = C.status_bit(_status_list(issuer, expected, "revocation", now).get("encodedList"), index)
        if not revoked:
            lines.append(_("status: in force (bit {index} of {expected} is clear; list signed by the issuer)").format(index=index, expected=expected))
            return "ok"
        reasons = issuer.site_url + C.REASON_LIST_PATH
        replaced = C.status_bit(_status_list(issuer, reasons, "message", now).get("encodedList"), index)
    except (TypeError, ValueError) as exc:
        raise Unverified(_("the status cannot be read: {exc}").format(exc=exc)) from None
    lines.append((_("status: bit {index} of {expected} is set, and of {reasons}: replaced") if replaced
                  else _("status: bit {index} of {expected} is set: revoked")).format(index=index, expected=expected, reasons=reasons))
    return "replaced" if replaced else "revoked"


def describe(facts: dict) -> list[str]:
    """Lines naming what the signed certificate states (holder, number, programme, hours, dates)."""
    holder = facts.get("holder") or {}
    programme = (facts.get("programme") or {}).get("title") or {}
    org = (facts.get("organisation") or {}).get("name") or {}
    name = " ".join(p for p in (holder.get("surname"), holder.get("given"), holder.get("patronymic")) if p)
    out = [_("holder: {name}").format(name=name), _("number: {number}").format(number=facts.get("number")),
           _("programme: {kk} / {ru}").format(kk=programme.get("kk"), ru=programme.get("ru")),
           _("organisation: {kk} / {ru}").format(kk=org.get("kk"), ru=org.get("ru")),
           _("hours: {hours}").format(hours=facts.get("hours")),
           _("course: {start} - {end}").format(start=facts.get("start"), end=facts.get("end")),
           _("issued: {issued}").format(issued=facts.get("issued"))]
    if facts.get("enterprise"):
        out.insert(4, _("enterprise: {enterprise}").format(enterprise=facts["enterprise"]))
    return out


def verify(target: str, site_url: str, site: Path | None = None, on: dt.date | None = None,
           now: dt.datetime | None = None) -> Outcome:
    """Verify a certificate credential issued by the site at ``site_url``.

    ``target``: an address on the issuer's site (a page ``.../v/<token>/`` or a credential file),
    or a local ``.jwt``/``.json`` file. ``site``: read the issuer's files from this built site
    folder instead of over HTTP. ``on``: decide validity on this Kazakhstan day (default: the day
    of ``now``, default the clock, in UTC+5); the status lists must be current at ``now``, or for the
    whole day ``on`` (see :func:`check_fresh`). Never raises for bad input: the Outcome says why."""
    out = Outcome()
    lines = out.lines
    try:
        try:
            site_url = normal_site_url(site_url)
        except ValueError as exc:
            raise Unverified(str(exc)) from None
        fetcher = Fetcher(site_url, site)
        issuer = Issuer(site_url, fetcher)
        page_url = None
        if "://" in target:
            if not on_site(target, site_url):
                raise Unverified(_("the host of {target} is not the issuer's: certificates of this issuer are only at {site_url}").format(target=target, site_url=site_url))
            parts = urlsplit(target)  # a query or fragment (e.g. tracking added to the QR address) names the same page
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            if url.endswith("/"):
                page_url, url = url, url + "credential.jwt"
            elif url.endswith("/credential.jwt") or url.endswith("/credential.json"):
                page_url = url.rsplit("/", 1)[0] + "/"
            data, source = fetcher.get(url), url
        else:
            path = Path(target)
            path = path / "credential.jwt" if path.is_dir() else path
            data, source = read_limited(path, str(path)), str(path)
        lines.append(_("issuer: {did} (keys from {did_url})").format(did=issuer.did, did_url=issuer.did_url))
        text = data.decode("utf-8", "replace").strip()
        if text.startswith("{"):
            document = _json(data, source)
            if not isinstance(document, dict):
                raise Unverified(_("{source} is not a credential").format(source=source))
            credential = issuer.verify_proof(document)
            lines.append(_("credential: {source} (Data Integrity proof, eddsa-jcs-2022): signature valid, key {used}").format(source=source, used=issuer.used[-1]))
        else:
            credential = check_claims(issuer.verify_jwt(text, "JWT"), issuer)
            lines.append(_("credential: {source} (VC-JWT, {jws_alg}): signature valid, key {used}").format(source=source, jws_alg=C.JWS_ALG, used=issuer.used[-1]))
        _check_credential(credential, issuer, page_url)
        out.credential = credential
        facts = credential.get("certificateFacts")
        if not isinstance(facts, dict):
            raise Unverified(_("the credential states no certificate facts"))
        out.facts = facts
        lines.extend(describe(facts))
        first = _instant(credential.get("validFrom"), "validFrom")
        until = _instant(credential["validUntil"], "validUntil") if credential.get("validUntil") else None
        window = Validity(kz_day(first), kz_day(until) if until else None)
        lines.append(_("valid: from {first_day} to {last_day} (Kazakhstan time, UTC+5)").format(first_day=window.first_day, last_day=window.last_day or _('no end')))
        instant = now or dt.datetime.now(dt.timezone.utc)
        if on is not None:  # the status lists must be current for the whole of that Kazakhstan day
            instant = dt.datetime.combine(on, dt.time(23, 59, 59), dt.timezone(dt.timedelta(hours=5)))
        day = on or kz_day(instant)
        state = status_of(credential, issuer, lines, instant)
        if state == "revoked":
            out.verdict, out.reason = "REVOKED", _("the issuer has revoked this certificate (signed status list)")
        elif state == "replaced":
            out.verdict, out.reason = "REPLACED", _("replaced by a corrected certificate; this one is not valid")
        elif window.state_on(day) == "expired":
            out.verdict, out.reason = "EXPIRED", _("valid until {last_day}; expired since {expired}").format(last_day=window.last_day, expired=window.last_day + dt.timedelta(days=1))
        elif window.state_on(day) == "not-yet":
            out.verdict, out.reason = "UNVERIFIED", _("not valid before {first_day}").format(first_day=window.first_day)
        else:
            out.verdict = "VALID"
            out.reason = (_("valid on {day} until {last_day}") if window.last_day else _("valid on {day}")).format(
                day=day, last_day=window.last_day)
    except Unverified as exc:
        out.verdict, out.reason = "UNVERIFIED", str(exc)
    return out
