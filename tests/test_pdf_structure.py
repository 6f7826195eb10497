"""Every kind of PDF the project writes passes a strict structural check by software this project
did not write: ``qpdf --check`` (Debian's qpdf), with no error and no warning.

Our own PDF writer (generators/kit/pdfdraw.py) draws the certificate values; it was only ever read
back by pypdf, a lenient reader, until this test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed (apt-get install qpdf)")


def _qpdf(path: Path) -> str | None:
    """None when ``qpdf --check`` finds the file sound, else what it said."""
    run = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    said = (run.stdout + run.stderr).strip()
    if run.returncode != 0 or "WARNING" in said:  # qpdf: 0 sound, 2 errors, 3 warnings
        return said.splitlines()[-1] if said else f"exit {run.returncode}"
    return None


def test_qpdf_tells_a_broken_pdf(tmp_path, sample_site):
    good = next((sample_site.parent / "print").rglob("*.pdf"))
    assert _qpdf(good) is None
    broken = tmp_path / "broken.pdf"
    data = good.read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # a truncated file: no xref, no trailer
    assert _qpdf(broken) is not None


@pytest.fixture(scope="module")
def filled_forms(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("filled")
    run_cli("forms", "--out", out, check=0)
    return out


def test_every_pdf_kind_passes_qpdf_check(sample_site, filled_forms):
    pdfs = {
        "certificates": sorted((sample_site.parent / "print" / "certificates").rglob("*.pdf")),
        "reports": sorted((sample_site.parent / "print" / "reports").rglob("*.pdf")),
        "blank forms": sorted((sample_site / "forms").rglob("*.pdf")),
        "filled forms": sorted((filled_forms / "forms").rglob("*.pdf")),
    }
    for kind, paths in pdfs.items():
        assert paths, f"no {kind} PDF was written"
    problems = [f"{p}: {said}" for paths in pdfs.values() for p in paths if (said := _qpdf(p))]
    assert problems == []
