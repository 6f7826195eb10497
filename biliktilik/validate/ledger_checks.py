"""The ledger against the data: an issued certificate does not change.

``data/ledger.yaml`` keeps, for every certificate ever issued, the canonical facts it
states and their sha256 (see :mod:`biliktilik.issuing`). Here every certificate held in
the cohorts is compared with its ledger entry; a difference is reported where the edit
was made (the listener's name, a grade, the programme's hours...) saying what changed,
unless the change was recorded as a correction (a new certificate that replaces the old).
Also: certificates missing from the ledger, ledger entries whose certificate vanished,
duplicate numbers, tokens and status indices, and revocations without a reason.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from biliktilik.model.certificates import canonical, certificate_facts, facts_hash, person_name
from biliktilik.findings import Finding
from biliktilik.model.ledger import LEDGER_FILE, ledger_record

_HOW = "undo the edit, or issue a correction with `biliktilik correct --number {number}`"


def _at(record, path):
    try:
        return record.at(*path) if path else record.at()
    except (KeyError, IndexError, TypeError, AttributeError):
        try:
            return record.at()
        except Exception:  # noqa: BLE001 - a position is a courtesy
            return (1, 1)


def _finding(record, path, code, message, severity="error"):
    line, col = _at(record, path)
    return Finding(record.file, line, col, severity, code, message)


_RENUMBER = ("`biliktilik renumber` gives the later certificate (in ledger order) a new number, token and "
             "status index, in the ledger and in its cohort; do it before the merged data is published")


def _place(lf, key) -> str:
    """file:line of a listener's certificate number or token."""
    return f"{lf.cohort.file}:{_at(lf.cohort, lf.path + ('certificate', key))[0]}"


def _name(holder):
    if not isinstance(holder, dict):
        return str(holder)
    return person_name(holder)


def _q(value):
    return "nothing" if value is None else f"'{value}'" if isinstance(value, str) else str(value)


def differences(old: dict, new: dict, lf, ds):
    """(record, path, what) for each fact that differs; ``what`` reads «X changed from A to B»."""
    cohort, lpath = lf.cohort, lf.path
    programme = lf.programme
    org = ds.organisations.get(cohort.data.get("organisation"))
    internship = isinstance(lf.data.get("internship"), dict)
    out = []

    def add(record, path, what):
        out.append((record or cohort, path if record is not None else lpath + ("certificate",), what))

    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "holder":
            a, b = a or {}, b or {}
            parts = [p for p in ("surname", "given", "patronymic") if a.get(p) != b.get(p)]
            where = lpath + ("name", parts[0]) if len(parts) == 1 and isinstance(lf.data.get("name"), dict) and parts[0] in lf.data["name"] else lpath + ("name",)
            add(cohort, where, f"the holder's name changed from {_q(_name(a))} to {_q(_name(b))}")
        elif key == "programme":
            a, b = a or {}, b or {}
            if a.get("id") != b.get("id"):
                add(cohort, ("programme",), f"the programme changed from {_q(a.get('id'))} to {_q(b.get('id'))}")
            else:
                for lang in ("kk", "ru"):
                    ta, tb = (a.get("title") or {}).get(lang), (b.get("title") or {}).get(lang)
                    if ta != tb:
                        add(programme, ("title", lang), f"the programme's title ({lang}) changed from {_q(ta)} to {_q(tb)}")
        elif key == "hours":
            if internship:
                add(cohort, lpath + ("internship", "hours"), f"the hours changed from {a} to {b}")
            else:
                add(programme, ("hours",), f"the hours changed from {a} to {b}")
        elif key == "modules":
            _modules(a or [], b or [], lf, add)
        elif key == "organisation":
            a, b = a or {}, b or {}
            if a.get("id") != b.get("id"):
                add(cohort, ("organisation",), f"the organisation changed from {_q(a.get('id'))} to {_q(b.get('id'))}")
            else:
                for lang in ("kk", "ru"):
                    na, nb = (a.get("name") or {}).get(lang), (b.get("name") or {}).get(lang)
                    if na != nb:
                        add(org, ("name", lang), f"the organisation's name ({lang}) changed from {_q(na)} to {_q(nb)}")
        elif key in ("start", "end"):
            label = {"start": "start date", "end": "end date"}[key]
            if internship:
                add(cohort, lpath + ("internship", "from" if key == "start" else "to"), f"the {label} changed from {a} to {b}")
            else:
                add(cohort, (key,), f"the {label} changed from {a} to {b}")
        elif key == "issued":
            add(cohort, lpath + ("certificate", "issued"), f"the issue date changed from {a} to {b}")
        elif key == "cohort":
            add(cohort, ("id",), f"the cohort changed from {_q(a)} to {_q(b)}")
        elif key == "enterprise":
            add(cohort, lpath + ("internship", "enterprise"), f"the enterprise changed from {_q(a)} to {_q(b)}")
        elif key == "kind":
            add(cohort, lpath + ("outcome",), f"the kind of certificate changed from {_q(a)} to {_q(b)}")
        else:
            add(cohort, lpath + ("certificate",), f"'{key}' changed from {_q(a)} to {_q(b)}")
    return out


