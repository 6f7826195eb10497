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

from biliktilik.findings import UsageError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


def add_parsers(sub, add_data):
    p = sub.add_parser("issue", help="give the listeners of a cohort who passed a registration number and a token")
    add_data(p)
    p.add_argument("--cohort", required=True, metavar="ID", help="the cohort's id")
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="issue date (default: the day the listener's course or internship ended)")
    p.set_defaults(run=cmd_issue)

    p = sub.add_parser("revoke", help="record the revocation of a certificate (date and reason)")
    add_data(p)
    p.add_argument("--number", required=True, help="the registration number, e.g. NIT-2026-0007")
    p.add_argument("--date", type=_date, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.set_defaults(run=cmd_revoke)

    p = sub.add_parser("correct", help="issue a corrected certificate for an edited record; the old one is marked replaced")
    add_data(p)
    p.add_argument("--number", required=True, help="the registration number of the certificate to replace")
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="issue date of the correction (default: the old certificate's, so validity does not change)")
    p.set_defaults(run=cmd_correct)

    p = sub.add_parser("renumber", help="after a merge: give certificates whose number, token or status index "
                                        "is used twice new ones (the later in the ledger)")
    add_data(p)
    p.add_argument("--keep", metavar="LEDGER", default=None,
                   help="a ledger whose certificates keep their numbers (already published), e.g. "
                        "`git show origin/main:data/ledger.yaml | biliktilik renumber --keep -`")
    p.set_defaults(run=cmd_renumber)

    p = sub.add_parser("merge-ledger", help="git's merge driver for data/ledger.yaml: keeps both branches' "
                                            "certificates (set up once per clone, see the README)")
    p.add_argument("base", type=Path, help="%%O: the common ancestor's ledger")
    p.add_argument("ours", type=Path, help="%%A: this branch's ledger; the result is written here")
    p.add_argument("theirs", type=Path, help="%%B: the other branch's ledger")
    p.set_defaults(run=cmd_merge_ledger)

    p = sub.add_parser("verify", help="verify a certificate: signature by the issuer's did:web key, signed status, "
                                      "validity in Kazakhstan time; exit 0 only when VALID")
    p.add_argument("credential", metavar="URL-OR-FILE",
                   help="an address on the issuer's site (https://.../v/<token>/) or a local .jwt/.json file")
    p.add_argument("--issuer", metavar="URL", default=None,
                   help="the issuer's site address (default: site_url of mkdocs.yml)")
    p.add_argument("--site", type=Path, default=None,
                   help="read the issuer's did.json and status lists from this built site folder instead of over HTTP")
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="decide validity on this Kazakhstan day (default: today in UTC+5); "
                        "the status lists must be current for the whole day")
    p.set_defaults(run=cmd_verify)


def cmd_issue(args) -> int:
    from biliktilik.issuing import issue

    issued = issue(args.data, args.cohort, args.date)
    for i in issued:
        print(f"{i.number}  {i.ref}  {i.name}  issued {i.issued}")
    print(f"issued {len(issued)} certificate(s) in cohort {args.cohort}; recorded in {args.data}/ledger.yaml")
    return 0


def cmd_revoke(args) -> int:
    from biliktilik.issuing import revoke

    ref = revoke(args.data, args.number, args.date, args.reason)
    print(f"revoked {args.number} ({ref}) on {args.date}: {args.reason}")
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
    print(f"{i.number}  {i.ref}  {i.name}  issued {i.issued}, replaces {i.replaces}")
    return 0


def cmd_verify(args) -> int:
    """Prints what was checked, the signed facts, and last one verdict line: VALID, REVOKED,
    REPLACED, EXPIRED or UNVERIFIED with the reason. Exit 0 only for VALID."""
    from biliktilik.model.verifier import verify
    from biliktilik.project import CONFIG_FILE, read_config

    site_url = args.issuer or read_config(CONFIG_FILE).get("site_url") or ""
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
    from biliktilik.project import CONFIG_FILE, read_config
    from biliktilik.validate import validate
    from generators.certificate_pdfs import Renderer, collect, render_cohort

    checked = validate(args.data, args.cache, not args.no_cache)
    if not checked.ok:
        print(render(checked.findings, "text"), file=sys.stderr)
        print("certificates refused: the data has errors; nothing was written", file=sys.stderr)
        return 1
    if args.cohort not in checked.dataset.cohorts:
        known = ", ".join(sorted(checked.dataset.cohorts)) or "none"
        raise UsageError(f"unknown cohort '{args.cohort}'; the cohorts are: {known}")
    config = read_config(Path(args.config or CONFIG_FILE))
    site_url = config.get("site_url") or "/"
    certs = collect(checked.dataset, checked.facts, site_url, args.cohort)
    if not certs:
        raise BuildError(f"cohort '{args.cohort}' has no issued certificates; "
                         f"issue them first: biliktilik issue --cohort {args.cohort}")
    renderer = Renderer()
    produced = render_cohort(renderer, certs, args.cohort, blank=args.blank)
    if not produced:
        raise BuildError(f"cohort '{args.cohort}' has no certificate in force to print")
    root = Path(args.print_dir)
    for rel, data in sorted(produced.items()):
        write_atomically(root / rel, data, keep_mode=False)
    print(f"wrote {len(produced)} PDF(s) for {len(certs)} certificate(s) under {root}/")
    return 0
