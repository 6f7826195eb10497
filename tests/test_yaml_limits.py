"""Bounded YAML: aliases, nesting, node count and size are limited before any value is built."""

from __future__ import annotations

import yaml

from biliktilik.load.yamlload import LEDGER_LIMITS, LIMITS, Limits, load_file, load_text, plain


def _bomb(levels: int, fan: int = 10) -> str:
    lines = ["a: &a [" + ", ".join(["lol"] * fan) + "]"]
    for prev, cur in zip("abcdefghij", "bcdefghijk"[: levels - 1]):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def test_a_few_aliases_load_as_plain_yaml_does():
    text = _bomb(3)  # 10 + 100 + 1,000 values: under the limit
    findings = []
    data = load_text(text, "x.yaml", findings)
    assert findings == []
    assert plain(data) == yaml.safe_load(text)


def test_the_billion_laughs_are_stopped_at_the_line_that_multiplies():
    findings = []
    assert load_text(_bomb(9), "x.yaml", findings) is None  # 10**9 values if expanded
    (f,) = findings
    assert (f.code, f.severity) == ("yaml.alias-limit", "error")
    # the first line whose aliases bring the count past the limit: d holds 10 * 1,000 + the 1,110 before
    assert f.line == 4 and f"{LIMITS.alias_nodes:,}" in f.message


def test_the_alias_limit_counts_nodes_reached_through_aliases_exactly():
    fan = 10
    under = Limits(alias_nodes=110)  # *a ten times (10 x 11 nodes) = 110
    text = "a: &a [" + ", ".join(["x"] * fan) + "]\nb: [" + ", ".join(["*a"] * fan) + "]\n"
    assert load_text(text, "x.yaml", [], under) is not None
    findings = []
    assert load_text(text, "x.yaml", findings, Limits(alias_nodes=109)) is None
    assert findings[0].code == "yaml.alias-limit" and findings[0].line == 2


def test_depth_is_limited_also_through_an_alias():
    nested = "[" * 30 + "x" + "]" * 30
    findings = []
    assert load_text(f"a: {nested}\n", "x.yaml", findings) is not None and not findings
    findings = []
    assert load_text(f"a: &a {nested}\nb: [[[[[[[[[[[*a]]]]]]]]]]]\n", "x.yaml", findings) is None
    assert findings[0].code == "yaml.too-deep" and findings[0].line == 2


def test_node_count_and_size(tmp_path):
    findings = []
    assert load_text("a: [" + ", ".join(["1"] * 100) + "]\n", "x.yaml", findings, Limits(nodes=50)) is None
    assert findings[0].code == "yaml.too-many-nodes"
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" + "# padding\n" * 1000, encoding="utf-8")
    findings = []
    assert load_file(big, "big.yaml", findings, Limits(bytes=5000)) is None
    assert [(f.code, f.line) for f in findings] == [("yaml.too-large", 1)]
    assert load_file(big, "big.yaml", [], Limits(bytes=20000)) == {"a": 1}


def test_the_ledger_may_grow_far_beyond_a_record():
    assert LEDGER_LIMITS.bytes >= 100 * LIMITS.bytes and LEDGER_LIMITS.nodes > LIMITS.nodes
