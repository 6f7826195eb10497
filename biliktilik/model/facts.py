"""Facts computed once from the checked dataset and the rule sets.

Who passed, when a certificate expires, when post-course support ends, who may
re-take and until when, which programmes are due for monitoring, a KAZGUU staff
member's next obligation and work-off period, the planning deadlines of a year.
Every page, PDF and report reads these answers; none computes its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
from functools import lru_cache
from dataclasses import dataclass, field

from biliktilik.load.dataset import Dataset, Record
from biliktilik.model.rules import Rule, Rules, resolve
from biliktilik.project import labels
from biliktilik.i18n import _


def today() -> dt.date:
    """The build date: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@lru_cache(maxsize=8192)
def add_months(d: dt.date, months: int) -> dt.date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    if d.day <= 28:
        return dt.date(year, month, d.day)
    last = 29 if month == 2 and calendar.isleap(year) else _DAYS[month - 1]
    return dt.date(year, month, min(d.day, last))


def add_years(d: dt.date, years: int) -> dt.date:
    return add_months(d, 12 * years)


KZ_TIME = dt.timezone(dt.timedelta(hours=5), "UTC+05:00")
"""Kazakhstan's one time zone since 1 March 2024 (UTC+5, no daylight saving): the calendar day
on which a certificate is valid is a day in this zone."""


