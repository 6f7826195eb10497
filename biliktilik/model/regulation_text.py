"""Structured regulation texts (content/regulations/<id>.yaml): loading, anchors, citations.

The YAML files are faithful transcriptions of the source documents; the shape is documented in
the comment at the top of each file. This module only reads them:

- ``load(path) -> Document`` parses and validates a file (``ValueError`` on a duplicate or
  malformed anchor, an unknown block kind or a missing field);
- ``anchors(doc)`` lists every anchor (HTML id) in document order;
- ``display_number(doc, anchor)`` gives the number of an anchor as printed, e.g. ``"24.3"``;
- ``cite(doc, anchor, lang)`` gives a human citation, e.g. ``"№ 95 бұйрық, 24-тармақ 3) тармақша"``;
- ``printed_text(doc)`` yields the printed text in document order (what a page shows; used by
  the faithfulness test against the source).

Only the standard library and PyYAML are used, so the module can be imported on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

import yaml

from biliktilik.project import labels

ANCHOR_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
LANGS = ("kk", "ru", "en")

BLOCK_KINDS = {
    # kind: (required keys, allowed keys)
    "heading": ({"text"}, {"number", "text"}),
    "title": ({"text"}, {"text", "short"}),
    "preamble": ({"text"}, {"text"}),
    "paragraph": ({"text"}, {"number", "text", "items", "more"}),
    "note": ({"text"}, {"text"}),
    "table": ({"columns"}, {"title", "columns", "rows"}),
    "annex": ({"number", "header"}, {"number", "title", "header", "lines"}),
    "signature": ({"lines"}, {"lines"}),
    "approval": ({"lines"}, {"lines"}),
    "footer": ({"text"}, {"text"}),
}
ITEM_KEYS = {"id", "number", "marker", "text", "more", "items"}
PART_KEYS = {"id", "text", "items"}
DOC_KEYS = {"id", "source", "language", "title", "short", "scopes", "printed_title", "meta",
            "page_artefacts", "blocks"}


# --------------------------------------------------------------------------- data


@dataclass
class Table:
    id: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str | None = None
    kind: str = "table"


@dataclass
class Item:
    """A numbered sub-paragraph ("3)") or a bullet (number None, marker "•")."""

    id: str
    text: str
    number: str | None = None
    marker: str | None = None
    more: list[str] = field(default_factory=list)
    items: list["Item"] = field(default_factory=list)


@dataclass
class Part:
    """A further, unnumbered paragraph of a point; may introduce its own list."""

    text: str
    items: list[Item] = field(default_factory=list)
    id: str | None = None


Line = Union[str, Table]


@dataclass
class Block:
    kind: str
    id: str
    number: str | None = None
    text: str | None = None
    items: list[Item] = field(default_factory=list)
    more: list[Part] = field(default_factory=list)
    title: str | None = None
    header: str | None = None
    lines: list[Line] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    short: dict[str, str] | None = None


@dataclass
class _Node:
    kind: str  # block kind, "item", "part" or "table"
    obj: object
    parent: str | None  # anchor of the enclosing node
    position: int = 0  # 1-based position among its siblings (items)


@dataclass
class Document:
    id: str
    language: str
    title: dict[str, str]
    short: dict[str, str]
    meta: list[str]
    blocks: list[Block]
    printed_title: list[str] = field(default_factory=list)
    page_artefacts: list[str] = field(default_factory=list)
    scopes: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str | None = None
    path: Path | None = None
    _index: dict[str, _Node] = field(default_factory=dict, repr=False)
    _order: list[str] = field(default_factory=list, repr=False)

    def node(self, anchor: str) -> _Node:
        try:
            return self._index[anchor]
        except KeyError:
            raise KeyError(f"{self.id}: no anchor {anchor!r}") from None


# --------------------------------------------------------------------------- loading


class _Loader:
    def __init__(self, where: str):
        self.where = where
        self.index: dict[str, _Node] = {}
        self.order: list[str] = []

    def fail(self, msg: str):
        raise ValueError(f"{self.where}: {msg}")

    def add(self, anchor, node: _Node):
        if not isinstance(anchor, str) or not ANCHOR_RE.match(anchor):
            self.fail(f"malformed anchor {anchor!r} (lowercase letters, digits and single hyphens)")
        if anchor in self.index:
            self.fail(f"duplicate anchor {anchor!r}")
        self.index[anchor] = node
        self.order.append(anchor)

    def text(self, value, what, required=True):
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(f"{what}: expected a non-empty string, got {value!r}")
        return value

    def strings(self, value, what):
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            self.fail(f"{what}: expected a list of strings")
        return list(value)

    def table(self, raw, parent):
        if not isinstance(raw, dict) or raw.get("kind") != "table":
            self.fail(f"{parent}: expected a table mapping, got {raw!r}")
        extra = set(raw) - {"kind", "id", "title", "columns", "rows"}
        if extra:
            self.fail(f"table {raw.get('id')!r}: unknown keys {sorted(extra)}")
        tid = raw.get("id")
        cols = self.strings(raw.get("columns"), f"table {tid!r} columns")
        rows = raw.get("rows") or []
        for r in rows:
            self.strings(r, f"table {tid!r} row")
            if len(r) != len(cols):
                self.fail(f"table {tid!r}: row {r!r} has {len(r)} cells for {len(cols)} columns")
        t = Table(id=tid, columns=cols, rows=[list(r) for r in rows],
                  title=self.text(raw.get("title"), f"table {tid!r} title", required=False))
        self.add(tid, _Node("table", t, parent))
        return t

    def items(self, raw, owner: str, where: str, start: int = 0) -> list[Item]:
        """Items of a list; item k (1-based, after ``start`` earlier items of the same point) is '<owner>-<k>'."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(f"{where}: items must be a list")
        out = []
        for k, r in enumerate(raw, start=start + 1):
            if not isinstance(r, dict):
                self.fail(f"{where}: item {k} is not a mapping")
            extra = set(r) - ITEM_KEYS
            if extra:
                self.fail(f"item {r.get('id')!r}: unknown keys {sorted(extra)}")
            iid = r.get("id")
            expected = f"{owner}-{k}"
            if iid != expected:
                self.fail(f"malformed anchor {iid!r}: item {k} of {owner!r} must be {expected!r}")
            number = r.get("number")
            if number is not None:
                number = str(number)
                if not re.fullmatch(r"\d+[).]", number):
                    self.fail(f"item {iid!r}: number {number!r} is not like '1)' or '1.'")
            it = Item(id=iid, text=self.text(r.get("text"), f"item {iid!r} text"), number=number,
                      marker=r.get("marker"), more=self.strings(r.get("more"), f"item {iid!r} more"))
            if number is None and not it.marker:
                it.marker = "•"
            self.add(iid, _Node("item", it, owner, k))
            it.items = self.items(r.get("items"), iid, f"item {iid!r}")
            out.append(it)
        return out

    def block(self, raw, scopes) -> Block:
        if not isinstance(raw, dict):
            self.fail(f"block is not a mapping: {raw!r}")
        kind, bid = raw.get("kind"), raw.get("id")
        if kind not in BLOCK_KINDS:
            self.fail(f"block {bid!r}: unknown kind {kind!r}")
        required, allowed = BLOCK_KINDS[kind]
        extra = set(raw) - allowed - {"kind", "id"}
        if extra:
            self.fail(f"block {bid!r} ({kind}): unknown keys {sorted(extra)}")
        missing = {k for k in required if raw.get(k) in (None, "")}
        if missing:
            self.fail(f"block {bid!r} ({kind}): missing {sorted(missing)}")
        number = raw.get("number")
        number = None if number is None else str(number)
        self.check_scheme(kind, bid, number, scopes)
        if kind == "table":
            owner = bid.rsplit("-table", 1)[0] if re.fullmatch(r".+-table\d+", bid) else None
            t = self.table(raw, owner if owner in self.index else None)
            return Block(kind="table", id=t.id, title=t.title, columns=t.columns, rows=t.rows)
        b = Block(kind=kind, id=bid, number=number)
        self.add(bid, _Node(kind, b, None))
        if "text" in raw:
            b.text = self.text(raw["text"], f"block {bid!r} text")
        if kind == "title" and raw.get("short") is not None:
            b.short = dict(raw["short"])
        if kind == "paragraph":
            b.items = self.items(raw.get("items"), bid, f"block {bid!r}")
            for j, p in enumerate(raw.get("more") or [], start=2):
                if isinstance(p, str):
                    b.more.append(Part(text=p))
                    continue
                if not isinstance(p, dict) or set(p) - PART_KEYS:
                    self.fail(f"block {bid!r}: more entry {j} must be a string or {{text, items, id}}")
                pid = p.get("id")
                if pid is not None:
                    if pid != f"{bid}-part{j}":
                        self.fail(f"malformed anchor {pid!r}: paragraph {j} of {bid!r} must be '{bid}-part{j}'")
                    part = Part(text=self.text(p.get("text"), f"{pid} text"), id=pid)
                    self.add(pid, _Node("part", part, bid, j))
                    part.items = self.items(p.get("items"), pid, f"part {pid!r}")
                else:
                    part = Part(text=self.text(p.get("text"), f"block {bid!r} more {j}"))
                    # a list introduced by a later paragraph continues the point's own numbering
                    done = len(b.items) + sum(len(q.items) for q in b.more if q.id is None)
                    part.items = self.items(p.get("items"), bid, f"block {bid!r} more {j}", start=done)
                b.more.append(part)
        if kind == "annex":
            b.header = self.text(raw["header"], f"annex {bid!r} header")
            b.title = self.text(raw.get("title"), f"annex {bid!r} title", required=False)
            for ln in raw.get("lines") or []:
                b.lines.append(ln if isinstance(ln, str) else self.table(ln, bid))
        if kind in ("signature", "approval"):
            b.lines = self.strings(raw["lines"], f"block {bid!r} lines")
        return b

    def check_scheme(self, kind, bid, number, scopes):
        """The anchor scheme of the header comment (stable anchors other pages link to)."""
        if not isinstance(bid, str) or not ANCHOR_RE.match(bid):
            self.fail(f"malformed anchor {bid!r}")
        base = re.sub(r"b+$", "", bid)  # a number printed twice: p7-14, p7-14b
        scope = ""
        for s in scopes:
            if base.startswith(s + "-"):
                scope, base = s + "-", base[len(s) + 1:]
        if kind == "paragraph" and number is not None:
            want = "p" + number.replace(".", "-")
            if base != want:
                self.fail(f"malformed anchor {bid!r}: paragraph {number} must be '{scope}{want}'")
        elif kind == "paragraph":
            if not re.fullmatch(r".+-par\d+", base) or base.rsplit("-par", 1)[0] not in self.index:
                self.fail(f"malformed anchor {bid!r}: an unnumbered paragraph is '<heading anchor>-par<k>'")
        elif kind == "heading":
            if number is None or base not in (f"ch{number}", f"s{number}"):
                self.fail(f"malformed anchor {bid!r}: heading {number} must be 'ch{number}' or 's{number}'")
        elif kind == "annex":
            want = "annex-" + (number or "").replace(".", "-")
            if base != want:
                self.fail(f"malformed anchor {bid!r}: annex {number} must be {want!r}")
        elif kind == "note":
            m = re.fullmatch(r"(.+)-note(\d+)", bid)
            if not m or (m.group(1) != "title" and m.group(1) not in self.index):
                self.fail(f"malformed anchor {bid!r}: a note is '<anchor it follows>-note<k>'")


