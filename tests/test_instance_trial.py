"""Issue 11 (part B): what a newcomer met running "Running your own instance" as written, run the
same way here (the CLI in a fresh folder, git, the workflows' YAML, the built page in Chromium):
init's branch is main; the instance ignores spreadsheets, print/, site/, .cache/ and keys, and
`template` warns about a spreadsheet git would commit; the Russian pages have a Russian site name;
a build without the key says which variable to set and never mentions the DEMO key; `serve` builds
its preview in the instance's own .cache/ and ignores editors' temporary files; the workflows run
commands that exist, install pinned versions and ICU."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.test_scaffold import HOST, ORG, _fill, findings, init, instance, one_line_refusal, run  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml")) + sorted(
    (ROOT / "templates" / "scaffold" / "instance" / "workflows").glob("*.yml"))
PERSONAL = ["list.xlsx", "lists/2026-10.csv", "old.xls", "списки.ods", "print/certificates/a.pdf",
            "site/index.html", ".cache/serve/0123456789ab/site/index.html", "issuer-key-2.pem"]


def git(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def ignored(paths: list[str], cwd: Path) -> set[str]:
    """The ``paths`` (relative to ``cwd``) git would leave out, by ``git check-ignore`` (no file needed)."""
    done = git("-c", "core.quotePath=false", "check-ignore", "--no-index", "--", *paths, cwd=cwd)
    assert done.returncode in (0, 1), done.stderr
    return set(done.stdout.splitlines())


def test_init_starts_the_main_branch_that_publish_runs_on(instance):
    assert git("symbolic-ref", "HEAD", cwd=instance).stdout.strip() == "refs/heads/main"
    publish = yaml.safe_load((instance / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    assert publish[True]["push"]["branches"] == ["main"]  # PyYAML reads `on` as True


def test_init_falls_back_for_a_git_without_initial_branch(tmp_path):
    """A git before 2.28 refuses --initial-branch: init still starts the branch main."""
    real = shutil.which("git")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f'#!/bin/sh\nfor a in "$@"; do case "$a" in --initial-branch*) '
                                 f'echo "error: unknown option $a" >&2; exit 129;; esac; done\nexec {real} "$@"\n')
    (bin_dir / "git").chmod(0o755)
    old = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old}"
    try:
        assert subprocess.run(["git", "init", "--initial-branch=main", str(tmp_path / "probe")],
                              capture_output=True).returncode == 129  # the stand-in does refuse it
        result = init(tmp_path)
    finally:
        os.environ["PATH"] = old
    assert result.returncode == 0, result.stderr
    assert "(a git repository)" in result.stdout
    assert git("symbolic-ref", "HEAD", cwd=tmp_path / "inst").stdout.strip() == "refs/heads/main"


def test_the_instance_ignores_personal_data_outputs_and_keys_and_gets_the_hooks(instance):
    assert ignored(PERSONAL, instance) == set(PERSONAL)
    kept = ["data/cohorts/2026-10-physics-kk.yaml", "content/issuer-keys.yaml", "mkdocs.yml",
            ".pre-commit-config.yaml", ".github/workflows/publish.yml"]
    assert ignored(kept, instance) == set()
    git("add", "-A", cwd=instance)
    staged = git("diff", "--cached", "--name-only", cwd=instance).stdout.split()
    assert ".pre-commit-config.yaml" in staged and "data/ledger.yaml" in staged
    hooks = yaml.safe_load((instance / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [h["entry"] for repo in hooks["repos"] for h in repo["hooks"]]
    assert "biliktilik validate" in entries
    for entry in entries:  # each hook's command exists and runs in the instance
        assert run(*shlex.split(entry)[1:], cwd=instance).returncode == 0, entry
    if (ROOT / ".gitattributes").is_file():
        assert (instance / ".gitattributes").read_bytes() == (ROOT / ".gitattributes").read_bytes()
    else:
        assert not (instance / ".gitattributes").exists()


def test_the_instance_readme_speaks_kazakh_russian_and_english(instance):
    text = (instance / "README.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections == ["Қазақша", "Русский", "English"]
    kk, ru, en = re.split(r"^## .+$", text, flags=re.M)[1:]
    assert re.search("[әғқңөұүһі]", kk) and "репозиторийден" in kk and "репозитория" in ru
    for part in (kk, ru, en):  # each names the secret, the pinning variables and pre-commit
        for word in ("BILIKTILIK_ISSUER_KEY", "BILIKTILIK_REPOSITORY", "BILIKTILIK_REF", "BILIKTILIK_LANG",
                     "pre-commit install", f"https://{HOST}/"):
            assert word in part, (word, part[:80])


def test_the_project_ignores_personal_data_outputs_and_keys():
    assert ignored(PERSONAL, ROOT) == set(PERSONAL)
    assert ignored(["demo/DEMO-ONLY-issuer-key.pem", "data/ledger.yaml"], ROOT) == set()


def _cohort(instance: Path) -> str:
    """A programme and a cohort, their blanks filled as staff would: the cohort's id."""
    assert run("new", "programme", "--organisation", ORG, "--id", "physics-72", "--hours", "72",
               cwd=instance).returncode == 0
    for file, line, message in findings(run("validate", cwd=instance)):
        _fill(instance / file, line, message)
    assert run("new", "cohort", "--programme", "physics-72", "--id", "2026-10-physics-kk", "--start", "05.10.2026",
               "--end", "16.10.2026", "--seats", "25", cwd=instance).returncode == 0
    assert run("validate", cwd=instance).returncode == 0
    return "2026-10-physics-kk"