def _modules(old, new, lf, add):
    programme, cohort, lpath = lf.programme, lf.cohort, lf.path
    by_old = {m.get("number"): m for m in old if isinstance(m, dict)}
    by_new = {m.get("number"): m for m in new if isinstance(m, dict)}
    plan = (programme.data.get("thematic_plan") or {}).get("modules") if programme else None
    index = {str(m.get("number")): i for i, m in enumerate(plan or []) if isinstance(m, dict)}
    for number in sorted(set(by_old) | set(by_new), key=lambda n: (len(str(n)), str(n))):
        a, b = by_old.get(number), by_new.get(number)
        if a is None:
            add(programme, ("thematic_plan", "modules", index.get(number, 0)), f"module {number} was added to the annex")
            continue
        if b is None:
            add(programme, ("thematic_plan", "modules"), f"module {number} was removed from the annex")
            continue
        mpath = ("thematic_plan", "modules", index.get(number, 0))
        if a.get("title") != b.get("title"):
            add(programme, mpath + ("title",), f"the title of module {number} changed from {_q(a.get('title'))} to {_q(b.get('title'))}")
        if a.get("hours") != b.get("hours"):
            add(programme, mpath + ("hours",), f"the hours of module {number} changed from {a.get('hours')} to {b.get('hours')}")
        if a.get("grade") != b.get("grade"):
            grades = lf.data.get("grades")
            path = lpath + ("grades", number) if isinstance(grades, dict) and number in grades else lpath + ("grades",)
            add(cohort, path, f"the grade of module {number} changed from {a.get('grade')} to {b.get('grade')}")


