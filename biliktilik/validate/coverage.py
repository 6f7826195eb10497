"""How much of the four texts is enforced: every paragraph that states a rule, classified.

A paragraph is counted once per document (its anchor), in one of these states:

- ``checked``: a rule citing it is checked by the validator (a finding code) or computed from the
  records (a date, a deadline, a period) -- :data:`APPLIED`;
- ``printed``: a rule citing it is only printed (on certificates, forms, pages), nothing to check;
- ``not_checkable``: listed under the owner record's ``paragraphs`` with ``checkable: false`` and a
  reason (a duty of conduct, another body's duty, ...): the regulation page marks it;
- ``not_encoded``: listed with ``encoded: false``: the records could show it, no rule says it yet.

"Matching the text" is a test per checked rule: pytest functions marked
``@pytest.mark.rule("<rule key>", ...)`` under ``tests/`` (found by reading the test files, not by
running them). The owner record of a document is the rule set or organisation whose ``document``
it is; ``paragraphs`` holds the anchors of that document.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from biliktilik.load.dataset import Dataset
from biliktilik.model.rules import citations, rules_of
from biliktilik.validate import rule_checks

# rule key -> (how the records are held to it, the finding codes or the fact that applies it)
APPLIED: dict[str, tuple[str, str]] = {
    "academic_hour_minutes": ("check", "cohort.duration"),
    "hours_classes": ("check", "programme.hours-class"),
    "formats": ("check", "programme.format"),
    "attendance_min": ("check", "listener.attendance"),
    "final_test_min": ("check", "listener.final-test"),
    "reassessment_per_year": ("check", "listener.retake-count"),
    "group_min_applications": ("check", "cohort.group-minimum, cohort.individual"),
    "course_hours": ("check", "programme.course-kind, programme.course-hours"),
    "work_off": ("check", "rule.work-off*, listener.work-off-*"),
    "certificate_validity_years": ("compute", "facts.certificate_validity"),
    "certificate_validity_from": ("compute", "facts.certificate_validity"),
    "post_course_support_months": ("compute", "facts.post_course_support"),
    "post_course_report_due_months": ("compute", "facts post_course_report_due"),
    "monitoring_interval_years": ("compute", "facts monitoring"),
    "applications_due": ("compute", "facts.planning_deadlines"),
    "district_plans_due": ("compute", "facts.planning_deadlines"),
    "regional_plans_due": ("compute", "facts.planning_deadlines"),
    "staff_plan_due": ("compute", "facts.planning_deadlines"),
    "listener_lists_months_before": ("compute", "facts.cohort_deadlines"),
    "nobd_working_days": ("compute", "facts.cohort_deadlines"),
    "staff_obligations": ("compute", "facts.staff_due"),
    "certificate_signer": ("print", "certificates"),
    "certificate_seal": ("print", "certificates"),
    "certificate_qr": ("print", "certificates"),
    "certificate_shows_hours": ("print", "certificates"),
    "post_course_plan": ("print", "forms"),
    "trainer_requirements": ("print", "organisation pages"),
    "competence_groups": ("print", "organisation pages"),
    **{key: ("check", ", ".join(codes)) for key, codes in rule_checks.CHECKED.items()},
}

STATES = ("checked", "printed", "not_checkable", "not_encoded")


@dataclass
class Paragraph:
    document: str
    anchor: str
    state: str  # one of STATES
    keys: list[str] = field(default_factory=list)  # the rules citing it
    reason: str | None = None  # why not checkable (an id of templates/regulation/labels.yaml `reasons`)
    note: str | None = None
    tests: list[str] = field(default_factory=list)  # tests/<file>::<function> marked with its rules

    @property
    def matching(self) -> bool:
        """A checked paragraph whose every checked rule has at least one test."""
        return self.state == "checked" and bool(self.tests) and all(
            self._tested.get(k) for k in self.keys if APPLIED.get(k, ("",))[0] in ("check", "compute"))

    _tested: dict = field(default_factory=dict, repr=False)


@dataclass
class Coverage:
    paragraphs: list[Paragraph]
    unknown_keys: list[str]  # rule keys in the data that APPLIED does not name

    def counts(self, document: str | None = None) -> dict[str, int]:
        """{"in_texts", "encoded", "checked", "printed", "not_checkable", "not_encoded", "matching"} for one
        document or all."""
        ps = [p for p in self.paragraphs if document is None or p.document == document]
        out = {"in_texts": len(ps)}
        out["encoded"] = sum(p.state != "not_encoded" for p in ps)
        for s in STATES:
            out[s] = sum(p.state == s for p in ps)
        out["matching"] = sum(p.matching for p in ps)
        return out

    @property
    def documents(self) -> list[str]:
        return sorted({p.document for p in self.paragraphs})


def marked_tests(tests_dir: Path) -> dict[str, list[str]]:
    """rule key -> ["tests/test_x.py::test_name", ...]: test functions decorated with
    ``@pytest.mark.rule("key", ...)`` in ``tests_dir/test_*.py`` (read with ast, not run)."""
    out: dict[str, list[str]] = {}
    for path in sorted(Path(tests_dir).glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
                continue
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "rule"
                        and isinstance(deco.func.value, ast.Attribute) and deco.func.value.attr == "mark"):
                    for arg in deco.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            out.setdefault(arg.value, []).append(f"tests/{path.name}::{node.name}")
    return out


def compute(ds: Dataset, tests_dir: Path | None = None) -> Coverage:
    """Classify every paragraph the rule sets and organisations cite or list (see the module's text).
    A paragraph cited by a rule and also listed under ``paragraphs`` counts by its rule."""
    cites = citations(ds)
    tested = marked_tests(tests_dir) if tests_dir is not None and Path(tests_dir).is_dir() else {}
    found: dict[tuple[str, str], Paragraph] = {}
    unknown: set[str] = set()
    records = sorted(ds.rulesets.values(), key=lambda r: r.id) + sorted(ds.organisations.values(), key=lambda r: r.id)
    for rec in records:
        for key, rule in sorted(rules_of(rec, cites).items()):
            how = APPLIED.get(key)
            if how is None:
                unknown.add(key)
                continue
            state = "checked" if how[0] in ("check", "compute") else "printed"
            p = found.setdefault((rule.source.document, rule.source.anchor),
                                 Paragraph(rule.source.document, rule.source.anchor, state))
            if state == "checked":
                p.state = "checked"
            if key not in p.keys:
                p.keys.append(key)
    for rec in records:
        own = rec.data.get("document") or rec.id
        for entry in rec.data.get("paragraphs") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
                continue
            doc, _, anchor = entry["source"].rpartition("#")
            doc = doc or own
            if (doc, anchor) in found:
                continue
            key = entry.get("rule")
            if isinstance(key, str) and key in APPLIED:
                state = "checked" if APPLIED[key][0] in ("check", "compute") else "printed"
                found[(doc, anchor)] = Paragraph(doc, anchor, state, keys=[key], note=entry.get("note"))
                continue
            if isinstance(key, str):
                unknown.add(key)
            state = "not_checkable" if entry.get("checkable") is False else "not_encoded"
            found[(doc, anchor)] = Paragraph(doc, anchor, state, reason=entry.get("reason"), note=entry.get("note"))
    for p in found.values():
        p._tested = {k: tested.get(k, []) for k in p.keys}
        p.tests = sorted({t for k in p.keys for t in tested.get(k, [])})
    ordered = sorted(found.values(), key=lambda p: (p.document, _anchor_key(p.anchor)))
    return Coverage(ordered, sorted(unknown))


def _anchor_key(anchor: str):
    parts = []
    for piece in anchor.split("-"):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append((piece.rstrip("0123456789"), int(digits) if digits else -1, piece))
    return parts


def not_checkable(ds: Dataset) -> dict[tuple[str, str], str]:
    """(document, anchor) -> reason id of every paragraph marked ``checkable: false`` and cited by no rule
    (what the regulation pages mark "not checkable from the records")."""
    cov = compute(ds)
    return {(p.document, p.anchor): p.reason or "" for p in cov.paragraphs if p.state == "not_checkable"}
