"""validate -> facts -> generators -> site/ and print/, published only when all succeeded.

Stages run one after the other; inside a stage the many outputs (verification pages and
credentials, certificate PDFs, filled forms) are shared among ``jobs`` worker processes. Groups of
outputs that depend on one cohort are kept in a content-addressed cache (biliktilik.build.cache), so
a rebuild after a change to one cohort file renders and signs only that cohort's outputs again.
Progress goes to stderr (biliktilik.progress)."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from biliktilik.findings import BuildError, InvalidData
from biliktilik.build.cache import OutputCache, code_version
from biliktilik.build.output import Output, journal_for, publish_together, recover, sweep_previous
from biliktilik.files import folder_lock
from biliktilik.load.dataset import default_cache_dir
from biliktilik.progress import QUIET, Progress
from biliktilik.validate import Checked, validate
from biliktilik.project import HOOKS_FILE, LANGUAGES, ROOT, THEME_OVERRIDES, config_beside, read_config
from biliktilik.i18n import N_, _

log = logging.getLogger(__name__)



@dataclass
class Context:
    """What every generator receives: the checked data, the config, and the writers."""
    checked: Checked
    config: dict  # mkdocs.yml as plain data
    site: Output
    print: Output
    docs: dict[str, Path] = field(default_factory=dict)  # language -> the MkDocs docs folder being generated
    root: Path = ROOT
    jobs: int = 1  # worker processes for the many outputs
    cache: OutputCache | None = None  # outputs kept by what they depend on; None: render everything
    progress: Progress = QUIET
    filled_forms: bool = False  # render every listener's filled forms into print/forms/ (build --forms)

    @property
    def dataset(self):
        return self.checked.dataset

    @property
    def facts(self):
        return self.checked.facts

    @property
    def site_url(self) -> str:
        url = self.config.get("site_url") or "/"
        return url if url.endswith("/") else url + "/"

    def page(self, lang: str, rel: str, text: str):
        """Add a generated Markdown page to the MkDocs build of ``lang``."""
        path = self.docs[lang] / rel
        if path.exists():
            raise BuildError(_("two generators want the same page {lang}/{rel}").format(lang=lang, rel=rel))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _mkdocs(ctx: Context, lang: str, config_file: Path, strict: bool, site_dir: Path):
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    cfg = ctx.config
    theme = dict(cfg.get("theme") or {"name": "material"})
    theme["language"] = lang
    # An instance made by `biliktilik init` names no theme overrides and no hooks: it uses this
    # installation's (templates/overrides, biliktilik/build/mkdocs_hooks.py).
    theme["custom_dir"] = str((config_file.parent / theme["custom_dir"]).resolve()) if theme.get("custom_dir") \
        else str(THEME_OVERRIDES)
    hooks = [str((config_file.parent / h).resolve()) for h in cfg.get("hooks") or []] or [str(HOOKS_FILE)]
    default = LANGUAGES[0]
    site_url = ctx.site_url if lang == default else ctx.site_url + lang + "/"
    extra = dict(cfg.get("extra") or {})
    extra["lang"] = lang
    extra["languages"] = list(LANGUAGES)
    try:
        config = load_config(config_file=str(config_file), docs_dir=str(ctx.docs[lang]), site_dir=str(site_dir),
                             site_url=site_url, theme=theme, extra=extra, strict=strict, hooks=hooks)
        if lang != default:
            config["nav"] = _nav_for(cfg.get("nav"), lang)
        mkdocs_build(config)
    except (MkDocsException, SystemExit, jinja2.TemplateError, OSError) as exc:
        raise BuildError(_("MkDocs failed for language '{lang}': {name}: {exc}").format(lang=lang, name=exc.__class__.__name__, exc=exc)) from exc


MKDOCS_KIND = "mkdocs"


def _tree_digest(folder: Path) -> str:
    """sha256 (hex) over the relative paths and bytes of every file under ``folder``."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        h.update(f"{path.relative_to(folder).as_posix()}\0{len(data)}\0".encode("utf-8"))
        h.update(data)
    return h.hexdigest()


