"""Cross-file and rule checks over the whole dataset.

Schema problems are found per file (see dataset.py); here we check references,
arithmetic that the documents print, and the rules of Order 95 and of each
organisation. Data stays as printed: where a programme's own numbers do not add
up, that is a warning on the programme's line, never a silent fix.
"""

from __future__ import annotations

import datetime as dt

from biliktilik.validate import form_checks
from biliktilik.validate import ledger_checks
from biliktilik.validate import rule_checks
from biliktilik.validate import text_checks
from biliktilik.load.dataset import Dataset, Record
from biliktilik.model.facts import Facts, add_years, fitting_hours_classes, work_off
from biliktilik.findings import Finding
from biliktilik.validate.out import Out as _Out, is_number as _num
from biliktilik.model.certificates import holder_gender
from biliktilik.model.rules import Rule
from biliktilik.i18n import N_, _

_OUTCOME_TEXT = {
    "certificate": N_("a certificate"),
    "internship_certificate": N_("an internship certificate"),
    "reference": N_("a reference of attendance"),
    "expelled": N_("expulsion"),
}


def check(ds: Dataset, facts: Facts) -> list[Finding]:
    out = _Out()
    for org in ds.organisations.values():
        _organisation(ds, facts, org, out)
    for prog in ds.programmes.values():
        _programme(ds, facts, prog, out)
    for cohort in ds.cohorts.values():
        _cohort(ds, facts, cohort, out)
    _listeners(ds, facts, out)
    out.items.extend(ledger_checks.check(ds, facts))  # data/ledger.yaml: issued certificates do not change
    out.items.extend(form_checks.check(ds, facts))  # filled forms the records cannot fill
    out.items.extend(text_checks.check(ds, facts))  # mixed scripts, shares written as percents, non-Latin ids
    out.items.extend(rule_checks.check(ds, facts))  # abroad, work breaks, stages, trainers, expulsion, notices, repayment
    return out.items


# -- organisations ---------------------------------------------------------

def _organisation(ds, facts, org: Record, out: _Out):
    d = org.data
    if d.get("ruleset") not in ds.rulesets and not ds.failed_to_load("ruleset", d.get("ruleset")):
        out.add(org, ("ruleset",), "error", "organisation.ruleset",
                _("unknown rule set '{ruleset}'; expected one of: {value}").format(ruleset=d.get('ruleset'), value=', '.join(sorted(ds.rulesets)) or _('none defined')))
    rules = facts.rules.get(org.id)
    if rules is None:
        return
    for key, rule in rules.items():
        if rule.record is org:
            if rule.source.document not in _documents(ds):
                out.add(org, ("rules", key, "source"), "error", "rule.source",
                        _("'{document}' is no known document; expected {items}").format(document=rule.source.document, items=', '.join(sorted(_documents(ds)))))
    hc = rules.hours_classes
    if hc is not None and hc.record is org:
        for i, c in enumerate(hc.value):
            if _num(c.get("min")) and _num(c.get("max")) and c["min"] > c["max"]:
                out.add(org, ("rules", "hours_classes", "value", i), "error", "rule.hours-class",
                        _("hours class '{id}' has min {min} above max {max}").format(id=c.get('id'), min=c['min'], max=c['max']), hc)
    wo = rules.work_off
    if wo is not None and wo.record is org:
        _work_off_table(org, wo, out)


def _documents(ds):
    docs = {r.data.get("document") for r in ds.rulesets.values()}
    docs |= {o.data.get("document") for o in ds.organisations.values()}
    return {d for d in docs if isinstance(d, str)}


