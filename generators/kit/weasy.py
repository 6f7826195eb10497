"""The one WeasyPrint renderer of the project's HTML forms and reports: a Jinja2 environment and a
font configuration made once, one PDF per view, many views shared among worker processes, and a
content-addressed PDF cache (a PDF's bytes depend on its HTML, the templates, fonts and WeasyPrint).

The certificate PDFs (generators/certificate_pdfs.py) lay out each programme's form once with
WeasyPrint and draw the values over it; they use :func:`font_faces` from here."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from pathlib import Path

import jinja2
from markupsafe import Markup

from biliktilik.files import write_atomically
from biliktilik.findings import BuildError
from biliktilik.i18n import _
from biliktilik.project import FONTS, TEMPLATES
from generators.kit import jinja

log = logging.getLogger(__name__)

_FONT_FILES = [("DejaVu Serif", "normal", "normal", "DejaVuSerif.ttf"),
               ("DejaVu Serif", "bold", "normal", "DejaVuSerif-Bold.ttf"),
               ("DejaVu Serif", "normal", "italic", "DejaVuSerif-Italic.ttf"),
               ("DejaVu Serif", "bold", "italic", "DejaVuSerif-Bold.ttf")]


def font_faces(faces, what: str) -> str:
    """CSS ``@font-face`` rules for ``faces``: (family, weight, style, file name under templates/fonts).

    Raises BuildError naming the missing file and ``what`` needs it."""
    rules = []
    for family, weight, style, file in faces:
        path = FONTS / file
        if not path.is_file():
            raise BuildError(_("missing font file {path}: {what} embed the fonts shipped in templates/fonts").format(
                path=path, what=what))
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
                     f'src: url("{path.as_uri()}"); }}')
    return "\n".join(rules)


class WeasyRenderer:
    """What every WeasyPrint rendering of the project shares, made once per build: one Jinja2
    environment over a template folder (autoescape, StrictUndefined), one WeasyPrint font
    configuration, and the ``@font-face`` rules of the fonts shipped in templates/fonts.

    ``faces``: (family, weight, style, file name) as :func:`font_faces` takes them; ``what`` names
    the output in the error for a missing font file (BuildError)."""

    def __init__(self, folder: Path, faces, what: str, keep_trailing_newline: bool = False):
        self.folder = folder
        self.env = jinja.environment(folder, autoescape=True, undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=keep_trailing_newline)
        self._font_config = None
        self.font_css = font_faces(faces, what)

    @property
    def font_config(self):
        """WeasyPrint's font configuration, made (and WeasyPrint imported: about a second) on first
        use, so that a rebuild whose PDFs all come from the cache never loads WeasyPrint."""
        if self._font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            self._font_config = FontConfiguration()
        return self._font_config


class Renderer(WeasyRenderer):
    """The forms' and reports' renderer: one HTML template per document kind, one PDF per view."""

    def __init__(self, folder: Path = TEMPLATES / "forms", template: str = "form.html.j2", css: str = "forms.css"):
        super().__init__(folder, _FONT_FILES, "the forms")
        self.template = template
        self.fonts = Markup(self.font_css)
        self._version: str | None = None  # of the templates, fonts and WeasyPrint: part of a cached PDF's key
        self.css = Markup((folder / css).read_text(encoding="utf-8"))

    def html(self, views: list[dict], title: str, lang: str) -> str:
        try:
            return self.env.get_template(self.template).render(forms=views, title=title, lang=lang,
                                                               fonts=self.fonts, css=self.css)
        except jinja2.TemplateError as exc:
            raise BuildError(f"{self.folder / self.template}: {exc.__class__.__name__}: {exc}") from exc

    def pdf(self, view: dict, title: str) -> bytes:
        """One form (or report) as one PDF: its bytes depend on it alone (fonts subset for it only)."""
        from weasyprint import HTML

        doc = HTML(string=self.html([view], title, view["lang"]), base_url=str(self.folder)).render(
            font_config=self.font_config)
        return doc.write_pdf(pdf_identifier=False)

    def pdfs(self, jobs: list[tuple[str, dict, str]], cache: Path | None = None) -> dict[str, bytes]:
        """{rel: PDF} for jobs (rel, view, title); many jobs are shared among worker processes.

        With ``cache`` (a folder), a form whose HTML was rendered before is taken from there: a form's
        bytes depend on its HTML alone, so a rebuild renders only the forms whose records changed."""
        keys = [self._key(v, t) for _, v, t in jobs] if cache is not None else [None] * len(jobs)
        data: list[bytes | None] = [_cached(cache, k) for k in keys]
        todo = [i for i, d in enumerate(data) if d is None]
        workers = min(os.cpu_count() or 1, 8)
        if len(todo) >= PARALLEL_FROM and workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            global _ACTIVE
            _ACTIVE = self
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    fresh = pool.map(_render_job, [(jobs[i][1], jobs[i][2]) for i in todo], chunksize=8)
            finally:
                _ACTIVE = None
        else:
            fresh = [self.pdf(jobs[i][1], jobs[i][2]) for i in todo]
        for i, d in zip(todo, fresh):
            data[i] = d
            _store(cache, keys[i], d)
        return {rel: d for (rel, _, _), d in zip(jobs, data)}

    def iter_pdfs(self, jobs: list[tuple[str, dict, str]], cache: Path | None = None, workers: int = 1,
                  chunksize: int = 4):
        """(rel, PDF) for jobs (rel, view, title), in the jobs' order, one at a time as they are made
        (shared among ``workers`` forked processes, ``chunksize`` jobs at a time: 1 when a few jobs are
        much larger than the rest, so that no two large ones queue behind each other in one
        worker), so that memory does not grow with the number of jobs; cached as :meth:`pdfs` does."""
        global _ACTIVE
        keys = [self._key(v, t) for _, v, t in jobs] if cache is not None else [None] * len(jobs)
        parallel = len(jobs) >= PARALLEL_FROM and workers > 1 and "fork" in multiprocessing.get_all_start_methods()
        if not parallel:
            for (rel, view, title), key in zip(jobs, keys):
                data = _cached(cache, key)
                if data is None:
                    data = self.pdf(view, title)
                    _store(cache, key, data)
                yield rel, data
            return
        _ACTIVE = self
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                args = [(v, t, cache, k) for (_, v, t), k in zip(jobs, keys)]
                for (rel, _, _), data in zip(jobs, pool.imap(_render_cached, args, chunksize=chunksize)):
                    yield rel, data
        finally:
            _ACTIVE = None

    def _key(self, view: dict, title: str) -> str:
        if self._version is None:
            from importlib import metadata

            h = hashlib.sha256(metadata.version("weasyprint").encode())
            for path in sorted(self.folder.iterdir()) + [FONTS / f for *_, f in _FONT_FILES]:
                if path.is_file():
                    h.update(path.name.encode() + path.read_bytes())
            self._version = h.hexdigest()
        return hashlib.sha256((self._version + self.html([view], title, view["lang"])).encode("utf-8")).hexdigest()


PARALLEL_FROM = 48  # forms; below this a pool costs more than it saves
_ACTIVE: Renderer | None = None  # the renderer the forked workers inherit


def _cached(cache: Path | None, key: str | None) -> bytes | None:
    if cache is None or key is None:
        return None
    try:
        return (cache / key[:2] / f"{key}.pdf").read_bytes()
    except OSError:
        return None


def _store(cache: Path | None, key: str | None, data: bytes):
    if cache is None or key is None:
        return
    target = cache / key[:2] / f"{key}.pdf"
    try:
        write_atomically(target, data, keep_mode=False)
    except OSError:
        log.debug("PDF cache write failed for %s", target)


def pdf_cache(ctx) -> Path | None:
    """The build's PDF cache: ``pdf/`` in the build's output cache (``build --cache``), else beside
    the validation cache of the data folder; None with ``build --no-cache`` (``ctx.cache`` None in a
    build's context) or BILIKTILIK_NO_PDF_CACHE."""
    from biliktilik.load.dataset import default_cache_dir

    if os.environ.get("BILIKTILIK_NO_PDF_CACHE"):
        return None
    if hasattr(ctx, "cache"):
        return None if ctx.cache is None else ctx.cache.folder / "pdf"
    return default_cache_dir(ctx.dataset.root) / "pdf"


def _render_cached(job) -> bytes:
    view, title, cache, key = job
    data = _cached(cache, key)
    if data is None:
        data = _ACTIVE.pdf(view, title)
        _store(cache, key, data)
    return data


def _render_job(job) -> bytes:
    view, title = job
    return _ACTIVE.pdf(view, title)
