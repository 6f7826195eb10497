"""The build's content-addressed output cache: what a group of outputs (one cohort's verification
pages, one cohort's certificate PDFs) depends on is hashed into a key; the files made from it are
kept under that key in one pack file, and a later build with the same key writes them back instead
of rendering and signing them again.

The key of every entry includes ``code_version()``: the project's Python code, every file under
templates/ (templates, labels, CSS, fonts, blank-form positions) and the versions of the libraries
that shape the bytes, so a change to any of them is a cold build. What else goes in is chosen by the
generator: the records the outputs are made from, the site address, the issuer's public key, the
build date. A cached result is therefore byte-identical to a fresh one (tests/test_incremental.py).

Pack format: for each file, ``<len(rel)>:<len(data)>\\n`` + rel (UTF-8) + data.

Linked entries (``store`` / ``link``, issue 12 part 4): for the groups of many small files that a
rebuild would otherwise write again byte for byte (verification pages, certificate PDFs, check
files, MkDocs' output), each file is kept once as a blob named by the sha256 of its bytes
(``blobs/<sha[:2]>/<sha>``) and the entry (``<kind>/<key[:2]>/<key>.links``, JSON) lists
``[rel, sha, size, mtime_ns]``. A hit puts each file in the staging folder as a hard link to its
blob (``os.link``: no bytes read or written; a copy where the cache is on another file system or
the blob has too many links), so the new site's file is the same inode as the previous site's.
Published files are therefore never modified in place (every writer makes a new file and renames
it, or writes into a fresh staging folder); a blob whose size or mtime is no longer the entry's
(someone edited a published file in place) is a miss, and the group is rendered again."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from biliktilik.files import write_atomically
from biliktilik.project import ROOT, TEMPLATES

_LIBRARIES = ("jinja2", "markupsafe", "weasyprint", "pydyf", "fonttools", "pypdf", "reportlab", "qrcode", "joserfc",
              "rfc8785", "cryptography", "mkdocs", "mkdocs-material", "babel", "PyICU")


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 (hex) over the project's .py files, everything under templates/ and the library versions."""
    h = hashlib.sha256()
    files = sorted(p for folder in (ROOT / "biliktilik", ROOT / "generators") for p in folder.rglob("*.py"))
    files += sorted(p for p in TEMPLATES.rglob("*") if p.is_file())
    for path in files:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=none\0".encode())
    try:  # the ICU library PyICU was built against: it orders every alphabetical list
        import icu

        h.update(f"icu={icu.ICU_VERSION}\0".encode())
    except ImportError:
        h.update(b"icu=none\0")
    return h.hexdigest()


def _default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(f"cannot key {type(value).__name__}")