def check(ds, facts) -> list[Finding]:

    out: list[Finding] = []
    ledger = ledger_record(ds)
    if ledger is None and ds.failed.get("ledger"):  # reported at data/ledger.yaml; nothing to compare with
        return out
    raw = ledger.data.get("certificates") if ledger is not None else None
    entries = [(i, e) for i, e in enumerate(raw if isinstance(raw, list) else []) if isinstance(e, dict)]
    by_number, by_token, by_index = {}, {}, {}
    stored: dict[str, dict] = {}

    for i, e in entries:
        path = ("certificates", i)
        number, token, index = e.get("number"), e.get("token"), e.get("status_index")
        for table, value, key, what in ((by_number, number, "number", "registration number"),
                                        (by_token, token, "token", "token"),
                                        (by_index, index, "status_index", "status index")):
            if value is None:
                continue
            if value in table:
                first = table[value][0]
                line = _at(ledger, ("certificates", first, key))[0]
                out.append(_finding(ledger, path + (key,), f"ledger.duplicate-{key.replace('_', '-')}",
                                    f"{what} {value} is already used by entry {first + 1} ({table[value][1].get('number')}) "
                                    f"at {ledger.file}:{line}; numbers, tokens and indices are never reused "
                                    f"(after a merge: {_RENUMBER})"))
            else:
                table[value] = (i, e)
        text = e.get("facts")
        if isinstance(text, str) and isinstance(e.get("hash"), str):
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != e["hash"]:
                out.append(_finding(ledger, path + ("facts",), "ledger.hash",
                                    f"the facts stored for {number} do not match the stored hash: the ledger entry was edited"))
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                out.append(_finding(ledger, path + ("facts",), "ledger.facts", f"the facts of {number} are not JSON: {exc}"))
            else:
                if isinstance(parsed, dict):
                    stored[number] = parsed
                    if parsed.get("number") != number:
                        out.append(_finding(ledger, path + ("number",), "ledger.facts",
                                            f"the entry is numbered {number} but its facts say {parsed.get('number')}"))
        revoked = e.get("revoked")
        if isinstance(revoked, dict):
            reason = revoked.get("reason")
            if isinstance(reason, str) and not reason.strip():
                out.append(_finding(ledger, path + ("revoked", "reason"), "ledger.revoked-reason",
                                    f"the revocation of {number} gives no reason"))
            issued = e.get("issued")
            if hasattr(revoked.get("date"), "year") and hasattr(issued, "year") and revoked["date"] < issued:
                out.append(_finding(ledger, path + ("revoked", "date"), "ledger.revoked-date",
                                    f"{number} is revoked on {revoked['date']}, before it was issued ({issued})"))

    for i, e in entries:  # the two ends of every correction
        path, number = ("certificates", i), e.get("number")
        new = e.get("replaced_by")
        if isinstance(new, str):
            target = by_number.get(new)
            if target is None:
                out.append(_finding(ledger, path + ("replaced_by",), "ledger.replaced-by",
                                    f"{number} is replaced by {new}, which is not in the ledger"))
            elif target[1].get("replaces") != number:
                out.append(_finding(ledger, path + ("replaced_by",), "ledger.replaced-by",
                                    f"{number} is replaced by {new}, but {new} does not say 'replaces: {number}'"))
        old = e.get("replaces")
        if isinstance(old, str):
            source = by_number.get(old)
            if source is None or source[1].get("replaced_by") != number:
                out.append(_finding(ledger, path + ("replaces",), "ledger.replaces",
                                    f"{number} replaces {old}, but {old} is not marked 'replaced_by: {number}' in the ledger"))

    held: dict[str, object] = {}
    held_tokens: dict[str, object] = {}
    changes: dict[tuple, list] = defaultdict(list)
    for lf in facts.listeners:
        cert = lf.data.get("certificate")
        if not isinstance(cert, dict):
            continue
        cohort, cpath = lf.cohort, lf.path + ("certificate",)
        number, token = cert.get("number"), cert.get("token")
        if number in held:
            out.append(_finding(cohort, cpath + ("number",), "certificate.duplicate-number",
                                f"registration number {number} is already held by {held[number].ref} "
                                f"at {_place(held[number], 'number')}; {_RENUMBER}"))
            continue
        held[number] = lf
        if token in held_tokens:
            out.append(_finding(cohort, cpath + ("token",), "certificate.duplicate-token",
                                f"this token is already used by {held_tokens[token].ref} "
                                f"at {_place(held_tokens[token], 'token')}; {_RENUMBER}"))
        held_tokens[token] = lf
        found = by_number.get(number)
        if found is None:
            where = ledger.file if ledger else f"{ds.root}/{LEDGER_FILE}"
            out.append(_finding(cohort, cpath + ("number",), "ledger.missing",
                                f"certificate {number} is not in the ledger {where}; certificates are issued with "
                                f"`biliktilik issue --cohort {cohort.id}`, which records them"))
            continue
        _, entry = found
        if entry.get("token") != token:
            out.append(_finding(cohort, cpath + ("token",), "ledger.token",
                                f"the token of {number} differs from the one issued and recorded in the ledger"))
        if entry.get("listener") != lf.ref:
            out.append(_finding(cohort, cpath + ("number",), "ledger.holder",
                                f"certificate {number} was issued to {entry.get('listener')}, not to {lf.ref}; "
                                f"if the listener's record was moved here, record the move with "
                                f"`biliktilik correct --number {number}`, else undo the edit"))
        if entry.get("replaced_by"):
            out.append(_finding(cohort, cpath + ("number",), "ledger.replaced",
                                f"certificate {number} was replaced by {entry['replaced_by']}; the listener holds that one now"))
        if _status(entry.get("revoked")) != _status(cert.get("revoked")):
            if cert.get("revoked") is None:
                msg = f"the ledger revokes {number} ({_status(entry['revoked'])}), but this record does not say so"
            elif entry.get("revoked") is None:
                msg = f"{number} is marked revoked here but not in the ledger; record it with `biliktilik revoke`"
            else:
                msg = f"the revocation of {number} differs from the ledger's ({_status(entry['revoked'])})"
            out.append(_finding(cohort, cpath + ("revoked",) if "revoked" in cert else cpath, "ledger.revoked", msg))
        if cert.get("replaces") != entry.get("replaces"):
            out.append(_finding(cohort, cpath + ("replaces",) if "replaces" in cert else cpath, "ledger.replaces",
                                f"{number} replaces {entry.get('replaces') or 'nothing'} in the ledger, "
                                f"but {cert.get('replaces') or 'nothing'} here"))
        current = certificate_facts(lf, ds)
        if current is None or facts_hash(current) == entry.get("hash"):
            continue
        before = stored.get(number)
        now = json.loads(canonical(current))
        diffs = differences(before, now, lf, ds) if before is not None else []
        if not diffs:
            diffs = [(cohort, cpath, "the facts it states changed")]
        for record, path, what in diffs:
            changes[(record.file, id(record), path, what)].append((record, number))

    for (_, _, path, what), items in changes.items():
        record = items[0][0]
        numbers = sorted({n for _, n in items})
        shown = ", ".join(numbers[:5]) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
        subject = f"certificate {shown} was" if len(numbers) == 1 else f"certificates {shown} were"
        out.append(_finding(record, path, "ledger.changed",
                            f"{what} since {subject} issued; an issued certificate does not change: "
                            + _HOW.format(number=numbers[0] if len(numbers) == 1 else "NUMBER")))

    for i, e in entries:
        number = e.get("number")
        if number in held or e.get("replaced_by") or facts.blocked_ref(e.get("listener")):
            continue
        out.append(_finding(ledger, ("certificates", i), "ledger.vanished",
                            f"certificate {number} was issued to {e.get('listener')}, but no listener holds it now; "
                            f"an issued certificate is never deleted: restore the record, and revoke it if it is void"))
    return out


def _status(revoked):
    if not isinstance(revoked, dict):
        return None
    return f"{revoked.get('date')}: {revoked.get('reason')}"
