"""``biliktilik rules --coverage``: how much of the regulation texts the records are held to.

Counts per document and in all: paragraphs stating a rule, encoded as data, checked (a finding or a
computed fact), printed only, not checkable from the records, not encoded, and matching the text (a
test marked ``@pytest.mark.rule`` for each checked rule). ``--list`` prints every paragraph with its
state, rules and tests. See :mod:`biliktilik.validate.coverage`."""

from __future__ import annotations

import json
from pathlib import Path

from biliktilik.findings import UsageError
from biliktilik.i18n import _

COLUMNS = ("in_texts", "encoded", "checked", "printed", "not_checkable", "not_encoded", "matching")


def add_parsers(sub, add_data):
    p = sub.add_parser("rules", help=_("the rules of the regulation texts: how many are encoded, checked and tested"))
    add_data(p)
    p.add_argument("--coverage", action="store_true", help=_("print the counts per document (the default)"))
    p.add_argument("--list", action="store_true", help=_("also list every paragraph with its state, rules and tests"))
    p.add_argument("--tests", type=Path, default=None, metavar="DIR",
                   help=_("the test folder searched for @pytest.mark.rule (default: tests beside the data folder)"))
    p.add_argument("--format", choices=["text", "json"], default="text", help=_("how the counts are printed"))
    p.set_defaults(run=cmd_rules)


def cmd_rules(args) -> int:
    from biliktilik.load.dataset import load_dataset
    from biliktilik.validate import coverage

    if not Path(args.data).is_dir():
        raise UsageError(_("no data folder at {path}").format(path=args.data))
    ds = load_dataset(Path(args.data), args.cache, not args.no_cache)
    tests = args.tests if args.tests is not None else Path(args.data).resolve().parent / "tests"
    cov = coverage.compute(ds, tests)
    docs = cov.documents
    if args.format == "json":
        out = {"documents": {d: cov.counts(d) for d in docs}, "total": cov.counts(),
               "paragraphs": [{"document": p.document, "anchor": p.anchor, "state": p.state, "rules": p.keys,
                               "reason": p.reason, "note": p.note, "tests": p.tests, "matching": p.matching}
                              for p in cov.paragraphs]}
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    heads = [_("document"), _("in the texts"), _("encoded"), _("checked"), _("printed only"),
             _("not checkable"), _("not encoded"), _("matching (tested)")]
    rows = [[d] + [str(cov.counts(d)[c]) for c in COLUMNS] for d in docs]
    rows.append([_("all")] + [str(cov.counts()[c]) for c in COLUMNS])
    widths = [max(len(r[i]) for r in rows + [heads]) for i in range(len(heads))]
    for r in [heads] + rows:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))))
    untested = sorted({k for p in cov.paragraphs if p.state == "checked" for k in p.keys
                       if coverage.APPLIED[k][0] in ("check", "compute") and not p._tested.get(k)})
    if untested:
        print(_("checked rules without a test: {keys}").format(keys=", ".join(untested)))
    if args.list:
        for p in cov.paragraphs:
            detail = ", ".join(p.keys) or p.reason or p.note or ""
            print(f"{p.document}#{p.anchor}\t{p.state}\t{detail}\t{' '.join(p.tests)}")
    return 0
