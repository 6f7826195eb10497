"""``biliktilik new`` (a commented record with blanks to fill in) and ``biliktilik init`` (a new data
repository for a real institute, without sample data).

**A blank** is a key with nothing after its colon (``hours:``), YAML's null. The schemas allow null
nowhere, so the validator reports each blank left as ``fill in <field>: expected ...`` at its
file:line:column (:mod:`biliktilik.load.schemacheck`), and a record whose blanks are all filled
validates like any other. Until then its file is left out of every cross-file check, as any record
that fails its schema is, so a half-filled record gives its own findings and no echo elsewhere.

The records and the instance's files are Jinja2 templates under ``templates/scaffold/`` (their
comments in Kazakh, Russian and English); values are inserted as JSON scalars, which YAML reads as
they are. Records are written whole (:func:`biliktilik.files.write_atomically`) under the data
folder's lock, never over an existing record. Ids follow the validator's rule
(:data:`biliktilik.load.schemas.ID`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import yaml

from biliktilik.files import folder_lock, write_atomically
from biliktilik.findings import BiliktilikError, UsageError
from biliktilik.i18n import _
from biliktilik.issuing import DATA_LOCK_WAIT
from biliktilik.load import schemas
from biliktilik.load.dataset import Dataset, load_dataset
from biliktilik.project import CONTENT, DATA, ROOT, SCAFFOLD

KINDS = ("organisation", "programme", "cohort")
FOLDER = {kind: folder for folder, kind in schemas.FOLDERS.items()}  # organisation -> organisations
ID_RE = re.compile(schemas.ID["regex"] + r"\Z")
SHARED_RULESET = "order-95"  # the rule set and regulation text every instance starts with
_HOST_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"{_HOST_LABEL}(\.{_HOST_LABEL})*\Z")
# A site's path: segments of RFC 3986's unreserved characters or %XX (no sub-delims: no quote,
# '&', '(' or '=' that would need escaping in YAML, Markdown or HTML), no empty, '.' or '..' segment.
_SEGMENT = r"(?:[A-Za-z0-9_~-]|%[0-9A-Fa-f]{2}|\.(?=[^/]*[^./]))(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})*"
_PATH_RE = re.compile(rf"(?:/{_SEGMENT})*/?\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Escaped with a backslash by both CommonMark (GitHub's README) and Python-Markdown (MkDocs)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!])")


class ScaffoldError(BiliktilikError):
    """A record or an instance was not written (it exists, or what it names does not); exit 1."""


def _scalar(value) -> str:
    """A YAML scalar for a template: nothing for a blank (None), a date as YYYY-MM-DD, anything
    else as PyYAML writes it (plain where it reads back the same, else quoted; a list in flow style)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1 << 20)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _one_line(value) -> str:
    """``value`` as text on one line (for a YAML or shell comment): line breaks and other control
    characters become spaces."""
    return " ".join(_CONTROL_RE.sub(" ", str(value)).split())


def _markdown(value) -> str:
    """``value`` as literal Markdown text on one line: '&', '<' and '>' as HTML entities, the other
    characters that make Markdown (links, emphasis, code, headings) escaped with a backslash
    (CommonMark 2.4, which Python-Markdown shares for these), so a name can become neither a link,
    nor markup, nor HTML, and reads as written on GitHub and in MkDocs."""
    text = _one_line(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SCAFFOLD)), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["q"] = _scalar
    env.filters["line"] = _one_line
    env.filters["md"] = _markdown
    return env


def check_id(value: str, what: str) -> str:
    """``value`` when it is an id as the validator wants it (lower-case Latin letters, digits,
    '.', '_', '-', at most schemas.ID_MAX = 64 characters; schemas.ID), else UsageError naming ``what``
    (the value itself is not repeated when it is too long)."""
    if isinstance(value, str) and len(value) > schemas.ID_MAX:
        raise UsageError(_("{what} is {count} characters long; an id has at most {maximum}").format(
            what=what, count=len(value), maximum=schemas.ID_MAX))
    if not isinstance(value, str) or not ID_RE.match(value):
        raise UsageError(_("{what} '{value}' is not an id: use lower-case Latin letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit").format(what=what, value=value))
    return value


def check_count(value: int | None, option: str, kind: str, field: str) -> int | None:
    """``value`` (None: a blank) when the schema of ``kind`` allows it for ``field`` (its ``min``,
    e.g. a programme's hours and a cohort's seats at least 1), else UsageError naming ``option``:
    `new` refuses what the validator would refuse right after."""
    minimum = schemas.SCHEMAS[kind][field].get("min")
    if value is not None and minimum is not None and value < minimum:
        raise UsageError(_("{option} {value} is below the minimum {minimum}").format(option=option, value=value, minimum=minimum))
    return value


