"""The schema engine: cerberus decides, and its verdict becomes findings with file:line:column.

Every schema finding is cerberus's (``RecordValidator``, a :class:`cerberus.Validator` with the
project's schemas of :mod:`biliktilik.load.schemas`). For speed, a document is first offered to
the compiled predicate of :mod:`biliktilik.load.schemacheck`, which may only say "valid"; a
document it does not accept is validated by cerberus, and each leaf of cerberus's error tree
(``document_path``, ``rule``, ``constraint``, ``value``) becomes one finding at the position the
YAML loader recorded for that path, in plain words through gettext. ``bench/schema_engine.py``
measures cerberus for every record against this fast-accept-then-cerberus path.

Finding codes are ``<kind>.<key>.<key>...`` (list indexes left out) for a value,
``<...>.unknown-key`` for an unknown key, ``<...>.key`` for a mapping key that breaks a
``keysrules`` rule and ``<kind>.type`` for a file that is not a mapping.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import ClassVar

import cerberus
from cerberus import errors as cerberus_errors

from biliktilik.findings import Finding
from biliktilik.i18n import _
from biliktilik.load import iin as iin_numbers
from biliktilik.load.schemacheck import compile_schema
from biliktilik.load.schemas import SCHEMAS
from biliktilik.load.yamlload import Invalid, plain, position

__all__ = ["RecordValidator", "check", "validator"]


class RecordValidator(cerberus.Validator):
    """cerberus.Validator with the project's two departures from cerberus's defaults:

    - a YAML ``true``/``false`` is never a number: ``integer``, ``float`` and ``number`` exclude
      ``bool`` (cerberus's ``integer`` accepts ``True`` as 1), and ``date`` excludes a datetime
      (a date with a time of day is refused when it is read);
    - ``regex`` matches the whole text (cerberus appends ``$``, which also matches before a
      final line break, so ``"l01\\n"`` would pass as an id);
    - ``empty: False`` refuses a text of spaces only, as it refuses ``''``."""

    types_mapping: ClassVar[dict] = dict(cerberus.Validator.types_mapping)
    types_mapping["integer"] = cerberus.TypeDefinition("integer", (int,), (bool,))
    types_mapping["float"] = cerberus.TypeDefinition("float", (float, int), (bool,))
    types_mapping["number"] = cerberus.TypeDefinition("number", (int, float), (bool,))
    types_mapping["date"] = cerberus.TypeDefinition("date", (dt.date,), (dt.datetime,))

    def _validate_empty(self, empty, field, value):
        """{'type': 'boolean'}"""
        if isinstance(value, str) and value and not value.strip():  # only spaces: as empty as ''
            self._drop_remaining_rules("allowed", "forbidden", "items", "minlength", "maxlength", "regex", "check_with")
            if not empty:
                self._error(field, cerberus_errors.EMPTY_NOT_ALLOWED)
            return
        super()._validate_empty(empty, field, value)

    def _validate_regex(self, pattern, field, value):
        """{'type': 'string'}"""
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            self._error(field, cerberus_errors.REGEX_MISMATCH)


_VALIDATORS: dict[str, RecordValidator] = {}
_FAST = {kind: compile_schema(schema) for kind, schema in SCHEMAS.items()}


def validator(kind: str) -> RecordValidator:
    """The cerberus validator of one record kind (``cohort``, ``programme`` ...), made once; unknown
    keys are errors (``allow_unknown=False``)."""
    if kind not in _VALIDATORS:
        _VALIDATORS[kind] = RecordValidator(SCHEMAS[kind], allow_unknown=False)
    return _VALIDATORS[kind]


def _names() -> dict:
    return {
        "string": _("a text"), "integer": _("a whole number"), "float": _("a decimal number"),
        "number": _("a number"), "boolean": _("true or false"), "date": _("a date YYYY-MM-DD"),
        "dict": _("a mapping (key: value)"), "list": _("a list"),
    }


DESCRIBE_MAX = 40  # characters of a value quoted in a finding, quotes and "..." included

# What no finding quotes, not even in part: a PEM block, a "NAME=value" or "password: ..." line,
# and a long unbroken run of mixed-case letters and digits (a token, a key, a hash in base64).
_SECRET_LIKE = re.compile(r"-----BEGIN|(?i:secret|token|passw|private|api[_-]?key|bearer)\s*[=:]|^\w+=\S"
                          r"|(?=[^\s]*[a-z])(?=[^\s]*[A-Z])(?=[^\s]*\d)[A-Za-z0-9+/=_-]{24,}")


def _describe(value) -> str:
    """A value as a finding quotes it: ``'text'`` (repr, so control characters stay escaped) cut to
    DESCRIBE_MAX characters, a number as written, words for null, mappings and lists. A text that
    looks like a secret (_SECRET_LIKE) is never quoted, only counted ("a text of N characters"), so
    that a finding printed into a public CI log cannot carry one."""
    if value is None:
        return _("nothing (null)")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, str) and _SECRET_LIKE.search(value):
        return _("a text of {count} characters (not shown)").format(count=len(value))
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= DESCRIBE_MAX else text[: DESCRIBE_MAX - 3] + "..."


def _leaves(errors):
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield error


def _rule_at(schema: dict, schema_path) -> dict:
    """The rule set (a field's dict of rules) that ``schema_path`` (without its rule name) leads to."""
    node = schema
    for step in schema_path:
        node = node[step]
    return node


def _container(document, path):
    node = document
    for step in path:
        node = node[step]
    return node


def check(kind: str, document, file: str) -> list[Finding]:
    """Schema findings of one record (the positioned data of one file, :func:`yamlload.load_file`).

    ``kind`` is a key of ``schemas.SCHEMAS``; ``file`` is the path as findings show it. Returns []
    when the document is valid; else one finding per leaf of cerberus's error tree, each at the
    line and column of the offending value (or key, for an unknown key). A value the loader could
    not read (``Invalid``) was reported there and is passed over here."""
    if not isinstance(document, dict):
        line, col = position(document)
        return [Finding(file, line, col, "error", f"{kind}.type",
                        _("expected a mapping of keys, got {value}").format(value=_describe(document)))]
    if _FAST[kind](document):
        return []
    v = validator(kind)
    if v.validate(plain(document)):
        return []
    out = []
    for error in _leaves(v._errors):
        if isinstance(error.value, Invalid):
            continue
        finding = _finding(kind, document, file, error)
        if finding is not None:
            out.append(finding)
    return out


def _code(kind, path) -> str:
    return ".".join([kind] + [str(step) for step in path if not isinstance(step, int)])


def _finding(kind: str, document, file: str, error) -> Finding | None:
    path, rule = tuple(error.document_path), error.rule
    *parent, key = path
    container = _container(document, parent)
    schema_path = tuple(error.schema_path)
    in_keys = len(schema_path) >= 2 and schema_path[-2] == "keysrules"
    in_values = len(schema_path) >= 2 and schema_path[-2] == "valuesrules"

    def at(of_key=False, where=container, what=key):
        line, col = position(where, what, of_key=of_key)
        return line, col

    if error.code == cerberus_errors.UNKNOWN_FIELD.code:
        line, col = at(of_key=True)
        known = sorted(map(str, _rule_at(SCHEMAS[kind], schema_path)))  # the fields of the mapping it is in
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = (_("; did you mean '{key}'?").format(key=close[0]) if close
                else _("; expected one of: {keys}").format(keys=", ".join(known)))
        return Finding(file, line, col, "error", _code(kind, parent) + ".unknown-key",
                       _("unknown key '{key}'").format(key=key) + hint)
    if rule == "required":
        line, col = position(container)
        return Finding(file, line, col, "error", _code(kind, path),
                       _("missing required key '{key}'").format(key=key))

    field_rule = _rule_at(SCHEMAS[kind], schema_path[:-1])
    code = _code(kind, parent) + ".key" if in_keys else _code(kind, parent if in_values else path)
    value = error.value
    line, col = at(of_key=in_keys)
    names = _names()
    types = field_rule.get("type")
    types = (types,) if isinstance(types, str) else tuple(types or ())
    expected = _(" or ").join(names[t] for t in types)

    def made(message):
        return Finding(file, line, col, "error", code, message)

    if rule == "nullable":  # a blank (``key:`` with nothing after it), as `biliktilik new` writes them
        field = code.split(".", 1)[1] if "." in code else code  # e.g. thematic_plan.modules.hours
        allowed = field_rule.get("allowed")
        wanted = (_("one of: {values}").format(values=", ".join(map(str, allowed)))
                  if allowed is not None and "list" not in types else expected or _("a value"))
        return made(_("fill in {field}: expected {expected}").format(field=field, expected=wanted))
    if rule == "type":
        if key == "iin" and isinstance(value, int) and not isinstance(value, bool):
            return made(_unquoted_iin(value))
        message = _("expected {expected}, got {value}").format(expected=expected, value=_describe(value))
        if types == ("string",) and isinstance(value, (int, float)) and not isinstance(value, bool):
            message += _("; put it in quotes")
        elif types == ("date",) and isinstance(value, str):
            message += _(" (no quotes)")
        return made(message)
    if rule == "empty":
        return made(_("'{key}' is empty").format(key=key))
    if rule == "allowed":
        options = ", ".join(map(str, field_rule["allowed"]))
        if error.code == cerberus_errors.UNALLOWED_VALUES.code and isinstance(value, list):
            bad = error.info[0] if error.info else ()
            index = next((i for i, item in enumerate(value) if item in bad), None)
            if index is not None:
                line, col = position(_container(document, path), index)
            return made(_("{value} is not allowed; expected one of: {options}").format(
                value=", ".join(_describe(b) for b in bad), options=options))
        return made(_("{value} is not allowed; expected one of: {options}").format(value=_describe(value), options=options))
    if rule == "min":
        return made(_("{value} is below the minimum {minimum}").format(value=_describe(value), minimum=error.constraint))
    if rule == "max":
        hint = field_rule.get("meta", {}).get("hint")
        message = _("{value} is above the maximum {maximum}").format(value=_describe(value), maximum=error.constraint)
        if hint:
            message += _("; expected {hint}").format(hint=_(hint))
        return made(message)
    if rule == "minlength":
        return made(_("has {count} item(s); at least {minimum} expected").format(count=len(value), minimum=error.constraint))
    if rule == "maxlength" and isinstance(value, str):
        return made(_("is {count} characters long; at most {maximum} allowed").format(count=len(value), maximum=error.constraint))
    if rule == "maxlength":
        return made(_("has {count} item(s); at most {maximum} expected").format(count=len(value), maximum=error.constraint))
    if rule == "regex":
        form = field_rule.get("meta", {}).get("format", error.constraint)
        text = (_("the key {value} does not match the expected form {form}") if in_keys
                else _("{value} does not match the expected form {form}"))
        return made(text.format(value=_describe(value), form=_(form) if isinstance(form, str) else form))
    return made(_("breaks the schema rule '{rule}: {constraint}'").format(rule=rule, constraint=error.constraint))


def _unquoted_iin(value: int) -> str:
    """The message for an IIN written without quotes: YAML read it as a number, and a leading zero
    is gone; show the 12 digits with the zeros put back and whether their checksum holds."""
    digits = str(abs(value))
    if len(digits) > 12:
        return _("the IIN {value} has {count} digits, an IIN has 12; write it in quotes").format(
            value=value, count=len(digits))
    restored = digits.zfill(12)
    lost = 12 - len(digits)
    wrong = iin_numbers.problem(restored)
    verdict = _("its checksum is valid") if wrong is None else _("its checksum fails: {problem}").format(problem=wrong)
    if lost:
        return _("the IIN was written without quotes, so YAML read it as the number {value} and dropped "
                 "{count} leading zero(s); write it in quotes with all 12 digits: '{restored}' ({verdict})").format(
            value=value, count=lost, restored=restored, verdict=verdict)
    return _("expected a text, got {value}; put it in quotes: '{restored}' ({verdict})").format(
        value=value, restored=restored, verdict=verdict)
