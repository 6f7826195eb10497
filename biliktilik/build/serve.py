"""``biliktilik serve``: a local preview of both languages that rebuilds when data/, content/,
templates/ or mkdocs.yml change, and shows the findings of a failed build in the terminal and on
every page until a good build replaces them.

How it works:

- The site is built by the real pipeline (:func:`biliktilik.build.pipeline.build`) into a preview
  folder (``<preview>/site`` and ``<preview>/print``, default ``.cache/serve/<data folder's hash>/``
  beside the mkdocs.yml that builds the data: an instance's own .cache/),
  never into the project's ``site/``, with ``site_url`` set to the preview's own address. Each build
  runs in a fresh process (a ``multiprocessing`` forkserver that imported the libraries once,
  ``PRELOAD``), so an edited template, label file or mkdocs.yml is read again, and it reuses the pipeline's caches (validation per file, the output
  cache per cohort, MkDocs' output per language), so a rebuild after one edit redoes little.
- The pipeline publishes the new site by exchanging the whole folder in one step
  (``renameat2(RENAME_EXCHANGE)``, biliktilik.build.output): a request sees the old site or the new
  one, never half of one.
- ``http.server`` in threads serves the folder as the real site is laid out: Kazakh at ``/``,
  Russian at ``/ru/`` (``/kk/...`` redirects to ``/...``). Into every HTML response (not into the
  files on disk) it injects a small script (``templates/serve/reload.js``, served at
  ``/__biliktilik/reload.js``) that polls
  ``/__biliktilik/version`` and reloads the page after each build, and, while the last build
  failed, a banner listing its errors (``templates/serve/banner.html.j2``, HTML-escaped). Before
  the first good build every address shows that banner alone.
- ``watchdog`` watches the folders; a burst of events (an editor saving, ``git checkout``) is
  gathered for ``DEBOUNCE`` seconds before one build starts; events during a build cause one more.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import mimetypes
import multiprocessing
import os
import posixpath
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import jinja2
from markupsafe import Markup

from biliktilik.findings import BiliktilikError, Finding, InvalidData, UsageError, render, sort_findings
from biliktilik.i18n import _, ngettext
from biliktilik.project import CONFIG_FILE, LANGUAGES, ROOT, TEMPLATES, config_beside, labels

log = logging.getLogger(__name__)

DEBOUNCE = 0.4  # seconds without a new event before a rebuild starts
VERSION_PATH = "/__biliktilik/version"
SCRIPT_PATH = "/__biliktilik/reload.js"
BANNER_LINES = 50  # errors listed on the page; the terminal has them all
# Editors' and tools' temporary files, not edits: `sed -i`'s sedXXXXXX, Emacs' lock .#name, Vim's
# write test 4913 (and 4913+123n), gedit's .goutputstream-XXXXXX, swap and backup files.
IGNORED_NAMES = re.compile(r"sed[A-Za-z0-9]{6}|\.#.*|4913|[0-9]{4,5}|\.goutputstream-.*|.*(\.sw[a-p]|\.swx|\.tmp|~|\.pyc)")
IGNORED_EVENTS = ("opened", "closed_no_write")
CLIENT_TIMEOUT = 30  # seconds a request's connection may stay silent before its thread drops it
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PCHAR = "-._~!$&'()*+,;=:@"  # RFC 3986 pchar besides letters, digits and %XX: kept in a segment


@dataclass
class Outcome:
    """What one build in the worker process came to (sent back through a pipe)."""
    state: str  # "ok", "invalid" (the data have errors), "failed" (a generator, MkDocs or a write)
    findings: list[Finding] = field(default_factory=list)
    message: str = ""
    warnings: int = 0


def _build_once(data, site, prnt, cache, use_cache, site_url, skip, verbose, lang, conn):
    """The body of one build process: run the pipeline, send an Outcome through ``conn``."""
    from biliktilik import i18n
    from biliktilik.build.pipeline import build
    from biliktilik.progress import configure_logging

    os.setpgid(0, 0)  # a process group of its own, with its workers: the server ends them all at once
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which ends this process
    i18n.choose(lang)
    configure_logging(verbose)
    try:
        checked = build(data, site, prnt, cache_dir=cache, use_cache=use_cache, site_url=site_url, skip=skip)
        outcome = Outcome("ok", warnings=sum(f.severity == "warning" for f in checked.findings))
    except InvalidData as exc:
        outcome = Outcome("invalid", sort_findings(exc.findings), str(exc))
    except BiliktilikError as exc:
        outcome = Outcome("failed", message=str(exc))
    except KeyboardInterrupt:
        outcome = Outcome("failed", message=_("interrupted"))
    except Exception as exc:  # a bug in a generator: shown like a failed build, the server goes on
        outcome = Outcome("failed", message=_("internal error: {kind}: {error}").format(
            kind=exc.__class__.__name__, error=exc))
    try:
        conn.send(outcome)
    except (BrokenPipeError, OSError):
        pass


PRELOAD = ("jinja2", "markdown", "mkdocs.commands.build", "mkdocs.config", "weasyprint", "fontTools.subset",
           "pypdf", "yaml", "ruamel.yaml", "icu", "cryptography", "joserfc", "qrcode", "holidays", "babel")
"""Libraries a build process finds already imported (a forkserver that imported them once), so a
rebuild does not pay their import again; our own modules, templates and labels are always read afresh."""


def _context():
    """The multiprocessing context of the build processes: a forkserver with ``PRELOAD`` imported
    where the platform has one, else "spawn"."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


