"""Issuing, correcting and revoking certificates: the only code that writes data/.

``issue`` gives every listener of a cohort who passed and holds no certificate yet a
registration number (``PREFIX-YEAR-SERIAL`` per organisation and year, never reused:
the next serial is one above every number ever recorded, in the cohorts and in the
ledger, revoked and replaced ones included) and a random URL-safe verification token,
and writes them back into the cohort file with ruamel.yaml's round trip, so comments
and layout stay as they were. Each certificate is appended to ``data/ledger.yaml``
with the canonical facts it states and their hash (see :mod:`biliktilik.certificates`);
the validator compares later data against it (:mod:`biliktilik.ledger_checks`).

Numbers and tokens are made here, once, at issue time; building never invents them.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from biliktilik.model.certificates import canonical, certificate_facts, facts_hash
from biliktilik.load.dataset import display_path
from biliktilik.load.yamlload import LEDGER_LIMITS, load_text
from biliktilik.files import folder_lock, write_atomically
from biliktilik.findings import BiliktilikError, InvalidData, UsageError, sort_findings
from biliktilik.model.ledger import LEDGER_FILE, ledger_entries, ledger_record  # noqa: F401 (ledger_record: callers)
from biliktilik.i18n import _, ngettext

TOKEN_BYTES = 9  # 72 random bits -> 12 URL-safe characters: short enough for a small QR code
SERIAL_DIGITS = 4
NUMBER_RE = re.compile(r"^(?P<prefix>.+)-(?P<year>\d{4})-(?P<serial>\d+)$")

LEDGER_HEADER = """\
# The certificate ledger: every certificate ever issued, appended by `biliktilik issue`
# (Order 95, p. 29 and p. 33). Each entry keeps the facts the certificate states and
# their sha256; the validator reports any later change to them. Do not edit entries:
# record a change as a correction (`biliktilik correct`) or a revocation
# (`biliktilik revoke`). Numbers and tokens are never reused.
"""


class IssueError(BiliktilikError):
    """Issuing, correcting or revoking could not be done; nothing was written."""


class Refused(InvalidData):
    """The records involved have errors; carries them (the CLI prints them)."""

    def __init__(self, findings, message: str):
        super().__init__(findings)
        self.args = (message,)


def new_token() -> str:
    """72 random bits, URL-safe; never starting with '-' or '_' (so it is never read as a command-line option)."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if token[0].isalnum():
            return token


def parse_number(number: str):
    m = NUMBER_RE.match(number or "")
    return (m["prefix"], int(m["year"]), int(m["serial"])) if m else None


def format_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}-{year:04d}-{serial:0{SERIAL_DIGITS}d}"


class Numbers:
    """Every registration number and token ever recorded; hands out the next free ones."""

    def __init__(self, numbers=(), tokens=()):
        self.used = set(numbers)
        self.tokens = set(tokens)
        self.top: dict[tuple[str, int], int] = {}
        for n in self.used:
            parsed = parse_number(n)
            if parsed:
                key = parsed[:2]
                self.top[key] = max(self.top.get(key, 0), parsed[2])

    def next(self, prefix: str, year: int) -> str:
        serial = self.top.get((prefix, year), 0) + 1
        number = format_number(prefix, year, serial)
        while number in self.used:  # a hand-written number in another form
            serial += 1
            number = format_number(prefix, year, serial)
        self.top[(prefix, year)] = serial
        self.used.add(number)
        return number

    def token(self, make=new_token) -> str:
        while True:
            t = make()
            if t not in self.tokens:
                self.tokens.add(t)
                return t


def recorded_numbers(ds) -> Numbers:
    """Numbers and tokens in the cohorts and in the ledger (every entry, whatever its status)."""
    numbers, tokens = [], []
    for cohort in ds.cohorts.values():
        for listener in cohort.data.get("listeners") or []:
            cert = listener.get("certificate") if isinstance(listener, dict) else None
            if isinstance(cert, dict):
                numbers.append(cert.get("number"))
                tokens.append(cert.get("token"))
                if isinstance(cert.get("replaces"), str):
                    numbers.append(cert["replaces"])
    for entry in ledger_entries(ds):
        for key in ("number", "replaces", "replaced_by"):
            if isinstance(entry.get(key), str):
                numbers.append(entry[key])
        tokens.append(entry.get("token"))
    return Numbers([n for n in numbers if isinstance(n, str)], [t for t in tokens if isinstance(t, str)])