def _site_files(folder: Path, skip: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """(rel, bytes) of every file under ``folder``, without the subfolders ``skip``."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if not rel.startswith(tuple(s + "/" for s in skip)):
            out.append((rel, path.read_bytes()))
    return out


def mkdocs_site(ctx: Context, lang: str, config_file: Path, strict: bool, site_dir: Path | None = None) -> bool:
    """Run MkDocs for ``lang`` (``_mkdocs``), or write its output back from ``ctx.cache`` when
    nothing it reads changed. The key: the generated docs folder of ``lang`` (every page, byte for
    byte: the catalog, regulations, hand-written pages), mkdocs.yml as read (with the site
    address), ``strict``, MkDocs' build date (the sitemap's lastmod; SOURCE_DATE_EPOCH pins it)
    and the cache's code version (the hooks, theme overrides under templates/, MkDocs and
    Material's versions). A hit puts the files back as hard links to the cache's blobs
    (``OutputCache.link``). ``site_dir``: where this language's output goes (default: its place in
    ``ctx.site``; a folder of its own when the languages run in parallel, see ``_MkdocsRuns``).
    Returns True when it came from the cache. Raises BuildError when MkDocs fails."""
    from mkdocs.utils import get_build_date

    default = LANGUAGES[0]
    own = site_dir is not None
    if site_dir is None:
        site_dir = ctx.site.root if lang == default else ctx.site.root / lang
    if ctx.cache is None:
        _mkdocs(ctx, lang, config_file, strict, site_dir)
        return False
    key = ctx.cache.key(MKDOCS_KIND, lang, ctx.config, ctx.site_url, strict, str(get_build_date()),
                        _tree_digest(ctx.docs[lang]))
    site_dir.mkdir(parents=True, exist_ok=True)
    if ctx.cache.link(MKDOCS_KIND, key, site_dir) is not None:  # hard links to the cache's blobs
        return True
    _mkdocs(ctx, lang, config_file, strict, site_dir)
    # MkDocs' files become the blobs (hard links, nothing copied)
    ctx.cache.store(MKDOCS_KIND, key, _site_files(site_dir, LANGUAGES[1:] if lang == default and not own else ()),
                    site_dir, written=True)
    return False


def _die_with_parent(parent: int):
    """In a forked child of the build: die when the build dies (Linux PR_SET_PDEATHSIG), so that a
    build killed with SIGKILL leaves no process writing into the staging folders recover() deletes."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the build died before prctl
        os._exit(1)


