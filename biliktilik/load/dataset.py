"""Load every YAML record under data/ into one checked :class:`Dataset`.

Per-file work (read, parse, schema check) is cached by path, size, mtime, inode and ctime, so
after a change to one file only that file is read again. Cross-file checks and
rule checks always run on the whole dataset (see :mod:`biliktilik.checks`).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

from biliktilik import i18n
from biliktilik.load import iin
from biliktilik.load import schemas
from biliktilik.files import write_atomically
from biliktilik.findings import Finding
from biliktilik.i18n import _
from biliktilik.progress import QUIET, Progress
from biliktilik.load import schemaengine
from biliktilik.load.yamlload import LEDGER_LIMITS, LIMITS, Map, load_file, plain, position

log = logging.getLogger(__name__)

_CODE_FILES = ("load/schemas.py", "load/schemacheck.py", "load/schemaengine.py", "i18n.py", "load/yamlload.py", "load/dataset.py", "findings.py", "load/iin.py")


def _code_version() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent.parent
    for name in _CODE_FILES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


CODE_VERSION = _code_version()


@dataclass
class Record:
    kind: str
    id: str
    file: str  # as shown in findings, e.g. data/cohorts/2026-03.yaml
    data: dict
    path: Path | None = None  # the file on disk, to find positions again for data that came from the cache

    def at(self, *path, of_key=False):
        """(line, column) of a key path inside this record, e.g. at('listeners', 3, 'attendance')."""
        node = self.positioned()
        for step in path[:-1]:
            node = node[step]
        return position(node, path[-1], of_key=of_key) if path else position(node)

    def positioned(self):
        """The data with positions: as parsed, or parsed again when it came from the cache."""
        if isinstance(self.data, Map) or self.path is None:
            return self.data
        cached = getattr(self, "_positioned", None)
        if cached is None:
            cached = load_file(self.path, self.file, [], LEDGER_LIMITS if self.kind == "ledger" else LIMITS) or self.data
            self._positioned = cached
        return cached

    def finding(self, path, severity, code, message, source=None):
        line, col = self.at(*path) if path else position(self.data)
        return Finding(self.file, line, col, severity, code, message, source)


@dataclass
class Dataset:
    root: Path
    rulesets: dict[str, Record] = field(default_factory=dict)
    organisations: dict[str, Record] = field(default_factory=dict)
    programmes: dict[str, Record] = field(default_factory=dict)
    cohorts: dict[str, Record] = field(default_factory=dict)
    ledgers: dict[str, Record] = field(default_factory=dict)  # data/ledger.yaml, id 'ledger'
    findings: list[Finding] = field(default_factory=list)
    # kind -> {id: file} of the files that failed to load (their findings are at the file); a reference
    # to one of these ids is passed over by every check, fact and output, never reported twice.
    failed: dict[str, dict[str, str]] = field(default_factory=dict)
    # the records of files that parsed to a mapping but failed their schema: left out of every
    # cross-file check, but still read by checks of a record's own text (validate/text_checks.py)
    unsound: list[Record] = field(default_factory=list)
    files_read: int = 0
    files_cached: int = 0

    def of_kind(self, kind: str) -> dict[str, Record]:
        return getattr(self, kind + "s")

    @property
    def errors(self):
        return [f for f in self.findings if f.severity == "error"]

    def failed_to_load(self, kind: str, rid) -> str | None:
        """The file (as findings name it) of the ``kind`` record ``rid`` when that file failed to load,
        else None. A check that meets a reference to such a record skips it: the broken file already
        carries the finding."""
        return self.failed.get(kind, {}).get(rid) if isinstance(rid, str) else None


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return str(path) if rel.startswith("..") else rel


def default_cache_dir(data_dir: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return base / "biliktilik" / key


def _listener_iins(data, display) -> list[Finding]:
    """IIN checksums: local to one file, so they run once and are cached with it."""
    out = []
    listeners = data.get("listeners") if isinstance(data, dict) else None
    for i, listener in enumerate(listeners if isinstance(listeners, list) else []):
        value = listener.get("iin") if isinstance(listener, dict) else None
        if isinstance(value, str) and len(value) == 12 and value.isdigit():
            wrong = iin.problem(value)
            if wrong:
                line, col = position(listener, "iin")
                out.append(Finding(display, line, col, "error", "listener.iin", _("invalid IIN: {wrong}").format(wrong=wrong)))
    return out


FILE_CHECKS = {"cohort": (_listener_iins,)}


def _parse_one(path: Path, kind: str, display: str):
    """(data, findings, sound) of one file; ``sound`` is False when the YAML or the schema check
    found an error: such a record is not loaded (see load_dataset), so that no later check, fact
    or output meets a value of the wrong type or a missing required key."""
    findings: list[Finding] = []
    data = load_file(path, display, findings, LEDGER_LIMITS if kind == "ledger" else LIMITS)
    if data is not None:
        findings.extend(schemaengine.check(kind, data, display))
    sound = data is not None and not any(f.severity == "error" for f in findings)
    if data is not None:
        for check in FILE_CHECKS.get(kind, ()):
            findings.extend(check(data, display))
    return data, findings, sound


class _Cache:
    """One pickle per data file, keyed by its absolute path; valid while its stamp (_stamp) matches."""

    def __init__(self, directory: Path | None):
        self.dir = directory
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError:
                self.dir = None

    def _file(self, path: Path) -> Path:
        return self.dir / (hashlib.sha1(str(path).encode()).hexdigest() + ".pickle")

    def get(self, path: Path, stamp, display: str):
        if self.dir is None:
            return None
        try:
            with open(self._file(path), "rb") as fh:
                saved_stamp, saved_display, result = pickle.load(fh)
        except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError):
            return None
        if saved_stamp != stamp or saved_display != display:
            return None
        return result

    def put(self, path: Path, stamp, display: str, result):
        if self.dir is None or stamp is None:
            return
        try:
            write_atomically(self._file(path), pickle.dumps((stamp, display, result), protocol=pickle.HIGHEST_PROTOCOL),
                             keep_mode=False)
        except OSError:
            log.debug("cache write failed for %s", path)


def _link_problem(path: str, root: Path) -> str | None:
    """Why the symbolic link ``path`` is not read, or None when it is no link or stays inside ``root``.

    A link is never followed out of the data folder (a pull request could otherwise make the
    validator quote a file of the build machine, e.g. a key, into a public CI log); a broken
    link and a link loop are reported rather than raised. ``root`` is the resolved data folder."""
    if not os.path.islink(path):
        return None
    try:
        target = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        return _("a broken symbolic link: its target does not exist; replace the link by the file itself")
    except OSError:
        return _("a symbolic link that leads back to itself (a loop); replace the link by the file itself")
    if not target.is_relative_to(root):
        return _("a symbolic link to outside the data folder is not read; copy the file into the data folder")
    return None


def discover(data_dir: Path):
    """(found, stray, refused) of the data folder ``data_dir`` (resolved, absolute).

    ``found``: (path, kind) of every record file; ``stray``: the files that are no record (hidden
    files are passed over); ``refused``: (path, why) of the symbolic links that are not read (to
    outside ``data_dir``, broken, or looping; see _link_problem), which become ``file.symlink``
    findings. Records are ``<folder>/<name>.yaml`` for the folders of schemas.FOLDERS, or a single
    file of schemas.FILES; README, .md and .txt files are notes. A symbolic link to a folder is
    followed only at the top level (``data/cohorts -> ...`` inside the data folder), never while
    walking stray folders, so no link can make the walk endless. os.scandir keeps this cheap at
    3,000+ files."""
    found, stray, refused = [], [], []
    root = Path(data_dir)

    def note(name: str) -> bool:
        return name == "README" or name.endswith((".md", ".txt"))

    def refuse(entry) -> bool:
        why = _link_problem(entry.path, root)
        if why is not None:
            refused.append((Path(entry.path), why))
        return why is not None

    def walk_stray(folder: Path):
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith(".") or refuse(entry):
                continue
            if entry.is_dir(follow_symlinks=False):
                walk_stray(Path(entry.path))
            elif not note(entry.name):
                stray.append(Path(entry.path))

    for entry in sorted(os.scandir(data_dir), key=lambda e: e.name):
        if entry.name.startswith(".") or refuse(entry):
            continue
        path = Path(entry.path)
        if entry.is_dir():
            kind = schemas.FOLDERS.get(entry.name)
            if kind is None:
                if entry.is_symlink():
                    stray.append(path)
                else:
                    walk_stray(path)
                continue
            for sub in sorted(os.scandir(path), key=lambda e: e.name):
                if sub.name.startswith(".") or refuse(sub):
                    continue
                if sub.is_dir(follow_symlinks=False):
                    walk_stray(Path(sub.path))
                elif sub.is_dir():
                    stray.append(Path(sub.path))
                elif sub.name.endswith((".yaml", ".yml")):
                    found.append((Path(sub.path), kind))
                elif not note(sub.name):
                    stray.append(Path(sub.path))
        elif entry.name in schemas.FILES:
            found.append((path, schemas.FILES[entry.name]))
        elif not note(entry.name):
            stray.append(path)
    return found, stray, refused


def _stamp(path: Path):
    """What makes a cached parse valid: size, mtime, and the inode and ctime that no editor or
    ``os.utime`` can set back (git's index uses the same), the version of the parsing code and the
    message language (a cached file's findings are worded in it).
    A content hash would also catch a same-size edit whose mtime and ctime were both restored,
    which needs root (changing the clock); it costs reading every file on each run. The message
    language is part of it: the cached findings are worded in it (biliktilik.i18n)."""
    try:
        st = path.stat()
    except OSError:  # gone or unreadable since discover(): parsed again, load_file reports it
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, CODE_VERSION, i18n.current())


def _parse_and_cache(job):
    path, kind, display, stamp, cache_dir = job
    data, findings, sound = _parse_one(path, kind, display)
    result = (plain(data), findings, sound)
    _Cache(cache_dir).put(path, stamp, display, result)
    return result


def _read_all(files, displays, cache: _Cache, ds: Dataset, progress: Progress = QUIET):
    """Each file's (data, findings): from the cache, else parsed (in worker processes when there are
    many); ``progress`` counts the files parsed."""
    results: list = [None] * len(files)
    jobs = []
    for i, ((path, kind), display) in enumerate(zip(files, displays)):
        stamp = _stamp(path)
        hit = cache.get(path, stamp, display) if stamp is not None else None
        if hit is not None:
            results[i] = hit
            ds.files_cached += 1
        else:
            jobs.append((i, (path, kind, display, stamp, cache.dir)))
    ds.files_read = len(jobs)
    workers = min(os.cpu_count() or 1, 8)
    with progress.stage(_("read files"), total=len(jobs)) as advance:
        if len(jobs) >= PARALLEL_FROM and workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parsed = pool.imap(_parse_and_cache, [job for _, job in jobs], chunksize=64)
                for (i, _job), result in zip(jobs, parsed):
                    results[i] = result
                    advance()
        else:
            for i, (path, kind, display, stamp, cache_dir) in jobs:
                data, findings, sound = _parse_one(path, kind, display)
                cache.put(path, stamp, display, (plain(data), findings, sound))
                results[i] = (data, findings, sound)  # keeps positions: no second parse for findings
                advance()
    return results


PARALLEL_FROM = 200  # files; below this a pool costs more than it saves


_ID_LINE = re.compile(rb"^id:[ \t]*['\"]?([^'\"#\s]+)", re.M)


def _probable_id(path: Path, data) -> str:
    """The id a file that failed to load most likely has: its ``id:`` line, else its name."""
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    try:
        with open(path, "rb") as fh:
            match = _ID_LINE.search(fh.read(1 << 16))
    except OSError:
        match = None
    if match:
        try:
            return match.group(1).decode("utf-8")
        except UnicodeDecodeError:
            pass
    return path.stem


def load_dataset(data_dir, cache_dir=None, use_cache: bool = True, progress: Progress = QUIET) -> Dataset:
    data_dir = Path(data_dir)
    ds = Dataset(root=data_dir)
    if not data_dir.is_dir():
        ds.findings.append(Finding(display_path(data_dir), 1, 1, "error", "data.missing",
                                   _("the data folder does not exist")))
        return ds
    cache = _Cache((Path(cache_dir) if cache_dir else default_cache_dir(data_dir)) if use_cache else None)
    root = data_dir.resolve()
    files, stray, refused = discover(root)  # absolute paths: the cache's keys
    prefix = display_path(data_dir)

    def shown(path: Path) -> str:  # as findings name it: data/cohorts/x.yaml
        return f"{prefix}/{path.relative_to(root).as_posix()}"

    displays = [shown(path) for path, _ in files]
    for path in stray:
        ds.findings.append(Finding(shown(path), 1, 1, "error", "data.unknown-file",
                                   _("not a record: expected a .yaml file in one of {items}/").format(items=', '.join(sorted(schemas.FOLDERS)))))
    for path, why in refused:  # never read: the finding names the link, not its target
        ds.findings.append(Finding(shown(path), 1, 1, "error", "file.symlink", why))
    first_seen: dict[tuple[str, str], Record] = {}
    results = _read_all(files, displays, cache, ds, progress)
    for (path, kind), display, result in zip(files, displays, results):
        data, findings, sound = result
        ds.findings.extend(findings)
        rid = path.stem if kind in schemas.FILES.values() else data.get("id") if isinstance(data, dict) else None
        if not sound or not isinstance(data, dict) or not isinstance(rid, str):
            ds.failed.setdefault(kind, {})[_probable_id(path, data)] = display
            if isinstance(data, dict):
                ds.unsound.append(Record(kind, _probable_id(path, data), display, data, path))
            continue
        record = Record(kind, rid, display, data, path)
        previous = first_seen.get((kind, record.id))
        if previous is not None:
            ds.findings.append(record.finding(("id",), "error", f"{kind}.duplicate-id",
                                              _("{kind} id '{id}' is already used by {file}").format(kind=kind, id=record.id, file=previous.file)))
            continue
        first_seen[(kind, record.id)] = record
        ds.of_kind(kind)[record.id] = record
    log.info("read %d file(s), %d from cache", ds.files_read, ds.files_cached)
    return ds