# -- round-trip YAML -----------------------------------------------------------

def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 1 << 20  # never fold a long line
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.ignore_aliases = lambda data: True  # one date in many entries: written out each time
    return y


def _load_rt(path: Path):
    try:
        return _yaml().load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IssueError(_("cannot read {display_path}: {exc}").format(display_path=display_path(path), exc=exc)) from exc


def _dump_rt(data) -> str:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def _last_item(node):
    """(container, key) of the item written last inside ``node`` (where a trailing comment hangs)."""
    while True:
        if isinstance(node, CommentedMap) and node:
            key = list(node.keys())[-1]
        elif isinstance(node, CommentedSeq) and node:
            key = len(node) - 1
        else:
            return None
        value = node[key]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not _comment(node, key):
            node = value
            continue
        return node, key


def _comment(node, key):
    entry = node.ca.items.get(key)
    return entry[2] if entry and len(entry) > 2 else None


def append_key(mapping: CommentedMap, key: str, value):
    """Add ``key: value`` at the end of ``mapping``; comments that followed the old last
    line (e.g. a comment before the next list item) move below the new lines."""
    holder = _last_item(mapping)
    mapping[key] = value
    if holder is None:
        return
    node, last = holder
    token = _comment(node, last)
    if token is None:
        return
    new_holder = _last_item(value) if isinstance(value, (CommentedMap, CommentedSeq)) else (mapping, key)
    target, target_key = new_holder
    text = token.value
    if text.startswith("#"):  # an end-of-line comment stays on its line; what follows it moves
        head, _, rest = text.partition("\n")
        token.value = head + "\n"
        if not rest:
            return
        moved = CommentToken("\n" + rest, CommentMark(0), None)
    else:
        node.ca.items[last][2] = None
        moved = token
    target.ca.items.setdefault(target_key, [None, None, None, None])[2] = moved


def _cert_map(number: str, token: str, issued: dt.date, replaces: str | None = None) -> CommentedMap:
    m = CommentedMap()
    m["number"] = number
    m["token"] = token
    m["issued"] = issued
    if replaces:
        m["replaces"] = replaces
    return m


def _ledger_entry(number, token, ref, issued, index, facts, replaces=None) -> CommentedMap:
    e = CommentedMap()
    e["number"] = number
    e["token"] = token
    e["listener"] = ref
    e["issued"] = issued
    e["status_index"] = index
    if replaces:
        e["replaces"] = replaces
    e["hash"] = facts_hash(facts)
    e["facts"] = canonical(facts).decode("utf-8")
    return e


def _load_ledger(data_dir: Path):
    path = data_dir / LEDGER_FILE
    if path.exists():
        doc = _load_rt(path)
        if not isinstance(doc, CommentedMap) or not isinstance(doc.get("certificates"), list):
            raise IssueError(_("{display_path}: expected a mapping with a 'certificates' list").format(display_path=display_path(path)))
        return path, doc
    doc = _yaml().load(LEDGER_HEADER + "certificates: []\n")
    doc["certificates"] = CommentedSeq()
    return path, doc


def _find_listener(doc, listener_id: str, file: str):
    for item in doc.get("listeners") or []:
        if isinstance(item, CommentedMap) and item.get("id") == listener_id:
            return item
    raise IssueError(_("{file}: listener '{listener_id}' not found on re-reading the file").format(file=file, listener_id=listener_id))


def _next_index(entries) -> int:
    indices = [e.get("status_index") for e in entries if isinstance(e, dict)]
    return max([i for i in indices if isinstance(i, int)], default=-1) + 1


# -- the checks before writing ----------------------------------------------------

def _checked(data_dir: Path, on: dt.date | None = None):
    from biliktilik.validate import validate

    return validate(data_dir, use_cache=False, on=on)


DATA_LOCK_WAIT = 120.0  # seconds a second issue/revoke/correct waits for the first before giving up


