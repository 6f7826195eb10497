"""Staff reports: the planning calendar, listener lists, post-course support, programme monitoring,
re-assessment, KAZGUU's staff due for training and work-off periods, the NOBD export.

Every date, status and number comes from :mod:`biliktilik.facts`; this module only selects rows
and formats them (text, CSV, JSON, iCalendar). The CLI (``biliktilik reports``) and the build
(generators/reports.py, print/reports/) both call :func:`report`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field

from babel.numbers import format_decimal

from biliktilik.model import facts as factsmod
from biliktilik.model.certificates import person_name
from biliktilik.load.dataset import Dataset, Record
from biliktilik.model.facts import Facts
from biliktilik.calendars import Event, calendar
from biliktilik.findings import UsageError
from biliktilik.project import REGULATIONS, labels
from biliktilik.texts import in_languages, sort_key
from biliktilik.i18n import _

KINDS = ("calendar", "listener-lists", "post-course", "monitoring", "reassessment", "staff-due", "work-off", "nobd")
LANGS = ("en", "kk", "ru")

_L = labels("reports")  # templates/reports/labels.yaml: every word of the reports, {en, kk, ru} per entry
_TITLES = _L["titles"]  # report kind -> title (str.format fields: year, months, cohort, due)
_STATUS = _L["status"]  # a row's status -> its words
_OUTCOME = {None if key == "none" else key: text for key, text in _L["outcome"].items()}  # NOBD: English, as exported
_TEXT = _L["text"]


@dataclass
class Column:
    key: str
    label: dict  # {en, kk, ru}
    machine: bool = False  # a stable key for CSV/JSON only, not shown to people


def _columns(report: str, *keys: str, machine=()) -> list[Column]:
    """The report's columns in order, titled by ``columns.<report>`` of the label file (a key it does
    not title is its own title in every language); ``machine`` keys are shown to programs only."""
    titles = _L["columns"].get(report) or {}
    return [Column(k, dict(titles.get(k) or {lang: k for lang in LANGS}), k in machine) for k in keys]


_DOCS: dict = {}


def cite(rule) -> dict:
    """A rule's source in each language: {en: "Order 95, p. 14", kk: "№ 95 бұйрық, 14-тармақ", ru: ...}."""
    if rule is None:
        return {"en": "", "kk": "", "ru": ""}
    en = str(rule)
    out = {"en": en, "kk": en, "ru": en}
    try:
        from biliktilik.model import regulation_text as rt  # the transcriptions' own citation forms

        src = rule.source
        if src.document not in _DOCS:
            path = REGULATIONS / f"{src.document}.yaml"
            _DOCS[src.document] = rt.load(path) if path.is_file() else None
        doc = _DOCS[src.document]
        if doc is not None:
            out["kk"], out["ru"] = rt.cite(doc, src.anchor, "kk"), rt.cite(doc, src.anchor, "ru")
    except (ImportError, KeyError, ValueError, OSError, AttributeError):
        pass
    return out


