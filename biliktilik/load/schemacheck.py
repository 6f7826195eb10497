"""A fast "is this document valid?" for the subset of cerberus schemas the project uses.

Cerberus (:mod:`biliktilik.load.schemaengine`) is the schema engine: every schema finding is its
verdict. It interprets a schema anew for every document, about 2 ms per listener record, which
at 60,000 listeners would dominate validation (``bench/schema_engine.py`` measures it). So each
schema is compiled once here into closures that only *accept*: a document they accept is valid
as cerberus (with :class:`biliktilik.load.schemaengine.RecordValidator`) says; any document they
reject is handed to cerberus, which decides and explains. ``tests/test_schemas.py`` checks with
Hypothesis that this predicate accepts exactly the documents cerberus accepts.

Supported rules: type (one name or a list), required, nullable, empty, allowed, min, max,
minlength, maxlength, regex, schema (dict and list), keysrules, valuesrules. A value that could
not be read (:class:`biliktilik.load.yamlload.Invalid`, already reported) is passed over.
"""

from __future__ import annotations

import datetime as dt
import re

from biliktilik.load.yamlload import Invalid

# the project's types, as RecordValidator defines them: a YAML true/false is never a number
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "dict": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
}


def _member(value, allowed: set) -> bool:
    try:
        return value in allowed
    except TypeError:  # a list or mapping is unhashable: never allowed
        return False


def compile_schema(schema: dict):
    """``schema`` (a cerberus mapping of fields) -> ``accepts(document) -> bool``.

    True means cerberus accepts the document; False means "ask cerberus" (it may be invalid)."""
    fields = _compile_fields(schema)

    def accepts(document) -> bool:
        return isinstance(document, dict) and fields(document)

    return accepts


def _compile_fields(fields: dict):
    required = tuple(k for k, r in fields.items() if r.get("required"))
    checks = {k: _compile_rule(r) for k, r in fields.items()}

    def check(doc) -> bool:
        for key in required:
            if key not in doc:
                return False
        for key, value in doc.items():
            rule = checks.get(key)
            if rule is None or not rule(value):
                return False
        return True

    return check


def _compile_rule(rule: dict):
    types = rule.get("type")
    if isinstance(types, str):
        types = (types,)
    type_tests = tuple(_TYPES[t] for t in types) if types else ()
    nullable = rule.get("nullable", False)
    empty_rule = rule.get("empty")  # None: no rule; cerberus runs it only when the schema names it
    allowed = set(rule["allowed"]) if "allowed" in rule else None
    lo, hi = rule.get("min"), rule.get("max")
    minlength, maxlength = rule.get("minlength"), rule.get("maxlength")
    regex = re.compile(rule["regex"]) if "regex" in rule else None
    sub = rule.get("schema")
    sub_fields = sub_item = None
    if sub is not None:
        if types and "list" in types:
            sub_item = _compile_rule(sub)
        else:
            sub_fields = _compile_fields(sub)
    keys_rule = _compile_rule(rule["keysrules"]) if "keysrules" in rule else None
    values_rule = _compile_rule(rule["valuesrules"]) if "valuesrules" in rule else None

    def check(value) -> bool:
        if isinstance(value, Invalid):  # reported where it was read
            return True
        if value is None:
            return nullable
        if type_tests and not any(t(value) for t in type_tests):
            return False
        skip = False
        if empty_rule is not None and isinstance(value, (str, list, dict)) and not (
                value.strip() if isinstance(value, str) else value):
            if not empty_rule:
                return False
            skip = True  # cerberus: an allowed empty value skips allowed, minlength, maxlength, regex
        if skip:
            pass
        elif allowed is not None:
            if isinstance(value, list):
                if not all(_member(item, allowed) for item in value):
                    return False
            elif not _member(value, allowed):
                return False
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if lo is not None and value < lo:
                return False
            if hi is not None and value > hi:
                return False
        if not skip:
            if minlength is not None and isinstance(value, (str, list, dict)) and len(value) < minlength:
                return False
            if maxlength is not None and isinstance(value, (str, list, dict)) and len(value) > maxlength:
                return False
            if regex is not None and isinstance(value, str) and not regex.fullmatch(value):
                return False
        if sub_fields is not None and isinstance(value, dict) and not sub_fields(value):
            return False
        if sub_item is not None and isinstance(value, list) and not all(sub_item(item) for item in value):
            return False
        if isinstance(value, dict):
            if keys_rule is not None and not all(keys_rule(k) for k in value):
                return False
            if values_rule is not None and not all(values_rule(v) for v in value.values()):
                return False
        return True

    return check
