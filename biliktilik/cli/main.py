"""The ``biliktilik`` command. Only this module turns errors into exit codes:
0 success, 1 invalid data or a failed build, 2 a usage error."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from biliktilik.findings import BiliktilikError, InvalidData, UsageError, escaped, render, summary_markdown
from biliktilik import i18n
from biliktilik.i18n import _, ngettext
from biliktilik.progress import Progress, configure_logging

log = logging.getLogger("biliktilik")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("biliktilik").strip()  # main() prints "biliktilik: " before it
        raise UsageError(f"{command}: {message}" if command else message)


def _add_data(p):
    p.add_argument("--data", type=Path, default=Path("data"), help=_("the records folder (default: data)"))
    p.add_argument("--cache", type=Path, default=None, help=_("cache folder (default: ~/.cache/biliktilik/...)"))
    p.add_argument("--no-cache", action="store_true", help=_("read every file again"))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="biliktilik", description=_("Validate course records and build the catalog, certificates and forms."))
    parser.add_argument("-v", "--verbose", action="store_true", help=_("more detail; tracebacks on internal errors"))
    parser.add_argument("--lang", dest="message_lang", choices=i18n.MESSAGE_LANGUAGES, default=None,
                        help=_("language of the messages: kk, ru or en (default: the locale, LANG or LC_MESSAGES)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help=_("check every record against the schemas and the rules"))
    _add_data(p)
    p.add_argument("--format", choices=["text", "json", "github"], default="text", help=_("how findings are printed"))
    p.add_argument("--summary", type=Path, default=None, metavar="FILE",
                   help=_("append a Markdown summary to FILE (default with --format github: $GITHUB_STEP_SUMMARY when set)"))
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("build", help=_("validate, then build site/ and print/"))
    _add_data(p)
    p.add_argument("--site", type=Path, default=Path("site"), help=_("site output folder (default: site)"))
    p.add_argument("--print", dest="print_dir", type=Path, default=Path("print"),
                   help=_("staff PDFs folder, never published (default: print)"))
    p.add_argument("--config", type=Path, default=None, help=_("mkdocs.yml (default: the one beside the data folder, else the project's)"))
    p.add_argument("--jobs", "-j", type=int, default=None, help=_("worker processes (default: all cores)"))
    p.add_argument("--forms", action="store_true",
                   help=_("also every listener's filled forms into print/forms/ (else: biliktilik forms --cohort)"))
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("serve", help=_("a local preview of both languages that rebuilds when data/, content/, templates/ or mkdocs.yml change"))
    _add_data(p)
    p.add_argument("--port", type=int, default=8000, help=_("the port to listen on (default: 8000; 0: any free port)"))
    p.add_argument("--host", default="127.0.0.1", help=_("the address to listen on (default: 127.0.0.1, this machine only)"))
    p.add_argument("--no-pdf", action="store_true",
                   help=_("leave out certificates, blank forms and reports (PDFs): quicker; form links do not resolve"))
    p.add_argument("--preview", type=Path, default=None, metavar="DIR",
                   help=_("where the preview is built (default: .cache/serve/<hash>/; never site/)"))
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("synth", help=_("write a synthetic national-scale data set for benchmarks"))
    p.add_argument("--listeners", type=int, default=60000)
    p.add_argument("--programmes", type=int, default=None)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=95)
    p.set_defaults(run=cmd_synth)

    from biliktilik.cli.certificates import add_parsers as add_certificate_parsers  # issue, revoke, correct, verify
    from biliktilik.cli.certificates import cmd_certificates
    add_certificate_parsers(sub, _add_data)
    from biliktilik.cli.reports import add_parsers as add_report_parsers  # reports, forms
    add_report_parsers(sub, _add_data)
    from biliktilik.cli.staff import add_parsers as add_staff_parsers  # template, import, export, schemas
    add_staff_parsers(sub, _add_data)
    from biliktilik.cli.rules import add_parsers as add_rules_parsers  # rules --coverage
    add_rules_parsers(sub, _add_data)

    p = sub.add_parser("certificates", help=_("print a cohort's certificate PDFs into print/ (never published)"))
    _add_data(p)
    p.add_argument("--cohort", required=True, help=_("the cohort whose issued certificates to print"))
    p.add_argument("--blank", action="store_true",
                   help=_("only the variable fields, for printing onto the protected blank forms (print/certificates-blank/)"))
    p.add_argument("--print", dest="print_dir", type=Path, default=Path("print"),
                   help=_("staff PDFs folder (default: print)"))
    p.add_argument("--config", type=Path, default=None, help=_("mkdocs.yml, for site_url (default: the one beside the data folder, else the project's)"))
    p.set_defaults(run=cmd_certificates)  # in cli/certificates.py
    return parser


def cmd_validate(args) -> int:
    from biliktilik.validate import validate

    with Progress() as progress:
        checked = validate(args.data, args.cache, not args.no_cache, progress=progress)
    out = render(checked.findings, args.format)
    if out:
        print(out)
    summary = args.summary or (os.environ.get("GITHUB_STEP_SUMMARY") if args.format == "github" else None)
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:  # GitHub collects the step's summary from this file
            fh.write(summary_markdown(checked.findings))
    return 1 if checked.errors else 0


def cmd_build(args) -> int:
    from biliktilik.build.pipeline import build

    started = time.perf_counter()
    try:
        if args.jobs is not None and args.jobs < 1:
            raise UsageError(_("--jobs must be at least 1, not {jobs}").format(jobs=args.jobs))
        checked = build(args.data, args.site, args.print_dir, args.config, args.cache, not args.no_cache,
                        jobs=args.jobs, forms=args.forms)
    except InvalidData as exc:
        print(render(exc.findings, "text"), file=sys.stderr)
        print(_("build refused: {exc}; {site}/ was left as it was").format(exc=exc, site=args.site), file=sys.stderr)
        return 1
    warnings = [f for f in checked.findings if f.severity == "warning"]
    seconds = time.perf_counter() - started
    if warnings:
        print(ngettext("built {site}/ and {print_dir}/ in {value:.1f}s ({count} warning; run 'biliktilik validate' to see it)",
                       "built {site}/ and {print_dir}/ in {value:.1f}s ({count} warnings; run 'biliktilik validate' to see them)",
                       len(warnings)).format(site=args.site, print_dir=args.print_dir, value=seconds, count=len(warnings)))
    else:
        print(_("built {site}/ and {print_dir}/ in {value:.1f}s (no warnings)").format(
            site=args.site, print_dir=args.print_dir, value=seconds))
    return 0


def cmd_serve(args) -> int:
    from biliktilik.build.serve import serve

    if not 0 <= args.port <= 65535:
        raise UsageError(_("--port must be between 0 and 65535, not {port}").format(port=args.port))
    return serve(args.data, args.host, args.port, args.preview, args.cache, not args.no_cache,
                 pdf=not args.no_pdf, verbose=args.verbose)


def cmd_synth(args) -> int:
    from biliktilik.synth import synthesize

    if args.listeners < 1:
        raise UsageError(_("--listeners must be at least 1"))
    with Progress() as progress:
        summary = synthesize(args.out, args.listeners, args.programmes, args.seed, progress=progress)
    print(summary)
    return 0


def _take_lang(argv: list[str]) -> tuple[list[str], str | None]:
    """``argv`` without the global ``--lang X`` / ``--lang=X`` (before or after the command, like
    ``-v``), and X. After ``reports`` a ``--lang`` is that command's own (the report's language)
    and stays. An unknown X stays in ``argv`` for argparse to refuse (exit 2)."""
    rest, bad, lang, i = [], [], None, 0
    while i < len(argv):
        a = argv[i]
        if a in ("--", "reports"):
            rest += argv[i:]
            break
        if a == "--lang" or a.startswith("--lang="):
            value = a.split("=", 1)[1] if "=" in a else (argv[i + 1] if i + 1 < len(argv) else None)
            taken = argv[i:i + 1] if "=" in a else argv[i:i + 2]
            if value in i18n.MESSAGE_LANGUAGES:
                lang = value
            else:
                bad = taken  # before the command, where argparse says which values are allowed
            i += len(taken)
            continue
        rest.append(a)
        i += 1
    return bad + rest, lang


def main(argv=None) -> int:
    """Run the command line ``argv`` (default: sys.argv[1:]); returns the exit code: 0 ok, 1 data
    errors or a refused command, 2 usage, 3 a bug (its traceback only with -v/--verbose)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, lang = _take_lang(argv)
    i18n.choose(lang)  # before the parser is built: its help texts are in this language
    for stream in (sys.stdout, sys.stderr):  # a legacy locale (ru_RU.CP1251) has no Kazakh letters: '?', not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = _parser()
    verbose = "-v" in argv or "--verbose" in argv
    if verbose:  # a global option is accepted after the command too: biliktilik validate -v
        argv = ["-v"] + [a for a in argv if a not in ("-v", "--verbose")]
    if lang:
        argv = ["--lang", lang] + argv
    try:
        args = parser.parse_args(argv)
        configure_logging(args.verbose)
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        return args.run(args)
    except BiliktilikError as exc:  # bad input or a refused command: one clear message, never a traceback
        if isinstance(exc, InvalidData):  # every command that refuses invalid data shows why
            print(render(exc.findings, "text"), file=sys.stderr)
        print(escaped(f"biliktilik: {exc}"), file=sys.stderr)  # a file or sheet name may hold control characters
        return exc.exit_code
    except KeyboardInterrupt:
        print(_("biliktilik: interrupted"), file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so plainly
        if verbose:
            raise
        print(_("biliktilik: internal error: {name}: {exc} (run with --verbose for the traceback)").format(name=exc.__class__.__name__, exc=exc),
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