@dataclass
class Report:
    kind: str
    title: dict
    columns: list[Column]
    rows: list[dict]
    as_of: dt.date
    notes: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    deadlines: list = field(default_factory=list)  # the calendar's Deadline objects (for iCalendar)
    name: str = ""  # file stem under print/reports/
    order: tuple = ()  # the row keys the rows are sorted by, names and titles alphabetically in the shown language

    def ordered(self, lang: str = "kk") -> list[dict]:
        """The rows in the report's order for ``lang``: dates and numbers by value, names, titles and
        words in the alphabetical order of ``lang`` (:func:`biliktilik.texts.sort_key`)."""
        if not self.order:
            return list(self.rows)
        return sorted(self.rows, key=lambda r: tuple(_order_key(r.get(k), lang) for k in self.order))

    # -- formats --------------------------------------------------------------
    def cell(self, row: dict, key: str, lang: str = "en") -> str:
        return _fmt(row.get(key), lang)

    def table(self, lang: str = "en") -> tuple[list[str], list[list[str]]]:
        """The head and the rows people read in ``lang`` (machine columns left out), in the report's order."""
        shown = [c for c in self.columns if not c.machine]
        return ([c.label.get(lang) or c.label["en"] for c in shown],
                [[self.cell(r, c.key, lang) for c in shown] for r in self.ordered(lang)])

    def overdue(self, lang: str = "en") -> list[bool]:
        """For each row of :meth:`table` (same order): whether the row is overdue (a status "overdue")."""
        return [is_overdue(r) for r in self.ordered(lang)]

    def text(self, lang: str = "en") -> str:
        head, body = self.table(lang)
        widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(head)]
        out = [self.title.get(lang) or self.title["en"], as_of_text(self.as_of, lang), ""]
        out.append("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
        mark = _TEXT["overdue_mark"][lang]
        pad = " " * len(mark)
        out.append(pad + "  ".join("-" * w for w in widths))
        out[-2] = pad + out[-2]
        flags = self.overdue(lang)
        out += [((mark if late else pad) + "  ".join(v.ljust(w) for v, w in zip(r, widths))).rstrip()
                for r, late in zip(body, flags)]
        if not body:
            out.append(_TEXT["none"][lang])
        if any(flags):
            out += ["", _TEXT["overdue_legend"][lang].format(mark=mark.strip(), n=sum(flags))]
        if self.notes:
            out += [""] + [f"* {n.get(lang) or n['en']}" for n in self.notes]
        if self.sources:
            out += ["", f"{_TEXT['sources'][lang]}: " + "; ".join(_fmt(x, lang) for x in self.sources)]
        return "\n".join(out) + "\n"

    def csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([c.key for c in self.columns])
        for r in self.ordered():
            w.writerow([_raw(r.get(c.key)) for c in self.columns])
        return buf.getvalue()

    def json(self) -> str:
        return json.dumps({"kind": self.kind, "title": self.title, "as_of": self.as_of.isoformat(),
                           "columns": [c.key for c in self.columns],
                           "rows": [{c.key: _raw(r.get(c.key)) for c in self.columns} for r in self.ordered()],
                           "notes": [n["en"] for n in self.notes], "sources": [_raw(x) for x in self.sources]},
                          ensure_ascii=False, indent=2) + "\n"

    def ics(self, lang: str = "kk") -> str:
        return icalendar(self, lang)


def as_of_text(d: dt.date, lang: str) -> str:
    """The "as of DATE" line under a report's title, in ``lang`` (en, kk or ru)."""
    return _TEXT["as_of"][lang].format(date=date_text(d))


def source_text(source, lang: str) -> str:
    """A citation (a rule's :func:`cite`, ``{en, kk, ru}``) in ``lang``."""
    return _fmt(source, lang)


def date_text(d: dt.date | None) -> str:
    """A date as people in Kazakhstan write it, dd.mm.yyyy (GOST R 6.30 / ST RK 1042 style); "—" for None."""
    return d.strftime("%d.%m.%Y") if isinstance(d, dt.date) else "—"


def amount_text(amount: int, lang: str) -> str:
    """An amount of tenge as ``900 000 ₸``: digits grouped by the locale's rule (CLDR via Babel:
    a non-breaking space for kk and ru), a non-breaking space, the tenge sign."""
    return format_decimal(amount, locale=lang if lang in ("kk", "ru") else "en") + "\u00a0₸"


@dataclass(frozen=True)
class Amount:
    """An amount in tenge: shown as ``900 000 ₸`` to people, a plain integer in CSV and JSON."""
    tenge: int


def is_overdue(row: dict) -> bool:
    """Whether a report row says "overdue" in any of its status columns."""
    return any(v is _STATUS["overdue"] for v in row.values())


def _fmt(value, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, Amount):
        return amount_text(value.tenge, lang)
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("kk") or "")
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v, lang) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _order_key(value, lang: str) -> tuple:
    """One sort position of a row: missing values last, dates and numbers by value, the rest as text
    in the alphabetical order of ``lang``."""
    if value is None or value == "":
        return (2, b"")
    if isinstance(value, dt.date):
        return (0, value.toordinal())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, Amount):
        return (0, value.tenge)
    if isinstance(value, dict) and "kk" not in value and "ru" not in value:
        value = value.get("en") or ""
    return (1, sort_key(_fmt(value, lang) if isinstance(value, dict) else str(value), lang))