def _writes_data(func):
    """Run ``func(data_dir, ...)`` holding the lock of the data folder (``.data.lock`` beside it):
    two commands that change data/ run one after the other, each validating what the other wrote,
    so the ledger never loses or duplicates an entry. Waits up to DATA_LOCK_WAIT seconds, then
    Busy ("another change of the data is running (pid N)", exit 1)."""
    import functools

    @functools.wraps(func)
    def locked(data_dir, *args, **kwargs):
        with folder_lock(Path(data_dir), _("change of the data"), wait=DATA_LOCK_WAIT):
            return func(data_dir, *args, **kwargs)

    return locked


def _refuse_errors(checked, files: set[str], what: str):
    """Refused (exit 1) when the files this command reads or writes have errors, or did not load
    (the ledger), or depend on a record that did not load (a cohort's programme or organisation)."""
    ds, facts = checked.dataset, checked.facts
    files = set(files) | set(ds.failed.get("ledger", {}).values())
    files |= {facts.blocked[c.id] for c in ds.cohorts.values() if c.file in files and c.id in facts.blocked}
    errors = [f for f in checked.errors if f.file in files]
    if errors:
        raise Refused(sort_findings(errors),
                      _("{count} error(s) in {items}; {what}: fix them first, nothing was written").format(count=len(errors), items=', '.join(sorted(files)), what=what))


def _org_prefix(ds, org_id: str) -> str:
    org = ds.organisations.get(org_id)
    prefix = org.data.get("registration_prefix") if org else None
    if not prefix:
        raise IssueError(_("organisation '{org_id}' has no registration_prefix; add one to {value}").format(org_id=org_id, value=org.file if org else _('its file')))
    return prefix


@dataclass
class Issued:
    ref: str
    number: str
    token: str
    issued: dt.date
    name: str
    replaces: str | None = None


@_writes_data
def issue(data_dir, cohort_id: str, on: dt.date | None = None, make_token=new_token) -> list[Issued]:
    """Give every listener of ``cohort_id`` who passed and holds no certificate a number and a token."""
    data_dir = Path(data_dir)
    checked = _checked(data_dir)
    ds, facts = checked.dataset, checked.facts
    cohort = ds.cohorts.get(cohort_id)
    if cohort is None and ds.failed_to_load("cohort", cohort_id):
        _refuse_errors(checked, {ds.failed_to_load("cohort", cohort_id)}, _("no certificate was issued"))
    if cohort is None:
        known = ", ".join(sorted(ds.cohorts)) or "none"
        raise UsageError(_("unknown cohort '{cohort_id}'; known cohorts: {known}").format(cohort_id=cohort_id, known=known))
    ledger_rec = ledger_record(ds)
    _refuse_errors(checked, {cohort.file} | ({ledger_rec.file} if ledger_rec else set()), _("no certificate was issued"))
    listeners = facts.of_cohort(cohort_id)
    todo = [lf for lf in listeners if lf.passed and not isinstance(lf.data.get("certificate"), dict)]
    if not todo:
        held = sum(isinstance(lf.data.get("certificate"), dict) for lf in listeners)
        pending = sum(lf.outcome is None for lf in listeners)
        failed = sum(lf.outcome in ("reference", "expelled") for lf in listeners)
        raise IssueError(_("nothing to issue in cohort '{cohort_id}': {count} listener(s), {held} already hold a certificate, {failed} did not pass, {pending} have no result yet").format(cohort_id=cohort_id, count=len(listeners), held=held, failed=failed, pending=pending))
    when = facts.today
    prefix = _org_prefix(ds, cohort.data.get("organisation"))
    numbers = recorded_numbers(ds)
    ledger_path, ledger = _load_ledger(data_dir)
    entries = ledger["certificates"]
    index = _next_index(entries)
    doc = _load_rt(cohort.path)
    out = []
    for lf in todo:
        issued = on or lf.completed
        if not isinstance(issued, dt.date):
            raise IssueError(_("{file}: listener '{id}' has no completion date; give --date").format(file=cohort.file, id=lf.data.get('id')))
        if issued > when:
            raise IssueError((_("cannot issue on {issued}, after today ({when}); the cohort '{cohort_id}' ends {issued}") if on is None else _("cannot issue on {issued}, after today ({when}); the cohort '{cohort_id}' would be dated {issued}")).format(issued=issued, when=when, cohort_id=cohort_id))
        number, token = numbers.next(prefix, issued.year), numbers.token(make_token)
        cert = {"number": number, "token": token, "issued": issued}
        lf.data["certificate"] = cert  # in memory only: to compute the facts it states
        cfacts = certificate_facts(lf, ds)
        entries.append(_ledger_entry(number, token, lf.ref, issued, index, cfacts))
        index += 1
        append_key(_find_listener(doc, lf.data.get("id"), cohort.file), "certificate", _cert_map(number, token, issued))
        out.append(Issued(lf.ref, number, token, issued, _name(lf.data)))
    before = {path: path.read_bytes() if path.exists() else None for path in (ledger_path, cohort.path)}
    write_atomically(ledger_path, _dump_rt(ledger))  # the ledger first: its numbers are taken even if the next write fails
    write_atomically(cohort.path, _dump_rt(doc))
    _keep_only_valid(data_dir, before, {cohort.file, display_path(ledger_path)}, _("no certificate was issued"))
    return out


