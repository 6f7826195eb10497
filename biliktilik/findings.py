"""Findings (what the validator says) and the project's small exception hierarchy."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from biliktilik.i18n import N_, _, ngettext

SEVERITIES = ("error", "warning")
#: C0 controls but tab, LF and CR; DEL; C1 controls; bidi embeddings, overrides and isolates
#: (U+202A-U+202E, U+2066-U+2069): invisible in a text, they drive a terminal (ESC, CSI) or reorder it.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escaped(text: str) -> str:
    """``text`` with each :data:`CONTROL` character written as its Python escape (``\\x1b``,
    ``\\u202e``): safe to print on a terminal, and the reader sees what is there."""
    if not CONTROL.search(text):
        return text
    return CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)
_SEVERITY_WORDS = {"error": N_("error"), "warning": N_("warning")}  # shown in the chosen language


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
        severity = _(_SEVERITY_WORDS.get(self.severity, self.severity))  # the code stays as it is in every language
        return escaped(f"{self.file}:{self.line}:{self.column}: {severity} {self.code}: {self.message}{tail}")

    def github(self) -> str:
        """A GitHub Actions workflow command (``::error file=...,line=...::message``) that annotates the line.

        Escaped as GitHub's runner expects (actions/toolkit, command.ts): the message with
        % -> %25, CR -> %0D, LF -> %0A; property values additionally : -> %3A and , -> %2C,
        so that a file named ``2026-10 copy, draft.yaml`` still annotates the right file."""
        level = "error" if self.severity == "error" else "warning"
        message = escaped(self.message + (f" ({self.source})" if self.source else ""))
        props = ",".join(f"{k}={escape_property(str(v))}" for k, v in
                         (("file", self.file), ("line", self.line), ("col", self.column), ("title", self.code)))
        return f"::{level} {props}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub specifies: % CR LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as GitHub specifies: % CR LF : ,"""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summary_markdown(findings) -> str:
    """A Markdown job summary (for $GITHUB_STEP_SUMMARY): counts, then a table of the findings
    (errors first; at most 200 rows, the rest counted)."""
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity != "error"]
    head = "### Biliktilik: " + (_("the data validate") if not errors else count_errors(len(errors)))
    lines = [head, "", counts(len(errors), len(warnings)), ""]
    shown = (errors + warnings)[:200]
    if shown:
        lines += ["| | {} | {} | {} |".format(_("where"), _("code"), _("what")), "|---|---|---|---|"]
        for f in shown:
            what = (f.message + (f" ({f.source})" if f.source else "")).replace("|", "\\|").replace("\n", " ")
            mark = "❌" if f.severity == "error" else "⚠️"
            lines.append(f"| {mark} | `{f.file}:{f.line}:{f.column}` | `{f.code}` | {what} |")
        if len(findings) > len(shown):
            lines.append("\n" + _("… and {count} more; run `biliktilik validate` to see them all.").format(
                count=len(findings) - len(shown)))
    return "\n".join(lines) + "\n"


def count_errors(n: int) -> str:
    """``"3 error(s)"`` in the chosen language, in the grammatical number of ``n`` (English keeps
    the one form "error(s)"; Russian has three, Kazakh one)."""
    return ngettext("{count} error(s)", "{count} error(s)", n).format(count=n)


def count_warnings(n: int) -> str:
    """``"2 warning(s)"`` in the chosen language (see :func:`count_errors`)."""
    return ngettext("{count} warning(s)", "{count} warning(s)", n).format(count=n)


def counts(errors: int, warnings: int) -> str:
    """The findings' summary line, ``"1 error(s), 0 warning(s)"``."""
    return _("{errors}, {warnings}").format(errors=count_errors(errors), warnings=count_warnings(warnings))


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
    lines.append(counts(errors, warnings))
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
        super().__init__(_("{errors} in the data; nothing was built").format(errors=count_errors(errors)))

    def __reduce__(self):  # through a pipe from a build's lane or worker: with its findings
        return (InvalidData, (self.findings,))


class Busy(BiliktilikError):
    """Another biliktilik process holds the lock of the folder this command would write."""


class BuildError(BiliktilikError):
    """An output could not be produced (a template or writer problem)."""
