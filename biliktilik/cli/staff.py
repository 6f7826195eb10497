"""The staff subcommands of ``biliktilik``: template, import, export (listener spreadsheets) and
schemas (JSON Schemas and the data reference). cli.main calls :func:`add_parsers` once;
errors are raised as BiliktilikError and turned into exit codes there."""

from __future__ import annotations

import sys
from pathlib import Path

from biliktilik.findings import render
from biliktilik.progress import Progress


def add_parsers(sub, add_data):
    p = sub.add_parser("template", help="write a cohort's listener spreadsheet (.xlsx) for staff to fill")
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help="the cohort's id")
    p.add_argument("file", type=Path, metavar="FILE.xlsx")
    p.set_defaults(run=cmd_template)

    p = sub.add_parser("import", help="read a listener spreadsheet (.xlsx or .csv) into a cohort's file, then validate")
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help="the cohort's id")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="show what would change and every problem; write nothing")
    p.add_argument("--format", choices=["text", "json", "github"], default="text", help="how findings are printed")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("export", help="write a cohort's listeners to .xlsx or .csv (IINs kept as text)")
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help="the cohort's id")
    p.add_argument("file", type=Path, metavar="FILE.csv|FILE.xlsx")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("schemas", help="write the JSON Schemas (DATA/.schemas/), the data reference (DATA/REFERENCE.md) "
                                         "and each data file's schema line, for editors")
    add_data(p)
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when anything is out of date")
    p.set_defaults(run=cmd_schemas)


def cmd_template(args) -> int:
    from biliktilik.staff.sheets import write_template

    n = write_template(args.data, args.cohort, args.file)
    print(f"wrote {args.file} for cohort {args.cohort} ({n} listener(s) pre-filled)")
    return 0


def cmd_export(args) -> int:
    from biliktilik.staff.sheets import export

    n = export(args.data, args.cohort, args.file)
    print(f"wrote {args.file}: {n} listener(s) of cohort {args.cohort}")
    return 0


def cmd_import(args) -> int:
    from biliktilik.staff.importing import import_listeners

    with Progress():  # the validations of the import show their files read
        result = import_listeners(args.data, args.cohort, args.file, dry_run=args.dry_run)
    print(result.preview())
    if result.findings:
        print(render(result.findings, args.format))
    if result.errors:
        where = result.file if all(f.file == result.file for f in result.errors) else "the spreadsheet"
        print(f"import refused: {len(result.errors)} error(s) in {where}; {result.file} was left as it was",
              file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"dry run: {result.file} was not changed")
    elif result.written:
        print(f"wrote {result.file}; the data validate without errors")
    else:
        print(f"nothing to change in {result.file}")
    return 0


def cmd_schemas(args) -> int:
    import shutil
    import tempfile

    from biliktilik.staff.json_schemas import write

    if not args.data.is_dir():
        from biliktilik.findings import UsageError
        raise UsageError(f"{args.data}: no such folder")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "data"
            shutil.copytree(args.data, copy)
            stale = [p.relative_to(copy) for p in write(copy)]
        for p in stale:
            print(f"{args.data / p}: out of date; run 'biliktilik schemas'")
        return 1 if stale else 0
    changed = write(args.data)
    for p in changed:
        print(f"wrote {p}")
    print(f"{len(changed)} file(s) changed")
    return 0
