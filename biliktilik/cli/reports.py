"""The ``reports`` and ``forms`` subcommands of ``biliktilik`` (staff calendar, reports, printable forms).

Kept apart from :mod:`biliktilik.cli`, which calls :func:`add_parsers` once. Bad input (an unknown
report, cohort, organisation or year) is a UsageError: exit 2 and one clear line, no traceback;
invalid data is InvalidData: the findings and exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from biliktilik.files import write_atomically
from biliktilik.findings import InvalidData, UsageError
from biliktilik.i18n import _
from biliktilik.progress import Progress


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(_("'{text}' is not a year (four digits, e.g. 2027)").format(text=text))
    return int(text)


def add_parsers(sub, add_data):
    from biliktilik.model.reports import KINDS

    p = sub.add_parser("reports", help=_("staff reports: the planning calendar, listener lists, post-course support, monitoring, re-assessment, staff due, work-off, NOBD export"))
    add_data(p)
    p.add_argument("kind", metavar="KIND", help=_("one of: ") + ", ".join(KINDS))
    p.add_argument("--year", type=_year, default=None, metavar="YYYY", help=_("the calendar year (default: the build date's)"))
    p.add_argument("--org", default=None, metavar="ID", help=_("one organisation only"))
    p.add_argument("--cohort", default=None, metavar="ID", help=_("one cohort (listener-lists, nobd: its list or export)"))
    p.add_argument("--format", choices=["text", "csv", "json", "ics"], default="text",
                   help=_("text (default), csv, json; ics for the calendar"))
    p.add_argument("--lang", choices=["en", "kk", "ru"], default="en", help=_("language of the text and iCalendar output (not of the messages: give --lang before the command for those)"))
    p.add_argument("--out", type=Path, default=None, metavar="FILE", help=_("write to FILE instead of the standard output"))
    p.set_defaults(run=cmd_reports)

    p = sub.add_parser("forms", help=_("print the forms: filled from the records (personal data) or --blank"))
    add_data(p)
    p.add_argument("--cohort", default=None, metavar="ID", help=_("the filled forms of one cohort"))
    p.add_argument("--org", default=None, metavar="ID",
                   help=_("one organisation's forms (with --blank also 'order-95', the national forms)"))
    p.add_argument("--blank", action="store_true", help=_("the blank forms (kk and ru) instead of filled ones"))
    p.add_argument("--out", type=Path, default=Path("print"), metavar="DIR",
                   help=_("write under DIR/forms/ (default: print; never the public site/)"))
    p.set_defaults(run=cmd_forms)


def _checked(args):
    from biliktilik.validate import validate

    with Progress() as progress:
        checked = validate(args.data, args.cache, not args.no_cache, progress=progress)
    if not checked.ok:
        raise InvalidData(checked.findings)
    return checked


def cmd_reports(args) -> int:
    from biliktilik.model.reports import KINDS, report

    if args.kind not in KINDS:
        raise UsageError(_("unknown report '{kind}'; expected one of: {items}").format(kind=args.kind, items=', '.join(KINDS)))
    if args.format == "ics" and args.kind != "calendar":
        raise UsageError(_("--format ics is for the calendar only"))
    checked = _checked(args)
    with Progress() as progress, progress.stage(_("report {kind}").format(kind=args.kind)):
        rep = report(args.kind, checked.dataset, checked.facts, args.year, args.org, args.cohort)
    text = {"text": lambda: rep.text(args.lang), "csv": rep.csv, "json": rep.json,
            "ics": lambda: rep.ics("kk" if args.lang == "en" else args.lang)}[args.format]()
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_atomically(args.out, text.encode("utf-8"))
        print(_("wrote {out} ({count} row(s))").format(out=args.out, count=len(rep.rows)))
    return 0


def cmd_forms(args) -> int:
    from generators import form_pdfs as G

    from biliktilik.model import forms as F
    from biliktilik.model.reports import check_selection

    checked = _checked(args)
    ds, facts = checked.dataset, checked.facts
    folders = {s.org for s in F.specs().values()}
    if args.blank:
        if args.cohort:
            raise UsageError(_("--blank prints the blank forms of an organisation (--org), not of a cohort"))
        if args.org is not None and args.org not in folders and args.org not in ds.organisations:
            raise UsageError(_("unknown organisation '{org}'; expected one of: ").format(org=args.org)
                             + ", ".join(sorted(folders | set(ds.organisations))))
        jobs = G.blank_jobs(ds, facts, F.forms_used_by(args.org) if args.org else None)
        skipped = []
    else:
        check_selection(ds, None, args.org, args.cohort)
        jobs, skipped = G.filled_jobs(ds, facts, args.cohort, args.org)
    produced = []
    workers = min(os.cpu_count() or 1, 8)
    with Progress() as progress, progress.stage(_("forms"), total=len(jobs)) as advance:
        for rel, data in G.Renderer().iter_pdfs(sorted(jobs, key=lambda j: j[0]), workers=workers):
            write_atomically(args.out / rel, data)
            produced.append(rel)
            advance()
    for rel in produced:
        print(args.out / rel)
    for f in skipped:
        print(_("not printed: {rel}: {key} needs ").format(rel=f.rel, key=f.spec.key) + ", ".join(sorted({m.field.what for m in f.missing}))
              + _(" (see 'biliktilik validate', form.missing-field)"), file=sys.stderr)
    if not produced:
        print(_("biliktilik: no form to print for this selection"), file=sys.stderr)
        return 1
    print(_("{count} form(s) written under {out}/forms/").format(count=len(produced), out=args.out)
          + (_("; {count} not printed (missing data)").format(count=len(skipped)) if skipped else ""))
    return 0

