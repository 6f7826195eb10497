"""The rules of the layers (see the README's layout table): no import cycles among the project's
modules; the core never imports generators/; a generator imports no other generator, nor the build
orchestrator or the CLI. The contracts themselves are import-linter's, in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ("biliktilik.i18n", "biliktilik.findings", "biliktilik.project", "biliktilik.files", "biliktilik.texts", "biliktilik.calendars", "biliktilik.progress", "biliktilik.load", "biliktilik.model",
        "biliktilik.validate", "biliktilik.issuing", "biliktilik.synth")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("biliktilik", "generators", include_external_packages=False)


def _in(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(edges[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_the_cycle_finder_finds_a_cycle():
    class Fake:
        modules = {"a", "b", "c", "d"}

        @staticmethod
        def find_modules_directly_imported_by(m):
            return {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}[m]

    assert _cycles(Fake()) == [["a", "b", "c"]]


def test_no_import_cycles(graph):
    assert _cycles(graph) == []


def test_the_core_never_imports_generators(graph):
    bad = [(m, d) for m in graph.modules if _in(m, CORE)
           for d in graph.find_modules_directly_imported_by(m) if _in(d, ("generators",))]
    assert bad == []


def _generators(graph) -> list[str]:
    return sorted(m for m in graph.modules
                  if m.startswith("generators.") and not _in(m, ("generators.kit",)) and m.count(".") == 1)


def test_a_generator_imports_no_generator_nor_the_orchestrator_or_cli(graph):
    gens = _generators(graph)
    assert len(gens) >= 6
    bad = []
    for g in gens:
        for d in graph.find_modules_directly_imported_by(g):
            if _in(d, [x for x in gens if x != g]) or _in(d, ("biliktilik.build", "biliktilik.cli")) or d == "generators":
                bad.append((g, d))
    kit = [m for m in graph.modules if _in(m, ("generators.kit",))]
    for k in kit:
        for d in graph.find_modules_directly_imported_by(k):
            if _in(d, gens) or _in(d, ("biliktilik.build", "biliktilik.cli")):
                bad.append((k, d))
    assert bad == []


def test_every_generator_is_registered_and_under_contract(graph):
    import generators

    registered = sorted(g.__name__ for g in generators.GENERATORS)
    assert registered == _generators(graph)
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    independent = next(c for c in contracts if c["type"] == "independence")
    assert sorted(independent["modules"]) == registered


def test_import_linter_contracts_are_kept():
    run = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_no_icalendar_text_written_by_hand():
    """iCalendar files come from the icalendar library only: no module writes BEGIN:VCALENDAR itself."""
    hits = [str(p.relative_to(ROOT)) for folder in ("biliktilik", "generators") for p in (ROOT / folder).rglob("*.py")
            if "BEGIN:V" in p.read_text(encoding="utf-8")]
    assert hits == []


def test_readme_layout_table_matches_the_folders():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = {line.split("`")[1].rstrip("/") for line in section.splitlines() if line.startswith("| `")}
    for name in named:
        assert list(ROOT.glob(name)), f"README's layout names {name}, which does not exist"
    packages = {f"biliktilik/{p.name}" for p in (ROOT / "biliktilik").iterdir() if (p / "__init__.py").is_file()}
    packages |= {f"generators/{p.name}" for p in (ROOT / "generators").iterdir() if (p / "__init__.py").is_file()}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    top = {f.split("/", 1)[0] for f in tracked if "/" in f and not f.startswith(".")} - {"biliktilik"}
    packages |= top
    assert packages <= named, f"folders missing from the README's layout: {sorted(packages - named)}"