def preview_folder(data: Path) -> Path:
    """The default preview folder of a data folder: ``.cache/serve/<sha256 of its path, 12 hex>/``
    beside the ``mkdocs.yml`` that builds it (:func:`biliktilik.project.config_beside`): an
    instance's own ``.cache/``, this checkout's for the sample data. Both .gitignore files leave
    out ``.cache/``."""
    digest = hashlib.sha256(str(Path(data).resolve()).encode("utf-8")).hexdigest()[:12]
    return config_beside(data).resolve().parent / ".cache" / "serve" / digest


class Preview:
    """The state the HTTP threads read and the builder writes: the served folder, the version
    (a number that grows with every finished build), and the outcome of the last build."""

    def __init__(self, data: Path, folder: Path, site_url: str, cache: Path | None = None,
                 use_cache: bool = True, skip: tuple[str, ...] = (), verbose: bool = False):
        self.data, self.folder, self.site_url = Path(data), Path(folder), site_url
        self.site, self.print = self.folder / "site", self.folder / "print"
        self.cache, self.use_cache, self.skip, self.verbose = cache, use_cache, tuple(skip), verbose
        self.lock = threading.Lock()
        self.version = 0
        self.good = False  # a good build is being served
        self.outcome: Outcome | None = None  # None: the first build is running
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / "serve")), autoescape=True,
                                       undefined=jinja2.StrictUndefined)
        self.reload_js = (TEMPLATES / "serve" / "reload.js").read_text(encoding="utf-8")

    # -- building -------------------------------------------------------------------------------

    def build(self) -> Outcome:
        """Build once in a fresh process; print the result; swap the state. Returns the Outcome."""
        from biliktilik import i18n

        started = time.perf_counter()
        ctx = _context()
        receive, send = ctx.Pipe(duplex=False)
        args = (self.data, self.site, self.print, self.cache, self.use_cache, self.site_url, self.skip,
                self.verbose, i18n.current(), send)
        child = ctx.Process(target=_build_once, args=args, name="biliktilik-serve-build")
        try:
            with _interrupts_deferred():  # a started child has a pid to end; a half-started one would run on
                child.start()
            send.close()
            try:
                outcome = receive.recv()
            except EOFError:
                child.join()
                outcome = Outcome("failed", message=_("the build process ended without an answer (exit code {code})")
                                  .format(code=child.exitcode))
            child.join()
        except BaseException:  # Ctrl-C or SIGTERM while building: end the build and its workers too
            _end_group(child)
            raise
        finally:
            receive.close()
        seconds = time.perf_counter() - started
        self._report(outcome, seconds)
        with self.lock:
            self.outcome = outcome
            self.good = self.good or outcome.state == "ok"
            self.version += 1
        return outcome

    def _report(self, outcome: Outcome, seconds: float):
        if outcome.state == "ok":
            if outcome.warnings:
                print(ngettext("built the preview in {seconds:.1f}s ({warnings} warning; 'biliktilik validate' lists it)",
                               "built the preview in {seconds:.1f}s ({warnings} warnings; 'biliktilik validate' lists them)",
                               outcome.warnings).format(seconds=seconds, warnings=outcome.warnings), flush=True)
            else:
                print(_("built the preview in {seconds:.1f}s (no warnings)").format(seconds=seconds), flush=True)
            return
        errors = [f for f in outcome.findings if f.severity == "error"]
        if errors:  # the warnings do not stop a build: 'biliktilik validate' lists them
            print(render(errors, "text"), file=sys.stderr, flush=True)
        keep = _("the previous preview stays, under a banner") if self.good else _("no preview yet")
        print(_("build failed: {reason}; {what}").format(reason=outcome.message, what=keep), file=sys.stderr,
              flush=True)

    # -- serving --------------------------------------------------------------------------------

    def snapshot(self):
        with self.lock:
            return self.version, self.good, self.outcome

    def banner(self, lang: str) -> str | None:
        """The banner's HTML for ``lang`` while the last build failed or is the first, else None."""
        _version, good, outcome = self.snapshot()
        if outcome is not None and outcome.state == "ok":
            return None
        lab = labels("serve")
        pick = lambda key: lab[key].get(lang) or lab[key]["en"]
        if outcome is None:
            title, text, lines = pick("building_title"), pick("building_text"), []
        else:
            title = pick("invalid_title" if outcome.state == "invalid" else "failed_title")
            text = pick("old_site" if good else "no_site")
            errors = [f.text() for f in outcome.findings if f.severity == "error"]
            lines = errors if outcome.findings else [outcome.message]
        shown = lines[:BANNER_LINES]
        more = pick("more").format(n=len(lines) - len(shown)) if len(lines) > len(shown) else ""
        return self._env.get_template("banner.html.j2").render(lang=lang, title=title, text=text, lines=shown,
                                                               more=more)

    def page(self, lang: str) -> str:
        """The whole page shown at every address before the first good build."""
        banner = self.banner(lang) or ""
        lab = labels("serve")
        outcome = self.snapshot()[2]
        key = "building_title" if outcome is None else (
            "invalid_title" if outcome.state == "invalid" else "failed_title")
        return self._env.get_template("page.html.j2").render(lang=lang, title=lab[key].get(lang) or lab[key]["en"],
                                                             banner=Markup(banner))

    def script(self) -> str:
        """The tag that loads the reload script, with the version the page was served at. An
        external script from this host: the site's Content-Security-Policy (script-src 'self' and
        hashes) blocks inline ones."""
        version = self.snapshot()[0]
        return f'<script src="{SCRIPT_PATH}" data-version="{version}"></script>'