def _work_off_table(org: Record, rule: Rule, out: _Out):
    spans = []
    for i, row in enumerate(rule.value):
        path = ("rules", "work_off", "value", i)
        if "exactly" in row:
            lo = hi = row["exactly"]
        elif "from" in row:
            lo, hi = row["from"], row.get("to", float("inf"))
        elif "above" in row:
            lo, hi = row["above"] + 1, float("inf")
        else:
            out.add(org, path, "error", "rule.work-off", _("row {row} has no amount (exactly, from/to or above)").format(row=row.get('row')), rule)
            continue
        if lo > hi:
            out.add(org, path, "warning", "rule.work-off", _("row {row} runs from {lo:,} down to {hi:,} tenge").format(row=row['row'], lo=lo, hi=hi), rule)
        spans.append((lo, hi, f"{row['row']} (printed «{row.get('printed', '')}»)", path))
    for i, (lo1, hi1, n1, _path1) in enumerate(spans):
        for lo2, hi2, n2, path2 in spans[i + 1:]:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                out.add(org, path2, "warning", "rule.work-off-overlap",
                        _("row {n2} overlaps row {n1}: {lo:,}-{fmt} tenge match both").format(n2=n2, n1=n1, lo=lo, fmt=_fmt(hi)), rule)
    covered = 0  # amounts 1..covered have a row
    for lo, hi, number, path in sorted(spans):
        if lo > covered + 1:
            out.add(org, path, "warning", "rule.work-off-gap",
                    _("{value:,}-{value2:,} tenge match no row (row {number} starts at {lo:,}); the work-off period for these amounts is undefined").format(value=covered + 1, value2=lo - 1, number=number, lo=lo), rule)
        covered = max(covered, hi)


def _fmt(x):
    return _("no limit") if x == float("inf") else f"{x:,}"


# -- programmes ------------------------------------------------------------

