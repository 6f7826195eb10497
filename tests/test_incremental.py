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


# --------------------------------------------------------------------------- kinds of one-cohort change (issue 12)

def _cohort_files(data: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((data / "cohorts").glob("*.yaml"))}


def _finished_with_reference(data: Path) -> str:
    return next(c for c, text in _cohort_files(data).items() if "certificate:" in text and "outcome: reference" in text)


def _not_started(data: Path) -> str:
    return next(c for c, text in _cohort_files(data).items() if "certificate:" not in text and "listeners:" in text)


def _edit(data: Path, cohort: str, old: str, new: str, after: str = ""):
    """Replace the first ``old`` after ``after`` in the cohort file (a text edit, as a person makes it)."""
    path = data / "cohorts" / f"{cohort}.yaml"
    text = path.read_text(encoding="utf-8")
    at = text.index(after) if after else 0
    i = text.index(old, at)
    path.write_text(text[:i] + new + text[i + len(old):], encoding="utf-8")


def _reference_listener_block(data: Path, cohort: str) -> str:
    """The ``  - id: lNNN`` line of the first listener of ``cohort`` who got a reference (no certificate)."""
    text = (data / "cohorts" / f"{cohort}.yaml").read_text(encoding="utf-8")
    block = next(b for b in text.split("\n  - id: ")[1:] if "outcome: reference" in b)
    return "  - id: " + block.split("\n", 1)[0]


def _change_name(data: Path):
    cohort = _finished_with_reference(data)
    _edit(data, cohort, "surname: ", "surname: Өзгертілген", after=_reference_listener_block(data, cohort))


def _change_grade(data: Path):
    """A grade of a certificate holder edited, and the certificate corrected (biliktilik correct)."""
    cohort = _finished_with_reference(data)
    text = (data / "cohorts" / f"{cohort}.yaml").read_text(encoding="utf-8")
    i = text.index("grades: ")
    first = text[i:].split('"1": ', 1)[1][0]
    number = text[i:].split("number: ", 1)[1].split("\n", 1)[0]
    _edit(data, cohort, f'"1": {first}', f'"1": {5 if first != "5" else 3}', after="grades: ")
    issuing.correct(data, number)


def _new_listener(data: Path):
    cohort = _not_started(data)
    path = data / "cohorts" / f"{cohort}.yaml"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + (
        "\n  - id: l099\n    name: {surname: Жаңа, given: Тыңдаушы, patronymic: Ерланқызы}\n"
        '    iin: "900101400013"\n    employer: № 7 мектеп\n    position: мұғалім\n'
        '    phone: "+7 701 000 00 99"\n    email: new99@example.kz\n'), encoding="utf-8")


def _revoke(data: Path):
    checked = validate(data, use_cache=False)
    entry = next(e for e in ledger_entries(checked.dataset) if not e.get("revoked") and not e.get("replaced_by"))
    issuing.revoke(data, entry["number"], entry["issued"] + dt.timedelta(days=3), "тест / тест")


def _dates_and_seats(data: Path):
    cohort = _not_started(data)
    text = (data / "cohorts" / f"{cohort}.yaml").read_text(encoding="utf-8")
    start = dt.date.fromisoformat(text.split("\nstart: ", 1)[1][:10])
    end = dt.date.fromisoformat(text.split("\nend: ", 1)[1][:10])
    seats = int(text.split("\nseats: ", 1)[1].split("\n", 1)[0])
    _edit(data, cohort, f"\nstart: {start}", f"\nstart: {start + dt.timedelta(days=7)}")
    _edit(data, cohort, f"\nend: {end}", f"\nend: {end + dt.timedelta(days=7)}")
    _edit(data, cohort, f"\nseats: {seats}", f"\nseats: {seats + 5}")


@pytest.fixture(scope="module")
def cold_built(tmp_path_factory):
    """Synthetic data with a cohort not started yet, and its cold build with the build's cache."""
    root = tmp_path_factory.mktemp("kinds")
    synthesize(root / "data", listeners=300)
    build(root / "data", root / "A" / "site", root / "A" / "print", cache_dir=root / "cache", site_url=SITE_URL, jobs=2)
    return root


