"""Progress of a long build on stderr: the stage, its counts and an estimate of the time left.

A bar (rich) only when stderr is a terminal; otherwise quiet, so that logs and CI output hold
only what the build prints at its end. Every stage's wall time is kept in ``timings`` (seconds)
for the build's summary and the benchmarks."""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from contextlib import contextmanager

from biliktilik.i18n import N_, _

log = logging.getLogger(__name__)

NOISY_LOGGERS = ("weasyprint", "fontTools", "PIL", "mkdocs", "markdown", "watchdog", "MARKDOWN", "pydyf",
                 "urllib3", "asyncio")
"""Libraries whose INFO lines (WeasyPrint's seven steps per PDF, fontTools' subsetting tables, MkDocs'
"Cleaning site directory") drown ours under ``-v``: kept at WARNING."""


def configure_logging(verbose: bool = False):
    """Set up logging for a command (or a build's worker process): our own INFO lines with
    ``verbose``, else WARNING and above; the loggers of ``NOISY_LOGGERS`` always at WARNING, so
    ``-v`` shows the stages and their counts, not the libraries' steps. Safe to call again (a
    second call replaces the first's level)."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class Progress:
    """``with progress.stage("verification pages", total=n) as advance: ... advance(k)``.

    ``enabled``: draw bars (default: when stderr is a terminal)."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.timings: list[tuple[str, float]] = []  # (stage, seconds)
        self._bars = None

    def _start(self):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bars, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self._bars = Bars(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn(_("left")), TimeRemainingColumn(), console=Console(stderr=True), transient=False)
        self._bars.start()

    @contextmanager
    def stage(self, name: str, total: int | None = None):
        """A stage of ``total`` units (None: one step); yields ``advance(n=1)``. ``name`` is English
        (marked with ``N_`` where it is written): ``timings`` keep it, the bar shows its translation."""
        started = time.perf_counter()
        task = None
        if self.enabled:
            if self._bars is None:
                self._start()
            task = self._bars.add_task(_(name),  # the name as shown: in the chosen language
                                         total=total if total is not None else 1)

        def advance(n: int = 1):
            if task is not None:
                self._bars.advance(task, n)

        try:
            yield advance
        finally:
            if task is not None:
                self._bars.update(task, completed=total if total is not None else 1)
            seconds = time.perf_counter() - started
            self.timings.append((name, seconds))
            log.info("stage %s: %.2fs", name, seconds)

    def close(self):
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def __enter__(self) -> Progress:
        """``with Progress() as progress:`` a command's progress, closed at the end; inside the
        block it is also :func:`current`, so that work deep inside (the validation that ``issue``
        and ``import`` run) shows its stages without being handed it."""
        self._token = _CURRENT.set(self)
        return self

    def __exit__(self, *exc):
        _CURRENT.reset(self._token)
        self.close()


QUIET = Progress(enabled=False)

# The stage names the build shows (the pipeline's own, each generator's stage and the generators'
# module names it runs under), marked for extraction: the bar shows ``_(name)``.
STAGE_NAMES = (N_("validate"), N_("pages"), N_("verification pages"), N_("certificate PDFs"), N_("blank forms"),
               N_("filled forms"), N_("report PDFs"), N_("catalog_pages"), N_("regulation_pages"),
               N_("verification_pages"), N_("certificate_pdfs"), N_("form_pdfs"), N_("report_files"), N_("check_pages"))

_CURRENT: contextvars.ContextVar[Progress] = contextvars.ContextVar("biliktilik_progress", default=QUIET)


def current() -> Progress:
    """The progress of the innermost ``with Progress()`` block of this thread, else ``QUIET``."""
    return _CURRENT.get()