def _programme(ds, facts, prog: Record, out: _Out):
    d = prog.data
    org_id = d.get("organisation")
    if org_id not in ds.organisations and not ds.failed_to_load("organisation", org_id):
        out.add(prog, ("organisation",), "error", "programme.organisation",
                _("unknown organisation '{org_id}'; expected one of: {items}").format(org_id=org_id, items=', '.join(sorted(ds.organisations))))
    rules = facts.rules.get(org_id)
    hours = d.get("hours")
    plan = d.get("thematic_plan") or {}
    modules = [m for m in plan.get("modules") or [] if isinstance(m, dict)]

    # the thematic plan's own arithmetic
    for mi, module in enumerate(modules):
        mpath = ("thematic_plan", "modules", mi)
        topics = [t for t in module.get("topics") or [] if isinstance(t, dict)]
        for ti, topic in enumerate(topics):
            _cells(prog, mpath + ("topics", ti), topic, _("topic {number}").format(number=topic.get('number')), out)
        _cells(prog, mpath, module, _("module {number}").format(number=module.get('number')), out)
        if topics and _num(module.get("hours")):
            total = sum(t["hours"] for t in topics if _num(t.get("hours")))
            if total != module["hours"]:
                out.add(prog, mpath + ("hours",), "warning", "programme.module-hours",
                        _("module {number} prints {hours} hours but its topics add up to {total}").format(number=module.get('number'), hours=module['hours'], total=total))
    total = plan.get("total")
    module_sum = sum(m["hours"] for m in modules if _num(m.get("hours")))
    if isinstance(total, dict):
        _cells(prog, ("thematic_plan", "total"), total, _("the total row"), out)
        if _num(total.get("hours")) and total["hours"] != module_sum:
            out.add(prog, ("thematic_plan", "total", "hours"), "warning", "programme.total-hours",
                    _("the total row prints {hours} hours but the modules add up to {module_sum}").format(hours=total['hours'], module_sum=module_sum))
        cells = [m.get("hour_cells") for m in modules]
        if isinstance(total.get("hour_cells"), list) and all(isinstance(c, list) for c in cells):
            printed, summed = sum(total["hour_cells"]), sum(sum(c) for c in cells)
            if printed != summed:
                out.add(prog, ("thematic_plan", "total", "hour_cells"), "warning", "programme.total-cells",
                        _("the total row's hour columns add up to {printed} but the modules' hour columns add up to {summed}").format(printed=printed, summed=summed))
    if _num(hours) and modules and module_sum != hours:
        out.add(prog, ("hours",), "warning", "programme.hours",
                _("the programme is {hours} hours but its modules add up to {module_sum}").format(hours=hours, module_sum=module_sum))

    # hours against the organisation's hours classes and course kinds
    if rules is not None and _num(hours):
        _hours_class(prog, rules, out)
        kinds = rules.course_hours
        if kinds is not None:
            by_kind = {k["kind"]: k["hours"] for k in kinds.value}
            ck = d.get("course_kind")
            if ck is None:
                out.add(prog, ("hours",), "error", "programme.course-kind",
                        _("{org_id} runs only these courses: {items}; add course_kind").format(org_id=org_id, items=', '.join((f'{k} ({h} h)' for k, h in by_kind.items()))), kinds)
            elif ck not in by_kind:
                out.add(prog, ("course_kind",), "error", "programme.course-kind",
                        _("unknown course kind '{ck}'; expected one of: {items}").format(ck=ck, items=', '.join(by_kind)), kinds)
            elif by_kind[ck] != hours:
                out.add(prog, ("hours",), "error", "programme.course-hours",
                        _("a {ck} course is {by_kind} academic hours, not {hours}").format(ck=ck, by_kind=by_kind[ck], hours=hours), kinds)
        allowed = rules.formats
        if allowed is not None:
            for i, f in enumerate(d.get("formats") or []):
                base = "full_time" if f == "one_week" else f
                if base not in allowed.value:
                    out.add(prog, ("formats", i), "error", "programme.format",
                            _("format '{f}' is not one of the organisation's formats: {items}").format(f=f, items=', '.join(allowed.value)), allowed)

    # delivery variants
    delivery = d.get("delivery") or {}
    blended = delivery.get("blended")
    if isinstance(blended, dict) and _num(hours):
        parts = [blended.get(k) for k in ("full_time", "distance", "self_study")]
        if all(_num(p) for p in parts) and sum(parts) != hours:
            out.add(prog, ("delivery", "blended"), "warning", "programme.blended",
                    _("the blended split {parts} + {parts2} + {parts3} = {sum} hours, not the programme's {hours}").format(parts=parts[0], parts2=parts[1], parts3=parts[2], sum=sum(parts), hours=hours))
    full = delivery.get("full_time")
    if isinstance(full, dict) and _num(full.get("hours")) and _num(hours) and full["hours"] != hours:
        out.add(prog, ("delivery", "full_time", "hours"), "warning", "programme.full-time",
                _("the full-time variant is {hours} hours, the programme {hours2}").format(hours=full['hours'], hours2=hours))
    one_week = delivery.get("one_week")
    if isinstance(one_week, dict) and _num(one_week.get("hours_factor")) and _num(hours) and rules is not None:
        short = hours * one_week["hours_factor"]
        if short != int(short):
            out.add(prog, ("delivery", "one_week", "hours_factor"), "warning", "programme.one-week",
                    _("the one-week variant gives {short:g} hours, not a whole number").format(short=short))

    _final_test(prog, modules, out)
    assessment = d.get("assessment") or {}
    mini = assessment.get("mini_lesson")
    if isinstance(mini, dict) and _num(mini.get("max_per_criterion")):
        criteria = mini.get("criteria") or []
        attainable = mini["max_per_criterion"] * len(criteria) if criteria else None
        _scale(prog, ("assessment", "mini_lesson", "scale"), mini.get("scale"), attainable, _("mini-lesson"), out)
    project = assessment.get("project")
    if isinstance(project, dict):
        _scale(prog, ("assessment", "project", "scale"), project.get("scale"), project.get("max_score"), _("project"), out)
    for key in ("languages", "formats"):
        values = d.get(key) or []
        if len(set(values)) != len(values):
            out.add(prog, (key,), "warning", f"programme.{key}", _("{key} lists a value twice").format(key=key))


