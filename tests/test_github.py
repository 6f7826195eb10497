"""Pull requests on GitHub: annotations escaped as the runner parses them, the job summary, and the
workflow and pre-commit files (triggers, jobs, and commands that exist in our CLI)."""

from __future__ import annotations

import shlex
import shutil

import yaml

from biliktilik.cli.main import _parser
from biliktilik.findings import Finding
from conftest import DATA, ROOT, run_cli


def test_annotation_escaping_is_exactly_githubs():
    f = Finding("data/cohorts/2026-10 copy, draft.yaml", 7, 3, "error", "listener.iin",
                "50% off:\r\nnext line, a::b", "Order 95, p. 24.3")
    assert f.github() == (
        "::error file=data/cohorts/2026-10 copy%2C draft.yaml,line=7,col=3,title=listener.iin"
        "::50%25 off:%0D%0Anext line, a::b (Order 95, p. 24.3)")
    w = Finding("a:b.yaml", 1, 1, "warning", "x,y", "100%")
    assert w.github() == "::warning file=a%3Ab.yaml,line=1,col=1,title=x%2Cy::100%25"


def _unescape_property(v):  # what the runner does (actions/toolkit's command parsing, reversed escaping)
    return v.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def test_a_file_with_a_comma_and_percent_in_its_name_round_trips():
    f = Finding("data/cohorts/2026-10 copy, 50% draft.yaml", 12, 5, "error", "c", "m")
    props = f.github().split("::")[1].split(" ", 1)[1]
    parsed = dict(p.split("=", 1) for p in props.split(","))
    assert _unescape_property(parsed["file"]) == "data/cohorts/2026-10 copy, 50% draft.yaml"
    assert parsed["line"] == "12" and parsed["col"] == "5"


def test_github_format_writes_a_job_summary_when_asked(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    f = tmp_path / "data" / "cohorts" / "2026-02-tor-ru.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("attendance: 0.92", "attendance: 0.5"), encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    proc = run_cli("validate", "--format", "github", cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1
    assert any(l.startswith("::error file=data/cohorts/2026-02-tor-ru.yaml,line=") and "title=listener.attendance" in l
               for l in proc.stdout.splitlines())
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### Biliktilik: ")  # appended, as GitHub expects
    assert "| ❌ | `data/cohorts/2026-02-tor-ru.yaml:" in text and "`listener.attendance`" in text
    out = tmp_path / "own.md"
    run_cli("validate", "--summary", out, cwd=ROOT, check=0)
    assert "0 error(s)" in out.read_text(encoding="utf-8")


def _workflow(name):
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def _commands(doc):
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            for line in step.get("run", "").splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("biliktilik "):
                    yield line


def _parses(command: str):
    args = shlex.split(command.replace('"$GITHUB_STEP_SUMMARY"', "summary.md"))[1:]
    return _parser().parse_args(args)  # raises UsageError for an unknown command or option


def test_validate_workflow_runs_on_pull_requests_with_annotations_and_summary():
    doc = _workflow("validate.yml")
    assert "pull_request" in doc["on"]
    commands = list(_commands(doc))
    assert any("validate --format github" in c and "--summary" in c for c in commands)
    for c in commands:
        args = _parses(c)
        assert callable(args.run)
    assert doc["permissions"] == {"contents": "read"}


def test_publish_workflow_builds_main_and_deploys_to_pages_with_the_secret_key():
    doc = _workflow("publish.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    build, deploy = doc["jobs"]["build"], doc["jobs"]["deploy"]
    uses = [s.get("uses", "") for s in build["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    assert deploy["needs"] == "build" and doc["permissions"]["pages"] == "write" and doc["permissions"]["id-token"] == "write"
    step = next(s for s in build["steps"] if "biliktilik build" in s.get("run", ""))
    assert step["env"]["BILIKTILIK_ISSUER_KEY"] == "${{ secrets.BILIKTILIK_ISSUER_KEY }}"
    # the status lists are valid for STATUS_LIST_DAYS from the build day: built daily, dated today
    from biliktilik.model.credentials import STATUS_LIST_DAYS

    crons = [c["cron"] for c in doc["on"]["schedule"]]
    assert crons and all(c.split()[2:] == ["*", "*", "*"] for c in crons) and STATUS_LIST_DAYS > 1
    assert 'SOURCE_DATE_EPOCH="$(( $(date -u +%s) / 86400 * 86400 ))"' in step["run"]
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"  # never print/
    for c in _commands(doc):
        assert _parses(c).command == "build"


def test_pre_commit_hooks_run_commands_that_exist():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [h["entry"] for h in hooks] + [h["entry"] for r in config["repos"] for h in r["hooks"]]
    assert "biliktilik validate" in entries
    for e in entries:
        _parses(e)
