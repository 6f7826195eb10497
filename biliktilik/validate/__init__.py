"""load(data/) -> validate (schemas + rules) -> facts: the front of the pipeline."""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from pathlib import Path

from biliktilik.validate import checks
from biliktilik.load.dataset import Dataset, load_dataset
from biliktilik.model.facts import Facts, compute
from biliktilik.findings import Finding, sort_findings


@dataclass
class Checked:
    dataset: Dataset
    facts: Facts
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(data_dir: Path, cache_dir: Path | None = None, use_cache: bool = True,
             on: dt.date | None = None) -> Checked:
    # Loading builds millions of small objects and no cycles: the cyclic collector
    # would only walk them again and again (about a third of a warm run).
    enabled = gc.isenabled()
    gc.disable()
    try:
        ds = load_dataset(data_dir, cache_dir, use_cache)
        facts = compute(ds, on)
        findings = sort_findings(ds.findings + checks.check(ds, facts))
    finally:
        if enabled:
            gc.enable()
    return Checked(ds, facts, findings)