def _keep_only_valid(data_dir: Path, before: dict, files: set[str], what: str):
    """Validate what was just written; when ``files`` (as findings name them) now have errors, put
    every file of ``before`` (path -> its previous bytes, None: it did not exist) back as it was and
    raise Refused with those errors. The data folder's lock is held (see _writes_data), so no other
    change of the data runs in between; the data were checked before writing, so this catches what
    the new values themselves break (issue 11: a certificate the data cannot state)."""
    checked = _checked(data_dir)
    errors = [f for f in checked.errors if f.file in files]
    if not errors:
        return
    for path, content in before.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            write_atomically(path, content)
    raise Refused(sort_findings(errors),
                  ngettext("{count} error in {items} after the change; {what}: fix it first, the files were put back as they were",
                           "{count} errors in {items} after the change; {what}: fix them first, the files were put back as they were",
                           len(errors)).format(count=len(errors), items=", ".join(sorted(files)), what=what))


def _name(listener: dict) -> str:
    from biliktilik.model.certificates import holder_name

    return holder_name(listener)


def _entry_of(entries, number: str, ledger_file: str):
    for e in entries:
        if isinstance(e, dict) and e.get("number") == number:
            return e
    raise IssueError(_("no certificate {number} in {ledger_file}").format(number=number, ledger_file=ledger_file))


def _holder_of(ds, facts, entry, number: str, moved: bool = False):
    """The listener who holds ``number`` now (by the ledger's reference), and its cohort record.

    With ``moved``, a listener whose record was moved (to another cohort, or given another id)
    after issuing is found by the number its certificate carries, when exactly one listener
    carries it; a correction then records the new place (see :func:`correct`)."""
    ref = entry.get("listener")
    lf = facts.by_ref.get(ref)
    cert = lf.data.get("certificate") if lf else None
    if (lf is None or not isinstance(cert, dict) or cert.get("number") != number) and moved:
        holders = [other for other in facts.listeners
                   if isinstance(other.data.get("certificate"), dict) and other.data["certificate"].get("number") == number]
        if len(holders) == 1:
            return holders[0]
    if lf is None or not isinstance(cert, dict) or cert.get("number") != number:
        raise IssueError(_("certificate {number} is not held by {ref} in the cohorts (the ledger says it was issued to {ref})").format(number=number, ref=ref))
    return lf


@_writes_data
def revoke(data_dir, number: str, on: dt.date, reason: str):
    """Record a revocation (date and reason) in the ledger and on the listener's certificate."""
    data_dir = Path(data_dir)
    if not reason or not reason.strip():
        raise UsageError(_("a revocation needs a reason (--reason TEXT)"))
    checked = _checked(data_dir)
    ds, facts = checked.dataset, checked.facts
    ledger_path, ledger = _load_ledger(data_dir)
    ledger_file = display_path(ledger_path)
    entry = _entry_of(ledger["certificates"], number, ledger_file)
    if entry.get("replaced_by"):
        raise IssueError(_("certificate {number} was replaced by {replaced_by}; revoke that one instead").format(number=number, replaced_by=entry['replaced_by']))
    if isinstance(entry.get("revoked"), dict):
        raise IssueError(_("certificate {number} is already revoked ({date}: {reason})").format(number=number, date=entry['revoked'].get('date'), reason=entry['revoked'].get('reason')))
    issued = entry.get("issued")
    if isinstance(issued, dt.date) and on < issued:
        raise IssueError(_("cannot revoke on {on}, before the certificate was issued ({issued})").format(on=on, issued=issued))
    lf = _holder_of(ds, facts, entry, number)
    _refuse_errors(checked, {lf.cohort.file, ledger_file}, _("the revocation was not recorded"))
    record = CommentedMap()
    record["date"] = on
    record["reason"] = reason.strip()
    entry["revoked"] = record
    doc = _load_rt(lf.cohort.path)
    cert = _find_listener(doc, lf.data.get("id"), lf.cohort.file).get("certificate")
    mirror = CommentedMap()
    mirror["date"], mirror["reason"] = on, reason.strip()
    append_key(cert, "revoked", mirror)
    write_atomically(ledger_path, _dump_rt(ledger))
    write_atomically(lf.cohort.path, _dump_rt(doc))
    return lf.ref


