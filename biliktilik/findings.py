"""Findings (what the validator says) and the project's small exception hierarchy."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

SEVERITIES = ("error", "warning")


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    severity: str
    code: str
    message: str
    source: str | None = None  # the rule's citation, e.g. "Order 95, p. 24.3"

    def sort_key(self):
        return (self.file, self.line, self.column, self.code, self.message)

    def text(self) -> str:
        tail = f" ({self.source})" if self.source else ""
        return f"{self.file}:{self.line}:{self.column}: {self.severity} {self.code}: {self.message}{tail}"

    def github(self) -> str:
        level = "error" if self.severity == "error" else "warning"
        title = self.code.replace(",", ";").replace("::", ":")
        message = self.message + (f" ({self.source})" if self.source else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{level} file={self.file},line={self.line},col={self.column},title={title}::{message}"


def sort_findings(findings):
    return sorted(set(findings), key=Finding.sort_key)


def render(findings, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2)
    if fmt == "github":
        return "\n".join(f.github() for f in findings)
    lines = [f.text() for f in findings]
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


class BiliktilikError(Exception):
    """Base of every error the CLI turns into a message and an exit code."""

    exit_code = 1


class UsageError(BiliktilikError):
    exit_code = 2


class InvalidData(BiliktilikError):
    """The data did not validate; carries the findings."""

    def __init__(self, findings):
        self.findings = findings
        errors = sum(f.severity == "error" for f in findings)
        super().__init__(f"{errors} error(s) in the data; nothing was built")


class Busy(BiliktilikError):
    """Another biliktilik process holds the lock of the folder this command would write."""


class BuildError(BiliktilikError):
    """An output could not be produced (a template or writer problem)."""
