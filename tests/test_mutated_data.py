"""Property-based: whatever happens to one data file, the commands answer with findings, never a crash.

Hypothesis mutates one shipped data file at a time (truncation, a tab, random bytes, deleted lines or
keys, values of the wrong type, references swapped for other ids, duplicated records) and runs the
CLI in-process (``biliktilik.cli.main.main``, output captured). Every run must end with exit 0 or 1,
without an internal error or a traceback, and an exit 1 must come with at least one finding that
names a file (``data/...:LINE:COL: error ...``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biliktilik.cli.main import main
from conftest import DATA

FILES = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*.yaml"))
IDS = sorted({(yaml.safe_load((DATA / f).read_text(encoding="utf-8")) or {}).get("id") or "" for f in FILES} - {""})
FINDING = re.compile(r"^data/\S+?:\d+:\d+: error [\w.-]+: ", re.M)

# -- the mutations ------------------------------------------------------------------------------


def _paths(value, prefix=()):
    """Every (path) into a parsed YAML document, containers and scalars alike."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _parent(doc, path):
    for step in path[:-1]:
        doc = doc[step]
    return doc


OTHER_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(IDS), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.lists(st.integers(0, 5), max_size=3), st.dictionaries(st.sampled_from(["id", "x", "name"]), st.integers(), max_size=2),
)


