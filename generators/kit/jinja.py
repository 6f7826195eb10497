"""The generators' Jinja2 environments, with their compiled templates kept between builds.

Compiling a template is most of what rendering a few pages costs (MkDocs Material's templates and
ours: about a second of CPU a build); ``jinja2.FileSystemBytecodeCache`` keeps the compiled code
in files checked against the template's source, written atomically (safe for the build's parallel
processes). A build points it at a folder of its cache (:func:`use_folder`); without one (tests,
other commands) templates are compiled as usual."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2

_FOLDER: list[Path | None] = [None]


def use_folder(folder: Path | None):
    """Keep compiled templates under ``folder`` from now on (this process and those it forks);
    None: keep none. The caller gives a folder per code version (the compiled code also depends on
    the filters' Python code and the libraries' versions, which Jinja2 does not check)."""
    _FOLDER[0] = Path(folder) if folder is not None else None


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """A cache whose failures only cost a compilation: a file that cannot be read back (damaged,
    truncated) is a miss, a folder that cannot be written is no cache."""

    def load_bytecode(self, bucket):
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - any damage: compile the template again
            bucket.reset()

    def dump_bytecode(self, bucket):
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache(what: str, **options) -> jinja2.BytecodeCache | None:
    """The bytecode cache for an environment of ``what`` (a template folder or a name) made with
    ``options`` (those that shape the compiled code: each set of options has a folder of its own),
    or None when no folder was chosen or it cannot be made."""
    if _FOLDER[0] is None:
        return None
    shape = repr(sorted((k, getattr(v, "__qualname__", v)) for k, v in options.items()))
    folder = _FOLDER[0] / hashlib.sha256(f"{what}\0{shape}".encode()).hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


def environment(folder: Path, **options) -> jinja2.Environment:
    """``jinja2.Environment`` over the templates of ``folder`` with ``options`` (autoescape,
    undefined, trim_blocks...), compiled templates kept as :func:`bytecode_cache` says."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)),
                              bytecode_cache=bytecode_cache(str(folder), **options), **options)
