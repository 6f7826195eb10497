"""`biliktilik build` as a user runs it: validates first, builds both languages, writes atomically."""

from __future__ import annotations

import shutil

from bs4 import BeautifulSoup

from biliktilik.load.dataset import load_dataset
from conftest import DATA, ROOT, run_cli


def test_build_lists_every_programme_on_the_home_page_in_both_languages(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    proc = run_cli("build", "--data", tmp_path / "data", "--site", tmp_path / "site", "--print", tmp_path / "print",
                   check=0)
    assert "built" in proc.stdout
    programmes = load_dataset(DATA, use_cache=False).programmes
    for lang, folder in (("kk", tmp_path / "site"), ("ru", tmp_path / "site" / "ru")):
        page = BeautifulSoup((folder / "index.html").read_text(encoding="utf-8"), "lxml")
        text = " ".join(page.get_text(" ").split())
        assert page.html["lang"] == lang
        for prog in programmes.values():
            title = prog.data["title"][lang]
            assert " ".join(title.split()) in text, (lang, title)
    leftovers = [p.name for p in tmp_path.iterdir() if ".building-" in p.name or ".old-" in p.name]
    assert not leftovers


def test_a_second_build_replaces_the_site_whole(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    site = tmp_path / "site"
    site.mkdir()
    (site / "stale.html").write_text("from an old build")
    run_cli("build", "--data", tmp_path / "data", "--site", site, "--print", tmp_path / "print", check=0)
    assert not (site / "stale.html").exists()
    assert (site / "index.html").exists()


def test_build_with_a_broken_config_is_a_clear_error(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    bad = tmp_path / "mkdocs.yml"
    bad.write_text((ROOT / "mkdocs.yml").read_text(encoding="utf-8") + "\ntheme: [not, a, mapping\n", encoding="utf-8")
    proc = run_cli("build", "--data", tmp_path / "data", "--site", tmp_path / "site", "--print", tmp_path / "print",
                   "--config", bad)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "mkdocs.yml" in proc.stderr
    assert not (tmp_path / "site").exists()


def test_plain_mkdocs_build_strict_generates_the_catalog(tmp_path):
    """`mkdocs build --strict` on mkdocs.yml alone validates data/ and builds the Kazakh catalog."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    for prog in load_dataset(DATA, use_cache=False).programmes.values():
        assert prog.id in text
    assert (tmp_path / "out" / "regulations" / "order-95" / "index.html").exists()
