"""The build's content-addressed output cache: what a group of outputs (one cohort's verification
pages, one cohort's certificate PDFs) depends on is hashed into a key; the files made from it are
kept under that key in one pack file, and a later build with the same key writes them back instead
of rendering and signing them again.

The key of every entry includes ``code_version()``: the project's Python code, every file under
templates/ (templates, labels, CSS, fonts, blank-form positions) and the versions of the libraries
that shape the bytes, so a change to any of them is a cold build. What else goes in is chosen by the
generator: the records the outputs are made from, the site address, the issuer's public key, the
build date. A cached result is therefore byte-identical to a fresh one (tests/test_incremental.py).

Pack format: for each file, ``<len(rel)>:<len(data)>\\n`` + rel (UTF-8) + data."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from biliktilik.files import write_atomically
from biliktilik.project import ROOT, TEMPLATES

_LIBRARIES = ("jinja2", "markupsafe", "weasyprint", "pydyf", "fonttools", "pypdf", "qrcode", "joserfc", "rfc8785",
              "cryptography", "mkdocs", "mkdocs-material")


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
