"""The collector of findings the rule checks share (``checks`` and ``rule_checks``)."""

from __future__ import annotations

from biliktilik.findings import Finding
from biliktilik.load.dataset import Record
from biliktilik.model.rules import Rule


class Out:
    """Findings as they are found: ``add(record, path, severity, code, message, rule)`` places one at
    the value ``path`` names in ``record`` (the record's start when the path is not there), citing
    ``rule``'s paragraph."""

    def __init__(self):
        self.items: list[Finding] = []

    def add(self, record: Record, path, severity, code, message, rule: Rule | None = None, of_key=False):
        try:
            line, col = record.at(*path, of_key=of_key) if path else record.at()
        except (KeyError, IndexError, TypeError):
            line, col = record.at()
        self.items.append(Finding(record.file, line, col, severity, code, message, str(rule) if rule else None))


def is_number(x) -> bool:
    """An int or float read from YAML, not a bool."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)
