"""The rules as written, part 3: abroad courses up to a year, work breaks, staged courses, trainers,
languages, expulsion and its grounds, reimbursement, KAZGUU's plan notice and repayments.

Every finding cites the rule's paragraph (the rule's ``source`` in data/rulesets or
data/organisations); every number comes from the rule's value. :data:`CHECKED` names, for each rule
key checked here, the finding codes that enforce it (``biliktilik rules --coverage`` reads it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from biliktilik.findings import Finding
from biliktilik.validate.out import Out as _Out, is_number as _num
from biliktilik.i18n import _
from biliktilik.load.dataset import Dataset, Record
from biliktilik.model.facts import Facts, abroad_last_day, notice_deadline, repayment_due, work_off

# rule key -> the finding codes that enforce it here
CHECKED = {
    "abroad_max_months": ("cohort.abroad-duration",),
    "work_breaks": ("cohort.work-break",),
    "staged_yearly": ("listener.stage-year",),
    "trainer_categories": ("cohort.trainer-category", "cohort.trainer-experience"),
    "trainers_max": ("cohort.trainers-max",),
    "trainer_choice_min_experience_years": ("cohort.trainer-choice",),
    "languages": ("cohort.language-rule", "programme.language-rule"),
    "expulsion_grounds": ("listener.expelled-ground", "listener.expelled-attendance"),
    "expulsion_reimbursement": ("listener.expelled-reimbursement",),
    "staff_plan_notice_working_days": ("organisation.plan-notice",),
    "repayment_employee_leaves": ("listener.repayment",),
    "repayment_employer_dismisses": ("listener.repayment",),
}


def check(ds: Dataset, facts: Facts) -> list[Finding]:
    """Findings of the rules above over the whole dataset: cohorts (abroad duration, work break, stage,
    trainers, language), programmes (languages), listeners (expulsion, stages by year, repayment) and
    organisations (the staff plan's notice). Records that failed to load are passed over."""
    out = _Out()
    for org in ds.organisations.values():
        _plan_notice(org, facts, out)
    for prog in ds.programmes.values():
        _programme_languages(prog, facts, out)
    for cohort in ds.cohorts.values():
        _cohort(ds, facts, cohort, out)
    _stages(ds, facts, out)
    for lf in facts.listeners:
        _expulsion(lf, out)
        _repayment(lf, out)
    return out.items


# -- organisations ------------------------------------------------------------------------------------

def _plan_notice(org: Record, facts: Facts, out: _Out):
    rules = facts.rules.get(org.id)
    rule = rules.staff_plan_notice_working_days if rules else None
    if rule is None:
        return
    for i, plan in enumerate(org.data.get("staff_plans") or []):
        if not isinstance(plan, dict) or not isinstance(plan.get("approved"), dt.date):
            continue
        approved, notified = plan["approved"], plan.get("notified")
        try:
            deadline = notice_deadline(approved, rule.value)
        except (OverflowError, ValueError):  # a date at the end of the calendar: nothing to compare
            continue
        path = ("staff_plans", i)
        if isinstance(notified, dt.date) and notified < approved:
            out.add(org, path + ("notified",), "error", "organisation.plan-notice",
                    _("staff were told of the {year} plan on {notified}, before it was approved ({approved})").format(
                        year=plan.get("year"), notified=notified, approved=approved), rule)
        elif isinstance(notified, dt.date) and notified > deadline:
            out.add(org, path + ("notified",), "error", "organisation.plan-notice",
                    _("staff were told of the {year} plan on {notified}; approved on {approved}, it was due within "
                      "{days} working days, by {deadline}").format(
                        year=plan.get("year"), notified=notified, approved=approved, days=rule.value, deadline=deadline),
                    rule)
        elif notified is None and deadline < facts.today:
            out.add(org, path, "warning", "organisation.plan-notice",
                    _("no notice date for the {year} plan, approved on {approved}; it was due by {deadline}; "
                      "record it as notified").format(year=plan.get("year"), approved=approved, deadline=deadline), rule)


# -- programmes and cohorts ---------------------------------------------------------------------------

def _programme_languages(prog: Record, facts: Facts, out: _Out):
    rules = facts.rules.get(prog.data.get("organisation"))
    rule = rules.languages if rules else None
    if rule is None:
        return
    for i, lang in enumerate(prog.data.get("languages") or []):
        if lang not in rule.value:
            out.add(prog, ("languages", i), "error", "programme.language-rule",
                    _("courses of {org} are taught in {allowed}, not '{lang}'").format(
                        org=prog.data.get("organisation"), allowed=", ".join(rule.value), lang=lang), rule)


def _cohort(ds: Dataset, facts: Facts, cohort: Record, out: _Out):
    c = cohort.data
    rules = facts.rules.get(c.get("organisation"))
    if rules is None:
        return
    prog = ds.programmes.get(c.get("programme"))
    abroad = bool(prog and prog.data.get("abroad"))
    start, end = c.get("start"), c.get("end")

    limit = rules.abroad_max_months
    if abroad and limit is not None and isinstance(start, dt.date) and isinstance(end, dt.date):
        try:
            last = abroad_last_day(start, limit.value)
        except (OverflowError, ValueError):
            last = dt.date.max
        if end > last:
            out.add(cohort, ("end",), "error", "cohort.abroad-duration",
                    _("a course abroad lasts up to {months} months: starting on {start}, it must end by {last}, "
                      "not on {end}").format(months=limit.value, start=start, last=last, end=end), limit)

    breaks = rules.work_breaks
    wb = c.get("work_break")
    if breaks is not None and isinstance(wb, str):
        if wb not in breaks.value:
            out.add(cohort, ("work_break",), "error", "cohort.work-break",
                    _("work break '{value}' is not one of {org}'s: {allowed}").format(
                        value=wb, org=c.get("organisation"), allowed=", ".join(breaks.value)), breaks)
        elif prog is not None and (wb == "abroad") != abroad:
            out.add(cohort, ("work_break",), "error", "cohort.work-break",
                    _("work break '{value}' does not fit programme {programme}, which is {where}").format(
                        value=wb, programme=prog.id, where=_("abroad") if abroad else _("not abroad")), breaks)

    lang_rule = rules.languages
    lang = c.get("language")
    if lang_rule is not None and isinstance(lang, str) and lang not in lang_rule.value:
        out.add(cohort, ("language",), "error", "cohort.language-rule",
                _("courses of {org} are taught in {allowed}, not '{lang}'").format(
                    org=c.get("organisation"), allowed=", ".join(lang_rule.value), lang=lang), lang_rule)

    _trainers(cohort, rules, out)


def _trainers(cohort: Record, rules, out: _Out):
    trainers = [t for t in cohort.data.get("trainers") or [] if isinstance(t, dict)]
    most = rules.trainers_max
    if most is not None and len(trainers) > most.value:
        out.add(cohort, ("trainers",), "error", "cohort.trainers-max",
                _("{count} trainers; a course may be taught by at most {max}").format(count=len(trainers), max=most.value),
                most)
    cats = rules.trainer_categories
    choice = rules.trainer_choice_min_experience_years
    by_id = {k.get("id"): k for k in cats.value} if cats is not None else {}
    for i, t in enumerate(cohort.data.get("trainers") or []):
        if not isinstance(t, dict):
            continue
        path = ("trainers", i)
        years = t.get("experience_years")
        if cats is not None:
            cat = t.get("category")
            if cat is None:
                out.add(cohort, path, "warning", "cohort.trainer-category",
                        _("trainer {name} has no category; expected one of: {allowed}").format(
                            name=t.get("name"), allowed=", ".join(by_id)), cats)
            elif cat not in by_id:
                out.add(cohort, path + ("category",), "error", "cohort.trainer-category",
                        _("trainer category '{value}' is not one of {org}'s: {allowed}").format(
                            value=cat, org=cohort.data.get("organisation"), allowed=", ".join(by_id)), cats)
            else:
                need = by_id[cat].get("min_experience_years")
                if _num(need) and not (_num(years) and years >= need):
                    got = _("{years} years").format(years=years) if _num(years) else _("no experience_years")
                    out.add(cohort, path + (("experience_years",) if _num(years) else ("category",)), "error",
                            "cohort.trainer-experience",
                            _("a trainer of category '{value}' needs at least {need} years of experience; "
                              "trainer {name} has {got}").format(value=cat, need=need, name=t.get("name"), got=got), cats)
        if choice is not None and t.get("chosen") and not (_num(years) and years >= choice.value):
            out.add(cohort, path + ("chosen",), "error", "cohort.trainer-choice",
                    _("a listener may choose a teacher with at least {need} years of experience in the profile; "
                      "trainer {name} has {got}").format(
                        need=choice.value, name=t.get("name"),
                        got=_("{years} years").format(years=years) if _num(years) else _("no experience_years")),
                    choice)


# -- staged courses -----------------------------------------------------------------------------------

def _stages(ds: Dataset, facts: Facts, out: _Out):
    """A staged programme (``stages: N``): each cohort names its stage 1..N; with the rule
    ``staged_yearly`` (Order 95 p. 23) a teacher takes stage k+1 in the calendar year after stage k."""
    by_person: dict[tuple, list] = defaultdict(list)  # (programme, iin) -> [(stage, year, lf)]
    for cohort in ds.cohorts.values():
        prog = ds.programmes.get(cohort.data.get("programme"))
        if prog is None:
            continue
        stages, stage = prog.data.get("stages"), cohort.data.get("stage")
        if stages is None and stage is not None:
            out.add(cohort, ("stage",), "error", "cohort.stage",
                    _("programme {programme} is not staged; remove stage").format(programme=prog.id))
        elif stages is not None and stage is None:
            out.add(cohort, ("programme",), "error", "cohort.stage",
                    _("programme {programme} is taught in {stages} stages; add stage").format(programme=prog.id, stages=stages))
        elif stages is not None and stage > stages:
            out.add(cohort, ("stage",), "error", "cohort.stage",
                    _("stage {stage} of a programme of {stages} stages").format(stage=stage, stages=stages))
    for lf in facts.listeners:
        stage, start = lf.cohort.data.get("stage"), lf.cohort.data.get("start")
        if lf.programme is None or not isinstance(stage, int) or not isinstance(start, dt.date):
            continue
        if isinstance(lf.data.get("iin"), str):
            by_person[(lf.programme.id, lf.data["iin"])].append((stage, start.year, lf))
    for (_prog, _iin), taken in sorted(by_person.items()):
        taken.sort(key=lambda x: (x[0], x[1]))
        for (s1, y1, _lf1), (s2, y2, lf2) in zip(taken, taken[1:]):
            rule = lf2.rules.staged_yearly if lf2.rules else None
            if rule is None or not rule.value or s2 != s1 + 1:
                continue
            if y2 != y1 + 1:
                out.add(lf2.cohort, lf2.path, "error", "listener.stage-year",
                        _("stage {stage} in {year}, but stage {previous} was in {previous_year}: "
                          "the stages of a staged course are taken one a year").format(
                            stage=s2, year=y2, previous=s1, previous_year=y1), rule)


# -- listeners ----------------------------------------------------------------------------------------

def _expulsion(lf, out: _Out):
    expelled = lf.data.get("expelled")
    if not isinstance(expelled, dict) or lf.rules is None:
        return
    ground = expelled.get("ground")
    path = lf.path + ("expelled",)
    grounds = lf.rules.expulsion_grounds
    if grounds is not None and isinstance(ground, str) and ground not in grounds.value:
        out.add(lf.cohort, path + ("ground",), "error", "listener.expelled-ground",
                _("'{ground}' is no ground of expulsion at {org}; the grounds are: {allowed}").format(
                    ground=ground, org=lf.cohort.data.get("organisation"), allowed=", ".join(grounds.value)), grounds)
        return
    if ground == "abroad_result" and lf.programme is not None and not lf.programme.data.get("abroad"):
        out.add(lf.cohort, path + ("ground",), "error", "listener.expelled-ground",
                _("expelled for a negative result abroad, but programme {programme} is not abroad").format(
                    programme=lf.programme.id), grounds)
    minimum = lf.rules.attendance_min
    attendance = lf.data.get("attendance")
    if ground == "attendance" and minimum is not None and _num(attendance) and attendance >= minimum.value:
        out.add(lf.cohort, path + ("ground",), "warning", "listener.expelled-attendance",
                _("expelled for attendance, but the recorded attendance {attendance:g} meets the {minimum:g} required").format(
                    attendance=attendance, minimum=minimum.value), grounds)
    repay = lf.rules.expulsion_reimbursement
    if repay is not None and ground in repay.value and expelled.get("reimbursed") is None:
        out.add(lf.cohort, path, "warning", "listener.expelled-reimbursement",
                _("an expulsion on ground '{ground}' obliges the listener to reimburse the costs; "
                  "record the amount as reimbursed").format(ground=ground), repay)


def _repayment(lf, out: _Out):
    staff = lf.data.get("staff")
    if not isinstance(staff, dict) or lf.rules is None or not isinstance(staff.get("left"), dict):
        return
    left = staff["left"]
    paid, day, initiative = staff.get("paid_amount"), left.get("date"), left.get("initiative")
    rule = {"employee": lf.rules.repayment_employee_leaves,
            "employer": lf.rules.repayment_employer_dismisses}.get(initiative)
    start = lf.completed or lf.cohort.data.get("end")
    if rule is None or not _num(paid) or not isinstance(day, dt.date) or not isinstance(start, dt.date):
        return
    months, _rows = work_off(lf.rules.work_off, paid)
    if not months:
        return  # no single row of the work-off table: said by listener.work-off-*
    try:
        due = repayment_due(paid, months, start, day, rule.value)
    except (OverflowError, ValueError):
        return
    repaid = staff.get("repaid")
    path = lf.path + ("staff",)
    if repaid is None and due > 0:
        out.add(lf.cohort, path + ("left",), "warning", "listener.repayment",
                _("left on {date} within the {months}-month work-off period from {start}: {due} tenge are due; "
                  "record them as repaid").format(date=day, months=months, start=start, due=f"{due:,}"), rule)
    elif _num(repaid) and repaid != due:
        out.add(lf.cohort, path + ("repaid",), "error", "listener.repayment",
                _("repaid {repaid} tenge, but {due} are due ({how}: {paid} tenge paid, {months}-month work-off "
                  "period from {start}, left on {date})").format(
                    repaid=f"{repaid:,}", due=f"{due:,}", how=rule.value, paid=f"{paid:,}", months=months,
                    start=start, date=day), rule)
