"""The one way the project writes a file in place (whole or not at all), and the one lock of a
folder that a command writes (data/ for issue, revoke and correct; site/ and print/ for build).

Used for data/ (issuing), caches and staff outputs written outside the build's staged folders."""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from biliktilik.findings import Busy
from biliktilik.i18n import _


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


@contextmanager
def folder_lock(folder: Path, what: str, wait: float = 0.0):
    """Hold an exclusive ``fcntl.flock`` on ``.<folder name>.lock`` beside ``folder`` (the lock file
    stays; it holds the pid of the last holder) while the block runs.

    ``wait`` seconds are spent waiting for another holder (polling); then Busy (exit 1) is raised,
    e.g. "another build is running (pid 1234); wait for it to finish". The lock is released by the
    kernel when the process ends, however it ends (kill -9 included), so it never goes stale.
    Raises OSError when the lock file cannot be created."""
    folder = Path(folder).absolute()
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock_path = folder.with_name(f".{folder.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    raise Busy(_("another {what} is running (pid {holder}) on {folder}; wait for it to finish").format(what=what, holder=holder, folder=folder)) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield lock_path
    finally:
        os.close(fd)  # releases the flock