def _number(n: int, lang: str) -> str:
    """An integer with the locale's digit grouping (Babel/CLDR: non-breaking spaces in kk and ru)."""
    return format_decimal(n, locale=lang if lang in ("kk", "ru") else "en")


def _raw(value):
    if isinstance(value, dict):
        return value.get("en") or value.get("kk") or ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Amount):
        return value.tenge
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_raw(v)) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return _fmt(value, "en")


# --------------------------------------------------------------------------- selection and errors


def _choices(names) -> str:
    names = sorted(names)
    shown = ", ".join(names[:20])
    return shown + (_(" and {value} more").format(value=len(names) - 20) if len(names) > 20 else "") if names else _("none")


def check_selection(ds: Dataset, year: int | None = None, organisation: str | None = None,
                    cohort: str | None = None) -> None:
    """A usage error for an unknown organisation or cohort or an impossible year."""
    if organisation is not None and organisation not in ds.organisations:
        raise UsageError(_("unknown organisation '{organisation}'; expected one of: {choices}").format(organisation=organisation, choices=_choices(ds.organisations)))
    if cohort is not None and cohort not in ds.cohorts:
        raise UsageError(_("unknown cohort '{cohort}'; expected one of: {choices}").format(cohort=cohort, choices=_choices(ds.cohorts)))
    if cohort is not None and organisation is not None and ds.cohorts[cohort].data.get("organisation") != organisation:
        raise UsageError(_("cohort '{cohort}' belongs to '{organisation}', not '{organisation2}'").format(cohort=cohort, organisation=ds.cohorts[cohort].data.get('organisation'), organisation2=organisation))
    if year is not None and not 1900 <= year <= 2999:
        raise UsageError(_("year {year} is out of range; expected a calendar year from 1900 to 2999, e.g. 2027").format(year=year))


def _name(data: dict) -> str:
    return person_name(data.get("name") or {})


def _org_name(ds: Dataset, oid: str | None) -> dict:
    org = ds.organisations.get(oid or "")
    if org is None:
        return {"en": oid or "", "kk": oid or "", "ru": oid or ""}
    name = org.data.get("name") or {}
    short = org.data.get("short_name") or {}
    return {"en": oid, "kk": short.get("kk") or name.get("kk"), "ru": short.get("ru") or name.get("ru") or name.get("kk")}


def _title(prog: Record | None) -> dict:
    t = (prog.data.get("title") if prog else None) or {}
    return {"en": prog.id if prog else "", "kk": t.get("kk", ""), "ru": t.get("ru") or t.get("kk", "")}


def _cohort_name(ds: Dataset, cohort: Record | str | None) -> dict:
    """A cohort as people name it: its programme's title and its dates, «Title», 06.10.2025–17.10.2025
    (kk, ru); ``en`` is its id (what CSV and JSON carry)."""
    rec = ds.cohorts.get(cohort) if isinstance(cohort, str) else cohort
    if rec is None:
        return {"en": cohort or "", "kk": cohort or "", "ru": cohort or ""}
    title = _title(ds.programmes.get(rec.data.get("programme")))
    span = f"{date_text(rec.data.get('start'))}–{date_text(rec.data.get('end'))}"
    return {"en": rec.id, "kk": f"«{title['kk'] or rec.id}», {span}", "ru": f"«{title['ru'] or rec.id}», {span}"}


def _retake_name(ds: Dataset, facts: Facts, ref: str) -> dict:
    """A re-take (``cohort/listener``) named by its cohort; ``en`` keeps the reference."""
    cohort_id = ref.split("/", 1)[0]
    return {**_cohort_name(ds, cohort_id), "en": ref}


def _in(org: str | None, cohort_id: str | None, record: Record) -> bool:
    return ((org is None or record.data.get("organisation") == org) and (cohort_id is None or record.id == cohort_id))


def _year_end(year: int | None, today: dt.date) -> dt.date:
    return dt.date(year, 12, 31) if year else today


# --------------------------------------------------------------------------- the reports


