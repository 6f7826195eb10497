"""What a certificate states, in one canonical form.

The same facts feed the PDF, the verification page, the signed credential and the
ledger hash; the short fingerprint printed on paper is derived from them, so a
verifier can compare the paper with the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from biliktilik.load.iin import sex as iin_sex
from biliktilik.model.facts import ListenerFacts
from biliktilik.texts import text_of


def person_name(name: dict) -> str:
    """'Surname Given Patronymic' of a {surname, given, patronymic} record (patronymic optional)."""
    return " ".join(p for p in (name.get("surname"), name.get("given"), name.get("patronymic")) if p)


# patronymic endings that tell the holder's gender: Russian -вич/-ич (m), -вна/-чна/-инична (f);
# Kazakh -ұлы/-улы (m, "son of"), -қызы/-кызы (f, "daughter of"); Azerbaijani-style оглы/кызы
_MALE_ENDINGS = ("вич", "ич", "ұлы", "улы", "оглы", "уулу")
_FEMALE_ENDINGS = ("вна", "чна", "қызы", "кызы", "гызы")


def holder_gender(listener: dict) -> str | None:
    """'f' or 'm': the grammatical gender of the Russian wording about a listener (прошла / прошёл).

    The record's ``gender`` when given; else told by the patronymic's ending (-вич/-ич, -ұлы/-улы:
    'm'; -вна/-чна, -қызы/-кызы: 'f', case-insensitive); else by the IIN's 7th digit (1, 3, 5: 'm';
    2, 4, 6: 'f'; :func:`biliktilik.load.iin.sex`); None when none of them tells (no patronymic or
    another ending, and an IIN that does not tell): the validator then asks for ``gender``."""
    gender = listener.get("gender")
    if gender in ("f", "m"):
        return gender
    patronymic = ((listener.get("name") or {}).get("patronymic") or "").strip().lower()
    if patronymic.endswith(_FEMALE_ENDINGS):
        return "f"
    if patronymic.endswith(_MALE_ENDINGS):
        return "m"
    return iin_sex(listener.get("iin"))


def holder_name(listener: dict) -> str:
    return person_name(listener.get("name") or {})


def certificate_facts(lf: ListenerFacts, ds) -> dict | None:
    """The facts an issued certificate states; None when the listener has none."""
    cert = lf.data.get("certificate")
    if not isinstance(cert, dict) or lf.programme is None:
        return None
    prog = lf.programme.data
    org_record = ds.organisations.get(lf.cohort.data.get("organisation"))
    if org_record is None:  # an unknown organisation is reported by the cohort checks
        return None
    org = org_record.data
    grades = lf.data.get("grades") or {}
    modules = []
    for m in (prog.get("thematic_plan") or {}).get("modules") or []:
        number = str(m.get("number"))
        modules.append({"number": number, "title": m.get("title"), "hours": m.get("hours"),
                        "grade": grades.get(number)})
    internship = lf.data.get("internship") if isinstance(lf.data.get("internship"), dict) else None
    facts = {
        "kind": "internship_certificate" if lf.outcome == "internship_certificate" else "certificate",
        "number": cert.get("number"),
        "holder": {k: (lf.data.get("name") or {}).get(k) for k in ("surname", "given", "patronymic")},
        "programme": {"id": lf.programme.id, "title": {"kk": text_of(prog.get("title"), "kk"), "ru": text_of(prog.get("title"), "ru")}},
        "hours": lf.hours,
        "modules": modules,
        "organisation": {"id": lf.cohort.data["organisation"],
                         "name": {"kk": text_of(org.get("name"), "kk"), "ru": text_of(org.get("name"), "ru")}},
        "cohort": lf.cohort.id,
        "start": _iso(internship.get("from") if internship else lf.cohort.data.get("start")),
        "end": _iso(internship.get("to") if internship else lf.cohort.data.get("end")),
        "issued": _iso(cert.get("issued")),
    }
    if internship:
        facts["enterprise"] = internship.get("enterprise")
    return facts


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def canonical(facts: dict) -> bytes:
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def facts_hash(facts: dict) -> str:
    """sha256 of the canonical facts: what the ledger keeps."""
    return hashlib.sha256(canonical(facts)).hexdigest()


def fingerprint(facts: dict) -> str:
    """A short code printed on the paper and shown on the page: 16 hex digits in 4 groups."""
    h = facts_hash(facts)[:16].upper()
    return "-".join(h[i:i + 4] for i in range(0, 16, 4))


# --------------------------------------------------------------------------- control code (check by the paper)

#: Crockford's base32 alphabet (https://www.crockford.com/base32.html): no I, L, O, U.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_READ = str.maketrans({"O": "0", "I": "1", "L": "1"})
CONTROL_CODE_LENGTH = 16  # characters: 80 bits
CONTROL_CODE_DOMAIN = "biliktilik-control-code|"
CHECK_KEY_DOMAIN = "biliktilik-check|"
CHECK_SECRET_DOMAIN = "biliktilik-check-secret|"


def control_code(token: str) -> str:
    """The control code printed on a certificate beside its QR code: the first 80 bits of
    sha256("biliktilik-control-code|" + token) in Crockford base32, most significant first,
    grouped ``XXXX-XXXX-XXXX-XXXX`` (16 characters of 0-9 A-Z without I L O U).

    ``token`` is the certificate's random 72-bit URL-safe token (``issuing.new_token``); the
    code reveals nothing of it, and 80 bits cannot be guessed or enumerated. Raises TypeError
    for a non-string token."""
    if not isinstance(token, str):
        raise TypeError(f"a certificate token is a string, not {type(token).__name__}")
    n = int.from_bytes(hashlib.sha256((CONTROL_CODE_DOMAIN + token).encode("utf-8")).digest()[:10], "big")
    chars = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(CONTROL_CODE_LENGTH)))
    return "-".join(chars[i:i + 4] for i in range(0, CONTROL_CODE_LENGTH, 4))


def normalise_control_code(text: str) -> str | None:
    """What a person typed -> the 16 characters of a control code, or None when it cannot be one.

    Crockford's reading rules: case is ignored, spaces and dashes are dropped, O reads as 0,
    I and L as 1. The check page's script (templates/overrides/assets/javascripts/check.js)
    does exactly the same."""
    s = "".join(str(text).split()).replace("-", "").upper().translate(_CROCKFORD_READ)
    if len(s) != CONTROL_CODE_LENGTH or any(ch not in CROCKFORD for ch in s):
        return None
    return s


def check_key(code: str) -> str | None:
    """The file name (64 hex digits) under which the site publishes a control code's
    verification path: sha256("biliktilik-check|" + the normalised 16 characters). None when
    ``code`` is not a control code. The site lists no codes: finding a file means knowing its
    code, and 2^80 codes cannot be tried."""
    s = normalise_control_code(code)
    return hashlib.sha256((CHECK_KEY_DOMAIN + s).encode("ascii")).hexdigest() if s else None


def _check_secret(code16: str) -> tuple[bytes, bytes]:
    digest = hashlib.sha256((CHECK_SECRET_DOMAIN + code16).encode("ascii")).digest()
    return digest, hashlib.sha256(digest).digest()[:12]


def seal_check_path(code: str, path: str) -> dict:
    """The content of a check file: ``path`` (``v/<token>/``) encrypted with AES-256-GCM (NIST
    SP 800-38D) under a key only the control code gives: key = sha256("biliktilik-check-secret|"
    + the normalised code), nonce = the first 12 bytes of sha256(key) (one key, one message, so a
    fixed nonce is safe and rebuilds are byte-identical). Returns {"n": nonce, "c": ciphertext
    with its 16-byte tag}, both base64url without padding. The check page's script decrypts it
    with WebCrypto. Raises ValueError when ``code`` is not a control code."""
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    s = normalise_control_code(code)
    if s is None:
        raise ValueError(f"not a control code: {code!r}")
    key, nonce = _check_secret(s)
    sealed = AESGCM(key).encrypt(nonce, path.encode("utf-8"), None)
    b64 = lambda b: base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")  # noqa: E731
    return {"n": b64(nonce), "c": b64(sealed)}


def open_check_path(code: str, sealed: dict) -> str:
    """The inverse of :func:`seal_check_path` (for tests and tools). Raises ValueError for a
    wrong code or a damaged file (cryptography's InvalidTag)."""
    import base64

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    s = normalise_control_code(code)
    if s is None:
        raise ValueError(f"not a control code: {code!r}")
    key, _ = _check_secret(s)
    unb64 = lambda t: base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))  # noqa: E731
    try:
        return AESGCM(key).decrypt(unb64(sealed["n"]), unb64(sealed["c"]), None).decode("utf-8")
    except (InvalidTag, KeyError, ValueError) as exc:
        raise ValueError("this check file does not open with that code") from exc