def inject(html: bytes, extra: str) -> bytes:
    """``html`` with ``extra`` inserted right after its ``<body ...>`` tag (the banner shows at the
    top), or at its start when it has none."""
    data = extra.encode("utf-8")
    low = html.lower()
    at = low.find(b"<body")
    if at >= 0:
        end = html.find(b">", at)
        if end >= 0:
            return html[:end + 1] + data + html[end + 1:]
    return data + html


def local_location(path: str, query: str = "", *, slash: bool | None = None) -> str:
    """A ``Location`` for a redirect within this server: the decoded ``path`` as an absolute path
    of its non-empty segments ('/' and '\\' both separate them, '.' and '..' are dropped), each
    percent-encoded (RFC 3986 pchar), ending in '/' when ``path`` does (or when ``slash``), then
    ``?query`` with anything outside RFC 3986 encoded. It always starts with exactly one '/' and
    holds no CR, LF, space or backslash, so it can neither lead to another host (``//evil.example``,
    ``/\\evil.example``: an open redirect) nor add a header. ``path`` must hold no control
    character (the handler refuses those with 400 first)."""
    segments = [seg for seg in path.replace("\\", "/").split("/") if seg not in ("", ".", "..")]
    slash = path.endswith(("/", "\\")) if slash is None else slash
    where = "/" + "/".join(quote(seg, safe=_PCHAR) for seg in segments)
    if segments and slash:
        where += "/"
    if query:
        where += "?" + quote(query, safe=_PCHAR + "/?%")
    return where