def report(kind: str, ds: Dataset, facts: Facts, year: int | None = None, organisation: str | None = None,
           cohort: str | None = None) -> Report:
    if kind not in KINDS:
        raise UsageError(_("unknown report '{kind}'; expected one of: {items}").format(kind=kind, items=', '.join(KINDS)))
    check_selection(ds, year, organisation, cohort)
    return _BUILDERS[kind](ds, facts, year, organisation, cohort)


def _calendar(ds, facts, year, org, cohort):
    year = year or facts.today.year
    deadlines = facts.deadlines(ds, year, org)
    if cohort:
        deadlines = [d for d in deadlines if d.cohort in (None, cohort)]
    rows = [{"date": d.date, "what": {"en": d.label["en"], "kk": d.label["kk"], "ru": d.label["ru"]}, "key": d.what,
             "what_kk": d.label["kk"], "what_ru": d.label["ru"],
             "organisation": _org_name(ds, d.organisation),
             "cohort": _cohort_name(ds, d.cohort) if d.cohort else "",  # by name; CSV and JSON keep the id
             "source": cite(d.rule)} for d in deadlines]
    columns = _columns("calendar", "date", "key", "what", "what_kk", "what_ru", "organisation", "cohort", "source",
                       machine=("key", "what_kk", "what_ru"))
    title = {k: v.format(year=year) for k, v in _TITLES["calendar"].items()}
    name = f"calendar-{year}" + (f"-{org}" if org else "")
    return Report("calendar", title, columns, rows, facts.today, sources=_sources(rows), deadlines=deadlines, name=name)


def _sources(rows) -> list[dict]:
    unique = {r["source"]["en"]: r["source"] for r in rows if r.get("source") and r["source"].get("en")}
    return [unique[k] for k in sorted(unique)]


def _listener_lists(ds, facts, year, org, cohort):
    if cohort:
        c = ds.cohorts[cohort]
        due = factsmod.cohort_deadline(facts, c, "listener_lists")
        rows = [{"id": lf.data.get("id"), "name": _name(lf.data), "iin": lf.data.get("iin"),
                 "employer": lf.data.get("employer"), "position": lf.data.get("position"),
                 "phone": lf.data.get("phone"), "email": lf.data.get("email")} for lf in facts.of_cohort(cohort)]
        columns = _columns("listener-list", "id", "name", "iin", "employer", "position", "phone", "email", machine=("id",))
        cname = _cohort_name(ds, c)
        title = {k: v.format(cohort=cname[k], due=date_text(due.date if due else None))
                 for k, v in _TITLES["listener-list"].items()}
        return Report("listener-lists", title, columns, rows, facts.today,
                      sources=[cite(due.rule)] if due and due.rule else [], name=f"listener-lists/{cohort}",
                      order=("name",))
    rows = []
    for c in sorted(ds.cohorts.values(), key=lambda r: (r.data.get("start") or dt.date.max, r.id)):
        if not _in(org, None, c):
            continue
        due = factsmod.cohort_deadline(facts, c, "listener_lists")
        if due is None or (year is not None and due.date.year != year):
            continue
        n = len(facts.of_cohort(c.id))
        status = "done" if c.data["start"] <= facts.today else ("overdue" if due.date < facts.today and n == 0 else "due")
        rows.append({"cohort": _cohort_name(ds, c), "organisation": _org_name(ds, c.data.get("organisation")),
                     "programme": _title(ds.programmes.get(c.data.get("programme"))), "start": c.data.get("start"),
                     "due": due.date, "listeners": n, "seats": c.data.get("seats"), "status": _STATUS[status],
                     "source": cite(due.rule)})
    columns = _columns("listener-lists", "cohort", "organisation", "start", "due", "listeners", "seats", "status", "source")
    months = {str(r.value("listener_lists_months_before")) for r in facts.rules.values()
              if r.value("listener_lists_months_before") is not None}
    title = {k: v.format(months="/".join(sorted(months)) or "?") for k, v in _TITLES["listener-lists"].items()}
    return Report("listener-lists", title, columns, rows, facts.today, sources=_sources(rows), name="listener-lists")