def kz_day(instant: dt.datetime) -> dt.date:
    """The Kazakhstan calendar day (UTC+5) of an aware instant; a naive one is taken as UTC.

    ``kz_day(2028-10-16T19:00:00Z)`` is 17 October 2028: 00:00 in Astana."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.timezone.utc)
    return instant.astimezone(KZ_TIME).date()


@dataclass(frozen=True)
class Validity:
    """The validity window of a certificate in Kazakhstan time.

    ``first_day``/``last_day`` are local calendar days (``last_day`` None: valid without end);
    ``valid_from`` is ``first_day`` 00:00:00+05:00, ``valid_until`` ``last_day`` 23:59:59+05:00
    (the credential's validFrom/validUntil; the VC-JWT's nbf/exp are their epoch seconds)."""
    first_day: dt.date
    last_day: dt.date | None

    @property
    def valid_from(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0, 0, 0), KZ_TIME)

    @property
    def valid_until(self) -> dt.datetime | None:
        return dt.datetime.combine(self.last_day, dt.time(23, 59, 59), KZ_TIME) if self.last_day else None

    def state_on(self, day: dt.date) -> str:
        """'valid', 'expired' (after ``last_day``) or 'not-yet' (before ``first_day``) on a local day."""
        if day < self.first_day:
            return "not-yet"
        if self.last_day and day > self.last_day:
            return "expired"
        return "valid"


VALIDITY_STARTS = ("issued", "course_end")
"""The values of the rule ``certificate_validity_from``: the day the certificate is issued, or the
day the course (internship) ended."""


def certificate_validity(issued: dt.date, rules: Rules | None, course_end: dt.date | None = None) -> Validity:
    """The one rule for how long a certificate is valid, in Kazakhstan time (UTC+5) local days.

    It starts on the day the organisation's rule ``certificate_validity_from`` names: ``issued``
    (Order 95 p. 33 as the defaults read it) or ``course_end`` (Conservatory p. 5.5: "three years from
    the day the course ended"); ``course_end`` falls back to ``issued`` when the end is not known. It
    runs through the day before the same date ``certificate_validity_years`` later (three years);
    without that rule the certificate has no end.

    ``issued``, ``course_end``: calendar days; returns a :class:`Validity`."""
    years = rules.value("certificate_validity_years") if rules is not None else None
    start_from = rules.value("certificate_validity_from", "issued") if rules is not None else "issued"
    first = course_end if start_from == "course_end" and isinstance(course_end, dt.date) else issued
    return Validity(first, add_years(first, years) - dt.timedelta(days=1) if years else None)


@lru_cache(maxsize=1)
def _kz_calendar():
    import holidays  # the `holidays` package: Kazakhstan's public holidays and days off

    return holidays.country_holidays("KZ")


def is_working_day(d: dt.date) -> bool:
    """Whether a calendar day is a working day in Kazakhstan: Monday-Friday, except public holidays,
    the days off that replace a holiday falling on a weekend, and the days off the Government moves
    by decree (a Saturday it makes a working day in exchange is one). The calendar is the
    `holidays` package's Kazakhstan calendar (law "On holidays in the Republic of Kazakhstan",
    Labour Code, the Government's yearly transfer decrees); religious holidays of future years are
    that package's estimates until the Government announces their dates."""
    return _kz_calendar().is_working_day(d)


@lru_cache(maxsize=8192)
def add_working_days(d: dt.date, days: int) -> dt.date:
    """The day ``days`` Kazakhstan working days after ``d`` (see :func:`is_working_day`): every
    "N working days" rule (Order 95 p. 19: NOBD data within 5 working days of the course end).
    ``d`` itself is not counted; ``days`` <= 0 returns ``d``."""
    while days > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            days -= 1
    return d


def month_day(year: int, mmdd: str) -> dt.date:
    month, day = map(int, mmdd.split("-"))
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass
class Failure:
    """Why a listener did not pass: which rule, what value, where in the record."""
    code: str
    path: tuple
    message: str
    rule: Rule | None


@dataclass
class ListenerFacts:
    cohort: Record
    index: int
    data: dict
    programme: Record | None
    rules: Rules | None
    outcome: str | None  # certificate, reference, expelled, internship_certificate; None while not assessed
    failures: list[Failure] = field(default_factory=list)
    completed: dt.date | None = None
    certificate_valid_until: dt.date | None = None
    support_until: dt.date | None = None
    post_course_report_due: dt.date | None = None
    retake_from: dt.date | None = None  # the first day a re-assessment may be taken (the day after the course)

    @property
    def ref(self) -> str:
        return f"{self.cohort.id}/{self.data.get('id')}"

    @property
    def path(self) -> tuple:
        return ("listeners", self.index)

    @property
    def passed(self) -> bool:
        return self.outcome in ("certificate", "internship_certificate")

    @property
    def hours(self) -> int | None:
        if self.programme is None:
            return None
        internship = self.data.get("internship")
        if isinstance(internship, dict) and isinstance(internship.get("hours"), int):
            return internship["hours"]
        return self.programme.data.get("hours")


@dataclass
class StaffFacts:
    """A KAZGUU staff member (matched across cohorts by IIN)."""
    iin: str
    name: dict
    group: str
    organisation: str
    listeners: list[ListenerFacts]
    last_qualifying: dt.date | None
    next_due: dt.date | None
    obligation: Rule | None
    paid_amount: int | None
    work_off_months: int | None
    work_off_rows: list[int]
    work_off_rule: Rule | None


@dataclass
class Deadline:
    date: dt.date
    what: str  # a stable key, e.g. applications_due
    label: dict  # {kk, ru, en}
    rule: Rule | None
    organisation: str | None = None
    cohort: str | None = None


@dataclass
class Facts:
    today: dt.date
    rules: dict[str, Rules]
    listeners: list[ListenerFacts]
    by_ref: dict[str, ListenerFacts]
    monitoring: list[tuple[Record, dt.date | None, dt.date, bool]]  # programme, last, due, overdue
    staff: list[StaffFacts]
    # cohort id -> the file that failed to load and that the cohort depends on (the cohort file itself,
    # its programme, its organisation or that organisation's rule set). Their listeners are left out of
    # ``listeners``: no check, fact, output or report follows a reference into a record that is not there.
    blocked: dict[str, str] = field(default_factory=dict)

    def blocked_ref(self, ref) -> str | None:
        """The broken file behind a listener reference 'cohort-id/listener-id', or None."""
        return self.blocked.get(ref.split("/", 1)[0]) if isinstance(ref, str) else None

    def of_cohort(self, cohort_id: str) -> list[ListenerFacts]:
        """The listeners of one cohort, in file order (an index built once: O(1) per call)."""
        return self._index("_by_cohort", lambda lf: lf.cohort.id).get(cohort_id, [])

    def retakes_of(self, ref: str) -> list[ListenerFacts]:
        """The re-takes of the listener ``ref`` ('cohort-id/listener-id'), in file order."""
        return self._index("_by_retake", lambda lf: lf.data.get("retake_of")).get(ref, [])

    def _index(self, name: str, key) -> dict:
        index = self.__dict__.get(name)
        if index is None:
            index = {}
            for lf in self.listeners:
                k = key(lf)
                if isinstance(k, str):
                    index.setdefault(k, []).append(lf)
            self.__dict__[name] = index
        return index

    def deadlines(self, ds: Dataset, year: int, organisation: str | None = None) -> list[Deadline]:
        return planning_deadlines(ds, self, year, organisation)


def _decide(lf: ListenerFacts, cohort: dict) -> None:
    data, rules = lf.data, lf.rules
    if isinstance(data.get("expelled"), dict):
        lf.outcome = "expelled"
        return
    programme = lf.programme.data if lf.programme else {}
    internship = data.get("internship")
    if programme.get("kind") == "internship":
        if not isinstance(internship, dict):
            lf.outcome = None
            return
        hours = internship.get("hours")
        minimum = _internship_minimum(rules)
        if minimum is not None and isinstance(hours, int) and hours < minimum[0]:
            lf.failures.append(Failure("listener.internship-hours", ("internship", "hours"),
                                       _("{hours} academic hours is below the {minimum} an internship needs").format(hours=hours, minimum=minimum[0]), minimum[1]))
            lf.outcome = "reference"
        else:
            lf.outcome = "internship_certificate"
        return
    attendance, test = data.get("attendance"), data.get("final_test")
    if attendance is None and test is None:
        lf.outcome = None
        return
    need_att = rules.get("attendance_min") if rules else None
    if isinstance(attendance, (int, float)) and need_att is not None and attendance < need_att.value:
        lf.failures.append(Failure("listener.attendance", ("attendance",),
                                   _("{attendance:g} is below the {value:g} required for a certificate").format(attendance=attendance, value=need_att.value), need_att))
    need_test = rules.get("final_test_min") if rules else None
    if not isinstance(test, dict):
        lf.failures.append(Failure("listener.final-test", ("attendance",),
                                   _("no final test result; a certificate needs the final test"), need_test))
    elif isinstance(test.get("score"), (int, float)) and isinstance(test.get("max"), (int, float)) and test["max"] > 0:
        share = test["score"] / test["max"]
        if need_test is not None and share < need_test.value:
            lf.failures.append(Failure("listener.final-test", ("final_test", "score"),
                                       _("{score:g} of {max:g} ({share:.0%}) is below the {value:.0%} of the maximum required").format(score=test['score'], max=test['max'], share=share, value=need_test.value),
                                       need_test))
    lf.outcome = "reference" if lf.failures else "certificate"


def _internship_minimum(rules: Rules | None):
    if rules is None or rules.hours_classes is None:
        return None
    for hc in rules.hours_classes.value:
        if hc.get("kind") == "internship" and isinstance(hc.get("min"), int):
            return hc["min"], rules.hours_classes
    return None


def _dates(lf: ListenerFacts, cohort: dict) -> None:
    end = cohort.get("end")
    if not isinstance(end, dt.date) or lf.outcome is None:
        return
    internship = lf.data.get("internship")
    if isinstance(internship, dict) and isinstance(internship.get("to"), dt.date):
        end = internship["to"]
    lf.completed = end
    rules = lf.rules
    if rules is None:
        return
    if lf.passed:
        certificate = lf.data.get("certificate")
        start = certificate.get("issued") if isinstance(certificate, dict) else None
        start = start if isinstance(start, dt.date) else end
        lf.certificate_valid_until = certificate_validity(start, rules, end).last_day
        months = rules.value("post_course_support_months")
        if months:
            lf.support_until = add_months(end, months)
        report = rules.value("post_course_report_due_months")
        if report:
            lf.post_course_report_due = add_months(end, report)
    elif lf.outcome == "reference":
        if rules.value("reassessment_per_year"):
            # Order 95 p. 31.1, Conservatory p. 5.7: at most once a year; no text ends the right to it
            lf.retake_from = end + dt.timedelta(days=1)


def fitting_hours_classes(prog: dict, rules: Rules | None) -> list[dict]:
    """The organisation's hours classes that a programme's hours, kind and abroad flag fall in,
    most specific first (the highest lower bound: KAZGUU's open-ended 8+, 36+, 108+ put 72 h
    in 36+); a class bounded only in months (abroad, up to a year) fits any hours and comes last."""
    rule = rules.get("hours_classes") if rules is not None else None
    hours = prog.get("hours")
    if rule is None or not isinstance(hours, int):
        return []
    kind, abroad = prog.get("kind", "course"), bool(prog.get("abroad"))
    fitting = []
    for c in rule.value:
        if c.get("kind") != kind or bool(c.get("abroad")) != abroad:
            continue
        if ("min" in c and hours < c["min"]) or ("max" in c and hours > c["max"]) or \
                ("above" in c and hours <= c["above"]):
            continue
        by_hours = any(k in c for k in ("min", "max", "above"))
        low = c.get("min", c.get("above", -1) + 1)
        fitting.append((not by_hours, -low, c))
    return [c for _, _, c in sorted(fitting, key=lambda t: t[:2])]


def work_off(rule: Rule | None, amount: int | None) -> tuple[int | None, list[int]]:
    """Months of work-off for an amount paid, and the table rows that matched (none or several: undefined)."""
    if rule is None or amount is None:
        return None, []
    rows = []
    for row in rule.value:
        if "exactly" in row and amount == row["exactly"]:
            rows.append(row)
        elif "from" in row and "to" in row and row["from"] <= amount <= row["to"]:
            rows.append(row)
        elif "above" in row and amount > row["above"]:
            rows.append(row)
    numbers = [r["row"] for r in rows]
    months = {r["months"] for r in rows}
    return (months.pop() if len(months) == 1 else None), numbers


def _staff(ds: Dataset, facts: Facts) -> list[StaffFacts]:
    people: dict[tuple[str, str], list[ListenerFacts]] = {}
    for lf in facts.listeners:
        staff = lf.data.get("staff")
        if isinstance(staff, dict) and isinstance(lf.data.get("iin"), str):
            people.setdefault((lf.cohort.data.get("organisation"), lf.data["iin"]), []).append(lf)
    out = []
    for (org, iin), lfs in sorted(people.items()):
        rules = facts.rules.get(org)
        latest = max(lfs, key=lambda x: (x.cohort.data.get("end") or dt.date.min))
        staff = latest.data["staff"]
        group = staff.get("group")
        obligation = None
        if rules and rules.staff_obligations:
            for ob in rules.staff_obligations.value:
                if ob.get("staff_group") == group:
                    obligation = ob
        min_hours = (obligation or {}).get("min_hours") or 0
        courses = [(lf.completed, lf.hours) for lf in lfs if lf.passed and lf.completed]
        for lf in lfs:
            last = lf.data["staff"].get("last_course")
            if isinstance(last, dict) and isinstance(last.get("date"), dt.date):
                courses.append((last["date"], last.get("hours")))
        qualifying = [d for d, h in courses if isinstance(h, int) and h >= min_hours]
        last_q = max(qualifying) if qualifying else None
        next_due = None
        if obligation:
            next_due = add_years(last_q, obligation["interval_years"]) if last_q else facts.today
        paid = staff.get("paid_amount")
        rule = rules.work_off if rules else None
        months, rows = work_off(rule, paid)
        out.append(StaffFacts(iin, latest.data.get("name", {}), group, org, lfs, last_q, next_due,
                              rules.staff_obligations if (rules and obligation) else None,
                              paid, months, rows, rule))
    return out


def _monitoring(ds: Dataset, facts: Facts):
    out = []
    first_start: dict[str, dt.date] = {}
    for c in ds.cohorts.values():
        pid, start = c.data.get("programme"), c.data.get("start")
        if isinstance(start, dt.date) and (pid not in first_start or start < first_start[pid]):
            first_start[pid] = start
    for pid, prog in sorted(ds.programmes.items()):
        rules = facts.rules.get(prog.data.get("organisation"))
        interval = rules.value("monitoring_interval_years") if rules else None
        if not interval:
            continue
        monitored = [d for d in prog.data.get("monitored") or [] if isinstance(d, dt.date)]
        last = max(monitored) if monitored else None
        if last is None:
            approved = prog.data.get("approved")
            origin = approved if isinstance(approved, dt.date) else first_start.get(pid)
            if origin is None:
                continue
            due = add_years(origin, interval)
        else:
            due = add_years(last, interval)
        out.append((prog, last, due, due <= facts.today))
    return out


def blocked_by(ds: Dataset, cohort: dict) -> str | None:
    """The file that failed to load which a cohort's data refers to (directly or through its
    organisation's rule set), or None when every record it needs was loaded."""
    org_id = cohort.get("organisation")
    broken = ds.failed_to_load("programme", cohort.get("programme")) or ds.failed_to_load("organisation", org_id)
    if broken:
        return broken
    org = ds.organisations.get(org_id) if isinstance(org_id, str) else None
    return ds.failed_to_load("ruleset", org.data.get("ruleset")) if org is not None else None


def compute(ds: Dataset, on: dt.date | None = None) -> Facts:
    """Every fact of the dataset as of ``on`` (default: the build date, see today()).

    A cohort that depends on a record that failed to load (Dataset.failed) gets no listener facts;
    it is named in ``Facts.blocked`` with the broken file, so checks skip references into it."""
    rules = resolve(ds)
    facts = Facts(on or today(), rules, [], {}, [], [])
    for kind in ("cohort",):
        for cid, file in ds.failed.get(kind, {}).items():
            facts.blocked.setdefault(cid, file)
    for cid, cohort in sorted(ds.cohorts.items()):
        c = cohort.data
        broken = blocked_by(ds, c)
        if broken:
            facts.blocked[cid] = broken
            continue
        programme = ds.programmes.get(c.get("programme"))
        org_rules = rules.get(c.get("organisation"))
        for i, listener in enumerate(c.get("listeners") or []):
            if not isinstance(listener, dict):
                continue
            lf = ListenerFacts(cohort, i, listener, programme, org_rules, None)
            _decide(lf, c)
            _dates(lf, c)
            facts.listeners.append(lf)
            facts.by_ref.setdefault(lf.ref, lf)
    facts.monitoring = _monitoring(ds, facts)
    facts.staff = _staff(ds, facts)
    return facts


# what each deadline is, {en, kk, ru}: the "deadlines" of templates/reports/labels.yaml
_LABELS = labels("reports")["deadlines"]


def planning_deadlines(ds: Dataset, facts: Facts, year: int, organisation: str | None = None) -> list[Deadline]:
    """Every deadline of a calendar year, from the rule sets and the cohorts."""
    out: list[Deadline] = []
    orgs = [organisation] if organisation else sorted(ds.organisations)
    for oid in orgs:
        rules = facts.rules.get(oid)
        if rules is None:
            continue
        for key in ("applications_due", "district_plans_due", "regional_plans_due", "staff_plan_due"):
            rule = rules.get(key)
            if rule is not None:
                out.append(Deadline(month_day(year, rule.value), key, _LABELS[key], rule, oid))
        for cohort in sorted(ds.cohorts.values(), key=lambda c: c.id):
            if cohort.data.get("organisation") == oid:
                out.extend(d for d in cohort_deadlines(cohort, rules) if d.date.year == year)
    for lf in facts.listeners:
        if lf.post_course_report_due and lf.post_course_report_due.year == year and (
                organisation is None or lf.cohort.data.get("organisation") == organisation):
            out.append(Deadline(lf.post_course_report_due, "post_course_report", _LABELS["post_course_report"],
                                lf.rules.post_course_report_due_months, lf.cohort.data.get("organisation"), lf.cohort.id))
    unique = {(d.date, d.what, d.organisation, d.cohort): d for d in out}
    return sorted(unique.values(), key=lambda d: (d.date, d.what, d.organisation or "", d.cohort or ""))


# -- per-cohort deadlines, previous courses, table gaps, statuses (forms and reports read these) --------


def cohort_deadlines(cohort: Record, rules: Rules | None) -> list[Deadline]:
    """A cohort's own deadlines: its listener list (p. 14) and its NOBD data (p. 19)."""
    out: list[Deadline] = []
    c, oid = cohort.data, cohort.data.get("organisation")
    if rules is None or not isinstance(c.get("start"), dt.date):
        return out
    months = rules.value("listener_lists_months_before")
    if months is not None:
        out.append(Deadline(add_months(c["start"], -months), "listener_lists", _LABELS["listener_lists"],
                            rules.listener_lists_months_before, oid, cohort.id))
    days = rules.value("nobd_working_days")
    if days and isinstance(c.get("end"), dt.date):
        out.append(Deadline(add_working_days(c["end"], days), "nobd", _LABELS["nobd"], rules.nobd_working_days, oid, cohort.id))
    return out


def cohort_deadline(facts: Facts, cohort: Record, what: str) -> Deadline | None:
    rules = facts.rules.get(cohort.data.get("organisation"))
    return next((d for d in cohort_deadlines(cohort, rules) if d.what == what), None)


@dataclass
class Course:
    """A course a staff member took: from the records (a passed listener) or as recorded in staff.last_course."""
    title: dict | str | None
    date: dt.date
    hours: int | None
    ref: str | None  # cohort/listener when it comes from the records


def previous_course(facts: Facts, lf: ListenerFacts) -> Course | None:
    """The last course a staff member finished before this listener's cohort starts."""
    iin, org, start = lf.data.get("iin"), lf.cohort.data.get("organisation"), lf.cohort.data.get("start")
    if not isinstance(start, dt.date):
        return None
    index = facts.__dict__.get("_staff_index")
    if index is None:
        index = facts.__dict__["_staff_index"] = {(s.organisation, s.iin): s for s in facts.staff}
    person = index.get((org, iin))
    records = person.listeners if person else [lf]
    courses = []
    for other in records:
        if other.passed and other.completed and other.completed < start and other.programme is not None:
            courses.append(Course(other.programme.data.get("title"), other.completed, other.hours, other.ref))
        last = (other.data.get("staff") or {}).get("last_course")
        if isinstance(last, dict) and isinstance(last.get("date"), dt.date) and last["date"] < start:
            courses.append(Course(last.get("title"), last["date"], last.get("hours"), None))
    return max(courses, key=lambda c: (c.date, c.ref is not None), default=None)


def staff_due(facts: Facts, on: dt.date | None = None) -> list[StaffFacts]:
    """Staff whose training obligation falls due on or before ``on`` (default: the build date)."""
    on = on or facts.today
    return [s for s in facts.staff if s.obligation is not None and s.next_due is not None and s.next_due <= on]


@dataclass
class TableIssue:
    kind: str  # gap (amounts no row covers) or overlap (amounts several rows cover with different periods)
    low: int
    high: int | None  # None: no upper limit
    rows: list[int]


def work_off_table(rule: Rule | None) -> list[TableIssue]:
    """What a work-off table leaves undefined: amounts in no row, amounts in rows giving different periods."""
    if rule is None:
        return []
    spans = []
    for row in rule.value:
        if "exactly" in row:
            lo, hi = row["exactly"], row["exactly"]
        elif "from" in row:
            lo, hi = row["from"], row.get("to")
        elif "above" in row:
            lo, hi = row["above"] + 1, None
        else:
            continue
        spans.append((lo, hi, row))
    issues = []
    covered = 0
    for lo, hi, row in sorted(spans, key=lambda s: (s[0], s[1] is None, s[1] or 0)):
        if lo > covered + 1:
            issues.append(TableIssue("gap", covered + 1, lo - 1, []))
        covered = max(covered, hi if hi is not None else float("inf"))
    for i, (lo1, hi1, r1) in enumerate(spans):
        for lo2, hi2, r2 in spans[i + 1:]:
            lo = max(lo1, lo2)
            ends = [h for h in (hi1, hi2) if h is not None]
            hi = min(ends) if ends else None
            if (hi is None or lo <= hi) and r1["months"] != r2["months"]:
                issues.append(TableIssue("overlap", lo, hi, sorted([r1["row"], r2["row"]])))
    return sorted(issues, key=lambda t: (t.low, t.kind, t.rows))


@dataclass
class Reassessment:
    """Where a listener who got a reference stands with re-assessment.

    ``status``: 'open' (may re-take from ``next_from``), 'retaking' (a re-take not yet assessed),
    'retaken' (a re-take passed), 'retaken-failed' (may re-take again from ``next_from``).
    ``next_from``: the first day of the next re-assessment: the day after the course, or, after
    re-takes, the day one year after the last one started (at most once a year; no end date:
    Order 95 p. 31.1, Conservatory p. 5.7 limit how often, not how long after the course)."""
    status: str
    retakes: list[ListenerFacts]
    next_from: dt.date | None = None


def reassessment(facts: Facts, lf: ListenerFacts) -> Reassessment | None:
    """A listener's re-assessment (see :class:`Reassessment`); None unless they got a reference under
    a rule set that allows re-assessment (``reassessment_per_year``)."""
    if lf.outcome != "reference" or lf.retake_from is None:
        return None
    retakes = sorted(facts.retakes_of(lf.ref), key=lambda r: (r.cohort.data.get("start") or dt.date.min, r.ref))
    starts = [r.cohort.data["start"] for r in retakes if isinstance(r.cohort.data.get("start"), dt.date)]
    next_from = max(lf.retake_from, add_years(max(starts), 1)) if starts else lf.retake_from
    if any(r.passed for r in retakes):
        return Reassessment("retaken", retakes, None)
    if retakes and all(r.outcome is not None for r in retakes):
        return Reassessment("retaken-failed", retakes, next_from)
    if retakes:
        return Reassessment("retaking", retakes, None)
    return Reassessment("open", retakes, next_from)


@dataclass
class Support:
    """A graduate's post-course support year.

    ``plan_wanted``: the organisation asks for an individual plan (Conservatory Annex 2.1). The plan
    covers the support year (``completed`` .. ``support_until``); no text sets a date by which it is
    due, so it has none: it is only submitted (``plan_submitted``) or not yet.
    ``report_due``: the day the report is due (Conservatory p. 6.7: one year after the course)."""
    plan_wanted: bool
    plan_submitted: dt.date | None
    report_due: dt.date | None
    report_submitted: dt.date | None
    support_until: dt.date | None

    def status(self, what: str, today: dt.date) -> str | None:
        """'submitted', 'not submitted' (the plan, which has no due date), 'submitted late', 'overdue',
        'due'; None when the organisation does not ask for it."""
        if what == "plan":
            if not self.plan_wanted:
                return None
            return "submitted" if self.plan_submitted is not None else "not submitted"
        due, done = self.report_due, self.report_submitted
        if due is None:
            return None
        if done is not None:
            return "submitted late" if done > due else "submitted"
        return "overdue" if due < today else "due"


def post_course_support(lf: ListenerFacts) -> Support | None:
    """A graduate's post-course support: the end of the support year, and the plan and report where wanted."""
    if not lf.passed or lf.support_until is None:
        return None
    pc = lf.data.get("post_course") if isinstance(lf.data.get("post_course"), dict) else {}
    plan, report = pc.get("plan"), pc.get("report")
    wanted = bool(lf.rules is not None and lf.rules.value("post_course_plan"))
    return Support(wanted, plan if isinstance(plan, dt.date) and wanted else None,
                   lf.post_course_report_due, report if isinstance(report, dt.date) else None, lf.support_until)


def work_off_until(staff: StaffFacts) -> dt.date | None:
    """The end of a staff member's work-off period: the paid course's end plus the table's months."""
    if staff.work_off_months is None:
        return None
    paid = [lf for lf in staff.listeners
            if isinstance((lf.data.get("staff") or {}).get("paid_amount"), int) and lf.completed is not None]
    if not paid:
        return None
    return add_months(max(lf.completed for lf in paid), staff.work_off_months)


# -- limits of the rules as written (abroad courses, notices, repayments) -----------------------------


def abroad_last_day(start: dt.date, max_months: int) -> dt.date:
    """The last day a course abroad that starts on ``start`` may last, for a limit of "up to
    ``max_months`` months" (Order 95 p. 5.3 and p. 23: up to 1 (one) year, i.e. 12; KAZGUU 6.5.2.2).
    The course's days are counted inclusive, so a year from 2027-04-05 ends on 2028-04-04 at the latest
    (a cohort ending 2028-04-05 lasts a year and a day)."""
    return add_months(start, max_months) - dt.timedelta(days=1)


def notice_deadline(approved: dt.date, working_days: int) -> dt.date:
    """The last day to give a notice due "within N working days" of ``approved`` (KAZGUU 7.7: staff are
    told of the approved Plan within 5 working days): the N-th Kazakhstan working day after it
    (:func:`add_working_days`: weekends, public holidays and the Government's transferred days off skipped)."""
    return add_working_days(approved, working_days)


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is before a month has passed)."""
    n = (end.year - start.year) * 12 + end.month - start.month
    if n <= 0:
        return 0
    return n if add_months(start, n) <= end else n - 1


def repayment_due(paid: int, work_off_months: int, start: dt.date, left: dt.date, how: str) -> int:
    """Tenge an employee owes on leaving before the work-off period ends (KAZGUU section 8):
    ``how`` = "proportional" (8, 1.1: leaving on the employee's initiative: the share of ``paid`` for the
    whole months of the ``work_off_months`` not worked since ``start``, rounded to the tenge),
    "none" (8, 1.2: dismissed by the employer, not for negative reasons), "full".
    Raises ValueError for another ``how`` or a period under one month."""
    if work_off_months < 1:
        raise ValueError("the work-off period must be at least one month")
    if how == "none":
        return 0
    if how == "full":
        return paid
    if how != "proportional":
        raise ValueError(f"unknown repayment rule {how!r}")
    left_months = max(0, work_off_months - whole_months(start, left))
    return round(paid * left_months / work_off_months)
