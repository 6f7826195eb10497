"""Catalog build speed (issue 4): 300 programmes in Kazakh and Russian, target <= 30 s.

Prints, in one run on the same synthetic data set (biliktilik.synth):
  - ours: `biliktilik build` end to end (validate, generators, MkDocs for kk and ru) with the
    catalog's generators (regulation and catalog pages, the forms index page), and its MkDocs part;
  - naive baseline: the same generated pages built by stock MkDocs with every page in the nav
    (Material renders the whole navigation into every page: quadratic in the number of pages);
  - the ratio of the two, and the 30 s target.

Blank and filled form PDFs and certificate verification pages are left out: they are not the
catalog and have their own benches (the filled forms alone scale with the listeners).

    .venv/bin/python bench/catalog_build.py [--programmes 300] [--listeners 6000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23: the sample data's "today"
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

import generators  # noqa: E402
from biliktilik.build import pipeline as B  # noqa: E402
from biliktilik.build.output import Output  # noqa: E402
from biliktilik.synth import synthesize  # noqa: E402
from biliktilik.validate import validate  # noqa: E402
from generators import catalog_pages as catalog
from generators import regulation_pages as regulation  # noqa: E402


class _FormsIndexOnly:
    """The forms generator's page (in the nav) without its PDFs."""
    __name__ = "generators.forms (index page only)"

    @staticmethod
    def pages(ctx):
        from generators import form_pdfs as forms
        forms.pages(ctx)


CATALOG_GENERATORS = [regulation, catalog, _FormsIndexOnly]


def naive_config(tmp: Path) -> Path:
    """mkdocs.yml as stock MkDocs would have it: no nav (every page in it), absolute paths."""
    with open(ROOT / "mkdocs.yml", encoding="utf-8") as fh:
        text = fh.read()
    out = []
    skip = False
    for line in text.splitlines():
        if line.startswith(("nav:", "not_in_nav:")):
            skip = True
            continue
        if skip and (line.startswith(" ") or line.startswith("-") or not line.strip()):
            continue
        skip = False
        out.append(line)
    text = "\n".join(out) + "\n"
    text = text.replace("custom_dir: templates/overrides", f"custom_dir: {ROOT / 'templates' / 'overrides'}")
    text = text.replace("  - biliktilik/site_hooks.py", f"  - {ROOT / 'biliktilik' / 'build' / 'mkdocs_hooks.py'}")
    path = tmp / "mkdocs-naive.yml"
    path.write_text(text, encoding="utf-8")
    assert not any(line.startswith(("nav:", "not_in_nav:")) for line in text.splitlines())
    return path


def ours_end_to_end(data: Path, site: Path, prnt: Path, cache: Path) -> float:
    saved = list(generators.GENERATORS)
    generators.GENERATORS[:] = CATALOG_GENERATORS
    try:
        start = time.perf_counter()
        B.build(data, site, prnt, cache_dir=cache, use_cache=False)
        return time.perf_counter() - start
    finally:
        generators.GENERATORS[:] = saved


def generated(data: Path, tmp: Path, cache: Path):
    """Validate and generate the pages once; returns (checked, docs folders by language, page count)."""
    checked = validate(data, cache, False)
    config = B.read_config(ROOT / "mkdocs.yml")
    ctx = B.Context(checked, config, Output(tmp / "gen-site", "site"), Output(tmp / "gen-print", "print"), root=ROOT)
    work = tmp / "docs"
    for lang in B.LANGUAGES:
        ctx.docs[lang] = work / lang
        shutil.copytree(ROOT / "content" / "pages" / lang, ctx.docs[lang])
    for gen in CATALOG_GENERATORS:
        gen.pages(ctx)
    ctx.site.discard()
    ctx.print.discard()
    pages = sum(1 for lang in B.LANGUAGES for _ in ctx.docs[lang].rglob("*.md"))
    return checked, dict(ctx.docs), pages


def mkdocs_only(checked, docs: dict, tmp: Path, config_file: Path) -> float:
    """Time MkDocs (kk, then ru) on the generated pages with ``config_file``."""
    config = B.read_config(config_file)
    site, prnt = Output(tmp / "site-mkdocs", "site"), Output(tmp / "print-mkdocs", "print")
    ctx = B.Context(checked, config, site, prnt, docs=docs, root=ROOT)
    start = time.perf_counter()
    try:
        for lang in B.LANGUAGES:
            B._mkdocs(ctx, lang, config_file, True)
        return time.perf_counter() - start
    finally:
        site.discard()
        prnt.discard()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--programmes", type=int, default=300)
    ap.add_argument("--listeners", type=int, default=6000, help="cohorts = listeners / 20")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the best counts")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        print(synthesize(data, args.listeners, args.programmes))
        checked, docs, pages = generated(data, tmp, tmp / "cache")
        naive_file = naive_config(tmp)
        runs = {"total": [], "ours": [], "naive": []}
        for _ in range(args.repeat):  # interleaved, best of each: this machine is shared
            runs["total"].append(ours_end_to_end(data, tmp / "site", tmp / "print", tmp / "cache"))
            runs["ours"].append(mkdocs_only(checked, docs, tmp, ROOT / "mkdocs.yml"))
            runs["naive"].append(mkdocs_only(checked, docs, tmp, naive_file))
        total, ours, naive = (min(runs[k]) for k in ("total", "ours", "naive"))
        print(f"pages: {pages} Markdown pages in {len(B.LANGUAGES)} languages; best of {args.repeat} runs")
        print(f"ours   biliktilik build (catalog), end to end: {total:6.1f} s  (target <= 30 s: "
              f"{'ok' if total <= 30 else 'MISSED'})")
        print(f"ours   MkDocs part, index/section pages in the nav:  {ours:6.1f} s")
        print(f"naive  MkDocs part, every page in Material's nav:    {naive:6.1f} s  "
              f"-> ours is {naive / ours:.1f}x faster")
        print(f"naive  end to end (same validation and generators):  {total - ours + naive:6.1f} s  "
              f"-> ours is {(total - ours + naive) / total:.1f}x faster")

if __name__ == "__main__":
    main()