def _post_course(ds, facts, year, org, cohort):
    rows = []
    for lf in facts.listeners:
        if not _in(org, cohort, lf.cohort):
            continue
        support = factsmod.post_course_support(lf)
        if support is None:
            continue
        if year is not None and not (lf.completed.year <= year <= support.support_until.year):
            continue
        rows.append({"cohort": _cohort_name(ds, lf.cohort), "listener": lf.data.get("id"), "name": _name(lf.data),
                     "organisation": _org_name(ds, lf.cohort.data.get("organisation")),
                     "completed": lf.completed, "support_until": support.support_until,
                     "plan": _STATUS.get(support.status("plan", facts.today)),
                     "report_due": support.report_due, "report": _STATUS.get(support.status("report", facts.today)),
                     "source": cite(lf.rules.post_course_support_months if lf.rules else None)})
    rows.sort(key=lambda r: (r["support_until"], r["cohort"]["en"], r["listener"]))  # ties: then by name (order)
    columns = _columns("post-course", "cohort", "listener", "name", "completed", "support_until", "plan",
                       "report_due", "report", "source", machine=("listener",))
    return Report("post-course", _TITLES["post-course"], columns, rows, facts.today, sources=_sources(rows), name="post-course",
                  order=("support_until", "name"))


def _monitoring(ds, facts, year, org, cohort):
    limit = _year_end(year, facts.today)
    rows = []
    for prog, last, due, _overdue in facts.monitoring:
        if org is not None and prog.data.get("organisation") != org:
            continue
        if cohort is not None and ds.cohorts[cohort].data.get("programme") != prog.id:
            continue
        if due > limit:
            continue
        rules = facts.rules.get(prog.data.get("organisation"))
        rule = rules.monitoring_interval_years if rules else None
        rows.append({"programme": _title(prog), "title": _title(prog), "organisation": _org_name(ds, prog.data.get("organisation")),
                     "last": last, "approved": prog.data.get("approved"), "due": due,
                     "status": _STATUS["overdue" if due < facts.today else "due"], "source": cite(rule)})
    rows.sort(key=lambda r: (r["due"], r["programme"]["en"]))
    columns = _columns("monitoring", "programme", "organisation", "last", "approved", "due", "status", "source")
    return Report("monitoring", _TITLES["monitoring"], columns, rows, facts.today, sources=_sources(rows), name="monitoring",
                  order=("due", "title"))


def _reassessment(ds, facts, year, org, cohort):
    rows = []
    for lf in facts.listeners:
        if not _in(org, cohort, lf.cohort):
            continue
        r = factsmod.reassessment(facts, lf)
        if r is None:
            continue
        taken = {x.cohort.data.get("start").year for x in r.retakes if isinstance(x.cohort.data.get("start"), dt.date)}
        if year is not None and not (year in taken or (r.next_from is not None and r.next_from.year <= year)):
            continue
        rule = lf.rules.reassessment_per_year if lf.rules else None
        rows.append({"cohort": _cohort_name(ds, lf.cohort), "listener": lf.data.get("id"), "name": _name(lf.data),
                     "organisation": _org_name(ds, lf.cohort.data.get("organisation")),
                     "from": r.next_from, "status": _STATUS[r.status],
                     "retakes": [_retake_name(ds, facts, x.ref) for x in r.retakes], "source": cite(rule)})
    rows.sort(key=lambda x: (x["from"] or dt.date.max, x["cohort"]["en"], x["listener"]))
    columns = _columns("reassessment", "cohort", "listener", "name", "from", "status", "retakes", "source",
                       machine=("listener",))
    return Report("reassessment", _TITLES["reassessment"], columns, rows, facts.today, sources=_sources(rows), name="reassessment",
                  order=("from", "name"))