@_writes_data
def correct(data_dir, number: str, on: dt.date | None = None, make_token=new_token) -> Issued:
    """Issue a corrected certificate for an edited record; the old one stays, marked replaced.

    The new certificate keeps the old one's issue date unless ``on`` is given, so a
    correction does not extend the validity. A listener moved to another cohort (or given another
    id) after issuing is found by the number on its certificate; the correction is then issued
    to the listener where it stands now, and the old entry keeps the old place."""
    data_dir = Path(data_dir)
    checked = _checked(data_dir)
    ds, facts = checked.dataset, checked.facts
    ledger_path, ledger = _load_ledger(data_dir)
    ledger_file = display_path(ledger_path)
    entries = ledger["certificates"]
    entry = _entry_of(entries, number, ledger_file)
    if entry.get("replaced_by"):
        raise IssueError(_("certificate {number} was already replaced by {replaced_by}").format(number=number, replaced_by=entry['replaced_by']))
    if isinstance(entry.get("revoked"), dict):
        raise IssueError(_("certificate {number} is revoked; a revoked certificate is not corrected").format(number=number))
    lf = _holder_of(ds, facts, entry, number, moved=True)
    current = certificate_facts(lf, ds)
    if current is not None and facts_hash(current) == entry.get("hash") and lf.ref == entry.get("listener"):
        raise IssueError(_("nothing to correct: the facts of {number} are as issued; edit the record first").format(number=number))
    other = [f for f in checked.errors if f.file in (lf.cohort.file, ledger_file) and not f.code.startswith("ledger.")]
    if other:
        raise Refused(sort_findings(other),
                      _("{count} error(s) besides the change to {number}; fix them first, nothing was written").format(count=len(other), number=number))
    issued = on or entry.get("issued")
    if issued > facts.today:
        raise IssueError(_("cannot issue on {issued}, after today ({today})").format(issued=issued, today=facts.today))
    numbers = recorded_numbers(ds)
    new_number = numbers.next(_org_prefix(ds, lf.cohort.data.get("organisation")), issued.year)
    token = numbers.token(make_token)
    cert = {"number": new_number, "token": token, "issued": issued, "replaces": number}
    lf.data["certificate"] = cert
    cfacts = certificate_facts(lf, ds)
    entry["replaced_by"] = new_number
    entries.append(_ledger_entry(new_number, token, lf.ref, issued, _next_index(entries), cfacts, replaces=number))
    doc = _load_rt(lf.cohort.path)
    listener = _find_listener(doc, lf.data.get("id"), lf.cohort.file)
    old = listener["certificate"]
    for key in list(old.keys()):
        if key not in ("number", "token", "issued"):
            del old[key]
    old["number"], old["token"], old["issued"] = new_number, token, issued
    append_key(old, "replaces", number)
    write_atomically(ledger_path, _dump_rt(ledger))
    write_atomically(lf.cohort.path, _dump_rt(doc))
    return Issued(lf.ref, new_number, token, issued, _name(lf.data), replaces=number)


@dataclass
class Renumbered:
    ref: str
    old: dict  # {number, token, status_index} as they were
    new: dict  # as they are now


