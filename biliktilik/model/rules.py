"""Effective rule sets: Order 95's defaults overridden by an organisation's own rules.

Every rule keeps where it comes from, so a finding or a page can cite it
("Order 95, p. 24.3") and link to the paragraph (``regulations/order-95/#p24-3``).
No number from the regulations lives in Python: they are all in data/rulesets and
data/organisations.
"""

from __future__ import annotations

from dataclasses import dataclass

from biliktilik.load.dataset import Dataset, Record


@dataclass(frozen=True)
class Source:
    document: str  # e.g. order-95
    anchor: str  # e.g. p24-3
    citation: str  # e.g. Order 95

    @property
    def paragraph(self) -> str:
        """p24-3 -> 24.3; annex-4 -> Annex 4; p7-14b (a number printed twice, its second) -> 7.14 (2), as
        the regulation pages cite it (regulation_text.display_number)."""
        if self.anchor.startswith("annex-"):
            return "Annex " + self.anchor[6:].replace("-", ".")
        if self.anchor[:1] == "p" and self.anchor.endswith("b") and self.anchor[1:-1].replace("-", "").isdigit():
            return self.anchor[1:-1].replace("-", ".") + " (2)"
        return self.anchor.lstrip("ps").replace("-", ".")

    def __str__(self) -> str:
        if self.anchor.startswith("annex-"):
            return f"{self.citation}, {self.paragraph}"
        return f"{self.citation}, p. {self.paragraph}"

    @property
    def href(self) -> str:
        return f"regulations/{self.document}/#{self.anchor}"


@dataclass(frozen=True)
class Rule:
    key: str
    value: object
    source: Source
    record: Record  # where the rule is written (ruleset or organisation)

    def __str__(self):
        return str(self.source)


class Rules:
    """The effective rules of one organisation; ``rules.attendance_min.value``."""

    def __init__(self, rules: dict[str, Rule]):
        self._rules = rules

    def __getattr__(self, key) -> Rule | None:
        if key.startswith("_"):
            raise AttributeError(key)
        return self._rules.get(key)

    def get(self, key):
        return self._rules.get(key)

    def value(self, key, default=None):
        rule = self._rules.get(key)
        return rule.value if rule is not None else default

    def items(self):
        return sorted(self._rules.items())


def citations(ds: Dataset) -> dict[str, str]:
    """document id -> its short citation, from rule sets and organisations."""
    out = {}
    for rec in list(ds.rulesets.values()) + list(ds.organisations.values()):
        doc, cite = rec.data.get("document"), rec.data.get("citation")
        if isinstance(doc, str) and isinstance(cite, str):
            out.setdefault(doc, cite)
    return out


def _source(text: str, record: Record, cites: dict[str, str]) -> Source:
    own = record.data.get("document") or record.id
    doc, _, anchor = text.rpartition("#")
    doc = doc or own
    return Source(doc, anchor, cites.get(doc, doc))


def rules_of(record: Record, cites) -> dict[str, Rule]:
    """{rule key: Rule} written by one rule-set or organisation record, each with its source
    paragraph resolved through ``cites`` (see :func:`citations`)."""
    out = {}
    for key, rule in (record.data.get("rules") or {}).items():
        if isinstance(rule, dict) and "value" in rule and isinstance(rule.get("source"), str):
            out[key] = Rule(key, rule["value"], _source(rule["source"], record, cites), record)
    return out


def resolve(ds: Dataset) -> dict[str, Rules]:
    """organisation id -> its effective Rules (organisations with a missing rule set get none)."""
    cites = citations(ds)
    base = {rid: rules_of(rec, cites) for rid, rec in ds.rulesets.items()}
    out = {}
    for oid, org in ds.organisations.items():
        defaults = base.get(org.data.get("ruleset"))
        if defaults is None:
            continue
        merged = dict(defaults)
        merged.update(rules_of(org, cites))
        out[oid] = Rules(merged)
    return out
