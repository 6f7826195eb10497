"""The one writer of site/ and print/: no path twice, nothing outside its root,
and publication by swapping a finished folder in place of the old one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from biliktilik.findings import BuildError


class Output:
    """Writes files under a staging folder; ``publish()`` swaps it into place."""

    def __init__(self, target: Path, name: str):
        self.target = Path(target).resolve()
        self.name = name
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.building-", dir=self.target.parent))
        self.written: set[str] = set()

    def path(self, rel: str) -> Path:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise BuildError(f"refusing to write outside {self.name}/: {rel}")
        return self.root.joinpath(*pure.parts)

    def claim(self, rel: str) -> Path:
        key = str(PurePosixPath(rel))
        if key in self.written:
            raise BuildError(f"two outputs want the same file {self.name}/{key}")
        self.written.add(key)
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.claim(rel)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    def adopt(self, produced: Path):
        """Record files another tool (MkDocs) wrote under this root."""
        for p in sorted(produced.rglob("*")):
            if p.is_file():
                key = p.relative_to(self.root).as_posix()
                if key in self.written:
                    raise BuildError(f"two outputs want the same file {self.name}/{key}")
                self.written.add(key)

    def publish(self) -> Path:
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            if old.exists():
                shutil.rmtree(old)
            os.rename(self.target, old)
        os.rename(self.root, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def discard(self):
        shutil.rmtree(self.root, ignore_errors=True)
