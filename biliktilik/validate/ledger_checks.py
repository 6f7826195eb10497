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
from biliktilik.i18n import N_, _

_HOW = N_("undo the edit, or issue a correction with `biliktilik correct --number {number}`")


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


_RENUMBER = N_("`biliktilik renumber` gives the later certificate (in ledger order) a new number, token and "
             "status index, in the ledger and in its cohort; do it before the merged data is published")


def _place(lf, key) -> str:
    """file:line of a listener's certificate number or token."""
    return f"{lf.cohort.file}:{_at(lf.cohort, lf.path + ('certificate', key))[0]}"


def _name(holder):
    if not isinstance(holder, dict):
        return str(holder)
    return person_name(holder)


def _q(value):
    return _("nothing") if value is None else f"'{value}'" if isinstance(value, str) else str(value)


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
            add(cohort, where, _("the holder's name changed from {q} to {q2}").format(q=_q(_name(a)), q2=_q(_name(b))))
        elif key == "programme":
            a, b = a or {}, b or {}
            if a.get("id") != b.get("id"):
                add(cohort, ("programme",), _("the programme changed from {q} to {q2}").format(q=_q(a.get('id')), q2=_q(b.get('id'))))
            else:
                for lang in ("kk", "ru"):
                    ta, tb = (a.get("title") or {}).get(lang), (b.get("title") or {}).get(lang)
                    if ta != tb:
                        add(programme, ("title", lang), _("the programme's title ({lang}) changed from {q} to {q2}").format(lang=lang, q=_q(ta), q2=_q(tb)))
        elif key == "hours":
            if internship:
                add(cohort, lpath + ("internship", "hours"), _("the hours changed from {a} to {b}").format(a=a, b=b))
            else:
                add(programme, ("hours",), _("the hours changed from {a} to {b}").format(a=a, b=b))
        elif key == "modules":
            _modules(a or [], b or [], lf, add)
        elif key == "organisation":
            a, b = a or {}, b or {}
            if a.get("id") != b.get("id"):
                add(cohort, ("organisation",), _("the organisation changed from {q} to {q2}").format(q=_q(a.get('id')), q2=_q(b.get('id'))))
            else:
                for lang in ("kk", "ru"):
                    na, nb = (a.get("name") or {}).get(lang), (b.get("name") or {}).get(lang)
                    if na != nb:
                        add(org, ("name", lang), _("the organisation's name ({lang}) changed from {q} to {q2}").format(lang=lang, q=_q(na), q2=_q(nb)))
        elif key in ("start", "end"):
            label = {"start": _("start date"), "end": _("end date")}[key]
            if internship:
                add(cohort, lpath + ("internship", "from" if key == "start" else "to"), _("the {label} changed from {a} to {b}").format(label=label, a=a, b=b))
            else:
                add(cohort, (key,), _("the {label} changed from {a} to {b}").format(label=label, a=a, b=b))
        elif key == "issued":
            add(cohort, lpath + ("certificate", "issued"), _("the issue date changed from {a} to {b}").format(a=a, b=b))
        elif key == "cohort":
            add(cohort, ("id",), _("the cohort changed from {q} to {q2}").format(q=_q(a), q2=_q(b)))
        elif key == "enterprise":
            add(cohort, lpath + ("internship", "enterprise"), _("the enterprise changed from {q} to {q2}").format(q=_q(a), q2=_q(b)))
        elif key == "kind":
            add(cohort, lpath + ("outcome",), _("the kind of certificate changed from {q} to {q2}").format(q=_q(a), q2=_q(b)))
        else:
            add(cohort, lpath + ("certificate",), _("'{key}' changed from {q} to {q2}").format(key=key, q=_q(a), q2=_q(b)))
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
            add(programme, ("thematic_plan", "modules", index.get(number, 0)), _("module {number} was added to the annex").format(number=number))
            continue
        if b is None:
            add(programme, ("thematic_plan", "modules"), _("module {number} was removed from the annex").format(number=number))
            continue
        mpath = ("thematic_plan", "modules", index.get(number, 0))
        if a.get("title") != b.get("title"):
            add(programme, mpath + ("title",), _("the title of module {number} changed from {q} to {q2}").format(number=number, q=_q(a.get('title')), q2=_q(b.get('title'))))
        if a.get("hours") != b.get("hours"):
            add(programme, mpath + ("hours",), _("the hours of module {number} changed from {hours} to {hours2}").format(number=number, hours=a.get('hours'), hours2=b.get('hours')))
        if a.get("grade") != b.get("grade"):
            grades = lf.data.get("grades")
            path = lpath + ("grades", number) if isinstance(grades, dict) and number in grades else lpath + ("grades",)
            add(cohort, path, _("the grade of module {number} changed from {grade} to {grade2}").format(number=number, grade=a.get('grade'), grade2=b.get('grade')))


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
        for table, value, key, what in ((by_number, number, "number", _("registration number")),
                                        (by_token, token, "token", _("token")),
                                        (by_index, index, "status_index", _("status index"))):
            if value is None:
                continue
            if value in table:
                first = table[value][0]
                line = _at(ledger, ("certificates", first, key))[0]
                out.append(_finding(ledger, path + (key,), f"ledger.duplicate-{key.replace('_', '-')}",
                                    _("{what} {value} is already used by entry {value2} ({number}) at {file}:{line}; numbers, tokens and indices are never reused (after a merge: {renumber})").format(what=what, value=value, value2=first + 1, number=table[value][1].get('number'), file=ledger.file, line=line, renumber=_(_RENUMBER))))
            else:
                table[value] = (i, e)
        text = e.get("facts")
        if isinstance(text, str) and isinstance(e.get("hash"), str):
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != e["hash"]:
                out.append(_finding(ledger, path + ("facts",), "ledger.hash",
                                    _("the facts stored for {number} do not match the stored hash: the ledger entry was edited").format(number=number)))
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                out.append(_finding(ledger, path + ("facts",), "ledger.facts", _("the facts of {number} are not JSON: {exc}").format(number=number, exc=exc)))
            else:
                if isinstance(parsed, dict):
                    stored[number] = parsed
                    if parsed.get("number") != number:
                        out.append(_finding(ledger, path + ("number",), "ledger.facts",
                                            _("the entry is numbered {number} but its facts say {number2}").format(number=number, number2=parsed.get('number'))))
        revoked = e.get("revoked")
        if isinstance(revoked, dict):
            reason = revoked.get("reason")
            if isinstance(reason, str) and not reason.strip():
                out.append(_finding(ledger, path + ("revoked", "reason"), "ledger.revoked-reason",
                                    _("the revocation of {number} gives no reason").format(number=number)))
            issued = e.get("issued")
            if hasattr(revoked.get("date"), "year") and hasattr(issued, "year") and revoked["date"] < issued:
                out.append(_finding(ledger, path + ("revoked", "date"), "ledger.revoked-date",
                                    _("{number} is revoked on {date}, before it was issued ({issued})").format(number=number, date=revoked['date'], issued=issued)))

    for i, e in entries:  # the two ends of every correction
        path, number = ("certificates", i), e.get("number")
        new = e.get("replaced_by")
        if isinstance(new, str):
            target = by_number.get(new)
            if target is None:
                out.append(_finding(ledger, path + ("replaced_by",), "ledger.replaced-by",
                                    _("{number} is replaced by {new}, which is not in the ledger").format(number=number, new=new)))
            elif target[1].get("replaces") != number:
                out.append(_finding(ledger, path + ("replaced_by",), "ledger.replaced-by",
                                    _("{number} is replaced by {new}, but {new} does not say 'replaces: {number}'").format(number=number, new=new)))
        old = e.get("replaces")
        if isinstance(old, str):
            source = by_number.get(old)
            if source is None or source[1].get("replaced_by") != number:
                out.append(_finding(ledger, path + ("replaces",), "ledger.replaces",
                                    _("{number} replaces {old}, but {old} is not marked 'replaced_by: {number}' in the ledger").format(number=number, old=old)))

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
                                _("registration number {number} is already held by {ref} at {place}; {renumber}").format(number=number, ref=held[number].ref, place=_place(held[number], 'number'), renumber=_(_RENUMBER))))
            continue
        held[number] = lf
        if token in held_tokens:
            out.append(_finding(cohort, cpath + ("token",), "certificate.duplicate-token",
                                _("this token is already used by {ref} at {place}; {renumber}").format(ref=held_tokens[token].ref, place=_place(held_tokens[token], 'token'), renumber=_(_RENUMBER))))
        held_tokens[token] = lf
        found = by_number.get(number)
        if found is None:
            where = ledger.file if ledger else f"{ds.root}/{LEDGER_FILE}"
            out.append(_finding(cohort, cpath + ("number",), "ledger.missing",
                                _("certificate {number} is not in the ledger {where}; certificates are issued with `biliktilik issue --cohort {id}`, which records them").format(number=number, where=where, id=cohort.id)))
            continue
        _found_at, entry = found
        if entry.get("token") != token:
            out.append(_finding(cohort, cpath + ("token",), "ledger.token",
                                _("the token of {number} differs from the one issued and recorded in the ledger").format(number=number)))
        if entry.get("listener") != lf.ref:
            out.append(_finding(cohort, cpath + ("number",), "ledger.holder",
                                _("certificate {number} was issued to {listener}, not to {ref}; if the listener's record was moved here, record the move with `biliktilik correct --number {number}`, else undo the edit").format(number=number, listener=entry.get('listener'), ref=lf.ref)))
        if entry.get("replaced_by"):
            out.append(_finding(cohort, cpath + ("number",), "ledger.replaced",
                                _("certificate {number} was replaced by {replaced_by}; the listener holds that one now").format(number=number, replaced_by=entry['replaced_by'])))
        if _status(entry.get("revoked")) != _status(cert.get("revoked")):
            if cert.get("revoked") is None:
                msg = _("the ledger revokes {number} ({status}), but this record does not say so").format(number=number, status=_status(entry['revoked']))
            elif entry.get("revoked") is None:
                msg = _("{number} is marked revoked here but not in the ledger; record it with `biliktilik revoke`").format(number=number)
            else:
                msg = _("the revocation of {number} differs from the ledger's ({status})").format(number=number, status=_status(entry['revoked']))
            out.append(_finding(cohort, cpath + ("revoked",) if "revoked" in cert else cpath, "ledger.revoked", msg))
        if cert.get("replaces") != entry.get("replaces"):
            out.append(_finding(cohort, cpath + ("replaces",) if "replaces" in cert else cpath, "ledger.replaces",
                                _("{number} replaces {value} in the ledger, but {value2} here").format(number=number, value=entry.get('replaces') or _('nothing'), value2=cert.get('replaces') or _('nothing'))))
        current = certificate_facts(lf, ds)
        if current is None or facts_hash(current) == entry.get("hash"):
            continue
        before = stored.get(number)
        now = json.loads(canonical(current))
        diffs = differences(before, now, lf, ds) if before is not None else []
        if not diffs:
            diffs = [(cohort, cpath, _("the facts it states changed"))]
        for record, path, what in diffs:
            changes[(record.file, id(record), path, what)].append((record, number))

    for (_k1, _k2, path, what), items in changes.items():
        record = items[0][0]
        numbers = sorted({n for _, n in items})
        shown = ", ".join(numbers[:5]) + (_(" and {value} more").format(value=len(numbers) - 5) if len(numbers) > 5 else "")
        since = (_("{what} since certificate {shown} was issued; an issued certificate does not change: ") if len(numbers) == 1
                 else _("{what} since certificates {shown} were issued; an issued certificate does not change: "))
        out.append(_finding(record, path, "ledger.changed",
                            since.format(what=what, shown=shown)
                            + _(_HOW).format(number=numbers[0] if len(numbers) == 1 else "NUMBER")))

    for i, e in entries:
        number = e.get("number")
        if number in held or e.get("replaced_by") or facts.blocked_ref(e.get("listener")):
            continue
        out.append(_finding(ledger, ("certificates", i), "ledger.vanished",
                            _("certificate {number} was issued to {listener}, but no listener holds it now; an issued certificate is never deleted: restore the record, and revoke it if it is void").format(number=number, listener=e.get('listener'))))
    return out


def _status(revoked):
    if not isinstance(revoked, dict):
        return None
    return f"{revoked.get('date')}: {revoked.get('reason')}"