def _staff_due(ds, facts, year, org, cohort):
    on = _year_end(year, facts.today)
    rows = []
    for s in factsmod.staff_due(facts, on):
        if org is not None and s.organisation != org:
            continue
        if cohort is not None and not any(lf.cohort.id == cohort for lf in s.listeners):
            continue
        latest = max(s.listeners, key=lambda x: (x.cohort.data.get("end") or dt.date.min))
        ob = next((o for o in s.obligation.value if o.get("staff_group") == s.group), {}) if s.obligation else {}
        rows.append({"name": " ".join(p for p in (s.name.get("surname"), s.name.get("given"), s.name.get("patronymic")) if p),
                     "organisation": _org_name(ds, s.organisation),
                     "group": dict(_L.get("staff_groups", {}).get(s.group) or {lang: s.group for lang in LANGS}),
                     "school": (latest.data.get("staff") or {}).get("school"),
                     "last_qualifying": s.last_qualifying, "min_hours": ob.get("min_hours"),
                     "interval_years": ob.get("interval_years"), "due": s.next_due,
                     "source": cite(s.obligation)})
    rows.sort(key=lambda r: (r["due"], r["name"]))
    columns = _columns("staff-due", "name", "organisation", "group", "school", "last_qualifying", "min_hours",
                       "interval_years", "due", "source")
    title = dict(_TITLES["staff-due"])
    if year:
        title = {k: f"{v} ({year})" for k, v in title.items()}
    return Report("staff-due", title, columns, rows, on, sources=_sources(rows), name="staff-due", order=("due", "name"))


def _work_off(ds, facts, year, org, cohort):
    rows, notes, sources = [], [], {}
    orgs = set()
    for s in facts.staff:
        if org is not None and s.organisation != org:
            continue
        if cohort is not None and not any(lf.cohort.id == cohort for lf in s.listeners):
            continue
        if not isinstance(s.paid_amount, int) or s.paid_amount <= 0 or s.work_off_rule is None:
            continue
        orgs.add(s.organisation)
        until = factsmod.work_off_until(s)
        if year is not None and until is not None and until.year < year:
            continue
        if s.work_off_months is not None:
            status = in_languages(_L["work_off"]["months"], n=s.work_off_months)
        elif not s.work_off_rows:
            status = _STATUS["undefined"]
        else:
            rows_text = ", ".join(map(str, s.work_off_rows))
            months = "/".join(str(r["months"]) for r in s.work_off_rule.value if r["row"] in s.work_off_rows)
            status = {k: v.format(rows=rows_text) + f" ({months})" for k, v in _STATUS["ambiguous"].items()}
        sources[str(s.work_off_rule)] = cite(s.work_off_rule)
        rows.append({"name": " ".join(p for p in (s.name.get("surname"), s.name.get("given"), s.name.get("patronymic")) if p),
                     "organisation": _org_name(ds, s.organisation), "amount": Amount(s.paid_amount),
                     "rows": s.work_off_rows, "months": s.work_off_months, "period": status, "until": until,
                     "source": cite(s.work_off_rule)})
    rows.sort(key=lambda r: (r["name"], r["amount"].tenge))
    table_orgs = sorted(orgs) if org is None else [org]
    for oid in table_orgs:
        rules = facts.rules.get(oid)
        rule = rules.work_off if rules else None
        c = cite(rule)
        for issue in factsmod.work_off_table(rule):
            words = _L["work_off"]
            notes.append({lang: words[issue.kind][lang].format(
                org=_org_name(ds, oid)[lang], cite=c[lang], rows=words["rows_and"][lang].join(str(n) for n in issue.rows),
                span=(_number(issue.low, lang) if issue.high == issue.low else
                      f"{_number(issue.low, lang)}-{words['no_limit'][lang] if issue.high is None else _number(issue.high, lang)}"))
                for lang in LANGS})
            sources[str(rule)] = cite(rule)
    columns = _columns("work-off", "name", "organisation", "amount", "rows", "months", "period", "until", "source")
    return Report("work-off", _TITLES["work-off"], columns, rows, facts.today, notes=notes, sources=[sources[k] for k in sorted(sources)],
                  name="work-off", order=("name", "amount"))