@st.composite
def text_mutation(draw, text: str) -> bytes:
    """A mutation of the file's text: what a careless editor or a broken transfer does."""
    kind = draw(st.sampled_from(["truncate", "tab", "bytes", "delete-line", "duplicate-line", "swap-id"]))
    lines = text.splitlines(keepends=True)
    if kind == "truncate":
        return text.encode("utf-8")[: draw(st.integers(0, len(text.encode("utf-8"))))]
    if kind == "tab":
        indented = [i for i, l in enumerate(lines) if l.startswith("  ")] or [0]
        i = draw(st.sampled_from(indented))
        lines[i] = "\t" + lines[i].lstrip(" ")
        return "".join(lines).encode("utf-8")
    if kind == "bytes":
        data = text.encode("utf-8")
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "delete-line":
        return "".join(lines[:i] + lines[i + 1:]).encode("utf-8")
    if kind == "duplicate-line":
        return "".join(lines[:i + 1] + lines[i:]).encode("utf-8")
    words = [m for m in re.finditer(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b", text)]  # ids look like kebab-case words
    if not words:
        return text.encode("utf-8")
    m = draw(st.sampled_from(words))
    return (text[: m.start()] + draw(st.sampled_from(IDS + ["no-such-id"])) + text[m.end():]).encode("utf-8")


@st.composite
def data_mutation(draw, text: str) -> bytes:
    """A mutation of the parsed data written back as valid YAML: deleted keys, wrong types,
    references to other (or no) records, duplicated list items."""
    doc = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        kind = draw(st.sampled_from(["delete", "retype", "reference", "duplicate"]))
        if kind == "delete":
            del parent[key]
        elif kind == "retype":
            parent[key] = draw(OTHER_VALUES)
        elif kind == "reference":
            parent[key] = draw(st.sampled_from(IDS + ["no-such-id"]))
        elif isinstance(parent, list):
            parent.insert(key, parent[key])
        elif isinstance(parent[key], list) and parent[key]:
            parent[key].append(parent[key][0])
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")


@st.composite
def mutated_file(draw):
    """(relative path, new bytes) of one shipped file, or a second copy of a record under a new name."""
    rel = draw(st.sampled_from(FILES))
    text = (DATA / rel).read_text(encoding="utf-8")
    how = draw(st.sampled_from(["text", "data", "copy"]))
    if how == "copy":  # a duplicated record: the same id in a second file
        folder = rel.rsplit("/", 1)[0] if "/" in rel else "cohorts"
        return f"{folder}/zz-copy.yaml", text.encode("utf-8")
    return rel, draw(text_mutation(text) if how == "text" else data_mutation(text))


# -- running the CLI in-process ------------------------------------------------------------------


@contextlib.contextmanager
def _mutated_copy(rel: str, content: bytes):
    with tempfile.TemporaryDirectory(prefix="biliktilik-mut-") as tmp:
        work = Path(tmp)
        shutil.copytree(DATA, work / "data")
        target = work / "data" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        cwd = os.getcwd()
        os.chdir(work)
        try:
            yield work
        finally:
            os.chdir(cwd)


def run_main(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse --help and the like
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _traceback(args) -> str:
    """The traceback of an internal error, for the failure message (--verbose re-raises it)."""
    import traceback

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(["--verbose", *map(str, args)])
        except Exception:  # noqa: BLE001 - shown to the person reading the failure
            return traceback.format_exc(limit=-6)
    return ""


def _check(code, out, err, rel, content, args=()):
    shown = (f"file {rel} mutated to:\n{content[:2000].decode('utf-8', 'replace')}\nexit {code}\n"
             f"stdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}")
    if code == 3 and args:
        shown += "\n" + _traceback(args)
    assert code in (0, 1), shown
    assert "Traceback" not in out + err and "internal error" not in err, shown
    if code == 1:
        assert FINDING.search(out + err) or "nothing to issue" in err or "refused" in err, shown


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])


@settings(max_examples=int(os.environ.get("BILIKTILIK_MUTATIONS", "150")), **COMMON)
@given(mutated_file())
def test_validate_survives_any_mutation_of_one_file(mutation):
    rel, content = mutation
    with _mutated_copy(rel, content):
        args = ("validate", "--no-cache")
        code, out, err = run_main(*args)
        _check(code, out, err, rel, content, args)
    errors = [m.group(0) for m in re.finditer(r"^data/(\S+?):\d+:\d+: error ([\w.-]+)", out, re.M)]
    if any(e.startswith(f"data/{rel}:") and re.search(r"error (yaml|file)\.", e) for e in errors):
        # the file did not load: one finding at it, and nothing reported elsewhere because of it
        elsewhere = [e for e in errors if not e.startswith(f"data/{rel}:")]
        assert not elsewhere, f"{rel} failed to load, yet errors elsewhere:\n" + "\n".join(elsewhere)


@pytest.mark.slow
@settings(max_examples=8, **COMMON)
@given(mutated_file())
def test_build_survives_any_mutation_of_one_file(mutation):
    rel, content = mutation
    with _mutated_copy(rel, content) as work:
        args = ("build", "--no-cache", "--site", work / "site", "--print", work / "print")
        code, out, err = run_main(*args)
        _check(code, out, err, rel, content, args)


@pytest.mark.slow
@settings(max_examples=25, **COMMON)
@given(mutated_file(), st.sampled_from(["2027-02-tor-kk", "2026-02-tor-ru", "2026-05-tvet-welding"]))
def test_issue_survives_any_mutation_of_one_file(mutation, cohort):
    rel, content = mutation
    with _mutated_copy(rel, content):
        args = ("issue", "--cohort", cohort, "--no-cache", "--date", "2027-03-01")
        code, out, err = run_main(*args)
        if code == 2:  # the mutation removed or renamed the cohort: a usage error, one line
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
            return
        _check(code, out, err, rel, content, args)


REPORTS = ["calendar", "listener-lists", "post-course", "monitoring", "reassessment", "staff-due", "work-off"]


@pytest.mark.slow
@settings(max_examples=25, **COMMON)
@given(mutated_file(), st.sampled_from(REPORTS))
def test_reports_survive_any_mutation_of_one_file(mutation, kind):
    rel, content = mutation
    with _mutated_copy(rel, content):
        args = ("reports", kind, "--no-cache", "--year", "2026")
        code, out, err = run_main(*args)
        _check(code, out, err, rel, content, args)