@_writes_data
def renumber(data_dir, make_token=new_token, keep: set | None = None) -> list[Renumbered]:
    """Repair the ledger after a merge of two branches that both issued certificates: every ledger
    entry whose registration number, token or status-list index an earlier entry (in file order)
    already uses gets a new one (the next serial of its organisation and year, a new random token,
    the next free index), in data/ledger.yaml and in the listener's certificate in its cohort, with
    the facts and hash of the entry recomputed. The earlier entry keeps its values.

    ``keep``: the tokens of certificates that must keep their values whatever their place in the
    file, e.g. those of the ledger on ``main`` (already published, see :func:`published_tokens`;
    tokens, not numbers: after a merge both branches' certificates may carry the same number):
    their entries are taken first, and a branch's own entry that clashes with one gives way.

    Only a certificate that nobody has seen yet may change its number: run this before the merged
    data is built and published. Raises IssueError when there is nothing to renumber or a
    duplicate is part of a correction or revocation (those are fixed by hand, see the message)."""
    data_dir = Path(data_dir)
    checked = _checked(data_dir)
    ds, facts = checked.dataset, checked.facts
    ledger_path, ledger = _load_ledger(data_dir)
    ledger_file = display_path(ledger_path)
    entries = [e for e in ledger["certificates"] if isinstance(e, CommentedMap)]
    keys = ("number", "token", "status_index")
    seen = {k: set() for k in keys}
    later = []
    keep = keep or set()
    first = [e for e in entries if e.get("token") in keep]
    for e in first + [e for e in entries if e.get("token") not in keep]:
        clash = [k for k in keys if e.get(k) is not None and e.get(k) in seen[k]]
        if clash:
            later.append((e, clash))
        for k in keys:
            seen[k].add(e.get(k))
    if not later:
        raise IssueError(_("nothing to renumber: no number, token or status index is used twice in {ledger_file}").format(ledger_file=ledger_file))
    for e, _later in later:
        if e.get("replaces") or e.get("replaced_by") or e.get("revoked"):
            raise IssueError(_("{ledger_file}: the duplicate {number} is part of a correction or revocation; fix it by hand: give it the next free number, a new token and index in the ledger and in its cohort, update replaces/replaced_by, then `biliktilik correct` if its facts changed").format(ledger_file=ledger_file, number=e.get('number')))
    numbers = recorded_numbers(ds)
    index = _next_index(entries)
    docs: dict[Path, object] = {}
    done = []
    for e, clash in later:
        ref = e.get("listener")
        lf = facts.by_ref.get(ref)
        cert = lf.data.get("certificate") if lf else None
        if lf is None or not isinstance(cert, dict) or cert.get("token") != e.get("token"):
            raise IssueError(_("{ledger_file}: the duplicate {number} is issued to {ref}, who does not hold it (same token) in the cohorts; fix it by hand").format(ledger_file=ledger_file, number=e.get('number'), ref=ref))
        before = {k: e.get(k) for k in keys}
        issued = e.get("issued")
        if "number" in clash:
            e["number"] = numbers.next(_org_prefix(ds, lf.cohort.data.get("organisation")), issued.year)
        if "token" in clash:
            e["token"] = numbers.token(make_token)
        if "status_index" in clash:
            e["status_index"] = index
            index += 1
        lf.data["certificate"] = dict(cert, number=e["number"], token=e["token"])
        cfacts = certificate_facts(lf, ds)
        e["hash"], e["facts"] = facts_hash(cfacts), canonical(cfacts).decode("utf-8")
        doc = docs.setdefault(lf.cohort.path, _load_rt(lf.cohort.path))
        held = _find_listener(doc, lf.data.get("id"), lf.cohort.file)["certificate"]
        held["number"], held["token"] = e["number"], e["token"]
        done.append(Renumbered(ref, before, {k: e.get(k) for k in keys}))
    write_atomically(ledger_path, _dump_rt(ledger))
    for path, doc in docs.items():
        write_atomically(path, _dump_rt(doc))
    return done


def published_tokens(text: str, file: str) -> set[str]:
    """The tokens of the certificates of a ledger given as YAML text (e.g. main's, from
    ``git show origin/main:data/ledger.yaml``) for :func:`renumber`'s ``keep``. Raises UsageError
    with the first problem when the text is no ledger."""
    findings: list = []
    data = load_text(text, file, findings, LEDGER_LIMITS)
    entries = data.get("certificates") if isinstance(data, dict) else None
    if findings or not isinstance(entries, list):
        problem = findings[0].text() if findings else f"{file}: expected a ledger (a mapping with 'certificates')"
        raise UsageError(problem)
    return {e["token"] for e in entries if isinstance(e, dict) and isinstance(e.get("token"), str)}