def load(path) -> Document:
    """Read and validate one content/regulations/<id>.yaml file."""
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        raw = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x
    where = str(path)
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: not a mapping")
    ld = _Loader(where)
    extra = set(raw) - DOC_KEYS
    if extra:
        ld.fail(f"unknown top-level keys {sorted(extra)}")
    for key in ("id", "language", "title", "short", "blocks"):
        if key not in raw:
            ld.fail(f"missing {key!r}")
    if raw["id"] != path.stem:
        ld.fail(f"id {raw['id']!r} differs from the file name")
    if raw["language"] != "kk":
        ld.fail("language must be 'kk': the sources are Kazakh only")
    for key in ("title", "short"):
        if not isinstance(raw[key], dict) or not raw[key].get("kk"):
            ld.fail(f"{key} needs at least a 'kk' entry")
    scopes = raw.get("scopes") or {}
    blocks = [ld.block(b, scopes) for b in raw["blocks"] or []]
    doc = Document(
        id=raw["id"], language=raw["language"], title=dict(raw["title"]), short=dict(raw["short"]),
        meta=ld.strings(raw.get("meta"), "meta"), blocks=blocks,
        printed_title=ld.strings(raw.get("printed_title"), "printed_title"),
        page_artefacts=ld.strings(raw.get("page_artefacts"), "page_artefacts"),
        scopes=dict(scopes), source=raw.get("source"), path=path,
    )
    doc._index, doc._order = ld.index, ld.order
    return doc