def test_template_warns_when_git_would_commit_the_spreadsheet(instance, tmp_path):
    cohort = _cohort(instance)
    # in the instance: *.xlsx is ignored, so no warning
    done = run("template", "--cohort", cohort, "list.xlsx", cwd=instance)
    assert done.returncode == 0 and (instance / "list.xlsx").is_file(), done.stderr
    assert "warning" not in done.stderr
    # in a repository that does not ignore it: a warning naming the file, the file still written
    other = tmp_path / "notes"
    other.mkdir()
    assert git("init", "-q", cwd=other).returncode == 0
    done = run("template", "--cohort", cohort, str(other / "list.xlsx"), cwd=instance)
    assert done.returncode == 0 and (other / "list.xlsx").is_file()
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1 and str(other / "list.xlsx") in lines[0] and "personal data" in lines[0], done.stderr
    # once it is ignored there, or outside any repository: quiet
    (other / ".gitignore").write_text("*.xlsx\n", encoding="utf-8")
    assert "warning" not in run("template", "--cohort", cohort, str(other / "list2.xlsx"), cwd=instance).stderr
    outside = tmp_path / "outside"
    outside.mkdir()
    if git("rev-parse", "--show-toplevel", cwd=outside).returncode != 0:  # tmp is in no repository
        assert "warning" not in run("template", "--cohort", cohort, str(outside / "l.xlsx"), cwd=instance).stderr


