"""YAML loading that keeps positions and refuses what PyYAML lets pass.

libyaml (``CSafeLoader``) composes the node tree in C; we construct plain Python
values from it ourselves so that every mapping remembers where each key and each
value stands, duplicate keys are reported, and an impossible date is a finding
rather than an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import yaml

try:  # libyaml is the fast path; the pure-Python loader gives the same nodes
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader

from biliktilik.findings import Finding
from biliktilik.i18n import _

__all__ = ["Invalid", "LEDGER_LIMITS", "LIMITS", "Limits", "Map", "Seq", "load_text", "load_file", "plain", "position"]


class Invalid(str):
    """A scalar that could not be constructed (already reported); later checks pass over it."""

    __slots__ = ()


class Map(dict):
    """A mapping that knows the (line, column) of each key and of each value (1-based)."""

    __slots__ = ("at", "key_at", "value_at")

    def __reduce__(self):
        return (_rebuild_map, (dict(self), self.at, self.key_at, self.value_at))


class Seq(list):
    """A sequence that knows the (line, column) of each item (1-based)."""

    __slots__ = ("at", "item_at")

    def __reduce__(self):
        return (_rebuild_seq, (list(self), self.at, self.item_at))


def _rebuild_map(items, at, key_at, value_at):
    m = Map(items)
    m.at, m.key_at, m.value_at = at, key_at, value_at
    return m


def _rebuild_seq(items, at, item_at):
    s = Seq(items)
    s.at, s.item_at = at, item_at
    return s


def plain(value):
    """The same data as built-in dicts and lists (they pickle about ten times faster)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def position(container, key=None, *, of_key=False):
    """Where ``container[key]`` (or the container itself) stands: (line, column)."""
    if key is None:
        return getattr(container, "at", (1, 1))
    if isinstance(container, Map):
        table = container.key_at if of_key else container.value_at
        return table.get(key, container.at)
    if isinstance(container, Seq) and isinstance(key, int) and key < len(container.item_at):
        return container.item_at[key]
    return getattr(container, "at", (1, 1))


_TAG = "tag:yaml.org,2002:"
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


# Keys whose values are free text (names, employers, positions, titles): a ' #' after such a plain
# value starts a YAML comment, which silently cuts the text («Гимназия #3» -> «Гимназия»). Ids,
# numbers and enumerations (`replaces: NIT-2025-0002  # sample correction`) may carry a comment.
FREE_TEXT_KEYS = frozenset({
    "surname", "given", "patronymic", "employer", "position", "name", "title", "title_ru", "kk", "ru",
    "enterprise", "venue", "school", "area", "speciality", "subjects", "education", "address", "region",
    "degree", "reason", "qualification", "duties", "skills", "head", "retake_reason", "summary", "aim",
    "description", "term", "definition", "label", "printed", "citation", "evidence",
})
_COMMENT_AFTER = re.compile(r"[ \t]+#")