def _cells(record, path, row, what, out):
    cells, hours = row.get("hour_cells"), row.get("hours")
    if isinstance(cells, list) and cells and _num(hours) and all(_num(c) for c in cells):
        if sum(cells) != hours:
            out.add(record, path + ("hours",), "warning", "programme.row-hours",
                    _("{what} prints hour columns {items} = {sum} but a total of {hours}").format(what=what, items=' + '.join(map(str, cells)), sum=sum(cells), hours=hours))


def _hours_class(prog: Record, rules, out):
    d = prog.data
    hc = rules.hours_classes
    if hc is None or fitting_hours_classes(d, rules):
        return
    kind, abroad = d.get("kind", "course"), bool(d.get("abroad"))
    classes = [c for c in hc.value if c.get("kind") == kind and bool(c.get("abroad")) == abroad]
    described = "; ".join(_describe_class(c) for c in classes) or _("none")
    what = ((_("an internship abroad") if abroad else _("an internship")) if kind == "internship"
            else (_("a course abroad") if abroad else _("a course")))
    out.add(prog, ("hours",), "error", "programme.hours-class",
            _("{hours} academic hours fits no hours class of {organisation} for {what} ({described})").format(hours=d['hours'], organisation=d.get('organisation'), what=what, described=described), hc)


def _describe_class(c):
    if "min" in c and "max" in c:
        return _("{id}: {min}-{max} h").format(id=c['id'], min=c['min'], max=c['max'])
    if "min" in c:
        return _("{id}: at least {min} h").format(id=c['id'], min=c['min'])
    if "above" in c:
        return _("{id}: over {above} h").format(id=c['id'], above=c['above'])
    if "max" in c:
        return _("{id}: up to {max} h").format(id=c['id'], max=c['max'])
    if "max_months" in c:
        return _("{id}: up to {max_months} months").format(id=c['id'], max_months=c['max_months'])
    return c.get("id", "?")


def _final_test(prog: Record, modules, out):
    ft = prog.data.get("final_test")
    if not isinstance(ft, dict):
        return
    by_number = {str(m.get("number")): m for m in modules}
    dist = [r for r in ft.get("distribution") or [] if isinstance(r, dict)]
    for i, row in enumerate(dist):
        module = by_number.get(str(row.get("module")))
        path = ("final_test", "distribution", i)
        if module is None:
            out.add(prog, path + ("module",), "warning", "programme.test-module",
                    _("the test distribution names module {module}, which is not in the thematic plan").format(module=row.get('module')))
        elif _num(row.get("hours")) and _num(module.get("hours")) and row["hours"] != module["hours"]:
            out.add(prog, path + ("hours",), "warning", "programme.test-hours",
                    _("the test distribution gives module {module} {hours} hours; the thematic plan gives it {hours2}").format(module=row['module'], hours=row['hours'], hours2=module['hours']))
    if dist:
        questions = sum(r["questions"] for r in dist if _num(r.get("questions")))
        if _num(ft.get("total_questions")) and questions != ft["total_questions"]:
            out.add(prog, ("final_test", "total_questions"), "warning", "programme.test-total",
                    _("the test distribution's questions add up to {questions}, but its total prints {total_questions}").format(questions=questions, total_questions=ft['total_questions']))
        hours = sum(r["hours"] for r in dist if _num(r.get("hours")))
        plan_hours = sum(m["hours"] for m in modules if _num(m.get("hours")))
        if hours != plan_hours:
            out.add(prog, ("final_test", "distribution"), "warning", "programme.test-hours-total",
                    _("the test distribution's hours add up to {hours}, the thematic plan's to {plan_hours}").format(hours=hours, plan_hours=plan_hours))
        if _num(ft.get("items")) and _num(ft.get("total_questions")) and ft["items"] != ft["total_questions"]:
            out.add(prog, ("final_test", "items"), "warning", "programme.test-items",
                    _("the test has {items} items by the task-bank rule but the distribution table totals {total_questions}").format(items=ft['items'], total_questions=ft['total_questions']))
    topics = sum(len(m.get("topics") or []) for m in modules)
    if _num(ft.get("items_per_topic")) and _num(ft.get("items")) and topics:
        expected = ft["items_per_topic"] * topics
        if expected != ft["items"]:
            out.add(prog, ("final_test", "items"), "warning", "programme.test-bank",
                    _("{items_per_topic} items for each of the {topics} topics is {expected} items, not {items}").format(items_per_topic=ft['items_per_topic'], topics=topics, expected=expected, items=ft['items']))