@pytest.mark.parametrize("change", [_change_name, _change_grade, _new_listener, _revoke, _dates_and_seats],
                         ids=["name", "grade", "new-listener", "revoked", "dates-and-seats"])
def test_each_kind_of_one_cohort_change_rebuilds_to_a_cold_build(cold_built, tmp_path, change):
    """Issue 12: after a change to one cohort file, a rebuild with the cold build's cache (in the same
    folders, as a user runs it) is byte-identical to a cold build of the changed data; the change shows."""
    data = tmp_path / "data"
    shutil.copytree(cold_built / "data", data)
    before = _cohort_files(data)
    change(data)
    changed = [c for c, text in _cohort_files(data).items() if text != before[c]]
    assert len(changed) == 1, changed
    assert validate(data, use_cache=False).errors == []
    out = tmp_path / "B"
    shutil.copytree(cold_built / "A", out, symlinks=True)
    shutil.copytree(cold_built / "cache", tmp_path / "cache")
    build(data, out / "site", out / "print", cache_dir=tmp_path / "cache", site_url=SITE_URL, jobs=2)
    build(data, tmp_path / "C" / "site", tmp_path / "C" / "print", cache_dir=tmp_path / "cache-c",
          site_url=SITE_URL, jobs=2)
    for part in ("site", "print"):
        _same_trees(out / part, tmp_path / "C" / part)
    differs = [p for p in ("site", "print") if _tree(cold_built / "A" / p) != _tree(out / p)
               or filecmp.cmpfiles(cold_built / "A" / p, out / p, sorted(_tree(out / p) & _tree(cold_built / "A" / p)),
                                   shallow=False)[1]]
    assert differs, "the change left every output as it was"
    assert not [p.name for p in out.iterdir() if ".building-" in p.name]  # the previous output: .previous-*


# --------------------------------------------------------------------------- a rebuild writes only what changed

def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_a_rebuild_after_no_change_writes_almost_nothing_new(synth_data, tmp_path, caplog):
    """Issue 12 part 4: a rebuild with nothing changed puts the unchanged outputs (verification pages
    and credentials, check files, certificate PDFs, MkDocs' pages) back as hard links to the cache's
    blobs: the very files of the previous build (same inodes), nothing written again. What is still
    written afresh (status lists, did.json, reports, blank forms) is a few files per report or
    form, not per certificate."""
    data = tmp_path / "data"
    shutil.copytree(synth_data, data)
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(data, out / "site", out / "print", cache_dir=cache, site_url=SITE_URL, jobs=2)
    first = {part: _inodes(out / part) for part in ("site", "print")}
    build(data, out / "site", out / "print", cache_dir=cache, site_url=SITE_URL, jobs=2)
    second = {part: _inodes(out / part) for part in ("site", "print")}
    for part in ("site", "print"):
        assert set(first[part]) == set(second[part])
    new = {f"{part}/{rel}" for part in ("site", "print") for rel, ino in second[part].items() if first[part][rel] != ino}
    per_certificate = [rel for rel in new if rel.startswith(("site/v/", "site/check/", "print/certificates/"))
                       and rel.count("/") > 2 and "/unknown/" not in rel]
    assert per_certificate == []
    assert not [rel for rel in new if rel.endswith(".html") and rel.startswith("site/") and "/v/" not in rel]
    tokens = len(list((out / "site" / "v").glob("*/credential.jwt")))
    assert tokens > 50
    # made afresh in every build, a fixed number whatever the data's size: the signed status lists and
    # did.json, the verification pages' shared files, the blank forms (none
    # of them per listener or cohort), the reports' index
    fresh = ("site/status/", "site/.well-known/", "site/forms/", "site/v/index.html", "site/v/unknown/",
             "site/v/verify.js", "print/reports/index.html")
    assert sorted(rel for rel in new if not rel.startswith(fresh)) == []
    total = sum(len(v) for v in second.values())
    assert len(new) < total / 10, (len(new), total)
