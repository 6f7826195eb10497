"""The one writer of site/ and print/: no path twice, nothing outside its root,
and publication by swapping finished folders in place of the old ones, crash-safe.

How a build publishes (``publish_together``), so that ``kill -9`` at any moment leaves either the
previous site/ and print/ or the new ones, never half of one or a mix after the next start:

1. every output is written into a staging folder beside its target (``.site.building-XXXX``);
2. a journal ``.site.publish`` beside site/ names each (staging folder, target, inode of the
   staging folder); it is written atomically and fsynced: this is the commit point;
3. each staging folder is exchanged with its target in one step (Linux ``renameat2`` with
   ``RENAME_EXCHANGE``: site/ stays a plain folder and is never missing; where the file system
   refuses it, two renames, whose gap the recovery closes);
4. the journal is removed, then the old folders (now at the staging paths) are deleted, or, for a
   build (``keep_previous``), renamed to ``.site.previous-XXXX`` and deleted by the next build in a
   background thread while it works (``sweep_previous``): deleting a national site's hundreds of
   thousands of files costs seconds to minutes of file-system time that a rebuild need not wait for.

``recover()`` runs at the start of the next build, under the build lock: with a journal it
completes step 3 for the pairs not yet exchanged (a target whose inode is the journal's is done)
and step 4; without one it deletes leftover staging folders. A crash before step 2 leaves the old
output untouched; a crash after it is rolled forward. Files are not fsynced one by one: a killed
process loses nothing the kernel has accepted; only a power cut before the journal's fsync could.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from biliktilik.files import write_atomically
from biliktilik.findings import BuildError
from biliktilik.i18n import _

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
except (OSError, AttributeError):  # not glibc/Linux: the two-rename fallback
    _renameat2 = None


class Output:
    """Writes files under a staging folder; ``publish()`` swaps it into place."""

    def __init__(self, target: Path, name: str):
        self.target = Path(target).resolve()
        self.name = name
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.building-", dir=self.target.parent))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.root, 0o777 & ~mask)  # mkdtemp makes it 0700: the published site/ must be readable by the web server
        self.written: set[str] = set()

    def path(self, rel: str) -> Path:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise BuildError(_("refusing to write outside {name}/: {rel}").format(name=self.name, rel=rel))
        return self.root.joinpath(*pure.parts)

    def claim(self, rel: str) -> Path:
        key = str(PurePosixPath(rel))
        if key in self.written:
            raise BuildError(_("two outputs want the same file {name}/{key}").format(name=self.name, key=key))
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
                    raise BuildError(_("two outputs want the same file {name}/{key}").format(name=self.name, key=key))
                self.written.add(key)

    def publish(self) -> Path:
        """Swap this staging folder in place of the target (one output alone; a build publishes
        site/ and print/ together with ``publish_together``)."""
        publish_together([self], journal_for(self.target))
        return self.target

    def discard(self):
        shutil.rmtree(self.root, ignore_errors=True)


def exchange(a: Path, b: Path):
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE). Raises OSError, with
    errno ENOSYS or EINVAL where the kernel or the file system cannot."""
    if _renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a))


def _swap_in(staged: Path, target: Path):
    """Put ``staged`` at ``target``; the previous target (if any) ends up at ``staged``'s path."""
    if not os.path.lexists(target):
        os.rename(staged, target)
        return
    try:
        exchange(staged, target)
    except OSError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise
        aside = _aside(staged)
        os.rename(target, aside)  # target missing from here ...
        os.rename(staged, target)  # ... to here: recover() closes the gap after a crash
        os.rename(aside, staged)


def _aside(staged: Path) -> Path:
    return staged.with_name(staged.name + ".previous")


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return None


def journal_for(site_target: Path) -> Path:
    """The publication journal beside a build's site folder."""
    site_target = Path(site_target).absolute()
    return site_target.with_name(f".{site_target.name}.publish")