def load_all(folder) -> dict[str, Document]:
    """Every content/regulations/*.yaml, by id."""
    return {d.id: d for d in (load(p) for p in sorted(Path(folder).glob("*.yaml")))}


# --------------------------------------------------------------------------- anchors, numbers, citations


def anchors(doc: Document) -> list[str]:
    """Every anchor of the document, in document order."""
    return list(doc._order)


def _strip(num: str) -> str:
    return num.rstrip(").")


def _dup_suffix(anchor: str) -> str:
    """p7-14b is the second point printed as 7.14: " (2)"."""
    m = re.search(r"\d(b+)$", anchor)
    return f" ({len(m.group(1)) + 1})" if m else ""


def display_number(doc: Document, anchor: str) -> str:
    """The number of an anchor as printed, language-neutral.

    p24 -> "24", p24-3 -> "24.3", p6-3-1 -> "6.3.1", ch2 / s2 -> "2", annex-2-1 -> "2.1";
    a bullet adds "•k" (p2-1-3 -> "2.1•3"), a second list of a point "/j" (p23-part2-1 -> "23/2.1");
    notes and tables give the number of what they belong to; a number printed twice gets " (2)"
    on its second occurrence (p7-14b -> "7.14 (2)"). Blocks without a number give "".
    """
    n = doc.node(anchor)
    if n.kind == "item":
        it: Item = n.obj  # type: ignore[assignment]
        parent = display_number(doc, n.parent)
        return f"{parent}.{_strip(it.number)}" if it.number else f"{parent}•{n.position}"
    if n.kind == "part":
        return f"{display_number(doc, n.parent)}/{n.position}"
    if n.kind == "note":
        owner = anchor.rsplit("-note", 1)[0]
        return "" if owner == "title" else display_number(doc, owner)
    if n.kind == "table":
        return display_number(doc, n.parent) if n.parent else ""
    b: Block = n.obj  # type: ignore[assignment]
    return (b.number + _dup_suffix(anchor)) if b.number else ""