class Handler(BaseHTTPRequestHandler):
    """Serves ``preview.site`` as a static host would, with the banner and the reload script.

    A path with a control character (CR, LF, NUL...) gets 400; a path the file system cannot even
    look up (a name too long) is not found (404); redirects go only to :func:`local_location`;
    a client silent for ``CLIENT_TIMEOUT`` seconds is dropped."""

    preview: Preview  # set on the subclass made by :func:`make_server`
    server_version = "biliktilik-serve"
    timeout = CLIENT_TIMEOUT  # socketserver.StreamRequestHandler sets it on the connection

    def log_message(self, format, *args):  # the base class's signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_HEAD(self):
        self._respond(head=True)

    def do_GET(self):
        self._respond(head=False)

    def _send(self, status: int, body: bytes, ctype: str, head: bool, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _redirect(self, where: str, head: bool):
        self._send(302, b"", "text/plain", head, [("Location", where)])

    def _respond(self, head: bool):
        preview = self.preview
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == VERSION_PATH:
            version, good, outcome = preview.snapshot()
            state = "building" if outcome is None else outcome.state
            body = json.dumps({"version": version, "state": state}).encode("utf-8")
            return self._send(200, body, "application/json", head)
        if path == SCRIPT_PATH:
            return self._send(200, preview.reload_js.encode("utf-8"), "text/javascript; charset=utf-8", head)
        if _CONTROL.search(path):  # never echoed into a header or a file name
            return self._send(400, b"bad request\n", "text/plain; charset=utf-8", head)
        default = LANGUAGES[0]
        if path == f"/{default}" or path.startswith(f"/{default}/"):  # the default language lives at /
            return self._redirect(local_location(path[len(default) + 1:], url.query), head)
        lang = next((lg for lg in LANGUAGES[1:] if path == f"/{lg}" or path.startswith(f"/{lg}/")), default)
        version, good, outcome = preview.snapshot()
        if not good:
            status = 503 if outcome is None else 500
            body = inject(preview.page(lang).encode("utf-8"), preview.script())
            return self._send(status, body, "text/html; charset=utf-8", head)
        site = preview.site
        rel = posixpath.normpath(path).lstrip("/")
        parts = [p for p in rel.split("/") if p not in ("", ".", "..")]
        file = site.joinpath(*parts) if parts else site
        status = 200
        try:
            is_dir = file.is_dir()
            found = is_dir or file.is_file()
        except OSError:  # e.g. ENAMETOOLONG for a long made-up path: nothing there
            is_dir = found = False
        if is_dir:
            if not path.endswith("/"):
                return self._redirect(local_location(path, url.query, slash=True), head)
            file = file / "index.html"
            found = file.is_file()
        if not found:
            status = 404
            file = site / (f"{lang}/404.html" if lang != default else "404.html")
        try:
            body = file.read_bytes()
        except OSError:  # the site was exchanged under us, or no 404 page: plain 404
            return self._send(404, b"not found\n", "text/plain; charset=utf-8", head)
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if ctype == "text/html":
            extra = (preview.banner(lang) or "") + preview.script()
            body = inject(body, extra)
            ctype = "text/html; charset=utf-8"
        elif ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        return self._send(status, body, ctype, head)


class _Server(ThreadingHTTPServer):
    """The preview's HTTP server: a client that hangs up or times out is no error worth a traceback;
    anything else is logged in one line (the traceback with --verbose)."""

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("client %s: %s", client_address, exc)
        else:
            log.warning("request from %s failed: %s: %s", client_address[0], type(exc).__name__, exc,
                        exc_info=log.isEnabledFor(logging.DEBUG))


def make_server(preview: Preview, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``preview`` bound to ``host``:``port`` (0: a free port).

    Raises UsageError with one line when the port is in use or the address cannot be bound."""
    handler = type("PreviewHandler", (Handler,), {"preview": preview})
    try:
        server = _Server((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(_("port {port} on {host} is in use; choose another with --port").format(
                port=port, host=host)) from None
        raise UsageError(_("cannot listen on {host}:{port}: {error}").format(
            host=host, port=port, error=exc.strerror or exc)) from None
    server.daemon_threads = True
    return server


def is_temporary(path: str) -> bool:
    """True for a file an editor or tool writes and removes while saving (:data:`IGNORED_NAMES`) and
    for anything under ``__pycache__``: a change to it is no edit and starts no rebuild."""
    return "__pycache__" in path or IGNORED_NAMES.fullmatch(Path(path).name) is not None


class _Changes:
    """watchdog's event handler: remembers that something changed, and the first path."""

    def __init__(self, files: set[Path] | None = None):
        self.event = threading.Event()
        self.files = files  # for a non-recursive watch of the project folder: only these files
        self.first: str | None = None

    def dispatch(self, event):
        if event.event_type in IGNORED_EVENTS:
            return
        paths = [getattr(event, "dest_path", "") or "", event.src_path]  # a move (an editor's save): where to
        paths = [p if isinstance(p, str) else p.decode() for p in paths if p]
        if self.files is not None:
            if not any(Path(p) in self.files for p in paths):
                return
        elif all(is_temporary(p) for p in paths):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a file inside changed: its own event follows
        if self.first is None:
            self.first = paths[0]
        self.event.set()


def watch(data: Path, config_file: Path = CONFIG_FILE):
    """A started watchdog Observer of ``data``, content/, templates/ (recursive) and the config
    file, and the _Changes it reports to."""
    from watchdog.observers import Observer

    changes = _Changes()
    config_changes = _Changes({config_file.resolve()})
    config_changes.event = changes.event
    observer = Observer()
    root = config_file.resolve().parent
    for folder in (Path(data), root / "content", root / "templates"):
        if folder.is_dir():
            observer.schedule(changes, str(folder.resolve()), recursive=True)
    observer.schedule(config_changes, str(root), recursive=False)
    observer.daemon = True
    observer.start()
    return observer, changes, config_changes


def serve(data: Path, host: str = "127.0.0.1", port: int = 8000, folder: Path | None = None,
          cache: Path | None = None, use_cache: bool = True, pdf: bool = True, verbose: bool = False) -> int:
    """Serve a preview of ``data`` at http://host:port/ (Kazakh at /, Russian at /ru/) until
    Ctrl-C (or SIGTERM); rebuild after every change. Returns 0 when stopped.

    ``folder``: where the preview is built (default :func:`preview_folder`); ``pdf=False`` leaves
    out the generators that lay out PDFs (certificates, blank forms, reports): a quicker preview whose
    form links do not resolve. Raises UsageError when ``data`` is not a folder or the port is in use."""
    from biliktilik.build.pipeline import PDF_GENERATORS

    data = Path(data)
    if not data.is_dir():
        raise UsageError(_("{data}: no such data folder").format(data=data))
    folder = Path(folder) if folder else preview_folder(data)
    if (folder / "site").resolve() in {(ROOT / "site").resolve(), (Path.cwd() / "site").resolve(),
                                       (config_beside(data).resolve().parent / "site").resolve()}:
        raise UsageError(_("--preview {folder}: the preview would replace the real site/; choose another folder")
                         .format(folder=folder))
    folder.mkdir(parents=True, exist_ok=True)
    preview = Preview(data, folder, "", cache, use_cache, () if pdf else PDF_GENERATORS, verbose)
    server = make_server(preview, host, port)
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{server.server_address[1]}/"
    preview.site_url = base
    previous = signal.signal(signal.SIGTERM, _interrupt), signal.signal(signal.SIGINT, _interrupt)
    thread = threading.Thread(target=server.serve_forever, name="biliktilik-serve-http", daemon=True)
    observer = None
    try:
        thread.start()
        observer, changes, config_changes = watch(data, config_beside(data))
        print(_("serving {kk} (kk) and {ru}ru/ (ru); watching {data}/, content/, templates/ and mkdocs.yml; "
                "Ctrl-C stops").format(kk=base, ru=base, data=data), flush=True)
        print(_("building the preview in {folder}").format(folder=folder), flush=True)
        preview.build()
        while True:
            changes.event.wait()
            while True:  # debounce: wait until the events stop for DEBOUNCE seconds
                changes.event.clear()
                time.sleep(DEBOUNCE)
                if not changes.event.is_set():
                    break
            first = changes.first or config_changes.first
            changes.first = config_changes.first = None
            print(_("changed: {path}; rebuilding").format(path=_relative(first)), flush=True)
            preview.build()
    except KeyboardInterrupt:
        print(_("stopped"), file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        if observer is not None:
            observer.stop()
        server.shutdown()
        server.server_close()


def _end_group(child):
    """End a build process and the workers it forked (its own process group): SIGTERM, then
    SIGKILL after 10 seconds. The pipeline's lock and publication journal make that safe."""
    if child.pid is None:  # never started
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(child.pid, sig)
        except (ProcessLookupError, PermissionError, TypeError):
            if child.pid is not None and child.is_alive():
                child.terminate()
        child.join(wait)
        if not child.is_alive():
            break
    deadline = time.monotonic() + 10  # the workers, once their parent is gone
    while time.monotonic() < deadline:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, TypeError):
            return
        time.sleep(0.05)


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold SIGINT and SIGTERM while the block runs (in the main thread), then raise
    KeyboardInterrupt if one came: the block is never cut halfway. Elsewhere, does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came = []
    previous = {sig: signal.signal(sig, lambda signum, frame: came.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if came:
        raise KeyboardInterrupt


def _interrupt(signum, frame):
    """SIGTERM, and SIGINT even where a shell started the server with it ignored: stop cleanly."""
    raise KeyboardInterrupt


def _relative(path: str | None) -> str:
    if not path:
        return "?"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
