"""Issue 11 hardening: what an attack review of a fresh clone found in data loading and scaffolding,
run as a person runs the command (``python -m biliktilik`` in a subprocess).

- Symbolic links under data/: one to outside the data folder is never read (a ``file.symlink``
  finding at line 1 names the link, never the target's content); a broken or looping link is a
  finding too, never a traceback; ``new`` still works beside them.
- Findings never quote a secret-looking value and quote at most a short excerpt.
- ``new``: an id longer than 64 characters, hours or seats below the schema's minimum are refused
  (exit 2, nothing written); ``init --site-url`` takes only a plain path; names cannot break the
  YAML of mkdocs.yml or the Markdown of the README.

``serve`` is attacked in tests/test_serve_hostile.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup

from tests.conftest import DATA, ROOT, run_cli
from tests.test_scaffold import HOST, ORG, init, one_line_refusal, run

SECRET = "SECRET_TOKEN=abc123"
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----\n"


@pytest.fixture
def data(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns(".schemas"))
    return copy


def _validate(data: Path, *extra):
    return run_cli("validate", "--data", data, "--no-cache", *extra)


def _no_traceback(proc):
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


def _in_data(file: str, data: Path) -> str:
    """A finding's file relative to the data folder (findings name it from the command's folder)."""
    return os.path.relpath(os.path.join(ROOT, file), data)


def _json_findings(proc) -> list[dict]:
    doc = json.loads(proc.stdout)
    return doc["findings"] if isinstance(doc, dict) else doc


def test_links_out_of_the_data_folder_are_refused_unread(data, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "env.txt").write_text(SECRET + "\n")
    (outside / "id_ed25519").write_text(PEM)
    (outside / "programmes").mkdir()
    (outside / "programmes" / "x.yaml").write_text("id: " + SECRET.lower().replace("=", "-") + "\n")
    os.symlink(outside / "env.txt", data / "programmes" / "leak2.yaml")
    os.symlink(outside / "id_ed25519", data / "cohorts" / "key.yaml")
    os.symlink(outside / "env.txt", data / "ledger-copy.yaml")  # a stray file that is a link
    os.symlink(outside, data / "extra")  # a folder link: not walked
    os.symlink("../organisations", data / "cohorts" / "orgs")  # inside the data folder: allowed, not a record
    proc = _validate(data, "--format", "json")
    _no_traceback(proc)
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "SECRET" not in out and "abc123" not in out and "BEGIN" not in out and "b3BlbnNz" not in out
    assert str(outside) not in out  # the target is not even named
    links = {(_in_data(f["file"], data), f["line"]) for f in _json_findings(proc) if f["code"] == "file.symlink"}
    assert links == {(rel, 1) for rel in ("programmes/leak2.yaml", "cohorts/key.yaml", "ledger-copy.yaml", "extra")}
    text = _validate(data)
    assert "data/programmes/leak2.yaml:1:1: error file.symlink: a symbolic link to outside the data folder is not read" in text.stdout


def test_broken_and_looping_links_are_findings_not_tracebacks(data):
    os.symlink("/nonexistent/dir", data / "programmes" / "dang.yaml")
    os.symlink("loop2.yaml", data / "programmes" / "loop1.yaml")
    os.symlink("loop1.yaml", data / "programmes" / "loop2.yaml")
    os.symlink("self", data / "cohorts" / "self")
    proc = _validate(data, "--format", "json")
    _no_traceback(proc)
    assert proc.returncode == 1
    found = {(Path(f["file"]).name, f["code"], f["line"]) for f in _json_findings(proc) if f["code"] == "file.symlink"}
    assert found == {("dang.yaml", "file.symlink", 1), ("loop1.yaml", "file.symlink", 1),
                     ("loop2.yaml", "file.symlink", 1), ("self", "file.symlink", 1)}
    messages = {Path(f["file"]).name: f["message"] for f in _json_findings(proc) if f["code"] == "file.symlink"}
    assert "broken" in messages["dang.yaml"] and "loop" in messages["loop1.yaml"]
    # `new` beside them: written, and a link with the new record's name is never written through
    proc = run_cli("new", "programme", "--data", data, "--organisation", "center-nit", "--id", "physics-72", "--hours", "72")
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert (data / "programmes" / "physics-72.yaml").is_file()
    line = one_line_refusal(run_cli("new", "programme", "--data", data, "--organisation", "center-nit", "--id", "dang"), 1)
    assert "exists already" in line
    assert os.path.islink(data / "programmes" / "dang.yaml") and not os.path.exists("/nonexistent/dir")


@pytest.mark.parametrize("target", ["outside", "/nonexistent/dir"])
def test_new_never_writes_through_a_folder_link(data, tmp_path, target):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(data / "programmes")
    os.symlink(outside if target == "outside" else target, data / "programmes")
    line = one_line_refusal(run_cli("new", "programme", "--data", data, "--organisation", "center-nit", "--id", "x-72"), 1)
    assert "symbolic link" in line and "nothing was written" in line
    assert list(outside.iterdir()) == []


def test_a_link_inside_the_data_folder_is_still_read(data):
    name = "teacher-organiser-80.yaml"
    (data / "programmes" / name).rename(data / name)  # the real file elsewhere in data/, linked back
    os.symlink(f"../{name}", data / "programmes" / name)
    proc = _validate(data, "--format", "json")
    _no_traceback(proc)
    codes = {(Path(f["file"]).name, f["code"]) for f in _json_findings(proc)}
    assert (name, "file.symlink") not in codes
    assert (name, "data.unknown-file") in codes  # the target itself is where no record belongs
    assert any(n == name and c.startswith("programme.") for n, c in codes)  # the linked record was read


def test_findings_quote_no_secret_and_only_a_short_excerpt(data):
    org = data / "organisations" / "center-nit.yaml"
    text = org.read_text(encoding="utf-8")
    record = yaml.safe_load(text)
    token = "ghp_A1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv"
    long_kind = "x" * 500
    text = text.replace(f"kind: {record['kind']}", f"kind: {long_kind}", 1)
    text = re.sub(r"^website:.*$", f"website: {token}", text, count=1, flags=re.MULTILINE)
    org.write_text(text, encoding="utf-8")
    proc = _validate(data)
    _no_traceback(proc)
    mine = [ln for ln in proc.stdout.splitlines() if "center-nit.yaml" in ln and " error " in ln]
    assert any("organisation.website" in ln and "not shown" in ln for ln in mine), mine
    assert token not in proc.stdout and token[:12] not in proc.stdout
    kind_line = next(ln for ln in mine if "organisation.kind" in ln)
    assert "x" * 37 not in kind_line and "x" * 30 in kind_line and "..." in kind_line


def test_new_refuses_a_long_id_and_counts_below_the_minimum(data):
    before = sorted(p.name for p in (data / "programmes").iterdir())
    long_id = "a" * 300
    line = one_line_refusal(run_cli("new", "programme", "--data", data, "--organisation", "center-nit", "--id", long_id), 2)
    assert "300 characters long" in line and "at most 64" in line and long_id not in line
    line = one_line_refusal(run_cli("new", "programme", "--data", data, "--organisation", "center-nit",
                                    "--id", "short-72", "--hours", "-5"), 2)
    assert "--hours -5 is below the minimum 1" in line
    line = one_line_refusal(run_cli("new", "cohort", "--data", data, "--programme", "teacher-organiser-80",
                                    "--id", "2027-09-x", "--seats", "0"), 2)
    assert "--seats 0 is below the minimum 1" in line
    assert sorted(p.name for p in (data / "programmes").iterdir()) == before
    assert not (data / "cohorts" / "2027-09-x.yaml").exists()
    ok = run_cli("new", "programme", "--data", data, "--organisation", "center-nit", "--id", "a" * 64)
    assert ok.returncode == 0, ok.stderr


def test_the_validator_says_an_id_is_too_long(data):
    src = data / "programmes" / "teacher-organiser-80.yaml"
    text = src.read_text(encoding="utf-8")
    long_id = "b" * 65
    src.write_text(text.replace("id: teacher-organiser-80", f"id: {long_id}", 1), encoding="utf-8")
    proc = _validate(data)
    _no_traceback(proc)
    assert proc.returncode == 1
    line = next(ln for ln in proc.stdout.splitlines() if "teacher-organiser-80.yaml" in ln and "programme.id:" in ln)
    assert "is 65 characters long; at most 64 allowed" in line


@pytest.mark.parametrize("url, words", [
    ("https://kurs.example.kz/my courses/", "the path may hold only"),
    ('https://kurs.example.kz/"><script>alert(1)</script>', "the path may hold only"),
    ("https://kurs.example.kz//evil.example/", "the path may hold only"),
    ("https://kurs.example.kz/a/../b/", "the path may hold only"),
    ("https://kurs.example.kz/a'b/", "the path may hold only"),
    ("https://kurs.example.kz/%zz/", "the path may hold only"),
    ("https://kurs.example.kz/a\nsite_url: https://evil.example/", "line breaks"),
])
def test_init_refuses_a_site_path_that_is_not_plain(tmp_path, url, words):
    line = one_line_refusal(run("init", "inst", "--site-url", url, "--organisation", ORG, "--name-kk", "Орталық",
                                "--name-ru", "Центр", "--head", "Ахметова Дина", "--key-file", str(tmp_path / "k.pem"),
                                cwd=tmp_path), 2)
    assert words in line
    assert not (tmp_path / "inst").exists() and not (tmp_path / "k.pem").exists()


def test_init_takes_a_plain_path_and_writes_names_safely(tmp_path):
    hostile = 'Центр "<b>X</b>" [link](https://evil.example) #1 * _a_'
    result = run("init", "inst", "--site-url", f"https://{HOST}/kurs-2027/v1.2", "--organisation", ORG,
                 "--name-kk", hostile, "--name-ru", hostile, "--head", "Ахметова Дина",
                 "--key-file", str(tmp_path / "k.pem"), cwd=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert result.returncode == 0, result.stderr
    inst = tmp_path / "inst"
    class Loader(yaml.SafeLoader):  # MkDocs' python tags (the slugify function) read as nothing
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((inst / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    assert config["site_url"] == f"https://{HOST}/kurs-2027/v1.2/"
    assert config["site_name"] == hostile and config["extra"]["site_names"]["ru"] == hostile
    first = (inst / "mkdocs.yml").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and hostile in first
    readme = (inst / "README.md").read_text(encoding="utf-8")
    soup = BeautifulSoup(markdown.markdown(readme), "lxml")  # Python-Markdown, as MkDocs renders Markdown
    assert soup.find("b") is None and not soup.select('a[href^="https://evil"]')
    assert soup.find("h1").get_text() == f"{hostile} / {hostile}"  # shown as written, nothing made of it
    line = one_line_refusal(run("init", "inst2", "--site-url", f"https://{HOST}/", "--organisation", ORG,
                                "--name-kk", "Орталық", "--name-ru", "Центр\nsite_url: https://evil.example/",
                                "--head", "Ахметова Дина", "--key-file", str(tmp_path / "k2.pem"), cwd=tmp_path), 2)
    assert "--name-ru may not hold line breaks" in line
    assert init(tmp_path, "inst3").returncode == 0  # the usual init still works