def _nobd(ds, facts, year, org, cohort):
    if cohort:
        c = ds.cohorts[cohort]
        due = factsmod.cohort_deadline(facts, c, "nobd")
        end = c.data.get("end")
        if end > facts.today:
            raise UsageError(_("cohort '{cohort}' ends on {end}; its NOBD data can be exported once it has finished").format(cohort=cohort, end=end)
                             + (_(" (due by {date}, {rule})").format(date=due.date, rule=due.rule) if due else ""))
        rows = []
        for lf in facts.of_cohort(cohort):
            d = lf.data
            name = d.get("name") or {}
            cert = d.get("certificate") if isinstance(d.get("certificate"), dict) else {}
            rows.append({"iin": d.get("iin"), "surname": name.get("surname"), "given": name.get("given"),
                         "patronymic": name.get("patronymic"), "employer": d.get("employer"), "position": d.get("position"),
                         "organisation": c.data.get("organisation"), "programme": c.data.get("programme"),
                         "programme_title": _title(lf.programme)["kk"], "hours": lf.hours, "format": c.data.get("format"),
                         "language": c.data.get("language"), "start": c.data.get("start"), "end": lf.completed or end,
                         "outcome": _OUTCOME.get(lf.outcome, lf.outcome), "certificate": cert.get("number"),
                         "issued": cert.get("issued"), "valid_until": lf.certificate_valid_until})
        columns = _columns("nobd-cohort", "iin", "surname", "given", "patronymic", "employer", "position",
                           "organisation", "programme", "programme_title", "hours", "format", "language", "start",
                           "end", "outcome", "certificate", "issued", "valid_until")
        cname = _cohort_name(ds, c)
        title = {k: v.format(cohort=cname[k], due=date_text(due.date if due else None))
                 for k, v in _TITLES["nobd-cohort"].items()}
        return Report("nobd", title, columns, rows, facts.today, sources=[cite(due.rule)] if due and due.rule else [],
                      name=f"nobd/{cohort}", order=("surname", "given", "patronymic"))
    rows = []
    for c in sorted(ds.cohorts.values(), key=lambda r: (r.data.get("end") or dt.date.max, r.id)):
        if not _in(org, None, c):
            continue
        due = factsmod.cohort_deadline(facts, c, "nobd")
        if due is None or (year is not None and due.date.year != year):
            continue
        finished = c.data["end"] <= facts.today
        rows.append({"cohort": _cohort_name(ds, c), "organisation": _org_name(ds, c.data.get("organisation")), "end": c.data["end"],
                     "due": due.date, "listeners": len(facts.of_cohort(c.id)),
                     "status": _STATUS["finished" if finished else "upcoming"], "source": cite(due.rule)})
    columns = _columns("nobd", "cohort", "organisation", "end", "due", "listeners", "status", "source")
    return Report("nobd", _TITLES["nobd"], columns, rows, facts.today, sources=_sources(rows), name="nobd")


_BUILDERS = {
    "calendar": _calendar, "listener-lists": _listener_lists, "post-course": _post_course, "monitoring": _monitoring,
    "reassessment": _reassessment, "staff-due": _staff_due, "work-off": _work_off, "nobd": _nobd,
}


# --------------------------------------------------------------------------- iCalendar


def icalendar(rep: Report, lang: str = "kk") -> str:
    """The calendar's deadlines as all-day events; UIDs from the deadline, DTSTAMP the build date."""
    events = []
    rows = rep.rows if len(rep.rows) == len(rep.deadlines) else [{}] * len(rep.deadlines)  # one row per deadline
    for d, row in zip(rep.deadlines, rows):
        key = f"{d.date.isoformat()}|{d.what}|{d.organisation or ''}|{d.cohort or ''}"
        uid = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24] + "@biliktilik"  # ASCII, from the ids
        summary = d.label.get(lang) or d.label["en"]
        # people read the cohort and organisation by name (the report's row), the ids stay in the UID only
        cohort = _fmt(row.get("cohort"), lang) if row.get("cohort") else d.cohort
        org = _fmt(row.get("organisation"), lang) if row.get("organisation") else d.organisation
        if cohort:
            summary += f": {cohort}"
        desc = "; ".join(p for p in (org, cohort, cite(d.rule).get(lang) if d.rule else None) if p)
        events.append(Event(uid, d.date, d.date, summary, desc))
    return calendar(events, name=rep.title.get(lang) or rep.title["en"], product=f"Planning calendar//{lang.upper()}",
                    stamp=rep.as_of, timezone=None).decode("utf-8")
