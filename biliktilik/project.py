"""Project constants, defined once: where the checkout's folders are, the site's languages, how
``mkdocs.yml`` is read and how the label files (templates/<output>/labels.yaml) are read.

Every layer may import this module; it imports nothing of the project but the error classes."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from biliktilik.findings import BuildError
from biliktilik.i18n import _

ROOT = Path(__file__).resolve().parent.parent  # the checkout: mkdocs.yml, data/, content/, templates/
LANGUAGES = ("kk", "ru")  # the site's languages; the first is the default, at the site's root
DATA = ROOT / "data"
CONTENT = ROOT / "content"
REGULATIONS = CONTENT / "regulations"  # the regulation texts transcribed from the seeds
TEMPLATES = ROOT / "templates"
FONTS = TEMPLATES / "fonts"
CONFIG_FILE = ROOT / "mkdocs.yml"
DEMO_KEY_FILE = ROOT / "demo" / "DEMO-ONLY-issuer-key.pem"
ISSUER_KEYS_FILE = CONTENT / "issuer-keys.yaml"  # the public halves of every issuer key, with their status
HOOKS_FILE = ROOT / "biliktilik" / "build" / "mkdocs_hooks.py"  # MkDocs hooks of every instance's build
THEME_OVERRIDES = TEMPLATES / "overrides"  # Material overrides of every instance's build
SCAFFOLD = TEMPLATES / "scaffold"  # the record and instance templates of `biliktilik new` and `init`


def config_beside(data_dir: Path) -> Path:
    """The ``mkdocs.yml`` of the instance whose records are ``data_dir``: the one in the folder
    holding ``data_dir`` (an instance made by ``biliktilik init``), else this checkout's."""
    beside = Path(data_dir).absolute().parent / "mkdocs.yml"
    return beside if beside.is_file() else CONFIG_FILE


def issuer_keys_file(root: Path) -> Path:
    """``content/issuer-keys.yaml`` of the instance at ``root`` (the folder of its mkdocs.yml)."""
    return Path(root) / "content" / "issuer-keys.yaml"


class _ConfigLoader(yaml.SafeLoader):
    pass


def _ignore_python_tags(loader, suffix, node):  # mkdocs.yml may use !!python/name: for Material extensions
    return None


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_python_tags)
_ConfigLoader.add_multi_constructor("!", _ignore_python_tags)


def read_config(path: Path = CONFIG_FILE) -> dict:
    """``mkdocs.yml`` as plain data (Python tags such as ``!!python/name:`` read as None).

    Raises BuildError, naming the file, when it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_ConfigLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BuildError(_("cannot read {path}: {exc}").format(path=path, exc=exc)) from exc


@functools.cache
def labels(name: str) -> dict:
    """The label file ``templates/<name>/labels.yaml`` as plain data, read once per process.

    Label files hold every text people read (page wording, column titles, statuses, month names) in
    Kazakh, Russian and, where useful, English; Python holds none. ``name`` is the output folder
    under ``templates/`` (``"regulation"``, ``"site"``, ``"reports"``, ``"forms"``). The result is
    shared between callers: treat it as read-only.

    Raises BuildError naming the file when it is missing, is not valid YAML or is not a mapping."""
    path = TEMPLATES / name / "labels.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BuildError(_("cannot read the label file {path}: {items}").format(path=path, items=' '.join(str(exc).split()))) from exc
    if not isinstance(data, dict):
        raise BuildError(_("the label file {path} is not a mapping of labels").format(path=path))
    return data
