"""The one way the project writes a file in place: whole or not at all.

Used for data/ (issuing), caches and staff outputs written outside the build's staged folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, *, keep_mode: bool = True, fsync: bool = False):
    """Write ``data`` (bytes, or text as UTF-8) to ``path``: a temporary file in the same folder,
    then ``os.replace`` (atomic on POSIX), so a reader sees the old file or the new one, never half.

    Creates missing parent folders. With ``keep_mode`` an existing file's permission bits are
    kept; with ``fsync`` the data reach the disk before the rename. Raises OSError (nothing is
    left behind) when the folder cannot be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        if keep_mode and path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