def _scale(record, path, scale, attainable, what, out):
    if not isinstance(scale, list):
        return
    rows = []
    for i, r in enumerate(scale):
        if isinstance(r, dict) and _num(r.get("min")) and _num(r.get("max")):
            if r["min"] > r["max"]:
                out.add(record, path + (i,), "warning", "programme.scale",
                        _("the {what} scale's grade {grade} runs from {min} down to {max}").format(what=what, grade=r.get('grade'), min=r['min'], max=r['max']))
            rows.append((r["min"], r["max"], r.get("grade"), i))
    rows.sort()
    for (lo1, hi1, g1, _i1), (lo2, hi2, g2, i2) in zip(rows, rows[1:]):
        if lo2 <= hi1:
            out.add(record, path + (i2,), "warning", "programme.scale-overlap",
                    _("the {what} scale gives {lo2}-{min} points both grade {g1} and grade {g2}").format(what=what, lo2=lo2, min=min(hi1, hi2), g1=g1, g2=g2))
        elif lo2 > hi1 + 1:
            out.add(record, path + (i2,), "warning", "programme.scale-gap",
                    _("the {what} scale gives no grade for {value}-{value2} points (between grades {g1} and {g2})").format(what=what, value=hi1 + 1, value2=lo2 - 1, g1=g1, g2=g2))
    if rows and _num(attainable):
        top = max(rows, key=lambda r: r[1])
        if top[1] > attainable:
            out.add(record, path + (top[3],), "warning", "programme.scale-max",
                    _("the {what} scale reaches {top} points, but at most {attainable} can be scored").format(what=what, top=top[1], attainable=attainable))
        elif top[1] < attainable:
            out.add(record, path + (top[3],), "warning", "programme.scale-max",
                    _("the {what} scale stops at {top} points, but {attainable} can be scored").format(what=what, top=top[1], attainable=attainable))


# -- cohorts ---------------------------------------------------------------

