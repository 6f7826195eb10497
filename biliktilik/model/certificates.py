"""What a certificate states, in one canonical form.

The same facts feed the PDF, the verification page, the signed credential and the
ledger hash; the short fingerprint printed on paper is derived from them, so a
verifier can compare the paper with the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from biliktilik.model.facts import ListenerFacts
from biliktilik.texts import text_of


def person_name(name: dict) -> str:
    """'Surname Given Patronymic' of a {surname, given, patronymic} record (patronymic optional)."""
    return " ".join(p for p in (name.get("surname"), name.get("given"), name.get("patronymic")) if p)


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