def test_a_build_without_the_key_says_what_to_set_and_no_demo_warning(instance, tmp_path):
    result = run("build", "--jobs", "1", cwd=instance, env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    line = one_line_refusal(result, 1)
    default = tmp_path / "config" / "biliktilik" / "keys" / f"{HOST}-key-1.pem"
    assert "BILIKTILIK_ISSUER_KEY_FILE=" in line and str(default) in line, line
    assert "DEMO" not in result.stderr + result.stdout
    assert not (instance / "site").exists()


def test_the_demo_key_warning_stays_for_the_sample_only(caplog, tmp_path):
    from biliktilik.findings import BuildError
    from biliktilik.model.credentials import load_issuer

    with caplog.at_level("WARNING"):
        assert load_issuer({}).demo and load_issuer({}, root=ROOT).demo
    assert sum("DEMO issuer key" in r.getMessage() for r in caplog.records) == 2
    caplog.clear()
    with caplog.at_level("WARNING"), pytest.raises(BuildError, match=r"BILIKTILIK_ISSUER_KEY_FILE=.*x\.kz-key-1\.pem"):
        load_issuer({"XDG_CONFIG_HOME": str(tmp_path)}, root=tmp_path, site_url="https://x.kz/")
    assert not caplog.records


@pytest.mark.browser
def test_the_russian_pages_have_the_russian_site_name_in_chromium(instance, tmp_path):
    from tests.browser_util import launch, serve

    key = {"BILIKTILIK_ISSUER_KEY_FILE": str(tmp_path / "inst-key.pem")}
    result = run("build", "--jobs", "1", cwd=instance, env=key)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "(no warnings)" in summary and "validate" not in summary, summary  # 0 warnings: nothing to look at
    with serve(str(instance / "site")) as base, launch() as browser:
        page = browser.new_page()
        seen = {}
        for lang, path in (("kk", "/"), ("ru", "/ru/")):
            page.goto(base + path)
            seen[lang] = (page.title(), page.locator(".md-header__topic").first.inner_text().strip())
    assert seen["ru"][0].endswith("- Центр педагогов") and seen["ru"][1] == "Центр педагогов", seen
    assert seen["kk"][0].endswith("- Педагогтер орталығы") and seen["kk"][1] == "Педагогтер орталығы", seen

    # one warning (the modules no longer add up to the programme's hours): the summary says where to look
    _cohort(instance)
    programme = instance / "data" / "programmes" / "physics-72.yaml"
    doc = yaml.safe_load(programme.read_text(encoding="utf-8"))
    doc["thematic_plan"]["modules"][0]["hours"] = 70
    programme.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = run("build", "--jobs", "1", "--no-cache", cwd=instance, env=key)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.endswith("(1 warning; run 'biliktilik validate' to see it)"), summary
    assert "programme.hours" in run("validate", cwd=instance).stdout


def test_serve_in_an_instance_builds_its_preview_in_the_instances_cache(instance, tmp_path):
    from tests.test_serve import _free_port, _state, _wait

    port = _free_port()
    env = {**os.environ, "BILIKTILIK_LANG": "en", "BILIKTILIK_ISSUER_KEY_FILE": str(tmp_path / "inst-key.pem"),
           "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    before = set((ROOT / ".cache" / "serve").glob("*")) if (ROOT / ".cache" / "serve").is_dir() else set()
    with open(tmp_path / "serve.out", "w+") as out, open(tmp_path / "serve.err", "w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "biliktilik", "serve", "--port", str(port), "--no-pdf"],
                                cwd=instance, env=env, stdout=out, stderr=err, start_new_session=True)
        try:
            _wait("a good build", lambda: _state(f"http://127.0.0.1:{port}", "ok"), timeout=300, server=proc)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    printed = (tmp_path / "serve.out").read_text(encoding="utf-8")
    assert re.search(r"^built the preview in [\d.]+s \(no warnings\)$", printed, re.M), printed
    previews = list((instance / ".cache" / "serve").glob("*/site/index.html"))
    assert len(previews) == 1, list(instance.rglob("index.html"))[:5]
    after = set((ROOT / ".cache" / "serve").glob("*")) if (ROOT / ".cache" / "serve").is_dir() else set()
    assert after == before  # nothing written into the software's checkout
    assert ignored([previews[0].relative_to(instance).as_posix()], instance)
    assert git("status", "--porcelain", "--", ".cache", cwd=instance).stdout == ""


def test_the_watcher_ignores_editors_temporary_files(tmp_path):
    """A real watchdog observer on a data folder: sed -i's, Vim's, Emacs' and gedit's temporary
    files start no rebuild; a record saved does."""
    from biliktilik.build.serve import watch

    data = tmp_path / "data"
    (data / "cohorts").mkdir(parents=True)
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\n", encoding="utf-8")
    observer, changes, _ = watch(data, config)
    try:
        for name in ("sedAb12xZ", "4913", ".#a.yaml", "a.yaml~", ".a.yaml.swp", ".goutputstream-Q1W2E3"):
            (data / "cohorts" / name).write_text("x", encoding="utf-8")
            (data / "cohorts" / name).unlink()
        time.sleep(1.0)  # watchdog delivers the events on its own thread
        assert not changes.event.is_set(), changes.first
        (data / "cohorts" / "a.yaml").write_text("id: a\n", encoding="utf-8")
        assert changes.event.wait(10)
        assert changes.first.endswith("a.yaml")
    finally:
        observer.stop()
        observer.join()


def _workflow_commands(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            for line in step.get("run", "").splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("biliktilik "):
                    out.append(line)
    return out


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_workflow_runs_commands_that_exist_and_installs_pinned_with_icu(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = [s for job in doc["jobs"].values() for s in job.get("steps", [])]
    commands = _workflow_commands(path)
    assert commands, path
    for command in commands:
        sub = shlex.split(command)[1]
        done = subprocess.run([sys.executable, "-m", "biliktilik", sub, "--help"], capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
    installs = [ln.strip() for s in steps for ln in s.get("run", "").splitlines() if "pip install" in ln]
    assert installs and all(re.search(r"pip install -c \S*constraints\.txt ", ln) for ln in installs), installs
    apt = [ln for s in steps for ln in s.get("run", "").splitlines() if "apt-get install" in ln]
    assert apt and all({"libicu-dev", "pkg-config"} <= set(ln.split()) for ln in apt), apt
    runs_cli = [s for s in steps if re.search(r"^\s*biliktilik (validate|build)", s.get("run", ""), re.M)]
    assert runs_cli and all(s.get("env", {}).get("BILIKTILIK_LANG", "").startswith("${{ vars.BILIKTILIK_LANG")
                            for s in runs_cli)
    software = [s for s in steps if s.get("with", {}).get("path") == ".biliktilik"]
    if "templates" in path.parts:  # the instance checks out the software pinned by BILIKTILIK_REF
        assert [s["with"]["ref"] for s in software] == ["${{ vars.BILIKTILIK_REF }}"]
        guard = next(s for s in steps if "BILIKTILIK_REF" in str(s.get("env", {})))
        assert steps.index(guard) < steps.index(software[0]) and "exit 1" in guard["run"]
    else:
        assert not software


def test_the_next_line_init_prints_runs_as_written(tmp_path):
    """init's last line is a shell command: pasted as it is, it validates and builds the instance."""
    result = init(tmp_path)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("next: cd "), line
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILIKTILIK_ISSUER")}
    done = subprocess.run(["bash", "-c", line.removeprefix("next: ")], cwd=tmp_path, capture_output=True, text=True,
                          env={**env, "BILIKTILIK_LANG": "en"}, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "0 error(s)" in done.stdout and (tmp_path / "inst" / "site" / ".well-known" / "did.json").is_file()