def _cohort(ds, facts: Facts, cohort: Record, out: _Out):
    c = cohort.data
    prog = ds.programmes.get(c.get("programme"))
    if prog is None and not ds.failed_to_load("programme", c.get("programme")):
        out.add(cohort, ("programme",), "error", "cohort.programme",
                _("unknown programme '{programme}'; expected one of: {items}").format(programme=c.get('programme'), items=', '.join(sorted(ds.programmes))))
    org_id = c.get("organisation")
    if org_id not in ds.organisations and not ds.failed_to_load("organisation", org_id):
        out.add(cohort, ("organisation",), "error", "cohort.organisation",
                _("unknown organisation '{org_id}'; expected one of: {items}").format(org_id=org_id, items=', '.join(sorted(ds.organisations))))
    rules = facts.rules.get(org_id)
    start, end = c.get("start"), c.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        out.add(cohort, ("end",), "error", "cohort.dates", _("the cohort ends ({end}) before it starts ({start})").format(end=end, start=start))
    deadline = c.get("application_deadline")
    if isinstance(deadline, dt.date) and isinstance(start, dt.date) and deadline > start:
        out.add(cohort, ("application_deadline",), "error", "cohort.deadline",
                _("the application deadline {deadline} is after the start {start}").format(deadline=deadline, start=start))
    if prog is not None:
        p = prog.data
        fmt = c.get("format")
        if isinstance(fmt, str) and fmt not in (p.get("formats") or []):
            out.add(cohort, ("format",), "error", "cohort.format",
                    _("programme {id} is not taught '{fmt}'; expected one of: {items}").format(id=prog.id, fmt=fmt, items=', '.join(p.get('formats') or [])))
        lang = c.get("language")
        if isinstance(lang, str) and lang not in (p.get("languages") or []):
            out.add(cohort, ("language",), "error", "cohort.language",
                    _("programme {id} is not taught in '{lang}'; expected one of: {items}").format(id=prog.id, lang=lang, items=', '.join(p.get('languages') or [])))
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end >= start and _num(p.get("hours")) and rules:
            hours = p["hours"] * (0.5 if c.get("format") == "one_week" else 1)
            days = (end - start).days + 1
            minutes = rules.value("academic_hour_minutes", 45)
            if hours * minutes > days * 24 * 60:
                out.add(cohort, ("end",), "error", "cohort.duration",
                        _("{hours:g} academic hours of {minutes} minutes cannot fit in {days} day(s)").format(hours=hours, minutes=minutes, days=days), rules.academic_hour_minutes)
    listeners = [l for l in c.get("listeners") or [] if isinstance(l, dict)]
    seats = c.get("seats")
    if _num(seats) and len(listeners) > seats:
        out.add(cohort, ("seats",), "warning", "cohort.seats", _("{count} listeners for {seats} seats").format(count=len(listeners), seats=seats))
    if rules is not None:
        minimum = rules.group_min_applications
        kind = c.get("group", "group")
        if minimum is not None and kind == "group" and len(listeners) < minimum.value:
            out.add(cohort, ("listeners",) if "listeners" in c else ("id",), "error", "cohort.group-minimum",
                    _("a group course needs at least {value} applications; this cohort has {count} (or mark it group: individual)").format(value=minimum.value, count=len(listeners)), minimum)
        if minimum is not None and kind == "individual" and len(listeners) > 1:
            out.add(cohort, ("group",), "error", "cohort.individual",
                    _("an individual course has one listener; this cohort has {count}").format(count=len(listeners)), minimum)
    seen_ids, seen_iins = {}, {}
    for i, l in enumerate(listeners):
        lid, iin = l.get("id"), l.get("iin")
        if lid in seen_ids:
            out.add(cohort, ("listeners", i, "id"), "error", "listener.duplicate-id",
                    _("listener id '{lid}' is already used in this cohort (listener {value})").format(lid=lid, value=seen_ids[lid] + 1))
        else:
            seen_ids[lid] = i
        if isinstance(iin, str):
            if iin in seen_iins:
                out.add(cohort, ("listeners", i, "iin"), "error", "listener.duplicate-iin",
                        _("the same IIN is already listed for '{seen_iins}' in this cohort").format(seen_iins=seen_iins[iin]))
            else:
                seen_iins[iin] = lid


