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


def test_forms_bar_with_counts_on_a_terminal(tmp_path):
    """stderr on a pseudo-terminal: rich draws the stage with done/total counts."""
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="160", TERM="xterm", SOURCE_DATE_EPOCH="1795392000")
    try:
        proc = subprocess.Popen(CLI + ["forms", "--blank", "--org", "order-95", "--out", str(tmp_path)], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=follower, text=True)
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
    assert proc.returncode == 0, stdout
    n = len(list((tmp_path / "forms").rglob("*.pdf")))
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    assert n > 1 and re.search(rf"forms\s.*\b{n}/{n}\b", shown), shown[-2000:]
    assert re.search(r"read files\s.*\b\d+/\d+\b", shown), shown[-2000:]