def parse_day(text: str | None, option: str) -> dt.date | None:
    """A day written ``dd.mm.yyyy`` (as on Kazakh and Russian forms) or ``YYYY-MM-DD``; None for None.
    Raises UsageError naming ``option`` for anything else."""
    if text is None:
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    raise UsageError(_("{option} '{text}' is not a day dd.mm.yyyy").format(option=option, text=text))


# -- `biliktilik new` -------------------------------------------------------------------------

@dataclass(frozen=True)
class Written:
    """A record written by :func:`new_record`: its file and the blanks left in it."""
    path: Path
    blanks: int


def _record(ds: Dataset, kind: str, rid: str) -> dict | None:
    """The data of record ``rid`` of ``kind``: a sound record's, else that of one that failed its
    schema (e.g. blanks left), ``{}`` when its file does not even parse; None when there is none."""
    if rid in ds.of_kind(kind):
        return ds.of_kind(kind)[rid].data
    for rec in ds.unsound:
        if rec.kind == kind and rec.id == rid:
            return rec.data
    return {} if ds.failed_to_load(kind, rid) else None


def _refuse_existing(ds: Dataset, data_dir: Path, kind: str, rid: str) -> Path:
    path = data_dir / FOLDER[kind] / f"{rid}.yaml"
    folder = path.parent
    if os.path.islink(folder) and not Path(os.path.realpath(folder)).is_relative_to(data_dir.resolve()) or \
            os.path.lexists(folder) and not folder.is_dir():
        raise ScaffoldError(_("{folder} is a symbolic link to outside the data folder, a broken link or no folder; "
                              "nothing was written").format(folder=folder))
    taken = os.path.lexists(path)  # a link (even a broken one) is never written through
    if taken or _record(ds, kind, rid) is not None:
        where = path if taken else ds.failed_to_load(kind, rid) or ds.of_kind(kind)[rid].file
        raise ScaffoldError(_("{kind} '{id}' exists already ({where}); nothing was written").format(
            kind=kind, id=rid, where=where))
    return path


def _known(ds: Dataset, kind: str, rid: str, option: str) -> dict:
    data = _record(ds, kind, rid)
    if data is None:
        have = sorted(set(ds.of_kind(kind)) | set(ds.failed.get(kind, {})))
        raise ScaffoldError(_("{option}: there is no {kind} '{id}' in the data ({have}); nothing was written").format(
            option=option, kind=kind, id=rid, have=", ".join(have) or _("none yet")))
    return data


def _as_list(value) -> list:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def record_values(ds: Dataset, data_dir: Path, kind: str, options: dict) -> tuple[Path, dict]:
    """The file and the template values of a new ``kind`` record from the command's ``options``
    (None: a blank). Raises UsageError for a bad id or day, ScaffoldError when the record exists or
    what it names (rule set, organisation, programme) is not in the data."""
    rid = check_id(options["id"], _("the {kind} id").format(kind=kind))
    path = _refuse_existing(ds, data_dir, kind, rid)
    values = {"id": rid}
    if kind == "organisation":
        ruleset = check_id(options.get("ruleset") or SHARED_RULESET, "--ruleset")
        _known(ds, "ruleset", ruleset, "--ruleset")
        values |= {"ruleset": ruleset, "kind": options.get("kind"), "name_kk": options.get("name_kk"),
                   "name_ru": options.get("name_ru"), "head_title_kk": options.get("head_title_kk"),
                   "head_title_ru": options.get("head_title_ru"), "head_name": options.get("head_name"),
                   "registration_prefix": options.get("prefix")}
    elif kind == "programme":
        org = check_id(options["organisation"], "--organisation")
        _known(ds, "organisation", org, "--organisation")
        values |= {"organisation": org, "title_kk": options.get("title_kk"), "title_ru": options.get("title_ru"),
                   "audience_kk": None, "audience_ru": None, "hours": check_count(options.get("hours"), "--hours", "programme", "hours"),
                   "languages": options.get("languages"), "formats": options.get("formats")}
    else:
        prog = check_id(options["programme"], "--programme")
        programme = _known(ds, "programme", prog, "--programme")
        start, end = parse_day(options.get("start"), "--start"), parse_day(options.get("end"), "--end")
        if start and end and end < start:
            raise UsageError(_("--end {end} is before --start {start}").format(end=options["end"], start=options["start"]))
        formats, languages = _as_list(programme.get("formats")), _as_list(programme.get("languages"))
        org = programme.get("organisation")
        values |= {"programme": prog, "organisation": org if isinstance(org, str) and ID_RE.match(org) else None,
                   "format": options.get("format") or (formats[0] if len(formats) == 1 else None),
                   "language": options.get("language") or (languages[0] if len(languages) == 1 else None),
                   "start": start, "end": end, "seats": check_count(options.get("seats"), "--seats", "cohort", "seats"),
                   "formats_hint": ", ".join(formats) or "full_time, distance, blended, one_week",
                   "languages_hint": ", ".join(languages) or "kk, ru"}
    return path, values