def _mkdocs_child(ctx: Context, lang: str, config_file: Path, strict: bool, folder: Path, conn, parent: int):
    _die_with_parent(parent)
    try:
        conn.send(("ok", mkdocs_site(ctx, lang, config_file, strict, folder)))
    except BuildError as exc:
        conn.send(("error", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it as one line
        conn.send(("error", _("MkDocs failed for language '{lang}': {name}: {exc}").format(lang=lang, name=exc.__class__.__name__, exc=exc)))
    finally:
        conn.close()


class _MkdocsRuns:
    """MkDocs of every language, each in a forked process of its own that writes into its own
    folder beside the site's staging folder, while the parent goes on with the other generators
    (MkDocs is one process per language: without this the build waits for it on one core).
    ``finish()`` waits for them and moves their output into ``ctx.site`` (renames: whole folders
    where the site has none yet). With ``ctx.jobs`` 1 (or without fork) the languages run one
    after the other in ``finish()``, straight into the site folder."""

    def __init__(self, ctx: Context, config_file: Path, strict: bool):
        import multiprocessing

        self.ctx, self.config_file, self.strict = ctx, config_file, strict
        self.runs = []  # (lang, folder, process, connection)
        self.parallel = ctx.jobs > 1 and "fork" in multiprocessing.get_all_start_methods()
        if not self.parallel:
            return
        fork = multiprocessing.get_context("fork")
        for lang in LANGUAGES:
            folder = Path(tempfile.mkdtemp(prefix=f".{ctx.site.target.name}.building-{lang}-",
                                           dir=ctx.site.target.parent))
            os.chmod(folder, os.stat(ctx.site.root).st_mode & 0o777)  # ru/ moves whole into the site: readable
            here, there = fork.Pipe(duplex=False)
            proc = fork.Process(target=_mkdocs_child, args=(ctx, lang, config_file, strict, folder, there, os.getpid()),
                                name=f"mkdocs-{lang}", daemon=True)
            proc.start()
            there.close()
            self.runs.append((lang, folder, proc, here))

    def finish(self):
        """Wait for every language and put its output in place. Raises BuildError (MkDocs failed,
        or MkDocs and a generator both wrote one file)."""
        if not self.parallel:
            for lang in LANGUAGES:  # the default language first: its MkDocs run cleans the whole site folder
                with self.ctx.progress.stage(_("MkDocs ({lang})").format(lang=lang)):
                    if mkdocs_site(self.ctx, lang, self.config_file, self.strict):
                        log.info("mkdocs %s: unchanged, from the cache", lang)
            return
        try:
            results = []
            for lang, folder, proc, conn in self.runs:
                with self.ctx.progress.stage(_("MkDocs ({lang})").format(lang=lang)):  # waits for its process
                    try:
                        results.append(conn.recv())
                    except EOFError:
                        results.append(("error", _("MkDocs failed for language '{lang}': its process stopped "
                                                   "(exit code {code})").format(lang=lang, code=proc.exitcode)))
                    proc.join()
            for (lang, *_rest), (status, value) in zip(self.runs, results):
                if status == "error":
                    raise BuildError(value)
                if value:
                    log.info("mkdocs %s: unchanged, from the cache", lang)
            for lang, folder, _proc, _conn in self.runs:
                _merge_into(self.ctx.site, folder, "" if lang == LANGUAGES[0] else lang)
        finally:
            self.close()

    def close(self):
        """Stop what still runs and delete the folders (after an error elsewhere)."""
        for _lang, folder, proc, conn in self.runs:
            if proc.is_alive():
                proc.kill()
            proc.join()
            conn.close()
            shutil.rmtree(folder, ignore_errors=True)
        self.runs = []


def _merge_into(site: Output, folder: Path, under: str):
    """Move every file under ``folder`` to ``under`` ("" for the root) in ``site`` by renames (a
    folder the site does not have yet moves whole) and record them as written. Raises BuildError
    for a file that is already there."""
    moved = []

    def walk(src: Path, rel: str):
        dst = site.path(rel) if rel else site.root
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.rename(src, dst)
            if dst.is_dir():
                moved.extend(p.relative_to(site.root).as_posix() for p in dst.rglob("*") if p.is_file())
            else:
                moved.append(rel)
            return
        if not (src.is_dir() and dst.is_dir()):
            raise BuildError(_("two outputs want the same file {folder}/{rel}").format(folder=site.name, rel=rel))
        for child in sorted(src.iterdir()):
            walk(child, f"{rel}/{child.name}" if rel else child.name)

    walk(folder, under)
    for rel in moved:
        if rel in site.written:
            raise BuildError(_("two outputs want the same file {folder}/{rel}").format(folder=site.name, rel=rel))
        site.written.add(rel)


# The generators' files() in three forked "lanes" beside each other (and beside MkDocs): of about equal
# length in a rebuild, where each mostly checks its cache (one cohort's PDFs; the credentials; the reports).
LANES = (("certificate_pdfs", "form_pdfs"), ("verification_pages", "check_pages"), ("report_files",))


class _KeepRecords(logging.Handler):
    """A lane's log records, kept to be handled in the parent (its handlers: the terminal, tests)."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        record.msg, record.args, record.exc_info, record.exc_text = record.getMessage(), None, None, None
        self.records.append(record)


def _lane_child(ctx: Context, gens, conn, parent: int, jobs: int):
    _die_with_parent(parent)
    ctx.jobs = jobs  # this lane's share of the workers (_Lanes)
    keep = _KeepRecords()
    logging.getLogger().handlers = [keep]  # sent to the parent with the result, handled there once
    site0, print0 = set(ctx.site.written), set(ctx.print.written)
    progress = Progress(enabled=False)  # bars belong to the parent's terminal; stage times are logged
    ctx.progress = progress
    try:
        for gen in gens:
            log.info("files: %s", gen.__name__)
            with progress.stage(gen.__name__.rsplit(".", 1)[-1]):
                gen.files(ctx)
        conn.send(("ok", (sorted(ctx.site.written - site0), sorted(ctx.print.written - print0), progress.timings,
                          keep.records)))
    except BaseException as exc:  # noqa: BLE001 - raised again in the parent
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - not picklable
            conn.send(("error", BuildError(f"{exc.__class__.__name__}: {exc}")))
    finally:
        conn.close()


class _Lanes:
    """Every generator's ``files(ctx)``: with ``ctx.jobs`` > 1 in forked processes started at once
    (``LANES``: the certificate PDFs and forms in one, the verification pages and check files in
    another, the reports in a third; each generator still shares its many outputs among ``ctx.jobs``
    workers), so that no stage waits for another on one core, and the build goes on (the MkDocs
    pages, MkDocs itself) while they run; ``finish()`` waits for them and records the files each
    lane wrote in the parent's outputs (a file two generators write is a BuildError). With one job,
    or without fork, ``finish()`` runs them one after the other in this process. ``finish()``
    raises what a generator raised (BuildError, OSError)."""

    def __init__(self, ctx: Context, generators):
        import multiprocessing

        self.ctx = ctx
        self.gens = [g for g in generators if hasattr(g, "files")]
        self.runs = []
        if ctx.jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return
        short = {g.__name__.rsplit(".", 1)[-1]: g for g in self.gens}
        lanes = [[short.pop(n) for n in lane if n in short] for lane in LANES]
        lanes[-1] += list(short.values())  # a generator LANES does not name: the last lane
        fork = multiprocessing.get_context("fork")
        # the first lane (the certificate PDFs: most of a cold build's CPU, and the last to finish) gets
        # every worker; the others a share, so that the processes alive at once (each with its copy of
        # what it touched of the records) stay few: 6 instead of 10 with --jobs 2 (peak memory)
        share = max(1, ctx.jobs // len(LANES))
        try:
            for i, lane in enumerate(l for l in lanes if l):
                here, there = fork.Pipe(duplex=False)
                proc = fork.Process(target=_lane_child, args=(ctx, lane, there, os.getpid(), ctx.jobs if i == 0 else share),
                                    name="lane")
                proc.start()
                there.close()
                self.runs.append((lane, proc, here))
        except BaseException:
            self.close()
            raise

    def finish(self):
        ctx = self.ctx
        if not self.runs:
            for gen in self.gens:
                log.info("files: %s", gen.__name__)
                with ctx.progress.stage(gen.__name__.rsplit(".", 1)[-1]):
                    gen.files(ctx)
            return
        try:
            results = []
            with ctx.progress.stage("generators", total=len(self.runs)) as advance:
                for lane, proc, conn in self.runs:
                    try:
                        results.append(conn.recv())
                    except EOFError:
                        results.append(("error", BuildError(
                            f"{', '.join(g.__name__ for g in lane)}: the process stopped (exit code {proc.exitcode})")))
                    proc.join()
                    advance()
            for status, value in results:
                if status == "error":
                    raise value
            for site_rels, print_rels, timings, records in (value for _status, value in results):
                for record in records:
                    logging.getLogger(record.name).handle(record)
                for out, rels in ((ctx.site, site_rels), (ctx.print, print_rels)):
                    for rel in rels:
                        if rel in out.written:
                            raise BuildError(_("two outputs want the same file {folder}/{rel}").format(folder=out.name, rel=rel))
                        out.written.add(rel)
                ctx.progress.timings += timings
        finally:
            self.close()

    def close(self):
        """Stop the lanes that still run (after an error elsewhere)."""
        for _lane, proc, conn in self.runs:
            if proc.is_alive():
                proc.kill()
            proc.join()
            conn.close()
        self.runs = []


def run_generators(ctx: Context, generators):
    """Every generator's ``files(ctx)`` (:class:`_Lanes`), waited for."""
    _Lanes(ctx, generators).finish()


def _nav_for(nav, lang):
    return nav  # the generated docs of every language share one layout


def generate_pages(ctx: Context, config_file: Path, work: Path, languages=LANGUAGES):
    """The MkDocs docs folder of each language under ``work``: the hand-written pages of
    content/pages/<lang>/ and every generator's pages."""
    from generators import GENERATORS

    pages = config_file.parent / (ctx.config.get("docs_dir") or "docs")
    for lang in LANGUAGES:
        ctx.docs[lang] = work / lang
        if (pages / lang).is_dir():
            shutil.copytree(pages / lang, ctx.docs[lang])
        else:
            ctx.docs[lang].mkdir(parents=True)
    for gen in GENERATORS:
        if hasattr(gen, "pages"):
            log.info("pages: %s", gen.__name__)
            gen.pages(ctx)
    return {lang: ctx.docs[lang] for lang in languages}


def docs_for_plain_mkdocs(config_file: Path, work: Path) -> Path:
    """``mkdocs build``/``mkdocs serve`` run straight on mkdocs.yml: validate data/ beside it and
    generate the default language's pages into ``work`` (``biliktilik build`` builds both languages
    and everything else). Raises InvalidData when the data has errors."""
    checked = validate(config_file.parent / "data")
    if not checked.ok:
        raise InvalidData(checked.findings)
    ctx = Context(checked, read_config(config_file), None, None, root=config_file.parent)
    return generate_pages(ctx, config_file, work, languages=LANGUAGES[:1])[LANGUAGES[0]]


def default_jobs() -> int:
    """Worker processes by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def build(data_dir: Path, site_dir: Path, print_dir: Path, config_file: Path | None = None,
          cache_dir: Path | None = None, use_cache: bool = True, strict: bool = True,
          site_url: str | None = None, jobs: int | None = None, forms: bool = False,
          progress: Progress | None = None, skip: tuple[str, ...] = ()) -> Checked:
    """Validate and build site_dir and print_dir; on any error nothing under them changes.

    ``site_url`` replaces mkdocs.yml's (the issuer's address: QR codes, did:web, the verification
    pages' origin check), e.g. ``http://127.0.0.1:8000/`` for a site served locally.
    ``cache_dir``: the validation cache and, under ``outputs/``, the output cache (default
    ~/.cache/biliktilik/<data folder's hash>); ``use_cache=False`` reads and renders everything.
    ``jobs``: worker processes (default: all cores); ``forms``: also every listener's filled forms
    (print/forms/; staff otherwise print them per cohort with ``biliktilik forms --cohort``);
    ``progress``: where stages and counts go (default: a bar when stderr is a terminal).
    ``skip``: short names of generators whose ``files`` are not run (e.g. ``PDF_GENERATORS`` for a
    quick local preview, ``biliktilik serve --no-pdf``); never for a site to publish.

    Holds the build lock beside site_dir (``.site.lock``: a second build at the same time gets
    Busy, "another build is running (pid N)") and first completes or cleans up what a killed build
    left (output.recover). Publishing is crash-safe (see biliktilik.build.output). Raises
    InvalidData (the data has errors), Busy, or BuildError (a generator, MkDocs, or a write failed,
    e.g. the disk is full: one line, the previous output kept)."""
    site_dir, print_dir = Path(site_dir), Path(print_dir)
    progress = progress or Progress()
    jobs = jobs or default_jobs()
    if jobs < 1:
        raise BuildError(_("--jobs must be at least 1, not {jobs}").format(jobs=jobs))
    try:
        with folder_lock(site_dir, _("build")):
            sweep_previous([site_dir, print_dir])  # the last build's output, deleted while this one works
            done = recover([site_dir, print_dir], journal_for(site_dir), previous=False)
            if done:
                log.warning("%s", done)
            return _build(data_dir, site_dir, print_dir, config_file, cache_dir, use_cache, strict,
                          site_url, jobs, forms, progress, skip)
    finally:
        progress.close()


PDF_GENERATORS = ("certificate_pdfs", "form_pdfs", "report_files")
"""The generators that lay out PDFs with WeasyPrint: most of a build's time (``serve --no-pdf``)."""


def _build(data_dir, site_dir, print_dir, config_file, cache_dir, use_cache, strict,
           site_url, jobs, forms, progress, skip=()) -> Checked:
    from generators import GENERATORS
    from generators.kit import jinja

    with progress.stage(N_("validate")):
        checked = validate(data_dir, cache_dir, use_cache, progress=progress)
    if not checked.ok:
        raise InvalidData(checked.findings)
    cache = OutputCache((Path(cache_dir) if cache_dir else default_cache_dir(Path(data_dir))) / "outputs") \
        if use_cache else None
    # compiled templates, per code version (filters and library versions shape the compiled code)
    jinja.use_folder(cache.folder.parent / "jinja" / code_version()[:16] if cache is not None else None)
    config_file = Path(config_file or config_beside(Path(data_dir)))  # an instance's own, else the checkout's
    config = read_config(config_file)
    if site_url:
        config = {**config, "site_url": site_url}
    site = prnt = work = mkdocs = lanes = None
    try:
        site, prnt = Output(site_dir, "site"), Output(print_dir, "print")
        work = Path(tempfile.mkdtemp(prefix="biliktilik-docs-"))
        ctx = Context(checked, config, site, prnt, root=config_file.parent, jobs=jobs, cache=cache,
                      progress=progress, filled_forms=forms)
        # the generators' files first (forked lanes, with several jobs): they need no MkDocs page.
        # The records so far are frozen for the garbage collector: a forked process that collects
        # would otherwise write to (and so copy) every page of them (peak memory, issue 12)
        gc.freeze()
        lanes = _Lanes(ctx, [g for g in GENERATORS if g.__name__.rsplit(".", 1)[-1] not in skip])
        with progress.stage(N_("pages")):
            generate_pages(ctx, config_file, work)
        mkdocs = _MkdocsRuns(ctx, config_file, strict)  # in parallel with the generators
        if not mkdocs.parallel:
            mkdocs.finish()
            site.adopt(site.root)
        lanes.finish()
        if mkdocs.parallel:
            mkdocs.finish()
    except BaseException as exc:
        for out in (site, prnt):
            if out is not None:
                out.discard()
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            raise BuildError(_("cannot write the output: {value}{where}; {site_dir}/ and {print_dir}/ were left as they were").format(value=exc.strerror or exc, where=where, site_dir=site_dir, print_dir=print_dir)) from None
        raise
    finally:
        gc.unfreeze()
        if lanes is not None:
            lanes.close()
        if mkdocs is not None:
            mkdocs.close()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    publish_together([site, prnt], journal_for(site_dir), keep_previous=True)
    return checked