class _Constructor:
    def __init__(self, file: str, findings: list[Finding], text: str | None = None):
        self.file = file
        self.text = text
        self._lines = None
        self.findings = findings
        self.built: dict[int, object] = {}  # an alias (*name) gives the same object, as in PyYAML
        self.building: set[int] = set()

    def error(self, node, code, message):
        m = node.start_mark
        self.findings.append(Finding(self.file, m.line + 1, m.column + 1, "error", code, message))

    def build(self, node):
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        key = id(node)
        if key in self.built:
            return self.built[key]
        if key in self.building:
            self.error(node, "yaml.recursive", _("an alias refers to the collection that contains it; recursive data is not allowed"))
            return Invalid("")
        self.building.add(key)
        try:
            value = self.built[key] = self._collection(node)
        finally:
            self.building.discard(key)
        return value

    def _collection(self, node):
        m = node.start_mark
        at = (m.line + 1, m.column + 1)
        if isinstance(node, yaml.SequenceNode):
            seq = Seq()
            seq.at = at
            seq.item_at = [(n.start_mark.line + 1, n.start_mark.column + 1) for n in node.value]
            seq.extend(self.build(n) for n in node.value)
            return seq
        result = Map()
        result.at = at
        key_at = result.key_at = {}
        value_at = result.value_at = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.error(key_node, "yaml.merge", _("merge keys (<<) are not supported; write the keys out"))
                continue
            key = self.build(key_node)
            if isinstance(key, (dict, list)):
                self.error(key_node, "yaml.key", _("a key must be a plain value, not a mapping or list"))
                continue
            if key in result:
                first = key_at[key][0]
                self.error(key_node, "yaml.duplicate-key",
                           _("duplicate key '{key}' (first defined on line {first}); each key may appear once").format(key=key, first=first))
                continue
            km, vm = key_node.start_mark, value_node.start_mark
            key_at[key] = (km.line + 1, km.column + 1)
            value_at[key] = (vm.line + 1, vm.column + 1)
            result[key] = value = self.build(value_node)
            if (key in FREE_TEXT_KEYS and self.text is not None and isinstance(value_node, yaml.ScalarNode)
                    and not value_node.style and isinstance(value, str)):
                self._comment_after(value_node, key, value)
        return result

    def _comment_after(self, node, key, value):
        """yaml.comment-in-text: a comment follows a plain free-text value on its line."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        end = node.end_mark
        if end.line >= len(self._lines):
            return
        rest = self._lines[end.line][end.column:]
        found = _COMMENT_AFTER.match(rest)
        if not found:
            return
        whole = (value + rest).rstrip()
        example = "'" + whole.replace("'", "''") + "'"
        self.findings.append(Finding(
            self.file, end.line + 1, end.column + found.end(), "error", "yaml.comment-in-text",
            _("the text after ' #' was read as a comment, so {key} is only '{value}'; put the value in quotes: "
              "{key}: {example} (a comment of your own goes on a line of its own)").format(
                key=key, value=value, example=example)))

    def scalar(self, node):
        tag, value = node.tag, node.value
        if tag == _TAG + "str":
            return value
        if tag == _TAG + "int":
            text = value.replace("_", "")
            try:
                if text.startswith(("0x", "-0x", "+0x")):
                    return int(text, 16)
                if text.startswith(("0o", "-0o", "+0o")):
                    return int(text, 8)
                return int(text, 10)
            except ValueError:
                return value
        if tag == _TAG + "float":
            text = value.replace("_", "").lower()
            if text in (".inf", "+.inf"):
                return float("inf")
            if text == "-.inf":
                return float("-inf")
            if text == ".nan":
                return float("nan")
            try:
                return float(text)
            except ValueError:
                return value
        if tag == _TAG + "bool":
            return _BOOL.get(value.lower(), value)
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "timestamp":
            match = _DATE.match(value)
            if not match:
                self.error(node, "yaml.datetime",
                           _("'{value}' has a time of day; write a date as YYYY-MM-DD").format(value=value))
                return Invalid(value)
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError as exc:
                self.error(node, "yaml.date", _("impossible date '{value}' ({exc}); expected a real date YYYY-MM-DD").format(value=value, exc=exc))
                return Invalid(value)
        self.error(node, "yaml.tag", _("unsupported tag '{tag}'").format(tag=tag))
        return value


@dataclass(frozen=True)
class Limits:
    """Limits of one data file, checked before any Python value is built (see _measure).

    The largest record file the project expects is a programme (80 KB) or a cohort of a few
    thousand listeners (about 2 MB); the ledger grows by about 1.5 KB per certificate ever issued,
    so it has its own, larger limits (LEDGER_LIMITS). Aliases are allowed but may not multiply
    the data (the "billion laughs")."""
    bytes: int = 4 * 1024 * 1024  # yaml.too-large: the file's size in bytes
    nodes: int = 1_000_000  # yaml.too-many-nodes: mappings, sequences and scalars written in the file
    alias_nodes: int = 10_000  # yaml.alias-limit: nodes reached again through aliases (*name), with repetition
    depth: int = 40  # yaml.too-deep: mappings and sequences inside each other, aliases followed


LIMITS = Limits()
LEDGER_LIMITS = Limits(bytes=1024 * 1024 * 1024, nodes=40_000_000)  # about 700,000 certificates


def _measure(root, file: str, findings: list[Finding], limits: Limits = LIMITS) -> bool:
    """Walk the composed node graph once, iteratively, and check the limits above before the
    constructor builds anything: an alias is a second reference to an already composed node, so
    the count of nodes it brings is known from a memo of each node's expanded size (and height)
    without expanding it. Appends at most one finding; returns False when a limit is exceeded.
    A recursive alias is left to the constructor (yaml.recursive)."""
    size: dict[int, int] = {}  # id(node) -> nodes in its expansion (itself included)
    height: dict[int, int] = {}  # id(node) -> levels of collections in its expansion
    active: set[int] = set()
    seen_scalars: set[int] = set()
    distinct = 1
    through_aliases = 0

    def fail(node, code, message):
        mark = node.start_mark
        findings.append(Finding(file, mark.line + 1, mark.column + 1, "error", code, message))
        return False

    def children(node):
        if isinstance(node, yaml.MappingNode):
            return iter([n for pair in node.value for n in pair])
        return iter(node.value)

    if isinstance(root, yaml.ScalarNode):
        return True
    # frame: [node, depth, children, expanded size so far, tallest child]
    stack = [[root, 1, children(root), 1, 0]]
    active.add(id(root))
    while stack:
        frame = stack[-1]
        node, depth = frame[0], frame[1]
        child = next(frame[2], None)
        if child is None:
            stack.pop()
            active.discard(id(node))
            size[id(node)], height[id(node)] = frame[3], frame[4] + 1
            if stack:
                stack[-1][3] += frame[3]
                stack[-1][4] = max(stack[-1][4], frame[4] + 1)
            continue
        key = id(child)
        if isinstance(child, yaml.ScalarNode):
            frame[3] += 1
            if key in seen_scalars:
                through_aliases += 1
            else:
                seen_scalars.add(key)
                distinct += 1
        elif key in size:  # an alias of a finished collection
            frame[3] += size[key]
            frame[4] = max(frame[4], height[key])
            through_aliases += size[key]
            if depth + height[key] > limits.depth:
                return fail(node, "yaml.too-deep", _("an alias here nests the data {value} levels deep; at most {depth} are allowed").format(value=depth + height[key], depth=limits.depth))
        elif key in active:  # recursive: the constructor reports it
            continue
        else:
            distinct += 1
            if depth + 1 > limits.depth:
                return fail(child, "yaml.too-deep", _("the data is nested more than {depth} levels deep here; a record needs far fewer").format(depth=limits.depth))
            active.add(key)
            stack.append([child, depth + 1, children(child), 1, 0])
            continue
        if through_aliases > limits.alias_nodes:
            return fail(node, "yaml.alias-limit",
                        _("the aliases (*name) in this collection repeat more than {alias_nodes:,} values (an alias bomb?); write the data out or use fewer aliases").format(alias_nodes=limits.alias_nodes))
        if distinct > limits.nodes:
            return fail(child, "yaml.too-many-nodes", _("the file holds more than {nodes:,} values; split it into smaller records").format(nodes=limits.nodes))
    return True


def _codepoint(character) -> int:
    return character if isinstance(character, int) else ord(character[:1] or "\0")


_KEY_LINE = re.compile(r"^( *)((?:- +)*)([^\s#'\"\[{][^:#]*?):(?: |$)")
_NO_SPACE = re.compile(r"^ *(?:- +)*([^\s#:'\"\[{][^:#]*?):([^\s:/].*)$")


def _key_column(line: str) -> int | None:
    """The column (0-based) of the key of a ``key: value`` or ``- key: value`` line, else None."""
    match = _KEY_LINE.match(line)
    return len(match.group(1)) + len(match.group(2)) if match else None


def explain_syntax(text: str, exc: yaml.MarkedYAMLError):
    """The usual YAML mistakes in plain words: (code, line, column, message) or None.

    - ``yaml.indentation``: a key indented more or less than the keys around it (libyaml says
      "mapping values are not allowed here" or "did not find expected key/'-' indicator");
    - ``yaml.colon-space``: ``seats:3`` (no space after the colon: YAML reads one text, no key);
    - ``yaml.colon-in-value``: an unquoted value holding ': ' (``venue: Hall: A``);
    - ``yaml.unclosed-quote``: a quote opened and never closed (named where it opens);
    - ``yaml.comment-in-text``: `` #`` inside a flow mapping or list (``{surname: Ким #2}``),
      which comments out its closing bracket.
    Lines and columns are 1-based. Tabs and duplicate keys are told elsewhere (load_text)."""
    problem, context = exc.problem or "", exc.context or ""
    mark, started = exc.problem_mark, exc.context_mark
    lines = text.splitlines()
    if "quoted scalar" in context and started is not None:
        return ("yaml.unclosed-quote", started.line + 1, started.column + 1,
                _("the quote that opens here is never closed; close it at the end of the value "
                  "(a quote inside the value is written twice: 'it''s')"))
    if "could not find expected ':'" in problem and started is not None and started.line < len(lines):
        bad = _NO_SPACE.match(lines[started.line])
        if bad:
            key, rest = bad.group(1), bad.group(2)
            return ("yaml.colon-space", started.line + 1, started.column + 1,
                    _("'{key}:{rest}' has no space after ':', so YAML does not see a key; write '{key}: {rest}'").format(
                        key=key, rest=rest))
    if "flow" in context and started is not None and started.line < len(lines):
        hash_at = lines[started.line].find(" #", started.column)
        if hash_at >= 0:
            return ("yaml.comment-in-text", started.line + 1, hash_at + 2,
                    _("' #' inside {{ }} or [ ] starts a comment that hides the rest of the line; "
                      "put the value that holds '#' in quotes"))
    if mark is None or mark.line >= len(lines):
        return None
    if not any(p in problem for p in ("mapping values are not allowed", "did not find expected key",
                                        "did not find expected '-' indicator", "could not find expected ':'")):
        return None
    number = mark.line
    line = lines[number]
    here = _key_column(line)
    if here is None and line.strip() and not line.lstrip().startswith("#"):
        here = len(line) - len(line.lstrip(" "))
    above = next((i for i in range(number - 1, -1, -1)
                  if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
    if here is not None and above is not None:
        then = _key_column(lines[above])
        opens_block = lines[above].rstrip().endswith(":")
        if then is not None and here != then and not (opens_block and here > then):
            return ("yaml.indentation", number + 1, here + 1,
                    _("this line is indented by {here} spaces but the line above by {then}: align it with the "
                      "other keys of the same record (YAML reads the indentation as the structure)").format(
                        here=here, then=then))
    if "mapping values are not allowed" in problem:
        key = _key_column(line)
        if key is not None:
            return ("yaml.colon-in-value", number + 1, mark.column + 1,
                    _("the value of this line holds ': ', which YAML reads as a second key; put the value in quotes, "
                      "e.g. {example}").format(example=_quoted_example(line)))
    return None


def _quoted_example(line: str) -> str:
    match = _KEY_LINE.match(line)
    key, value = line[: match.end()].strip(), line[match.end():].strip()
    return f"{key} '{value.replace(chr(39), chr(39) * 2)}'"


def load_text(text: str, file: str, findings: list[Finding], limits: Limits = LIMITS):
    """Parse one YAML document (YAML 1.1 as libyaml reads it) into Map/Seq/scalars with positions.

    Problems are appended to ``findings`` (file, line, column, a stable code: yaml.syntax,
    yaml.character, yaml.empty, yaml.duplicate-key, yaml.date, yaml.recursive, and the limits
    yaml.alias-limit, yaml.too-deep, yaml.too-many-nodes checked before construction); returns
    None when the document cannot be used."""
    if not text.strip():
        findings.append(Finding(file, 1, 1, "error", "yaml.empty", _("the file is empty; expected a YAML mapping")))
        return None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        at_tab = mark is not None and 0 <= getattr(mark, "index", -1) < len(text) and text[mark.index] == "\t"
        if "tab" in problem or "\t" in problem or at_tab:
            message = _("tab character; YAML is indented with spaces only, replace the tab with spaces")
        else:
            explained = explain_syntax(text, exc)
            if explained is not None:
                code, line, col, message = explained
                findings.append(Finding(file, line, col, "error", code, message))
                return None
            message = _("invalid YAML: {problem}").format(problem=problem)
            if exc.context:
                started = exc.context_mark
                where = _(" started on line {line}").format(line=started.line + 1) if started and started.line + 1 != line else ""
                message += " ({context}{where})".format(context=exc.context, where=where)
        findings.append(Finding(file, line, col, "error", "yaml.syntax", message))
        return None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        findings.append(Finding(file, line, col, "error", "yaml.character",
                                _("character U+{codepoint:04X} is not allowed in YAML text; remove it").format(codepoint=_codepoint(exc.character))))
        return None
    except yaml.YAMLError as exc:
        findings.append(Finding(file, 1, 1, "error", "yaml.syntax", _("invalid YAML: {exc}").format(exc=exc)))
        return None
    if node is None:
        findings.append(Finding(file, 1, 1, "error", "yaml.empty", _("the file holds no YAML document")))
        return None
    if not _measure(node, file, findings, limits):
        return None
    return _Constructor(file, findings, text).build(node)


def load_file(path, display: str, findings: list[Finding], limits: Limits = LIMITS):
    """Read ``path`` as strict UTF-8 and parse it; a file above ``limits.bytes`` is not read
    (yaml.too-large). Problems are appended to ``findings``; returns None on failure."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.bytes + 1)
    except OSError as exc:
        findings.append(Finding(display, 1, 1, "error", "file.read", _("cannot read the file: {value}").format(value=exc.strerror or exc)))
        return None
    if len(data) > limits.bytes:
        findings.append(Finding(display, 1, 1, "error", "yaml.too-large",
                                _("the file is larger than {value:g} MiB; split it into smaller records").format(value=limits.bytes / 1048576)))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        findings.append(Finding(display, line, col, "error", "file.encoding",
                                _("byte 0x{data:02x} is not UTF-8; save the file as UTF-8").format(data=data[exc.start])))
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    return load_text(text, display, findings, limits)
