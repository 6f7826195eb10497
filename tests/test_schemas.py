"""The schemas are plain cerberus schemas; cerberus is the engine, and the fast predicate that spares
it on valid documents accepts exactly what cerberus accepts (Hypothesis: documents generated from
the schemas, valid and broken in one place)."""

from __future__ import annotations

import datetime as dt
import re

import cerberus
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biliktilik.load import schemaengine
from biliktilik.load.dataset import load_dataset
from biliktilik.load.schemacheck import compile_schema
from biliktilik.load.schemas import SCHEMAS
from biliktilik.load.yamlload import load_text, plain
from conftest import DATA


def _records():
    ds = load_dataset(DATA, use_cache=False)
    return [(r.kind, plain(r.data)) for kind in SCHEMAS for r in ds.of_kind(kind).values()]


RECORDS = _records()
FAST = {kind: compile_schema(schema) for kind, schema in SCHEMAS.items()}


@pytest.mark.parametrize("kind,doc", RECORDS, ids=[f"{k}:{d.get('id', k)}" for k, d in RECORDS])
def test_cerberus_accepts_every_shipped_record(kind, doc):
    plain_cerberus = cerberus.Validator(SCHEMAS[kind], allow_unknown=False)
    assert plain_cerberus.validate(doc), plain_cerberus.errors  # the schemas need no subclass
    v = schemaengine.validator(kind)
    assert v.validate(doc), v.errors
    assert FAST[kind](doc)
    assert schemaengine.check(kind, doc, "x.yaml") == []


# -- documents generated from the schemas ---------------------------------------------------------

_ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 200), st.floats(-2, 200, allow_nan=False), st.text(max_size=4),
    st.sampled_from(["", " ", "l01\n", "kk", "0.85", "2026-01-01"]), st.dates(),
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.lists(st.integers(0, 5), max_size=2), st.dictionaries(st.sampled_from(["1", "x", "kk"]), st.integers(0, 6), max_size=2),
)


def _text(rule):
    if "regex" in rule:
        return st.from_regex(rule["regex"], fullmatch=True)
    if "allowed" in rule:
        return st.sampled_from(rule["allowed"])
    if rule.get("empty", True):
        return st.text(max_size=6)
    return st.text(min_size=1, max_size=6).filter(str.strip)


def _valid(rule: dict, depth=0):
    """A strategy of values that ``rule`` (one field's cerberus rules) accepts."""
    types = rule.get("type")
    types = [types] if isinstance(types, str) else list(types)
    options = []
    for t in types:
        if t == "string":
            options.append(_text(rule))
        elif t in ("integer", "number", "float"):
            lo, hi = rule.get("min"), rule.get("max")
            lo_i = int(lo) if lo is not None else -5
            ints = st.integers(min_value=lo_i, max_value=int(hi) if hi is not None else max(500, lo_i + 500))
            if t == "integer":
                options.append(ints)
            else:
                options.append(st.one_of(ints, st.floats(min_value=lo if lo is not None else -5.0,
                                                         max_value=hi if hi is not None else max(500.0, lo_i + 500.0),
                                                         allow_nan=False)))
        elif t == "boolean":
            options.append(st.sampled_from(rule["allowed"]) if "allowed" in rule else st.booleans())
        elif t == "date":
            options.append(st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31)))
        elif t == "list":
            if "schema" in rule:
                item = _valid(rule["schema"], depth + 1)
            elif "allowed" in rule:
                item = st.sampled_from(rule["allowed"])
            else:
                item = st.text(min_size=1, max_size=5)
            options.append(st.lists(item, min_size=rule.get("minlength", 0), max_size=2))
        elif t == "dict":
            if "schema" in rule:
                options.append(_mapping(rule["schema"], depth + 1))
            else:
                keys = _valid(rule["keysrules"]) if "keysrules" in rule else st.text(max_size=3)
                values = _valid(rule["valuesrules"]) if "valuesrules" in rule else _ANYTHING
                options.append(st.dictionaries(keys, values, max_size=2))
    return st.one_of(options)


def _mapping(fields: dict, depth=0):
    required = {k: _valid(r, depth) for k, r in fields.items() if r.get("required")}
    optional = {k: _valid(r, depth) for k, r in fields.items() if not r.get("required")}
    return st.fixed_dictionaries(required, optional=optional)


DOCUMENTS = {kind: _mapping(schema) for kind, schema in SCHEMAS.items()}
KINDS = sorted(SCHEMAS)


