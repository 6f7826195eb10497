"""``biliktilik serve`` run for real: a subprocess serving a copy of the shipped data, fetched over
HTTP (urllib) and in Chromium; edits to the copy's YAML are followed by the served pages."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from tests.conftest import CLI, DATA, ROOT, run_cli

PROGRAMME = "center-nit-abroad-finland-72"  # no certificate issued: its title may change without a correction


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _wait(what, check, timeout=300.0, server=None):
    """Poll ``check()`` until it returns a true value (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            pytest.fail(f"the server ended (exit {server.returncode}) while waiting for {what}")
        try:
            last = check()
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}; last: {last!r}")


@contextmanager
def serving(data: Path, tmp: Path, *extra: str):
    """``biliktilik serve`` on a free port for ``data``; yields (base URL, Popen, stderr file).
    Always stopped in the end: Ctrl-C (SIGINT), then SIGKILL of its process group."""
    port = _free_port()
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795392000", XDG_CACHE_HOME=str(tmp / "xdg"))
    out, err = open(tmp / "serve.out", "w+"), open(tmp / "serve.err", "w+")
    proc = subprocess.Popen(CLI + ["serve", "--port", str(port), "--data", str(data), "--preview",
                                   str(tmp / "preview"), "--cache", str(tmp / "cache"), *extra],
                            cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("the server to answer", lambda: _version(base), timeout=60, server=proc)
        yield base, proc, tmp / "serve.err"
    finally:
        try:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the build process too, whatever happened
            except ProcessLookupError:
                pass
            proc.wait()
            out.close()
            err.close()


def _version(base: str) -> dict:
    return json.loads(urllib.request.urlopen(base + "/__biliktilik/version", timeout=10).read())


def _state(base: str, *states: str):
    v = _version(base)
    return v if v["state"] in states else None


def _banner(html: str):
    return BeautifulSoup(html, "lxml").find(id="bk-serve-banner")


def _h1(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    for b in soup.select("#bk-serve-banner, a.headerlink"):  # the banner; MkDocs' permalink mark
        b.decompose()
    h1 = soup.find("h1")
    return " ".join(h1.get_text(" ").split()) if h1 else ""


def _set_title(path: Path, lang: str, value: str):
    """Edit the programme's title in ``lang`` as a person would: the file's layout and comments kept."""
    from ruamel.yaml import YAML

    rt = YAML()
    record = rt.load(path.read_text(encoding="utf-8"))
    record["title"][lang] = value
    with open(path, "w", encoding="utf-8") as fh:
        rt.dump(record, fh)


def _line_of(path: Path, pattern: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if re.match(pattern, line))


def test_serve_both_languages_follows_edits_and_shows_errors(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    programme = data / "programmes" / f"{PROGRAMME}.yaml"
    title = yaml.safe_load(programme.read_text(encoding="utf-8"))["title"]
    real_site = ROOT / "site"
    before = real_site.stat().st_mtime_ns if real_site.exists() else None
    with serving(data, tmp_path, "--no-pdf") as (base, proc, stderr):
        first = _wait("the first build", lambda: _state(base, "ok", "invalid", "failed"), server=proc)
        assert first["state"] == "ok", stderr.read_text()

        # both languages, as the real site lays them out: Kazakh at /, Russian at /ru/
        status, kk = _get(f"{base}/programmes/{PROGRAMME}/")
        assert status == 200 and 'lang="kk"' in kk
        assert _h1(kk) == " ".join(title["kk"].split())
        status, ru = _get(f"{base}/ru/programmes/{PROGRAMME}/")
        assert status == 200 and 'lang="ru"' in ru
        assert _h1(ru) == " ".join(title["ru"].split())
        status, kk_alias = _get(f"{base}/kk/programmes/{PROGRAMME}/")  # /kk/... is the Kazakh page at /...
        assert status == 200 and _h1(kk_alias) == _h1(kk)
        assert _banner(ru) is None
        # the reload script is in the served HTML only, never in the files on disk
        assert '<script src="/__biliktilik/reload.js"' in ru
        assert "/__biliktilik/version" in _get(f"{base}/__biliktilik/reload.js")[1]
        on_disk = (tmp_path / "preview" / "site" / "ru" / "programmes" / PROGRAMME / "index.html").read_text("utf-8")
        assert "__biliktilik" not in on_disk and _h1(on_disk) == _h1(ru)
        # nothing outside the preview's site/ is reachable: not print/ beside it, not the data
        (tmp_path / "preview" / "print" / "probe.txt").write_text("personal data", encoding="utf-8")
        for path in ("/../print/probe.txt", "/%2e%2e/print/probe.txt", "/ru/../../print/probe.txt",
                     "/..%2f..%2fdata/ledger.yaml"):
            status, body = _get(base + path)  # urllib sends the path as written, dots included
            assert status == 404 and "personal data" not in body and "listeners:" not in body, path

        # a data edit changes the page
        new_title = "Сынақ " + title["ru"] + f" {os.getpid()}"
        _set_title(programme, "ru", new_title)
        _wait("the new title", lambda: _h1(_get(f"{base}/ru/programmes/{PROGRAMME}/")[1]) == new_title, server=proc)
        assert _h1(_get(f"{base}/programmes/{PROGRAMME}/")[1]) == " ".join(title["kk"].split())

        # an invalid value: the finding on every page, HTML-escaped, over the last good site
        hours_line = _line_of(programme, r"^hours: ")
        good = programme.read_text(encoding="utf-8")
        hostile = "<script>alert(1)</script>"
        programme.write_text(re.sub(r"(?m)^hours: .*$", f'hours: "{hostile}"', good), encoding="utf-8")
        _wait("the error", lambda: _state(base, "invalid"), server=proc)
        for path in (f"/ru/programmes/{PROGRAMME}/", "/", "/ru/", "/no/such/page/"):
            status, html = _get(base + path)
            banner = _banner(html)
            assert banner is not None, path
            findings = [li.get_text() for li in banner.select(".bk-serve-finding")]
            assert any(f"{PROGRAMME}.yaml:{hours_line}:" in f and "programme.hours" in f for f in findings), findings
            assert hostile in banner.get_text() and hostile not in html  # shown as text, never as markup
        status, html = _get(f"{base}/ru/programmes/{PROGRAMME}/")
        assert status == 200 and _h1(html) == new_title  # the previous good site stays behind the banner
        labels = yaml.safe_load((ROOT / "templates" / "serve" / "labels.yaml").read_text(encoding="utf-8"))
        assert _banner(html)["lang"] == "ru" and labels["old_site"]["ru"] in _banner(html).get_text()
        assert f"{PROGRAMME}.yaml:{hours_line}:" in stderr.read_text() and "programme.hours" in stderr.read_text()

        # fixed: the site comes back without the banner
        programme.write_text(good, encoding="utf-8")
        _wait("the recovery", lambda: _state(base, "ok"), server=proc)
        status, html = _get(f"{base}/ru/programmes/{PROGRAMME}/")
        assert status == 200 and _banner(html) is None and _h1(html) == new_title

        # Ctrl-C stops it cleanly
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0, stderr.read_text()[-3000:]
        assert "Traceback" not in stderr.read_text()
    assert (real_site.stat().st_mtime_ns if real_site.exists() else None) == before  # the real site/ untouched


def test_serve_before_a_good_build_every_address_shows_the_errors(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    cohort = next(iter(sorted((data / "cohorts").glob("*.yaml"))))
    cohort.write_text(cohort.read_text(encoding="utf-8") + "\nunknown_key_x: 1\n", encoding="utf-8")
    with serving(data, tmp_path, "--no-pdf") as (base, proc, stderr):
        _wait("the first build", lambda: _state(base, "invalid", "failed", "ok"), server=proc)
        assert _version(base)["state"] == "invalid"
        for path, lang in (("/", "kk"), ("/ru/", "ru"), ("/programmes/x/", "kk"), ("/ru/about/", "ru")):
            status, html = _get(base + path)
            assert status == 500
            banner = _banner(html)
            assert banner is not None and banner["lang"] == lang
            assert any(cohort.name in li.get_text() and "unknown_key_x" in li.get_text()
                       for li in banner.select(".bk-serve-finding")), banner.get_text()
        assert not (tmp_path / "preview" / "site" / "index.html").exists()
        assert cohort.name in stderr.read_text()


def test_serve_bad_port_and_data_are_one_line_errors(tmp_path):
    proc = run_cli("serve", "--data", tmp_path / "nowhere", "--port", "0")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"biliktilik: {tmp_path / 'nowhere'}: no such data folder"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_cli("serve", "--data", DATA, "--port", port, "--preview", tmp_path / "preview")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"biliktilik: port {port} on 127.0.0.1 is in use; choose another with --port"]
    assert "Traceback" not in proc.stderr
    proc = run_cli("serve", "--data", DATA, "--port", "0", "--preview", tmp_path, cwd=tmp_path)
    assert proc.returncode == 2 and "the preview would replace the real site/" in proc.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.browser
def test_serve_banner_in_chromium_and_live_reload(tmp_path):
    from tests.browser_util import launch

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    programme = data / "programmes" / f"{PROGRAMME}.yaml"
    good = programme.read_text(encoding="utf-8")
    with serving(data, tmp_path, "--no-pdf") as (base, proc, _stderr), launch() as browser:
        _wait("the first build", lambda: _state(base, "ok"), server=proc)
        page = browser.new_page()
        page.goto(f"{base}/ru/programmes/{PROGRAMME}/")
        assert page.locator("#bk-serve-banner").count() == 0
        h1 = page.locator("h1").first.inner_text()
        programme.write_text(re.sub(r"(?m)^hours: .*$", "hours: eighty", good), encoding="utf-8")
        # the page reloads by itself and shows the banner above the previous site
        page.wait_for_selector("#bk-serve-banner", state="visible", timeout=120_000)
        banner = page.locator("#bk-serve-banner")
        assert "programme.hours" in banner.inner_text()
        box = banner.bounding_box()
        assert box["y"] < 5 and box["height"] > 20 and box["width"] > 300  # at the top, not hidden
        assert page.locator("h1").first.inner_text() == h1
        programme.write_text(good, encoding="utf-8")
        page.wait_for_selector("#bk-serve-banner", state="detached", timeout=120_000)
        assert page.locator("h1").first.inner_text() == h1


def test_ctrl_c_during_a_build_stops_everything_cleanly(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    with serving(data, tmp_path) as (base, proc, stderr):
        assert _version(base)["state"] == "building"  # the first build (with PDFs) has just begun
        # the build's workers run (certificate PDFs or verification pages: more than the build process)
        _wait("the build's workers", lambda: len(_descendants(proc.pid)) > 3, timeout=120, server=proc)
        groups = {pgid for _, pgid in _descendants(proc.pid)}
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
        assert code == 0, stderr.read_text()
        # the build process, its workers and the forkserver end with the server
        _wait("every process of the server to end", lambda: not any(_group(g) for g in groups), timeout=120)
        text = stderr.read_text()
        assert "Traceback" not in text
        assert text.rstrip().endswith("stopped"), text  # nothing wrote after the server had stopped


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.8])
def test_ctrl_c_while_the_build_process_starts(tmp_path, delay):
    """Ctrl-C while the server is still starting its build process (a forkserver fork): a clean stop,
    never "can only join a started process" (exit 3), and no build process left running."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    with serving(data, tmp_path) as (base, proc, stderr):
        time.sleep(delay)
        groups = {pgid for _, pgid in _descendants(proc.pid)}
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
        assert code == 0, stderr.read_text()
        _wait("every process of the server to end", lambda: not any(_group(g) for g in groups), timeout=120)
        assert "Traceback" not in stderr.read_text()


def _processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every live (not zombie) process."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            out.append((int(stat.parent.name), int(fields[1]), int(fields[2])))
    return out


def _group(pgid: int) -> list[int]:
    return [pid for pid, _, group in _processes() if group == pgid]


def _descendants(root: int) -> list[tuple[int, int]]:
    """(pid, process group) of the processes below ``root``."""
    procs = _processes()
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        for pid, ppid, pgid in procs:
            if ppid == parent:
                found.append((pid, pgid))
                todo.append(pid)
    return found
