"""National scale (issue 12): synthetic data with issued certificates, and the incremental build.

A rebuild after a change to one cohort file renders only that cohort's verification pages and
certificate PDFs again and takes the rest from the output cache, and its result is byte for byte
the result of a cold build of the changed data with an empty cache."""

from __future__ import annotations

import datetime as dt
import filecmp
import logging
import shutil
from pathlib import Path

import pytest

from biliktilik import issuing
from biliktilik.build.pipeline import build
from biliktilik.model.certificates import certificate_facts, facts_hash
from biliktilik.model.ledger import ledger_entries
from biliktilik.synth import synthesize
from biliktilik.validate import validate
from conftest import run_cli

SITE_URL = "https://biliktilik.example.kz/"


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    synthesize(out, listeners=200)
    return out


def test_synth_issues_certificates_that_validate(synth_data):
    checked = validate(synth_data, use_cache=False)
    assert checked.errors == []
    entries = ledger_entries(checked.dataset)
    assert len(entries) > 50
    assert any(e.get("revoked") for e in entries) and any(e.get("replaced_by") for e in entries)
    held = {}
    for lf in checked.facts.listeners:
        cert = lf.data.get("certificate")
        if isinstance(cert, dict):
            held[cert["number"]] = lf
    for e in entries:
        if e.get("replaced_by"):
            assert e["number"] not in held  # the listener now holds the correction
            continue
        lf = held[e["number"]]
        assert e["listener"] == lf.ref
        assert e["hash"] == facts_hash(certificate_facts(lf, checked.dataset))  # as biliktilik.issuing stores it
    passed_without = [lf.ref for lf in checked.facts.listeners
                      if lf.passed and lf.completed and lf.completed <= checked.facts.today
                      and not isinstance(lf.data.get("certificate"), dict)]
    assert passed_without == []


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _same_trees(a: Path, b: Path):
    files_a, files_b = _tree(a), _tree(b)
    assert files_a == files_b, (sorted(files_a - files_b)[:5], sorted(files_b - files_a)[:5])
    _, mismatch, errors = filecmp.cmpfiles(a, b, sorted(files_a), shallow=False)
    assert mismatch == [] and errors == []


def _rendered(caplog, logger: str) -> str:
    return " | ".join(r.getMessage() for r in caplog.records if r.name == logger and "rendered" in r.getMessage())


def test_a_rebuild_after_one_cohort_changes_equals_a_cold_build(synth_data, tmp_path, caplog):
    data = tmp_path / "data"
    shutil.copytree(synth_data, data)
    cache = tmp_path / "cache-ab"
    build(data, tmp_path / "A" / "site", tmp_path / "A" / "print", cache_dir=cache, site_url=SITE_URL, jobs=2)
    checked = validate(data, use_cache=False)
    groups = len({e["listener"].split("/")[0] for e in ledger_entries(checked.dataset)})
    target = next(e for e in ledger_entries(checked.dataset) if not e.get("revoked") and not e.get("replaced_by"))
    cohort = target["listener"].split("/")[0]
    before = (data / "cohorts" / f"{cohort}.yaml").read_bytes()
    issuing.revoke(data, target["number"], target["issued"] + dt.timedelta(days=3), "тест / тест")
    assert (data / "cohorts" / f"{cohort}.yaml").read_bytes() != before

    caplog.set_level(logging.INFO)
    build(data, tmp_path / "B" / "site", tmp_path / "B" / "print", cache_dir=cache, site_url=SITE_URL, jobs=2)
    assert f"1 of {groups} cohort group(s) rendered" in _rendered(caplog, "generators.verification_pages")
    assert f"1 of {groups} cohort(s) rendered" in _rendered(caplog, "generators.certificate_pdfs")

    fresh = tmp_path / "fresh"
    shutil.copytree(data, fresh)
    build(fresh, tmp_path / "C" / "site", tmp_path / "C" / "print", cache_dir=tmp_path / "cache-c", site_url=SITE_URL,
          jobs=2)
    for part in ("site", "print"):
        _same_trees(tmp_path / "B" / part, tmp_path / "C" / part)
    token = target["token"]
    a = (tmp_path / "A" / "site" / "v" / token / "index.html").read_text(encoding="utf-8")
    b = (tmp_path / "B" / "site" / "v" / token / "index.html").read_text(encoding="utf-8")
    assert a != b  # the revoked certificate's page was rendered again
    assert (tmp_path / "A" / "site" / "status" / "1").read_bytes() != (tmp_path / "B" / "site" / "status" / "1").read_bytes()


def test_build_renders_filled_forms_only_when_asked(synth_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synth_data, data)
    run_cli("build", "--data", data, "--site", tmp_path / "s1", "--print", tmp_path / "p1", check=0)
    assert not (tmp_path / "p1" / "forms").exists() or not list((tmp_path / "p1" / "forms").rglob("*.pdf"))
    proc = run_cli("build", "--data", data, "--site", tmp_path / "s1", "--print", tmp_path / "p1", "--jobs", "0")
    assert proc.returncode == 2 and "--jobs must be at least 1" in proc.stderr and "Traceback" not in proc.stderr