def _listeners(ds, facts: Facts, out: _Out):
    modules_of: dict[str, list[str]] = {}  # programme id -> its module numbers
    for lf in facts.listeners:
        cohort, l, path = lf.cohort, lf.data, lf.path
        c = cohort.data
        test = l.get("final_test")
        if isinstance(test, dict) and _num(test.get("score")) and _num(test.get("max")) and test["score"] > test["max"]:
            out.add(cohort, path + ("final_test", "score"), "error", "listener.final-test-score",
                    _("score {score:g} is above the maximum {max:g}").format(score=test['score'], max=test['max']))
        end = c.get("end")
        recorded = l.get("outcome")
        if recorded is not None and isinstance(end, dt.date) and end > facts.today and lf.outcome != "expelled":
            out.add(cohort, path + ("outcome",), "warning", "listener.outcome-early",
                    _("an outcome is recorded but the cohort ends on {end}").format(end=end))
        if recorded is not None and lf.outcome is None:
            out.add(cohort, path + ("outcome",), "error", "listener.outcome",
                    _("outcome '{recorded}' is recorded without the attendance and final test it rests on").format(recorded=recorded))
        elif recorded is not None and recorded != lf.outcome:
            if lf.failures and recorded in ("certificate", "internship_certificate"):
                for f in lf.failures:
                    out.add(cohort, path + f.path, "error", f.code, f.message + _("; the recorded outcome '{recorded}' is wrong").format(recorded=recorded), f.rule)
            else:
                rule = lf.rules.attendance_min if lf.rules else None
                out.add(cohort, path + ("outcome",), "error", "listener.outcome",
                        _("outcome '{recorded}' does not follow from the record, which gives {get}").format(recorded=recorded, get=_(_OUTCOME_TEXT.get(lf.outcome, lf.outcome))),
                        rule)
        elif recorded is None and lf.outcome is not None and isinstance(end, dt.date) and end <= facts.today:
            out.add(cohort, path, "warning", "listener.outcome-missing",
                    _("the record gives {outcome_text}; record it as outcome: {outcome}").format(outcome_text=_(_OUTCOME_TEXT[lf.outcome]), outcome=lf.outcome))
        expelled = l.get("expelled")
        if isinstance(expelled, dict) and isinstance(expelled.get("date"), dt.date):
            start = c.get("start")
            if isinstance(start, dt.date) and isinstance(end, dt.date) and not start <= expelled["date"] <= end:
                out.add(cohort, path + ("expelled", "date"), "error", "listener.expelled-date",
                        _("expelled on {date}, outside the cohort's dates {start} - {end}").format(date=expelled['date'], start=start, end=end))
        _grades(lf, out, modules_of)
        _internship(lf, out)
        _retake(ds, facts, lf, out)
        _staff_checks(lf, facts, out)
        cert = l.get("certificate")
        # asked before issuing too: a listener who passed gets a certificate from `issue`, which
        # must not leave data that no longer validate (issue 11)
        if (isinstance(cert, dict) or lf.passed) and holder_gender(l) is None:
            out.add(cohort, path + ("name",), "error", "listener.gender",
                    _("neither the patronymic nor the IIN tells whether the certificate says прошёл or прошла; add gender: f or gender: m to the listener"))
        if isinstance(cert, dict) and not lf.passed and not (lf.failures and recorded in ("certificate", "internship_certificate")):  # else said above
            out.add(cohort, path + ("certificate",), "error", "listener.certificate",
                    _("a certificate is recorded but the record gives {get}").format(get=_(_OUTCOME_TEXT.get(lf.outcome, N_('no outcome yet')))))


def _module_numbers(programme: Record) -> list[str]:
    return [str(m.get("number")) for m in (programme.data.get("thematic_plan") or {}).get("modules") or []
            if isinstance(m, dict)]


def _grades(lf, out, modules_of: dict):
    grades = lf.data.get("grades")
    if lf.programme is None:
        return
    modules = modules_of.get(lf.programme.id)
    if modules is None:
        modules = modules_of[lf.programme.id] = _module_numbers(lf.programme)
    if isinstance(grades, dict):
        for key in grades:
            if str(key) not in modules:
                out.add(lf.cohort, lf.path + ("grades", key), "error", "listener.grades",
                        _("grade for module {key}, which programme {id} does not have; modules: {items}").format(key=key, id=lf.programme.id, items=', '.join(modules)),
                        of_key=True)
    if lf.outcome == "certificate":
        missing = [m for m in modules if not isinstance(grades, dict) or m not in grades]
        if missing:
            out.add(lf.cohort, lf.path + (("grades",) if isinstance(grades, dict) else ("id",)), "error", "listener.grades-missing",
                    _("the certificate annex needs a grade for every module; missing: {items}").format(items=', '.join(missing)))


