"""The schemas are plain cerberus schemas, and the fast checker agrees with cerberus."""

from __future__ import annotations

import copy
import random

import cerberus
import pytest

from biliktilik.load.dataset import load_dataset
from biliktilik.load.schemacheck import Checker
from biliktilik.load.schemas import SCHEMAS
from biliktilik.load.yamlload import plain
from conftest import DATA


def _records():
    ds = load_dataset(DATA, use_cache=False)
    return [(r.kind, plain(r.data)) for kind in SCHEMAS for r in ds.of_kind(kind).values()]


RECORDS = _records()


def _cerberus(kind):
    return cerberus.Validator(SCHEMAS[kind], allow_unknown=False)


@pytest.mark.parametrize("kind,doc", RECORDS, ids=[f"{k}:{d.get('id', k)}" for k, d in RECORDS])
def test_cerberus_accepts_every_shipped_record(kind, doc):
    v = _cerberus(kind)
    assert v.validate(doc), v.errors
    assert Checker(SCHEMAS[kind], kind)(doc, "x.yaml") == []


def _mutations(doc, r: random.Random):
    """Documents each broken in one place: a wrong type, an unknown key, a missing required key."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append(path + (k,))
                walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                walk(v, path + (i,))

    walk(doc, ())
    for path in r.sample(paths, min(40, len(paths))):
        for how in ("type", "unknown", "drop"):
            d = copy.deepcopy(doc)
            parent = d
            for step in path[:-1]:
                parent = parent[step]
            key = path[-1]
            if how == "type":
                parent[key] = ["not", "this"] if not isinstance(parent[key], list) else "not a list"
            elif how == "unknown":
                if not isinstance(parent[key], dict):
                    continue
                parent[key]["no_such_key"] = 1
            else:
                del parent[key]
            yield path, how, d


@pytest.mark.parametrize("kind,doc", RECORDS[:12], ids=[f"{k}:{d.get('id', k)}" for k, d in RECORDS[:12]])
def test_fast_checker_rejects_what_cerberus_rejects(kind, doc):
    r = random.Random(95)
    checker, v = Checker(SCHEMAS[kind], kind), _cerberus(kind)
    compared = 0
    for path, how, mutated in _mutations(doc, r):
        ours = checker(mutated, "x.yaml")
        theirs = v.validate(mutated)
        assert bool(ours) == (not theirs), (path, how, ours, v.errors)
        compared += 1
    assert compared > 10