def render_record(kind: str, values: dict) -> str:
    """The text of a new ``kind`` record (templates/scaffold/<kind>.yaml.j2) with ``values``."""
    text = _env().get_template(f"{kind}.yaml.j2").render(**values)
    text = "\n".join(line.rstrip() for line in text.split("\n"))  # no trailing space after a blank
    yaml.safe_load(text)  # a template that renders broken YAML is a bug: fail loudly, write nothing
    return text


def count_blanks(text: str) -> int:
    """The blanks of a record's text: keys with nothing after the colon but a comment, that are
    not the head of a nested mapping (the next meaningful line is not indented deeper)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    blanks = 0
    for i, ln in enumerate(lines):
        if re.match(r"^\s*(- )?[A-Za-z_][\w]*:\s*(#.*)?$", ln):
            indent = len(ln) - len(ln.lstrip(" -"))
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not nxt or len(nxt) - len(nxt.lstrip(" -")) <= indent:
                blanks += 1
    return blanks


def new_record(data_dir: Path, kind: str, options: dict) -> Written:
    """Write a new ``kind`` record (organisation | programme | cohort) into ``data_dir`` with the
    values in ``options`` (``id`` always; ``organisation`` for a programme, ``programme`` for a
    cohort; every other value None is left a blank to fill in). The file is
    ``data/<folder>/<id>.yaml`` with the editor's schema line and comments in kk/ru/en.

    Raises UsageError (exit 2) for a missing data folder, a bad id or day; ScaffoldError (exit 1)
    when the record exists or what it names is not in the data. Nothing is written then."""
    data_dir = Path(data_dir)
    if kind not in KINDS:
        raise UsageError(_("new: the kind '{kind}' is not one of {kinds}").format(kind=kind, kinds=", ".join(KINDS)))
    if not data_dir.is_dir():
        raise UsageError(_("{data}: no such folder (give the records folder with --data)").format(data=data_dir))
    with folder_lock(data_dir, "change of the data", wait=DATA_LOCK_WAIT):
        ds = load_dataset(data_dir)
        path, values = record_values(ds, data_dir, kind, options)
        text = render_record(kind, values)
        write_atomically(path, text)
    return Written(path, count_blanks(text))


# -- `biliktilik init` ------------------------------------------------------------------------

def check_site_url(url: str) -> str:
    """The site's address as ``site_url`` wants it: ``https://host[:port][/path]/`` (http only for
    localhost and 127.0.0.1, for trying it out), no user, query or fragment, the host in ASCII
    (an IDN such as ``мысал.қаз`` as punycode, as did:web names it), ending in '/'. The path is
    plain (RFC 3986 unreserved characters and %XX in non-empty segments, no '.' or '..'), so the
    address goes into mkdocs.yml, the README, the QR codes and HTML unchanged and safely.
    Raises UsageError saying what is wrong (never for a control character: it is not echoed)."""
    url = (url or "").strip()
    if _CONTROL_RE.search(url):  # urlsplit would silently drop a tab or line break
        raise UsageError(_("--site-url may not hold line breaks or other control characters"))
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(_("--site-url '{url}' is not an address like https://courses.example.kz/").format(url=url))
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError(_("--site-url '{url}' may not hold a user, a query (?) or a fragment (#)").format(url=url))
    ascii_host = check_domain(host, "--site-url")
    if parts.scheme == "http" and ascii_host not in ("localhost", "127.0.0.1"):
        raise UsageError(_("--site-url '{url}': the issuer's site must use https (http only for localhost)").format(url=url))
    try:
        port = parts.port
    except ValueError:
        raise UsageError(_("--site-url '{url}' has a bad port").format(url=url)) from None
    if not _PATH_RE.match(parts.path):
        raise UsageError(_("--site-url '{url}': the path may hold only Latin letters, digits, '-', '.', '_', '~' "
                           "and '/' between its parts (RFC 3986), e.g. https://example.kz/courses/").format(url=url))
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{ascii_host}{f':{port}' if port else ''}{path}"


def check_domain(domain: str, option: str = "--issuer-domain") -> str:
    """A host name in ASCII (punycode for an IDN), lower case; UsageError for anything that is not a
    host name (a scheme, a path, a port, spaces, an empty label)."""
    text = (domain or "").strip().rstrip(".").lower()
    try:
        ascii_host = text.encode("idna").decode("ascii") if text and not text.isascii() else text
    except UnicodeError:
        ascii_host = ""
    if ascii_host == "127.0.0.1" or _HOST_RE.match(ascii_host) and len(ascii_host) <= 253:
        return ascii_host
    raise UsageError(_("{option} '{domain}' is not a domain name like courses.example.kz").format(
        option=option, domain=domain))


def default_key_file(host: str) -> Path:
    """Where ``init`` puts the new private key by default: ``$XDG_CONFIG_HOME/biliktilik/keys/
    <host>-key-1.pem`` (``~/.config`` without XDG_CONFIG_HOME), outside any repository
    (:func:`biliktilik.model.credentials.default_key_file`, which the build's error names too)."""
    from biliktilik.model.credentials import default_key_file as where

    return where(host)


def git_init(target: Path) -> bool:
    """``git init`` in ``target`` with the branch ``main`` (the branch the workflows publish), by
    ``--initial-branch`` (git 2.28+), else by pointing HEAD at refs/heads/main (older git). False
    when git is not installed or fails."""
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "init", "-q", "--initial-branch=main", str(target)], capture_output=True, check=False)
    if done.returncode != 0:  # git before 2.28 has no --initial-branch
        done = subprocess.run(["git", "init", "-q", str(target)], capture_output=True, check=False)
        if done.returncode != 0:
            return False
        subprocess.run(["git", "-C", str(target), "symbolic-ref", "HEAD", "refs/heads/main"], capture_output=True,
                       check=False)
    return True


