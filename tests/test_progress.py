"""Progress and -v as a person sees them: bars with counts on a terminal, nothing when stderr is a
pipe, and -v with our stage lines but without WeasyPrint's, fontTools' or MkDocs' INFO lines."""

from __future__ import annotations

import os
import pty
import re
import subprocess

from tests.conftest import CLI, ROOT, run_cli

NOISE = re.compile(r"^(INFO|DEBUG) (weasyprint|fontTools|mkdocs|markdown|MARKDOWN|PIL|watchdog)", re.M)


def test_verbose_build_logs_stages_without_library_noise(data_copy, tmp_path):
    proc = run_cli("build", "-v", "--data", data_copy, "--site", tmp_path / "site", "--print", tmp_path / "print",
                   "--cache", tmp_path / "cache", check=0)
    pdfs = list((tmp_path / "print").rglob("*.pdf"))
    assert pdfs and (tmp_path / "site" / "ru" / "index.html").is_file()  # WeasyPrint, fontTools, MkDocs all ran
    assert NOISE.findall(proc.stderr) == [], proc.stderr[:2000]
    stages = re.findall(r"^INFO biliktilik\.progress: stage (.+): \d+\.\d\ds$", proc.stderr, re.M)
    for stage in ("validate", "read files", "checks", "pages", "MkDocs (kk)", "MkDocs (ru)", "certificate PDFs"):
        assert stage in stages, stages


def test_forms_quiet_when_not_a_terminal(tmp_path):
    proc = run_cli("forms", "--blank", "--org", "order-95", "--out", tmp_path, check=0)
    assert list((tmp_path / "forms").rglob("*.pdf"))
    assert proc.stderr == ""


def _on_a_terminal(*args) -> tuple[int, str, str]:
    """Run ``biliktilik ARGS`` with stderr on a pseudo-terminal; (exit code, stdout, what the terminal
    showed without its escape sequences)."""
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="160", TERM="xterm", SOURCE_DATE_EPOCH="1795392000")
    try:
        proc = subprocess.Popen(CLI + [str(a) for a in args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=follower, text=True)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout, _ = proc.communicate(timeout=600)
    finally:
        os.close(leader)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    return proc.returncode, stdout, shown


def test_forms_bar_with_counts_on_a_terminal(tmp_path):
    """rich draws each stage with done/total counts when stderr is a terminal."""
    code, stdout, shown = _on_a_terminal("forms", "--blank", "--org", "order-95", "--out", tmp_path)
    assert code == 0, stdout
    n = len(list((tmp_path / "forms").rglob("*.pdf")))
    assert n > 1 and re.search(rf"forms\s.*\b{n}/{n}\b", shown), shown[-2000:]
    assert re.search(r"read files\s.*\b\d+/\d+\b", shown), shown[-2000:]


def test_validate_and_issue_count_the_files_read_on_a_terminal(data_copy):
    from tests.test_certificates_issue import _new_cohort

    _new_cohort(data_copy)
    files = len(list(data_copy.rglob("*.yaml")))
    code, stdout, shown = _on_a_terminal("validate", "--no-cache", "--data", data_copy)
    assert code == 0, stdout
    assert re.search(rf"read files\s.*\b{files}/{files}\b", shown), shown[-2000:]
    code, stdout, shown = _on_a_terminal("issue", "--data", data_copy, "--cohort", "2026-03-tor-test")
    assert code == 0 and re.search(r"^issued [1-9]\d* certificate\(s\)", stdout, re.M), (stdout, shown[-2000:])
    # issue validates before and after writing, both times reading every file
    assert len(re.findall(rf"read files\s.*\b{files}/{files}\b", shown)) >= 2, shown[-2000:]