def _internship(lf, out):
    internship = lf.data.get("internship")
    if lf.programme is None:
        return
    is_internship = lf.programme.data.get("kind") == "internship"
    if isinstance(internship, dict) and not is_internship:
        out.add(lf.cohort, lf.path + ("internship",), "error", "listener.internship",
                _("an internship is recorded but programme {id} is not an internship").format(id=lf.programme.id), of_key=True)
    if isinstance(internship, dict):
        a, b = internship.get("from"), internship.get("to")
        if isinstance(a, dt.date) and isinstance(b, dt.date) and b < a:
            out.add(lf.cohort, lf.path + ("internship", "to"), "error", "listener.internship-dates",
                    _("the internship ends ({b}) before it starts ({a})").format(b=b, a=a))


def _retake(ds, facts: Facts, lf, out):
    ref = lf.data.get("retake_of")
    if not isinstance(ref, str):
        return
    original = facts.by_ref.get(ref)
    path = lf.path + ("retake_of",)
    if original is None and facts.blocked_ref(ref):
        return  # the original's cohort (or what it needs) failed to load: reported at that file
    if original is None:
        out.add(lf.cohort, path, "error", "listener.retake-of", _("'{ref}' names no listener (expected cohort-id/listener-id)").format(ref=ref))
        return
    if original.data.get("iin") != lf.data.get("iin"):
        out.add(lf.cohort, path, "error", "listener.retake-person", _("'{ref}' is another person (the IINs differ)").format(ref=ref))
    rule = lf.rules.reassessment_per_year if lf.rules else None
    if original.passed:
        out.add(lf.cohort, path, "error", "listener.retake-passed", _("'{ref}' already passed; no re-assessment is needed").format(ref=ref), rule)
        return
    if original.outcome == "expelled":
        out.add(lf.cohort, path, "warning", "listener.retake-expelled", _("'{ref}' was expelled; a re-take needs a new agreement").format(ref=ref))
    start = lf.cohort.data.get("start")
    if original.completed and isinstance(start, dt.date) and start <= original.completed:
        out.add(lf.cohort, path, "error", "listener.retake-early",
                _("the re-take starts {start}, before the original course ended ({completed})").format(start=start, completed=original.completed))
    # Order 95 p. 31.1, Conservatory p. 5.7: at most N re-assessments a year; no limit on how long after
    # the course. "A year": any two re-assessments starting less than a year apart fall in one year.
    if rule is not None and isinstance(start, dt.date):
        others = sorted(o.cohort.data.get("start") for o in facts.retakes_of(ref)
                        if isinstance(o.cohort.data.get("start"), dt.date))
        within = [s for s in others if s < add_years(start, 1) and start < add_years(s, 1)]
        if len(within) > rule.value:
            out.add(lf.cohort, path, "error", "listener.retake-count",
                    _("{count} re-assessments of '{ref}' within a year; at most {value} a year").format(count=len(within), ref=ref, value=rule.value), rule)


def _staff_checks(lf, facts: Facts, out):
    staff = lf.data.get("staff")
    if not isinstance(staff, dict) or lf.rules is None:
        return
    rule = lf.rules.work_off
    paid = staff.get("paid_amount")
    if rule is not None and _num(paid) and paid > 0:
        months, rows = work_off(rule, paid)
        if not rows:
            out.add(lf.cohort, lf.path + ("staff", "paid_amount"), "warning", "listener.work-off-undefined",
                    _("the work-off table has no row for {paid:,} tenge; the period must be agreed in the training agreement").format(paid=paid), rule)
        elif months is None:
            out.add(lf.cohort, lf.path + ("staff", "paid_amount"), "warning", "listener.work-off-ambiguous",
                    _("{paid:,} tenge matches rows {items} of the work-off table, which give different periods").format(paid=paid, items=', '.join(map(str, rows))), rule)
