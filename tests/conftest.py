"""Shared fixtures: the project's own data, copies of it to break, and the CLI as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CLI = [sys.executable, "-m", "biliktilik"]


def run_cli(*args, cwd=None, env=None, check=None):
    """Run ``biliktilik ARGS`` in a subprocess, as a person would; returns CompletedProcess."""
    full_env = dict(os.environ)
    full_env.setdefault("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23: the sample data's "today"
    for key, value in (env or {}).items():  # None: not set (e.g. BILIKTILIK_LANG, to test LANG)
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    proc = subprocess.run(CLI + [str(a) for a in args], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=600)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def findings_json(*args, **kw):
    proc = run_cli("validate", "--format", "json", *args, **kw)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else [])


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the shipped data/ under tmp_path/data."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def _english_messages():
    """Messages in English for every test, whatever the machine's locale: in this process and in
    every subprocess it starts (BILIKTILIK_LANG wins over LANG). A test of another language sets
    it itself (tests/test_i18n.py)."""
    from biliktilik import i18n

    saved = {k: os.environ.get(k) for k in ("BILIKTILIK_LANG", "LANGUAGE")}
    os.environ["BILIKTILIK_LANG"] = "en"
    os.environ.pop("LANGUAGE", None)
    i18n.choose("en")
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own validation cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """site/ built once per test session from the shipped data (build date 2026-11-23). Read only."""
    from biliktilik.build.pipeline import build

    out = tmp_path_factory.mktemp("sample-site")
    saved = dict(os.environ)
    os.environ["SOURCE_DATE_EPOCH"] = "1795392000"
    os.environ["XDG_CACHE_HOME"] = str(out / "cache")
    try:
        build(DATA, out / "site", out / "print", use_cache=False)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return out / "site"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files (tests/broken/*/expected.txt) from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


_BROWSER_MODULES = {"test_catalog_browser", "test_no_script_injection", "test_public_pages", "test_site_guard",
                    "test_trust", "test_attacks", "test_keys"}


def pytest_collection_modifyitems(config, items):
    """Tests that drive Chromium carry the ``browser`` marker (also those of a module that imports
    Playwright without marking each test), so ``pytest -m "not browser and not slow"`` is the fast
    part to run while editing."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        uses_browser = module in _BROWSER_MODULES or "playwright" in getattr(item.module, "__dict__", {})
        if uses_browser and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
