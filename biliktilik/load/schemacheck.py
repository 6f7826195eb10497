"""A compiled checker for the subset of cerberus schemas the project uses.

The schemas in :mod:`biliktilik.schemas` are ordinary cerberus schemas (the test
suite checks that cerberus accepts and rejects the same documents). Cerberus
interprets a schema anew for every document, about 2 ms per listener record; at
60,000 listeners that dominates validation. Here each schema is compiled once into
closures, and the findings carry the exact line and column of the offending key
or value.

Supported rules: type, required, nullable, empty, allowed, min, max, minlength,
maxlength, regex, schema (dict and list), keysrules, valuesrules, anyof_type
(via a list in ``type``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

from biliktilik.findings import Finding
from biliktilik.i18n import N_, _
from biliktilik.load.yamlload import Invalid, position

_TYPES = {
    "string": (str,),
    "integer": (int,),
    "float": (float,),
    "number": (int, float),
    "boolean": (bool,),
    "date": (dt.date,),
    "dict": (dict,),
    "list": (list,),
}
_NAMES = {
    "string": N_("a text"), "integer": N_("a whole number"), "float": N_("a decimal number"),
    "number": N_("a number"), "boolean": N_("true or false"), "date": N_("a date YYYY-MM-DD"),
    "dict": N_("a mapping (key: value)"), "list": N_("a list"),
}


def _describe(value) -> str:
    if value is None:
        return _("nothing (null)")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) < 60 else text[:57] + "..."


def _type_ok(value, types):
    for t in types:
        py = _TYPES[t]
        if isinstance(value, py) and not (isinstance(value, bool) and t in ("integer", "number", "float")):
            if t == "date" and isinstance(value, dt.datetime):
                continue
            return True
    return False


def _member(value, allowed: set) -> bool:
    """``value in allowed`` for any YAML value: a list or mapping (unhashable) is never allowed."""
    try:
        return value in allowed
    except TypeError:
        return False


class Checker:
    """``Checker(schema)(document, file, path)`` returns a list of findings."""

    def __init__(self, schema: dict, code: str):
        self.code = code
        self._check = self._compile_fields(schema, code)

    def __call__(self, document, file: str) -> list[Finding]:
        out: list[Finding] = []
        if not isinstance(document, dict):
            line, col = position(document)
            out.append(Finding(file, line, col, "error", f"{self.code}.type",
                               _("expected a mapping of keys, got {describe}").format(describe=_describe(document))))
            return out
        self._check(document, file, out)
        return out

    # -- compilation -------------------------------------------------------
    def _compile_fields(self, fields: dict, code: str):
        known = set(fields)
        required = [k for k, r in fields.items() if r.get("required")]
        checks = {k: self._compile_rule(r, f"{code}.{k}") for k, r in fields.items()}
        ordered_known = sorted(known)

        def check(doc, file, out):
            for key in required:
                if key not in doc:
                    line, col = position(doc)
                    out.append(Finding(file, line, col, "error", f"{code}.{key}",
                                       _("missing required key '{key}'").format(key=key)))
            for key, value in doc.items():
                rule = checks.get(key)
                if rule is None:
                    line, col = position(doc, key, of_key=True)
                    close = difflib.get_close_matches(str(key), ordered_known, n=1)
                    hint = _("; did you mean '{close}'?").format(close=close[0]) if close else _("; expected one of: {items}").format(items=', '.join(ordered_known))
                    out.append(Finding(file, line, col, "error", f"{code}.unknown-key",
                                       _("unknown key '{key}'{hint}").format(key=key, hint=hint)))
                    continue
                rule(doc, key, value, file, out)

        return check

    def _compile_rule(self, rule: dict, code: str):
        types = rule.get("type")
        if isinstance(types, str):
            types = (types,)
        nullable = rule.get("nullable", False)
        empty_ok = rule.get("empty", True)
        allowed = rule.get("allowed")
        allowed_set = set(allowed) if allowed is not None else None
        lo, hi = rule.get("min"), rule.get("max")
        minlength, maxlength = rule.get("minlength"), rule.get("maxlength")
        regex = re.compile(rule["regex"] + r"\Z") if "regex" in rule else None
        regex_text = rule.get("meta", {}).get("format", rule.get("regex"))
        sub = rule.get("schema")
        sub_fields = sub_item = None
        if sub is not None:
            if types and "list" in types:
                sub_item = self._compile_rule(sub, code)
            else:
                sub_fields = self._compile_fields(sub, code)
        keys_rule = self._compile_rule(rule["keysrules"], code + ".key") if "keysrules" in rule else None
        values_rule = self._compile_rule(rule["valuesrules"], code) if "valuesrules" in rule else None
        expected_types = _(" or ").join(_(_NAMES[t]) for t in types) if types else ""
        hint_text = _("; expected {hint}").format(hint=rule['meta']['hint']) if "hint" in rule.get("meta", {}) else ""
        field = code.split(".", 1)[1] if "." in code else code  # e.g. thematic_plan.modules.hours

        def fail(container, key, file, out, message, of_key=False):
            line, col = position(container, key, of_key=of_key)
            out.append(Finding(file, line, col, "error", code, message))

        def check(container, key, value, file, out):
            if isinstance(value, Invalid):  # reported where it was read
                return
            if value is None:  # a blank (``key:`` with nothing after it), as `biliktilik new` writes them
                if not nullable:
                    expected = _("one of: {values}").format(values=", ".join(map(str, allowed))) \
                        if allowed is not None and not (types and "list" in types) else expected_types or _("a value")
                    fail(container, key, file, out, _("fill in {field}: expected {expected}").format(
                        field=field, expected=expected))
                return
            if types and not _type_ok(value, types):
                hint = ""
                if types == ("string",) and isinstance(value, (int, float)) and not isinstance(value, bool):
                    hint = _("; put it in quotes")
                elif types == ("date",) and isinstance(value, str):
                    hint = _(" (no quotes)")
                fail(container, key, file, out, _("expected {types}, got {value}{hint}").format(types=expected_types, value=_describe(value), hint=hint))
                return
            if not empty_ok and isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str) else value):
                fail(container, key, file, out, _("'{key}' is empty").format(key=key))
                return
            if allowed_set is not None:
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if not _member(item, allowed_set):
                            fail(value, i, file, out, _("{describe} is not allowed; expected one of: {items}").format(describe=_describe(item), items=', '.join(map(str, allowed))))
                elif not _member(value, allowed_set):
                    fail(container, key, file, out, _("{describe} is not allowed; expected one of: {items}").format(describe=_describe(value), items=', '.join(map(str, allowed))))
                    return
            if lo is not None and not isinstance(value, (list, dict, str)) and value < lo:
                fail(container, key, file, out, _("{describe} is below the minimum {lo}").format(describe=_describe(value), lo=lo))
            if hi is not None and not isinstance(value, (list, dict, str)) and value > hi:
                fail(container, key, file, out, _("{describe} is above the maximum {hi}{hint_text}").format(describe=_describe(value), hi=hi, hint_text=hint_text))
            if minlength is not None and len(value) < minlength:
                fail(container, key, file, out, _("has {count} item(s); at least {minlength} expected").format(count=len(value), minlength=minlength))
            if maxlength is not None and len(value) > maxlength:
                fail(container, key, file, out, _("has {count} item(s); at most {maxlength} expected").format(count=len(value), maxlength=maxlength))
            if regex is not None and isinstance(value, str) and not regex.match(value):
                fail(container, key, file, out, _("{describe} does not match the expected form {regex_text}").format(describe=_describe(value), regex_text=regex_text))
            if sub_fields is not None and isinstance(value, dict):
                sub_fields(value, file, out)
            elif sub_item is not None and isinstance(value, list):
                for i, item in enumerate(value):
                    sub_item(value, i, item, file, out)
            if isinstance(value, dict) and (keys_rule or values_rule):
                for k, v in value.items():
                    if keys_rule:
                        keys_rule_check(value, k, file, out)
                    if values_rule:
                        values_rule(value, k, v, file, out)

        def keys_rule_check(mapping, k, file, out):
            probe: list[Finding] = []
            keys_rule(mapping, k, k, file, probe)
            for f in probe:  # point at the key, not its value
                line, col = position(mapping, k, of_key=True)
                out.append(Finding(file, line, col, f.severity, f.code, f.message.replace("'" + str(k) + "' has", "key has")))

        return check