# how a citation names a place ("{n}-тармақ", "п. {n}", "p. {n}"), per language: "citations" of
# templates/regulation/labels.yaml
_WORDS = labels("regulation")["citations"]


def _scope(doc: Document, anchor: str) -> str | None:
    return next((s for s in doc.scopes if anchor.startswith(s + "-")), None)


def _path(doc: Document, anchor: str, lang: str) -> tuple[list[str], list[str]]:
    """(units from the outermost to the innermost, trailing qualifiers such as "note")."""
    w = _WORDS[lang]
    n = doc.node(anchor)
    if n.kind == "item":
        it: Item = n.obj  # type: ignore[assignment]
        units, _ = _path(doc, n.parent, lang)
        return units + [w["item"].format(n=_strip(it.number)) if it.number else w["bullet"].format(n=n.position)], []
    if n.kind == "part":
        units, _ = _path(doc, n.parent, lang)
        return units + [w["part"].format(n=n.position)], []
    if n.kind == "note":
        owner, k = anchor.rsplit("-note", 1)
        units, extra = ([w["title"]], []) if owner == "title" else _path(doc, owner, lang)
        return units, extra + [w["note"] + (f" {k}" if k != "1" else "")]
    if n.kind == "table":
        t: Table = n.obj  # type: ignore[assignment]
        if n.parent:
            units, extra = _path(doc, n.parent, lang)
            return units, extra + [w["table"]]
        return [t.title or w["table"]], []
    b: Block = n.obj  # type: ignore[assignment]
    dup = _dup_suffix(anchor)
    if b.kind == "heading":
        return [w["ch" if anchor.startswith("ch") else "s"].format(n=b.number) + dup], []
    if b.kind == "annex":
        return [w["annex"].format(n=b.number) + dup], []
    if b.kind == "paragraph" and b.number:
        return [w["p"].format(n=b.number) + dup], []
    if b.kind == "paragraph":  # unnumbered paragraph under a heading: <heading>-par<k>
        head, k = anchor.rsplit("-par", 1)
        units, _ = _path(doc, head, lang)
        return units + [w["par"].format(n=k)], []
    if b.kind == "title":
        return [(b.short or {}).get(lang) or (b.short or {}).get("kk") or w["title"]], []
    return [w.get(b.kind, b.kind)], []