class OutputCache:
    """Packs of output files under ``folder/<kind>/<key[:2]>/<key>``; safe to share among processes
    (each pack is written to a temporary file and renamed into place)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def key(self, kind: str, *parts) -> str:
        """sha256 of the code version, ``kind`` and ``parts`` (JSON; dates, dataclasses and dicts allowed)."""
        text = json.dumps([code_version(), kind, parts], sort_keys=True, ensure_ascii=False, default=_default)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / key

    def get(self, kind: str, key: str) -> list[tuple[str, bytes]] | None:
        """The files (rel, bytes) kept under ``key``, or None (also for an unreadable or truncated pack)."""
        try:
            blob = self._path(kind, key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        files, i = [], 0
        try:
            while i < len(blob):
                nl = blob.index(b"\n", i)
                a, b = blob[i:nl].split(b":")
                if not (a.isdigit() and b.isdigit()):
                    raise ValueError("not a length")
                start = nl + 1
                rel_end = start + int(a)
                end = rel_end + int(b)
                if end > len(blob):
                    raise ValueError("truncated")
                files.append((blob[start:rel_end].decode("utf-8"), blob[rel_end:end]))
                i = end
        except ValueError:
            self.misses += 1
            return None
        self.hits += 1
        return files

    def put(self, kind: str, key: str, files: list[tuple[str, bytes]]):
        """Keep ``files`` under ``key``; a failure to write only costs a later rebuild."""
        target = self._path(kind, key)
        parts = []
        for rel, data in files:
            r = rel.encode("utf-8")
            parts += [f"{len(r)}:{len(data)}\n".encode("ascii"), r, data]
        try:
            write_atomically(target, b"".join(parts), keep_mode=False)
        except OSError:
            pass

    # -- linked entries: one blob per file, hard-linked into the staging folder --------------------

    def _links_path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / (key + ".links")

    def _blob_path(self, sha: str) -> str:
        return os.path.join(self.folder, "blobs", sha[:2], sha)

    def _blob(self, data: bytes, source: str | None = None) -> tuple[str, str, os.stat_result]:
        """The blob of ``data``: (sha, path, its stat); made when missing, from ``source`` (a file
        holding exactly ``data``) by a hard link when given, else written (temporary file, rename).
        When the blob exists and ``source`` is given, ``source`` is replaced by a link to it (so the
        next build's link is the same inode)."""
        sha = hashlib.sha256(data).hexdigest()
        path = self._blob_path(sha)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if source is not None:  # the same bytes are a blob already: the file becomes a link to it
                _relink(path, source)
            return sha, path, st
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if source is not None:
            try:
                os.link(source, path)
                return sha, path, os.lstat(path)
            except FileExistsError:  # another process made the blob just now (kk and ru share files)
                _relink(path, source)
                return sha, path, os.lstat(path)
            except OSError:
                pass  # another file system, too many links: write it
        write_atomically(path, data, keep_mode=False)
        return sha, path, os.lstat(path)

    def store(self, kind: str, key: str, files: list[tuple[str, bytes]], root: str | os.PathLike | None = None,
              written: bool = False):
        """Keep ``files`` ((rel, bytes)) under ``key`` as blobs and a ``.links`` entry, and put each at
        ``root``/rel (folders made as needed) as a hard link to its blob: the bytes are written once.
        ``written``: the files are already at ``root``/rel (MkDocs wrote them), so a missing blob is
        made by linking that file. A failure to keep the entry only costs a later rebuild; a failure
        to put a file under ``root`` raises OSError."""
        entries = []
        try:
            for rel, data in files:
                source = os.path.join(root, rel) if written and root is not None else None
                sha, path, st = self._blob(data, source)
                entries.append([rel, sha, st.st_size, st.st_mtime_ns])
                if root is not None and not written:
                    place(path, os.path.join(root, rel), data)
        except OSError:
            if root is not None and not written:  # the cache failed: the files themselves must be there
                for rel, data in files[len(entries):]:
                    _write_new(os.path.join(root, rel), data)
            return
        try:
            write_atomically(self._links_path(kind, key), json.dumps(entries, separators=(",", ":")),
                             keep_mode=False)
        except OSError:
            pass

    def link(self, kind: str, key: str, root: str | os.PathLike, claim=None) -> list[str] | None:
        """Put the files kept under ``key`` (``store``) at ``root``/rel as hard links to their blobs
        and return their rels; None (nothing placed) when there is no such entry, or a blob is
        missing or not as it was stored (size, mtime). ``claim``: called with each rel before it is
        placed (an Output's ``claim``: it refuses a path twice, BuildError). Raises OSError when a
        file cannot be put."""
        try:
            entries = json.loads(self._links_path(kind, key).read_bytes())
            for _rel, sha, size, mtime in entries:
                st = os.lstat(self._blob_path(sha))
                if st.st_size != size or st.st_mtime_ns != mtime:
                    raise ValueError("changed")
        except (OSError, ValueError, TypeError):
            self.misses += 1
            return None
        for rel, sha, _size, _mtime in entries:
            if claim is not None:
                claim(rel)
            place(self._blob_path(sha), os.path.join(root, rel))
        self.hits += 1
        return [e[0] for e in entries]


def _relink(blob: str, source: str):
    """Make ``source`` (a file holding the blob's bytes) a hard link to ``blob``, so that the next
    build's link is the same inode; left as it is where that fails."""
    try:
        tmp = f"{source}.{os.getpid()}.link"
        os.link(blob, tmp)
        os.replace(tmp, source)
    except OSError:
        pass


def _write_new(path: str, data: bytes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def place(blob: str, dest: str, data: bytes | None = None):
    """Make ``dest`` (a new path in a staging folder; its folder made when missing) a hard link to
    ``blob``; where the file system refuses (another device, too many links, no links), a copy (of
    ``data`` when given). Raises OSError (FileExistsError when ``dest`` exists)."""
    for attempt in (0, 1):
        try:
            os.link(blob, dest)
            return
        except FileNotFoundError:
            if attempt or os.path.isdir(os.path.dirname(dest)):
                raise
            os.makedirs(os.path.dirname(dest), exist_ok=True)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EMLINK, errno.EPERM, errno.ENOTSUP):
                raise
            if data is not None:
                _write_new(dest, data)
            else:
                shutil.copyfile(blob, dest)
            return