_ENTRY_START = re.compile(r"^  - ")
_ENTRY_TOKEN = re.compile(r"^(?:  - |    )token: ['\"]?([A-Za-z0-9_-]+)['\"]?\s*$", re.MULTILINE)


def _ledger_blocks(text: str):
    """(head, [(token, block)]) of a ledger's text as `issue` writes it: the lines before the first
    entry, then each entry's lines (from its ``  - `` line to the next). None when an entry has no
    token line (a ledger edited by hand into another layout)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _ENTRY_START.match(line)]
    head = "".join(lines[: starts[0]] if starts else lines)
    blocks = []
    for n, start in enumerate(starts):
        block = "".join(lines[start: starts[n + 1] if n + 1 < len(starts) else len(lines)])
        if not block.endswith("\n"):
            block += "\n"
        found = _ENTRY_TOKEN.search(block)
        if found is None:
            return None
        blocks.append((found.group(1), block))
    return head, blocks


def merge_ledger_texts(base: str, ours: str, theirs: str) -> str | None:
    """A three-way merge of data/ledger.yaml that keeps every branch's certificates (the git merge
    driver ``biliktilik merge-ledger``, see .gitattributes and the README's "After a merge").

    Entries are told apart by their token (random, never reused). The result is ``ours`` with each
    entry that only ``theirs`` changed taken from ``theirs``, then every entry that only ``theirs``
    added, appended in its order, text for text. None (a conflict for git) when both changed the
    same entry (or the lines above the entries) differently, or a text is not in the layout
    `issue` writes. Numbers used twice afterwards are repaired by :func:`renumber`."""
    parsed = [_ledger_blocks(t) for t in (base, ours, theirs)]
    if any(p is None for p in parsed):
        return None
    (base_head, base_blocks), (our_head, our_blocks), (their_head, their_blocks) = parsed
    base_by, their_by = dict(base_blocks), dict(their_blocks)
    our_tokens = {t for t, _ in our_blocks}
    head = _pick(base_head, our_head, their_head)
    if head is None:
        return None
    out = [head if head.endswith("\n") or not head else head + "\n"]
    for token, block in our_blocks:
        if token in base_by and token in their_by:
            block = _pick(base_by[token], block, their_by[token])
            if block is None:
                return None
        out.append(block)
    out.extend(block for token, block in their_blocks if token not in our_tokens and token not in base_by)
    return "".join(out)


def merge_ledger_files(base, ours, theirs) -> bool:
    """git's merge driver: merge the three ledger files (``%O %A %B``) into ``ours`` (``%A``).
    Returns False, leaving ``ours`` as it was, when :func:`merge_ledger_texts` finds a conflict.
    Raises UsageError when a file cannot be read as UTF-8."""
    try:
        texts = [Path(p).read_text(encoding="utf-8") for p in (base, ours, theirs)]
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read a ledger to merge: {getattr(exc, 'strerror', None) or exc}") from None
    merged = merge_ledger_texts(*texts)
    if merged is None:
        return False
    write_atomically(Path(ours), merged.encode("utf-8"))
    return True


def _pick(base, ours, theirs):
    """The three-way choice for one piece of text: the side that changed it, or None when both did."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return None


def issue_in_memory(ds, facts, make_token=new_token) -> list[dict]:
    """Ledger entries for every listener who passed and holds no certificate, issued on the day
    the course ended, without writing anything (for benchmarks on synthetic data)."""
    numbers = recorded_numbers(ds)
    entries = []
    for lf in facts.listeners:
        if not lf.passed or isinstance(lf.data.get("certificate"), dict) or not isinstance(lf.completed, dt.date):
            continue
        org = ds.organisations.get(lf.cohort.data.get("organisation"))
        prefix = (org.data.get("registration_prefix") if org else None) or "X"
        number, token = numbers.next(prefix, lf.completed.year), numbers.token(make_token)
        lf.data["certificate"] = {"number": number, "token": token, "issued": lf.completed}
        cfacts = certificate_facts(lf, ds)
        text = canonical(cfacts).decode("utf-8")
        entries.append({"number": number, "token": token, "listener": lf.ref, "issued": lf.completed,
                        "status_index": len(entries), "hash": facts_hash(cfacts), "facts": text})
    return entries