def unignored_in_git(path: Path) -> Path | None:
    """The root of the git work tree ``path`` lies in when git would take the file up (it is
    not ignored by any .gitignore): a spreadsheet of listeners (personal data) about to be
    committed. None when it is ignored, outside any work tree, or git is not installed."""
    path = Path(path).absolute()
    if shutil.which("git") is None or not path.parent.is_dir():
        return None
    top = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"], capture_output=True,
                         text=True, check=False)
    if top.returncode != 0:
        return None
    ignored = subprocess.run(["git", "-C", str(path.parent), "check-ignore", "-q", "--", path.name],
                             capture_output=True, check=False)
    return Path(top.stdout.strip()) if ignored.returncode == 1 else None


@dataclass(frozen=True)
class Instance:
    """What :func:`init_instance` made: the folder, the site address and the private key's file."""
    root: Path
    site_url: str
    key_file: Path
    git: bool


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _write_private_key(path: Path) -> dict:
    """A new Ed25519 key: the private part to ``path`` (PEM, PKCS#8, mode 0600, never over an
    existing file), the public JWK returned (RFC 8037)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from biliktilik.model.credentials import Issuer

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return Issuer(key, False, str(path)).jwk()


def init_instance(target: Path, *, site_url: str, issuer_domain: str | None, organisation: str,
                  name_kk: str, name_ru: str, head_name: str, kind: str = "provider", prefix: str | None = None,
                  repo_url: str | None = None, key_file: Path | None = None,
                  today: dt.date | None = None) -> Instance:
    """Start a data repository for a real institute in ``target`` (missing or empty): mkdocs.yml
    (``site_url``, the repository link when ``repo_url``), data/ with Order 95's rule set, the
    organisation (``organisation`` id, names, head, ``kind``; Order 95 as its rules), an empty ledger, the JSON
    Schemas and data reference; content/ (the about pages, Order 95's text, issuer-keys.yaml with the
    public half of a new Ed25519 key), .gitignore, .github/workflows (validate, publish), a README;
    then ``git init`` when git is installed. No sample programme, cohort or certificate.

    The private key goes to ``key_file`` (default :func:`default_key_file`), outside ``target``,
    mode 0600; it is never written into the repository. The issuer is ``site_url``'s host
    (did:web); ``issuer_domain``, when given, must be that host.

    Raises UsageError for a bad address, domain, id or prefix, a non-empty ``target`` or a key file
    inside it; ScaffoldError when the key file exists. Nothing is left in ``target`` on failure."""
    from biliktilik.staff import json_schemas

    target = Path(target)
    site_url = check_site_url(site_url)
    host = urlsplit(site_url).hostname
    if issuer_domain is not None and check_domain(issuer_domain) != host:
        raise UsageError(_("--issuer-domain '{domain}' is not the host of --site-url {url}: the issuer is its site's "
                           "domain (did:web:{host})").format(domain=issuer_domain, url=site_url, host=host))
    check_id(organisation, "--organisation")
    if kind not in schemas.ORGANISATION["kind"]["allowed"]:
        raise UsageError(_("--kind '{kind}' is not one of {kinds}").format(
            kind=kind, kinds=", ".join(schemas.ORGANISATION["kind"]["allowed"])))
    prefix = prefix or re.sub(r"[^A-Z0-9-]", "", organisation.upper())
    if not re.fullmatch(schemas.ORGANISATION["registration_prefix"]["regex"], prefix):
        raise UsageError(_("--prefix '{prefix}' is not a registration prefix: capital letters, digits and '-'").format(
            prefix=prefix))
    for option, value in (("--name-kk", name_kk), ("--name-ru", name_ru), ("--head", head_name)):
        if not (value or "").strip():
            raise UsageError(_("{option} is empty").format(option=option))
        if _CONTROL_RE.search(value):
            raise UsageError(_("{option} may not hold line breaks or other control characters").format(option=option))
    if repo_url is not None and not re.fullmatch(r"https://[^\s/]+/\S+", repo_url):
        raise UsageError(_("--repo-url '{url}' is not an https address of a repository").format(url=repo_url))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(_("{dir} is not empty: init starts a new repository in a new or empty folder").format(dir=target))
    key_file = Path(key_file) if key_file else default_key_file(host)
    if _inside(key_file, target):
        raise UsageError(_("--key-file {path} is inside {dir}: the private key never goes into the repository").format(
            path=key_file, dir=target))
    if key_file.exists():
        raise ScaffoldError(_("the key file {path} exists already; give another --key-file").format(path=key_file))
    today = today or dt.date.today()

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        env = _env()
        common = {"site_url": site_url, "host": host, "organisation": organisation, "name_kk": name_kk.strip(),
                  "name_ru": name_ru.strip(), "repo_url": repo_url}

        def put(rel: str, text: str):
            write_atomically(work / rel, text)

        put("mkdocs.yml", env.get_template("instance/mkdocs.yml.j2").render(**common))
        put("README.md", env.get_template("instance/README.md.j2").render(**common))
        put(".gitignore", (SCAFFOLD / "instance" / "gitignore").read_text(encoding="utf-8"))
        put(".pre-commit-config.yaml", (SCAFFOLD / "instance" / "pre-commit-config.yaml").read_text(encoding="utf-8"))
        if (ROOT / ".gitattributes").is_file():  # merge drivers and line endings, as this repository's
            put(".gitattributes", (ROOT / ".gitattributes").read_text(encoding="utf-8"))
        for name in ("validate.yml", "publish.yml"):
            put(f".github/workflows/{name}", (SCAFFOLD / "instance" / "workflows" / name).read_text(encoding="utf-8"))
        for lang in ("kk", "ru"):
            put(f"content/pages/{lang}/about.md", (CONTENT / "pages" / lang / "about.md").read_text(encoding="utf-8"))
        put(f"content/regulations/{SHARED_RULESET}.yaml",
            (CONTENT / "regulations" / f"{SHARED_RULESET}.yaml").read_text(encoding="utf-8"))
        put(f"data/rulesets/{SHARED_RULESET}.yaml", (DATA / "rulesets" / f"{SHARED_RULESET}.yaml").read_text(encoding="utf-8"))
        put("data/ledger.yaml", (SCAFFOLD / "instance" / "ledger.yaml").read_text(encoding="utf-8"))
        for folder in ("programmes", "cohorts"):
            put(f"data/{folder}/.gitkeep", "")
        titles = yaml.safe_load((SCAFFOLD / "labels.yaml").read_text(encoding="utf-8"))["head_title"]
        put(f"data/organisations/{organisation}.yaml", render_record("organisation", {
            "id": organisation, "kind": kind, "name_kk": name_kk.strip(), "name_ru": name_ru.strip(),
            "head_title_kk": titles["kk"], "head_title_ru": titles["ru"], "head_name": head_name.strip(),
            "ruleset": SHARED_RULESET, "registration_prefix": prefix, "by": "biliktilik init"}))
        json_schemas.write(work / "data")
        jwk = _write_private_key(key_file)
        try:
            put("content/issuer-keys.yaml", env.get_template("instance/issuer-keys.yaml.j2").render(
                host=host, x=jwk["x"], today=today.isoformat(), private_hint=str(key_file)))
            if target.exists():
                target.rmdir()
            os.chmod(work, 0o777 & ~_umask())  # mkdtemp made it private
            os.replace(work, target)
        except BaseException:
            key_file.unlink(missing_ok=True)
            raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Instance(target, site_url, key_file, git_init(target))