def publish_together(outputs: list[Output], journal: Path, keep_previous: bool = False):
    """Publish several staged outputs as one: all of them or (after recovery) none. See the module's
    docstring for the protocol. ``keep_previous``: leave the previous outputs beside their targets as
    ``.<name>.previous-XXXX`` for ``sweep_previous`` instead of deleting them now. Raises BuildError
    (the previous outputs left in place) when the journal or a swap cannot be written."""
    pairs = [{"staged": str(o.root), "target": str(o.target), "inode": _inode(o.root)} for o in outputs]
    try:
        write_atomically(journal, json.dumps({"pid": os.getpid(), "pairs": pairs}, indent=1), fsync=True)
    except OSError as exc:
        for o in outputs:
            o.discard()
        raise BuildError(_("cannot publish: {value} writing {journal}; the previous output was left as it was").format(value=exc.strerror or exc, journal=journal)) from None
    done = []
    try:
        for pair in pairs:
            _swap_in(Path(pair["staged"]), Path(pair["target"]))
            done.append(pair)
    except OSError as exc:
        try:  # undo: the previous outputs back in place
            for pair in reversed(done):
                _swap_in(Path(pair["staged"]), Path(pair["target"]))
            journal.unlink()
        except OSError:
            raise BuildError(_("publishing failed half way ({value}); the next build completes it (journal {journal})").format(value=exc.strerror or exc, journal=journal)) from None
        for o in outputs:
            o.discard()
        raise BuildError(_("cannot publish: {value}; the previous output was left as it was").format(value=exc.strerror or exc)) from None
    _finish(journal, pairs, keep_previous)


def _previous_name(target: Path) -> str:
    return f".{Path(target).name}.previous-"


def _finish(journal: Path, pairs, keep_previous: bool = False):
    journal.unlink(missing_ok=True)
    _fsync_folder(journal.parent)
    for pair in pairs:  # the previous outputs, now at the staging paths
        staged = Path(pair["staged"])
        if keep_previous and staged.is_dir():
            try:  # one rename: the next build deletes it (sweep_previous); a crash before it leaves a
                # staging folder that recover() deletes
                os.rename(staged, tempfile.mkdtemp(prefix=_previous_name(pair["target"]), dir=staged.parent))
            except OSError:
                shutil.rmtree(staged, ignore_errors=True)
        else:
            shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(_aside(staged), ignore_errors=True)


def sweep_previous(targets: list[Path]):
    """Delete the previous outputs a build left beside ``targets`` (``publish_together(...,
    keep_previous=True)``): all but the newest of each target now, the newest in a daemon thread
    (returned, or None), so that a build does not wait for the file system to free the last site;
    what the thread has not deleted when the process ends is deleted by the next build. At most two
    old copies of an output exist at any time. Call it holding the build lock."""
    import threading

    newest = []
    for target in targets:
        target = Path(target).absolute()
        if not target.parent.is_dir():
            continue
        old = sorted(target.parent.glob(_previous_name(target) + "*"), key=lambda p: p.stat().st_mtime)
        for path in old[:-1]:
            shutil.rmtree(path, ignore_errors=True)
        newest += old[-1:]
    if not newest:
        return None
    thread = threading.Thread(target=lambda: [shutil.rmtree(p, ignore_errors=True) for p in newest],
                              name="sweep-previous", daemon=True)
    thread.start()
    return thread


def _fsync_folder(folder: Path):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def recover(targets: list[Path], journal: Path, previous: bool = True) -> str | None:
    """Bring ``targets`` (site/, print/) to a whole state after a build that was killed: complete a
    committed publication (journal present), else delete staging folders a killed build left, and
    (``previous``) the previous outputs a build kept for ``sweep_previous`` (a build sweeps those
    itself, in the background). Call it holding the build lock. Returns what was done, for the
    log, or None."""
    done = None
    if journal.exists():
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8"))["pairs"]
        except (OSError, ValueError, KeyError, TypeError):
            pairs = None  # written atomically, so never half; unreadable means not ours: leave it
        if pairs is not None:
            for pair in pairs:
                staged, target = Path(pair["staged"]), Path(pair["target"])
                if _inode(target) == pair["inode"]:
                    continue  # exchanged before the crash
                if _inode(staged) == pair["inode"]:
                    _swap_in(staged, target)
                elif _inode(target) is None and _inode(_aside(staged)) is not None:
                    os.rename(_aside(staged), target)  # the fallback's gap, the new folder lost: keep the old
            _finish(journal, pairs)
            done = "completed the publication a stopped build had committed"
    for target in targets:
        target = Path(target).absolute()
        if not target.parent.is_dir():
            continue
        for leftover in target.parent.glob(f".{target.name}.building-*"):
            shutil.rmtree(leftover, ignore_errors=True)
            done = done or "removed the staging folders of a stopped build"
        if previous:
            for old in target.parent.glob(_previous_name(target) + "*"):
                shutil.rmtree(old, ignore_errors=True)
    return done
