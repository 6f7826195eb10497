"""The staff subcommands of ``biliktilik``: template, import, export (listener spreadsheets) and
schemas (JSON Schemas and the data reference). cli.main calls :func:`add_parsers` once;
errors are raised as BiliktilikError and turned into exit codes there."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from biliktilik.findings import render
from biliktilik.i18n import _, ngettext
from biliktilik.load.schemas import ORGANISATION

ORGANISATION_KINDS = ORGANISATION["kind"]["allowed"]
from biliktilik.progress import Progress


def add_parsers(sub, add_data):
    p = sub.add_parser("template", help=_("write a cohort's listener spreadsheet (.xlsx) for staff to fill"))
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help=_("the cohort's id"))
    p.add_argument("file", type=Path, metavar="FILE.xlsx")
    p.set_defaults(run=cmd_template)

    p = sub.add_parser("import", help=_("read a listener spreadsheet (.xlsx or .csv) into a cohort's file, then validate"))
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help=_("the cohort's id"))
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help=_("show what would change and every problem; write nothing"))
    p.add_argument("--format", choices=["text", "json", "github"], default="text", help=_("how findings are printed"))
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("export", help=_("write a cohort's listeners to .xlsx or .csv (IINs kept as text)"))
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help=_("the cohort's id"))
    p.add_argument("file", type=Path, metavar="FILE.csv|FILE.xlsx")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("schemas", help=_("write the JSON Schemas (DATA/.schemas/), the data reference (DATA/REFERENCE.md) and each data file's schema line, for editors"))
    add_data(p)
    p.add_argument("--check", action="store_true", help=_("write nothing; exit 1 when anything is out of date"))
    p.set_defaults(run=cmd_schemas)

    p = sub.add_parser("new", help=_("write a new organisation, programme or cohort record with blanks to fill in"))
    kinds = p.add_subparsers(dest="record_kind", metavar="KIND", required=True, parser_class=type(p))
    k = kinds.add_parser("organisation", help=_("data/organisations/ID.yaml"))
    add_data(k)
    k.add_argument("--id", required=True, help=_("the organisation's id (lower-case Latin letters, digits, '-')"))
    k.add_argument("--name-kk", help=_("its full name in Kazakh"))
    k.add_argument("--name-ru", help=_("its full name in Russian"))
    k.add_argument("--kind", choices=ORGANISATION_KINDS, help=_("what kind of organisation it is"))
    k.add_argument("--ruleset", default=None, help=_("the rule set it follows (default: order-95)"))
    k.add_argument("--prefix", help=_("the prefix of its registration numbers, e.g. NIT"))
    k = kinds.add_parser("programme", help=_("data/programmes/ID.yaml"))
    add_data(k)
    k.add_argument("--organisation", required=True, help=_("the organisation that runs it"))
    k.add_argument("--id", required=True, help=_("the programme's id, e.g. physics-teachers-72"))
    k.add_argument("--title-kk", help=_("its title in Kazakh"))
    k.add_argument("--title-ru", help=_("its title in Russian"))
    k.add_argument("--hours", type=int, help=_("its length in academic hours"))
    k = kinds.add_parser("cohort", help=_("data/cohorts/ID.yaml"))
    add_data(k)
    k.add_argument("--programme", required=True, help=_("the programme it follows"))
    k.add_argument("--id", required=True, help=_("the cohort's id, e.g. 2027-03-physics-kk"))
    k.add_argument("--start", metavar="DD.MM.YYYY", help=_("the first day of the course"))
    k.add_argument("--end", metavar="DD.MM.YYYY", help=_("the last day of the course"))
    k.add_argument("--seats", type=int, help=_("the number of seats"))
    p.set_defaults(run=cmd_new)

    p = sub.add_parser("init", help=_("start a data repository for a real institute (no sample data) in DIR"))
    p.add_argument("dir", type=Path, metavar="DIR", help=_("a new or empty folder"))
    p.add_argument("--site-url", help=_("the public site's address, e.g. https://courses.example.kz/ (the issuer)"))
    p.add_argument("--issuer-domain", help=_("the issuer's domain: the site's host (did:web)"))
    p.add_argument("--organisation", metavar="ID", help=_("the organisation's id, e.g. pedagog-center"))
    p.add_argument("--name-kk", help=_("the organisation's full name in Kazakh"))
    p.add_argument("--name-ru", help=_("the organisation's full name in Russian"))
    p.add_argument("--head", help=_("the full name of the head who signs the certificates"))
    p.add_argument("--kind", choices=ORGANISATION_KINDS, default="provider",
                   help=_("what kind of organisation it is (default: provider)"))
    p.add_argument("--prefix", help=_("the prefix of registration numbers (default: the id in capitals)"))
    p.add_argument("--repo-url", help=_("the repository's address, for edit links (default: none)"))
    p.add_argument("--key-file", type=Path,
                   help=_("where the new private signing key goes, outside DIR (default: ~/.config/biliktilik/keys/HOST-key-1.pem)"))
    p.set_defaults(run=cmd_init)


def cmd_template(args) -> int:
    from biliktilik.staff.sheets import write_template

    n = write_template(args.data, args.cohort, args.file)
    print(_("wrote {file} for cohort {cohort} ({n} listener(s) pre-filled)").format(file=args.file, cohort=args.cohort, n=n))
    _warn_if_committable(args.file)
    return 0


def _warn_if_committable(file: Path) -> None:
    """A warning on stderr when the spreadsheet just written (personal data) is in a git work tree
    and not ignored, so a `git add .` would commit it."""
    from biliktilik.staff.scaffold import unignored_in_git

    root = unignored_in_git(Path(file))
    if root is not None:
        print(_("warning: {file} holds personal data and git would commit it (it is inside {root} and not ignored): "
                "keep it outside the repository or add it to .gitignore").format(file=file, root=root), file=sys.stderr)


def cmd_export(args) -> int:
    from biliktilik.staff.sheets import export

    n = export(args.data, args.cohort, args.file)
    print(_("wrote {file}: {n} listener(s) of cohort {cohort}").format(file=args.file, n=n, cohort=args.cohort))
    _warn_if_committable(args.file)
    return 0


def cmd_import(args) -> int:
    from biliktilik.staff.importing import import_listeners

    with Progress():  # the validations of the import show their files read
        result = import_listeners(args.data, args.cohort, args.file, dry_run=args.dry_run)
    print(result.preview())
    if result.findings:
        print(render(result.findings, args.format))
    if result.errors:
        count = len(result.errors)
        if all(f.file == result.file for f in result.errors):
            message = ngettext("import refused: {count} error in the new {file}; it was left as it was",
                               "import refused: {count} errors in the new {file}; it was left as it was", count)
        else:
            message = ngettext("import refused: {count} error in the spreadsheet or the data; {file} was left as it was",
                               "import refused: {count} errors in the spreadsheet or the data; {file} was left as it was", count)
        print(message.format(count=count, file=result.file), file=sys.stderr)
        return 1
    if args.dry_run:
        print(_("dry run: {file} was not changed").format(file=result.file))
    elif result.written:
        print(_("wrote {file}; the data validate without errors").format(file=result.file))
    else:
        print(_("nothing to change in {file}").format(file=result.file))
    return 0


def cmd_schemas(args) -> int:
    import shutil
    import tempfile

    from biliktilik.staff.json_schemas import write

    if not args.data.is_dir():
        from biliktilik.findings import UsageError
        raise UsageError(_("{data}: no such folder").format(data=args.data))
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "data"
            shutil.copytree(args.data, copy)
            stale = [p.relative_to(copy) for p in write(copy)]
        for p in stale:
            print(_("{value}: out of date; run 'biliktilik schemas'").format(value=args.data / p))
        return 1 if stale else 0
    changed = write(args.data)
    for p in changed:
        print(_("wrote {file}").format(file=p))
    print(_("{count} file(s) changed").format(count=len(changed)))
    return 0


def cmd_new(args) -> int:
    from biliktilik.staff.scaffold import new_record

    options = {k: v for k, v in vars(args).items() if k not in ("run", "record_kind", "data", "cache", "no_cache", "verbose",
                                                                  "command")}
    written = new_record(args.data, args.record_kind, options)
    print(_("wrote {path}: {n} blank(s) to fill in; 'biliktilik validate' shows each at its line").format(
        path=written.path, n=written.blanks))
    return 0


INIT_QUESTIONS = (  # option -> the question asked on a terminal (English source text, translated by gettext)
    ("site_url", "The public site's address (the issuer; QR codes lead there), e.g. https://courses.example.kz/"),
    ("issuer_domain", "The issuer's domain [{default}]"),
    ("organisation", "The organisation's id (lower-case Latin letters, digits, '-'), e.g. pedagog-center"),
    ("name_kk", "Its full name in Kazakh"),
    ("name_ru", "Its full name in Russian"),
    ("head", "The full name of the head who signs the certificates"),
)


def cmd_init(args) -> int:
    from urllib.parse import urlsplit

    from biliktilik.findings import UsageError
    from biliktilik.staff.scaffold import check_site_url, init_instance

    tty = sys.stdin.isatty()
    missing = [opt for opt, _q in INIT_QUESTIONS if getattr(args, opt) is None and opt != "issuer_domain"]
    if missing and not tty:
        raise UsageError(_("init: {options} missing (stdin is not a terminal, so they cannot be asked)").format(
            options=", ".join("--" + m.replace("_", "-") for m in missing)))
    for opt, question in INIT_QUESTIONS:
        if getattr(args, opt) is not None or not tty:
            continue
        if opt == "issuer_domain":  # the site's host unless told otherwise
            default = urlsplit(check_site_url(args.site_url)).hostname
            answer = input(_(question).format(default=default) + ": ").strip()
            args.issuer_domain = answer or default
            continue
        answer = ""
        while not answer:
            answer = input(_(question) + ": ").strip()
        if opt == "site_url":
            check_site_url(answer)  # ask again? a clear one-line error is enough
        setattr(args, opt, answer)
    made = init_instance(args.dir, site_url=args.site_url, issuer_domain=args.issuer_domain,
                         organisation=args.organisation, name_kk=args.name_kk, name_ru=args.name_ru,
                         head_name=args.head, kind=args.kind, prefix=args.prefix, repo_url=args.repo_url, key_file=args.key_file)
    print(_("started {dir} for {url}{git}").format(dir=made.root, url=made.site_url,
                                                  git=_(" (a git repository)") if made.git else ""))
    print(_("the private signing key is {key} (mode 0600, NOT in the repository): put it in the secret "
            "BILIKTILIK_ISSUER_KEY and keep a copy offline").format(key=made.key_file))
    cmd = _this_command()
    print(_("next: cd {dir} && {cmd} validate && BILIKTILIK_ISSUER_KEY_FILE={key} {cmd} build").format(
        dir=shlex.quote(str(made.root)), key=shlex.quote(str(made.key_file)), cmd=cmd))
    return 0


def _this_command() -> str:
    """How to run this biliktilik again from a shell: ``biliktilik`` when that name on PATH is this
    program, else its full path (e.g. ``/path/.venv/bin/biliktilik``), or ``python -m biliktilik``."""
    import shutil

    argv0 = Path(sys.argv[0])
    if argv0.name == "biliktilik" and argv0.is_file():
        on_path = shutil.which("biliktilik")
        if on_path and Path(on_path).resolve() == argv0.resolve():
            return "biliktilik"
        return shlex.quote(str(argv0.absolute()))
    return f"{shlex.quote(sys.executable)} -m biliktilik"
