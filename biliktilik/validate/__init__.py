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
from biliktilik.i18n import _
from biliktilik.progress import Progress
from biliktilik.progress import current as current_progress


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
             on: dt.date | None = None, progress: Progress | None = None) -> Checked:
    """Load every record under ``data_dir`` and check it; ``progress`` (default: the command's,
    biliktilik.progress.current) shows the files read (with their count) and the checks as stages.
    Never raises for bad data: the findings say it."""
    progress = progress or current_progress()
    # Loading builds millions of small objects and no cycles: the cyclic collector
    # would only walk them again and again (about a third of a warm run).
    enabled = gc.isenabled()
    gc.disable()
    try:
        ds = load_dataset(data_dir, cache_dir, use_cache, progress)  # "read files" with their count
        with progress.stage(_("checks")):
            facts = compute(ds, on)
            findings = sort_findings(ds.findings + checks.check(ds, facts))
    finally:
        if enabled:
            gc.enable()
    return Checked(ds, facts, findings)
