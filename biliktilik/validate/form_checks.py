"""Filled forms that the records cannot fill: one finding per missing field, on the record that lacks it.

The build prints no filled form with a hole; it skips such a form, and this check says why and
what to add (e.g. a Conservatory listener without ``education:`` gets no application form).
"""

from __future__ import annotations

from biliktilik.load.dataset import Dataset, Record
from biliktilik.model.facts import Facts
from biliktilik.findings import Finding
from biliktilik.model.forms import (FormSpec, Missing, Subject, is_present, field_value, form_lang, listener_specs, organisation_forms,
                    split_fields)
from biliktilik.model.rules import Source, citations
from biliktilik.i18n import _

CODE = "form.missing-field"


def _position(record: Record, path: tuple):
    """The line of the deepest part of ``path`` that exists (the record itself at worst)."""
    for n in range(len(path), -1, -1):
        try:
            return record.at(*path[:n]) if n else record.at()
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
    return 1, 1


def _where(ds: Dataset, m: Missing) -> tuple[Record, tuple, str]:
    s: Subject = m.subject
    f = m.field
    if f.record == "listener" and s.lf is not None:
        return s.lf.cohort, s.lf.path, "the listener"
    if f.record == "cohort" and s.cohort is not None:
        return s.cohort, f.path, "the cohort"
    if f.record == "programme" and s.programme is not None:
        return s.programme, f.path, "the programme"
    return s.organisation, f.path, "the organisation"


def _citation(ds: Dataset, spec: FormSpec, cites: dict) -> str:
    return str(Source(spec.cites, spec.id, cites.get(spec.cites, spec.cites)))


def check(ds: Dataset, facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    cites = citations(ds)
    memo: dict = {}
    seen: set = set()

    def report(spec: FormSpec, missing: list[Missing]):
        for m in missing:
            record, path, whose = _where(ds, m)
            line, col = _position(record, path)
            add = ".".join(str(p) for p in m.field.path)
            message = (_("form {key} («{kk}») cannot be filled: {whose} has no {removeprefix}; add '{add}' to {whose} (the form is not printed until then)").format(key=spec.key, kk=spec.title.get('kk'), whose=whose, removeprefix=m.field.what.removeprefix('the '), add=add))
            out.append(Finding(record.file, line, col, "warning", CODE, message, _citation(ds, spec, cites)))

    # per listener, the fast way (a national data set has tens of thousands): what is shared by a cohort,
    # programme or organisation is looked at once
    for lf in facts.listeners:
        org = ds.organisations.get(lf.cohort.data.get("organisation"))
        if org is None or lf.programme is None:
            continue
        chosen = listener_specs(org.id, lf)
        if not chosen:
            continue
        subject = Subject(ds, facts, org, lf, lf.cohort, lf.programme)
        lang = form_lang(lf.cohort)
        for _key, spec in chosen:
            own, shared = split_fields(spec.key, lang)
            missing = [Missing(f, subject) for f in own if not is_present(f.get(subject, lang))]
            once = (spec.key, lf.cohort.id, lang)  # a cohort's, programme's or organisation's gap: one finding
            if shared and once not in seen:
                seen.add(once)
                missing += [Missing(f, subject) for f in shared if not is_present(field_value(f, subject, lang, memo))]
            if missing:
                report(spec, missing)
    for oid, org in sorted(ds.organisations.items()):
        for filled in organisation_forms(ds, facts, org):
            missing = filled.find_missing(memo)
            if missing:
                report(filled.spec, missing)
    return out