def cite(doc: Document, anchor: str, lang: str = "kk") -> str:
    """A human citation of an anchor, in kk, ru or en.

    p24-3 of order-95: kk "№ 95 бұйрық, 24-тармақ 3) тармақша", ru "Приказ № 95, пп. 3) п. 24",
    en "Order 95, p. 24.3". The order's own paragraphs name their scope:
    "№ 95 бұйрық, бұйрық мәтіні, 2-тармақ 1) тармақша". Notes and tables add "ескерту"/"кесте".
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    out = [doc.short.get(lang) or doc.short["kk"]]
    scope = _scope(doc, anchor)
    if scope:
        out.append(doc.scopes[scope].get(lang) or doc.scopes[scope]["kk"])
    units, extra = _path(doc, anchor, lang)
    n = doc.node(anchor)
    number = display_number(doc, anchor)
    if lang == "en" and n.kind in ("paragraph", "item") and re.fullmatch(r"\d+(\.\d+)*", number):
        out.append(f"p. {number}")
    elif lang == "ru":
        out.append(" ".join(reversed(units)))
    else:
        out.append(" ".join(units))
    return ", ".join(out + extra)


# --------------------------------------------------------------------------- text


def _item_text(it: Item) -> Iterator[str]:
    yield f"{it.number} {it.text}" if it.number else it.text
    yield from it.more
    for sub in it.items:
        yield from _item_text(sub)


def _table_text(t: Table) -> Iterator[str]:
    if t.title:
        yield t.title
    yield " | ".join(t.columns)
    for r in t.rows:
        yield " | ".join(r)


def printed_text(doc: Document) -> Iterator[str]:
    """The printed text of the document in order: printed title, meta, then every block.

    Editorial fields (title, short, annex titles, scopes) are not part of it."""
    yield from doc.printed_title
    yield from doc.meta
    for b in doc.blocks:
        if b.kind == "paragraph":
            yield f"{b.number} {b.text}" if b.number else b.text
            for it in b.items:
                yield from _item_text(it)
            for p in b.more:
                yield p.text
                for it in p.items:
                    yield from _item_text(it)
        elif b.kind == "annex":
            yield b.header
            for ln in b.lines:
                if isinstance(ln, Table):
                    yield from _table_text(ln)
                else:
                    yield ln
        elif b.kind == "table":
            yield from _table_text(Table(id=b.id, columns=b.columns, rows=b.rows, title=b.title))
        elif b.kind in ("signature", "approval"):
            yield from b.lines
        else:
            yield b.text


_FOLDERS: dict[str, tuple[tuple, dict[str, Document]]] = {}


def documents(folder) -> dict[str, Document]:
    """Every ``*.yaml`` regulation text of ``folder`` (normally content/regulations), {id: Document};
    {} when the folder does not exist. Read once and kept while no file's size or mtime changes.

    Raises ValueError or OSError (naming the file) as :func:`load` does."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    stamp = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))
    cached = _FOLDERS.get(str(folder.resolve()))
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_all(folder))
        _FOLDERS[str(folder.resolve())] = cached
    return cached[1]