def _paths(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + (k,)
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield path + (i,)
            yield from _paths(v, path + (i,))


def _rule_for(kind, path):
    """The rules of the value at ``path`` in a document of ``kind`` (None for no rule)."""
    rule = {"type": "dict", "schema": SCHEMAS[kind]}
    for step in path:
        if isinstance(step, int):
            rule = rule.get("schema")
        elif "schema" in rule:
            rule = rule["schema"].get(step)
        else:
            rule = rule.get("valuesrules")
        if rule is None:
            return None
    return rule


_CONSTRAINTS = ("min", "max", "regex", "allowed", "minlength", "required", "type")


def _near_miss(rule, constraint):
    """A value just outside ``rule`` on ``constraint``: past min/max, a text the regex refuses, a
    value not allowed, too few items, nothing, a value of another type."""
    if constraint == "min":
        return st.sampled_from([rule["min"] - 1, rule["min"] - 0.5])
    if constraint == "max":
        return st.sampled_from([rule["max"] + 1, rule["max"] + 0.01, 85])
    if constraint == "regex":
        return st.one_of(st.text(max_size=6).filter(lambda t: not re.fullmatch(rule["regex"], t)),
                         st.sampled_from(["A", "x y", "l01\n", "Кирилл"]))
    if constraint == "allowed":
        return st.sampled_from(["passed", "KK", "other"]).map(lambda v: [v] if "list" in str(rule.get("type")) else v)
    if constraint == "minlength":
        return st.just([])
    return st.one_of(st.sampled_from([None, True, "", " "]), _ANYTHING)


@st.composite
def broken_documents(draw, kind):
    """A valid document of ``kind`` changed in one place, the constraint first (so that each kind of
    rule is broken often): a value just past its min, max, regex, allowed values or minlength, a
    value of any other type, a key dropped (maybe a required one), or an unknown key added."""
    doc = draw(DOCUMENTS[kind])
    paths = [(p, _rule_for(kind, p)) for p in _paths(doc)]
    if not paths:
        return doc
    constraint = draw(st.sampled_from(_CONSTRAINTS + ("unknown",)))
    fitting = [(p, r) for p, r in paths if r is not None and constraint in r] or paths
    path, rule = draw(st.sampled_from(fitting))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if constraint == "required":
        del parent[path[-1]]
    elif constraint == "unknown":
        if isinstance(parent, dict):
            parent[draw(st.sampled_from(["no_such_key", "atendance", "Id"]))] = draw(_ANYTHING)
    elif rule is not None and constraint in rule:
        parent[path[-1]] = draw(_near_miss(rule, constraint))
    else:
        parent[path[-1]] = draw(_ANYTHING)
    return doc


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])


@pytest.mark.parametrize("kind", KINDS)
@_SETTINGS
@given(data=st.data())
def test_generated_valid_documents_are_accepted_by_both(kind, data):
    doc = data.draw(DOCUMENTS[kind])
    v = schemaengine.validator(kind)
    assert v.validate(doc), v.errors
    assert FAST[kind](doc)


@pytest.mark.parametrize("kind", KINDS)
@_SETTINGS
@given(data=st.data())
def test_fast_predicate_accepts_exactly_what_cerberus_accepts(kind, data):
    doc = data.draw(broken_documents(kind))
    v = schemaengine.validator(kind)
    theirs = v.validate(doc)
    assert FAST[kind](doc) == theirs, (doc, v.errors)
    findings = schemaengine.check(kind, doc, "x.yaml")
    assert bool(findings) == (not theirs), (doc, v.errors, findings)  # every rejection is explained


# -- cerberus's errors in plain words, at their lines ---------------------------------------------

COHORT = """\
id: c1
programme: p1
organisation: o1
format: full_time
language: kk
start: 2027-03-01
end: 2027-03-12
seats: 10
listeners:
  - id: l01
    name: {surname: Тестова, given: Анар}
    iin: '850314410374'
    employer: № 1 мектеп
    position: мұғалім
    attendance: 85
    grades: {'1': 5, x: 9}
    atendance: 0.9
  - id: L2
    name: {surname: Бекова}
    iin: '850314410374'
    employer: № 1 мектеп
    position: мұғалім
    outcome: passed
"""


def test_cerberus_errors_become_findings_at_their_lines():
    findings = []
    doc = load_text(COHORT, "c.yaml", findings)
    assert findings == []
    got = {(f.line, f.column, f.code): f.message for f in schemaengine.check("cohort", doc, "c.yaml")}
    assert got[(15, 17, "cohort.listeners.attendance")] == (
        "85 is above the maximum 1; expected a share of classes attended, e.g. 0.85")
    assert got[(16, 25, "cohort.listeners.grades")] == "9 is above the maximum 5"
    assert got[(16, 22, "cohort.listeners.grades.key")].startswith("the key 'x' does not match")
    assert got[(17, 5, "cohort.listeners.unknown-key")] == "unknown key 'atendance'; did you mean 'attendance'?"
    assert got[(18, 9, "cohort.listeners.id")] == "'L2' does not match the expected form lower-case-id"
    assert got[(19, 11, "cohort.listeners.name.given")] == "missing required key 'given'"
    assert got[(23, 14, "cohort.listeners.outcome")].startswith("'passed' is not allowed; expected one of: certificate")
    assert len(got) == 7


def test_a_true_is_not_a_number_an_id_has_no_line_break_and_spaces_are_empty():
    """The project's three departures from plain cerberus (RecordValidator)."""
    v = schemaengine.validator("cohort")
    doc = {"id": "c1\n", "programme": "p", "organisation": "o", "format": "full_time", "language": "kk",
           "start": dt.date(2027, 1, 1), "end": dt.date(2027, 1, 2), "seats": True, "venue": "   "}
    assert cerberus.Validator(SCHEMAS["cohort"]).validate(doc)  # plain cerberus lets all three pass
    assert not v.validate(doc)
    assert set(v.errors) == {"id", "seats", "venue"}
    assert not FAST["cohort"](doc)
