"""The certificate subcommands of ``biliktilik``: issue, revoke, correct, verify.

Kept apart from :mod:`biliktilik.cli` so that module stays small; it calls
:func:`add_parsers` once. Errors are raised as BiliktilikError; cli.main turns
them into messages and exit codes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from biliktilik.i18n import _

from biliktilik.progress import Progress

from biliktilik.findings import UsageError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not a date YYYY-MM-DD").format(text=text)) from None


def add_parsers(sub, add_data):
    p = sub.add_parser("issue", help=_("give the listeners of a cohort who passed a registration number and a token"))
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help=_("the cohort's id"))
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help=_("issue date (default: the day the listener's course or internship ended)"))
    p.set_defaults(run=cmd_issue)

    p = sub.add_parser("revoke", help=_("record the revocation of a certificate (date and reason)"))
    add_data(p)
    p.add_argument("--number", required=True, help=_("the registration number, e.g. NIT-2026-0007"))
    p.add_argument("--date", type=_date, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.set_defaults(run=cmd_revoke)

    p = sub.add_parser("correct", help=_("issue a corrected certificate for an edited record; the old one is marked replaced"))
    add_data(p)
    p.add_argument("--number", required=True, help=_("the registration number of the certificate to replace"))
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help=_("issue date of the correction (default: the old certificate's, so validity does not change)"))
    p.set_defaults(run=cmd_correct)

    p = sub.add_parser("renumber", help=_("after a merge: give certificates whose number, token or status index is used twice new ones (the later in the ledger)"))
    add_data(p)
    p.add_argument("--keep", metavar="LEDGER", default=None,
                   help="a ledger whose certificates keep their numbers (already published), e.g. "
                        "`git show origin/main:data/ledger.yaml | biliktilik renumber --keep -`")
    p.set_defaults(run=cmd_renumber)

    p = sub.add_parser("merge-ledger", help=_("git's merge driver for data/ledger.yaml: keeps both branches' certificates (set up once per clone, see the README)"))
    p.add_argument("base", type=Path, help=_("%%O: the common ancestor's ledger"))
    p.add_argument("ours", type=Path, help=_("%%A: this branch's ledger; the result is written here"))
    p.add_argument("theirs", type=Path, help=_("%%B: the other branch's ledger"))
    p.set_defaults(run=cmd_merge_ledger)

    p = sub.add_parser("verify", help=_("verify a certificate: signature by the issuer's did:web key, signed status, validity in Kazakhstan time; exit 0 only when VALID"))
    p.add_argument("credential", metavar="URL-OR-FILE",
                   help=_("an address on the issuer's site (https://.../v/<token>/) or a local .jwt/.json file"))
    p.add_argument("--issuer", metavar="URL", default=None,
                   help=_("the issuer's site address (default: site_url of mkdocs.yml)"))
    p.add_argument("--site", type=Path, default=None,
                   help=_("read the issuer's did.json and status lists from this built site folder instead of over HTTP"))
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help=_("decide validity on this Kazakhstan day (default: today in UTC+5); the status lists must be current for the whole day"))
    p.set_defaults(run=cmd_verify)


def cmd_issue(args) -> int:
    from biliktilik.issuing import issue

    with Progress():  # the validations before and after writing show their files read
        issued = issue(args.data, args.cohort, args.date)
    for i in issued:
        print(_("{number}  {ref}  {name}  issued {issued}").format(number=i.number, ref=i.ref, name=i.name, issued=i.issued))
    print(_("issued {count} certificate(s) in cohort {cohort}; recorded in {data}/ledger.yaml").format(count=len(issued), cohort=args.cohort, data=args.data))
    return 0


def cmd_revoke(args) -> int:
    from biliktilik.issuing import revoke

    ref = revoke(args.data, args.number, args.date, args.reason)
    print(_("revoked {number} ({ref}) on {date}: {reason}").format(number=args.number, ref=ref, date=args.date, reason=args.reason))
    return 0


def cmd_renumber(args) -> int:
    from biliktilik.issuing import published_tokens, renumber

    keep = None
    if args.keep:
        if args.keep == "-":
            keep = published_tokens(sys.stdin.read(), "<stdin>")
        else:
            try:
                text = Path(args.keep).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read the ledger {args.keep}: {getattr(exc, 'strerror', None) or exc}") from None
            keep = published_tokens(text, args.keep)
    for r in renumber(args.data, keep=keep):
        changed = ", ".join(f"{k} {r.old[k]} -> {r.new[k]}" for k in r.old if r.old[k] != r.new[k])
        print(f"{r.ref}: {changed}")
    return 0


def cmd_merge_ledger(args) -> int:
    from biliktilik.issuing import merge_ledger_files

    if merge_ledger_files(args.base, args.ours, args.theirs):
        return 0
    print("biliktilik merge-ledger: both branches changed the same certificate in the ledger (or its header); "
          "resolve it by hand, then `biliktilik validate`", file=sys.stderr)
    return 1


def cmd_correct(args) -> int:
    from biliktilik.issuing import correct

    i = correct(args.data, args.number, args.date)
    print(_("{number}  {ref}  {name}  issued {issued}, replaces {replaces}").format(number=i.number, ref=i.ref, name=i.name, issued=i.issued, replaces=i.replaces))
    return 0


def cmd_verify(args) -> int:
    """Prints what was checked, the signed facts, and last one verdict line: VALID, REVOKED,
    REPLACED, EXPIRED or UNVERIFIED with the reason. Exit 0 only for VALID."""
    from biliktilik.model.verifier import verify
    from biliktilik.project import config_beside, read_config

    # the issuer of the instance in this folder (its mkdocs.yml beside data/), else the checkout's
    site_url = args.issuer or read_config(config_beside(Path("data"))).get("site_url") or ""
    result = verify(args.credential, site_url, args.site, args.date)
    for line in result.lines:
        print(line)
    print(f"{result.verdict}: {result.reason}")
    return 0 if result.ok else 1


def cmd_certificates(args) -> int:
    """``biliktilik certificates --cohort ID [--blank] [--print DIR]``."""
    import sys

    from biliktilik.files import write_atomically
    from biliktilik.findings import BuildError, UsageError, render
    from biliktilik.project import config_beside, read_config
    from biliktilik.validate import validate
    from generators.certificate_pdfs import Renderer, collect, render_cohort

    with Progress() as progress:
        checked = validate(args.data, args.cache, not args.no_cache, progress=progress)
    if not checked.ok:
        print(render(checked.findings, "text"), file=sys.stderr)
        print(_("certificates refused: the data has errors; nothing was written"), file=sys.stderr)
        return 1
    if args.cohort not in checked.dataset.cohorts:
        known = ", ".join(sorted(checked.dataset.cohorts)) or "none"
        raise UsageError(_("unknown cohort '{cohort}'; the cohorts are: {known}").format(cohort=args.cohort, known=known))
    config = read_config(Path(args.config or config_beside(args.data)))  # the QR codes lead to its site_url
    site_url = config.get("site_url") or "/"
    certs = collect(checked.dataset, checked.facts, site_url, args.cohort)
    if not certs:
        raise BuildError(_("cohort '{cohort}' has no issued certificates; issue them first: biliktilik issue --cohort {cohort}").format(cohort=args.cohort))
    with Progress() as progress, progress.stage(_("certificate PDFs"), total=len(certs)) as advance:
        renderer = Renderer()
        produced = render_cohort(renderer, certs, args.cohort, blank=args.blank)  # one batch: counted at its end
        advance(len(certs))
    if not produced:
        raise BuildError(_("cohort '{cohort}' has no certificate in force to print").format(cohort=args.cohort))
    root = Path(args.print_dir)
    for rel, data in sorted(produced.items()):
        write_atomically(root / rel, data, keep_mode=False)
    print(_("wrote {count} PDF(s) for {count2} certificate(s) under {root}/").format(count=len(produced), count2=len(certs), root=root))
    return 0
