"""A small, fast and deterministic PDF writer for pages assembled from pieces.

generators/certificates.py lays out each programme's certificate form ONCE with WeasyPrint; here
the pages of that PDF become Form XObjects whose objects are serialized once and reused, as bytes,
in every file that shows them, and the text that differs from page to page (a holder's name, a
number, a date) is drawn straight onto the page with an embedded TrueType subset. Nothing is laid
out or parsed twice, and there is no clock and no randomness: the same input gives the same bytes.

    doc = Document()
    form = doc.add(block)                       # a Block (FormBlock, Subset) -> its first number
    doc.page(595.28, 841.89, content, xobjects={"F0": form}, fonts={"V0": font})
    data = doc.bytes({"Title": "..."})
"""

from __future__ import annotations

import hashlib
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

FLATE_LEVEL = 6
HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


# --------------------------------------------------------------------------- PDF syntax

def pdf_string(text: str) -> bytes:
    """A PDF text string: literal when ASCII, else UTF-16BE with a byte order mark, in hex."""
    if all(32 <= ord(c) < 127 for c in text):
        return b"(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def pdf_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def stream(entries: bytes, data: bytes, compress: bool = True) -> bytes:
    """A stream object's body: its dictionary entries (without << >>) and its data."""
    if compress:
        data = zlib.compress(data, FLATE_LEVEL)
        entries += b" /Filter /FlateDecode"
    return b"<<" + entries + b" /Length " + str(len(data)).encode() + b">>\nstream\n" + data + b"\nendstream"


class Block:
    """Objects that several files share, numbered from a base chosen by each file; the serialized
    bytes are cached per base, so that a file showing the same blocks in the same order costs a join."""

    def __init__(self):
        self._cache: dict[int, tuple[bytes, list[int]]] = {}

    def bodies(self, base: int) -> list[bytes]:  # pragma: no cover - abstract
        raise NotImplementedError

    def serialized(self, base: int) -> tuple[bytes, list[int]]:
        if base not in self._cache:
            parts, offsets, size = [], [], 0
            for i, body in enumerate(self.bodies(base)):
                obj = b"%d 0 obj\n" % (base + i) + body + b"\nendobj\n"
                offsets.append(size)
                parts.append(obj)
                size += len(obj)
            self._cache[base] = (b"".join(parts), offsets)
        return self._cache[base]


class Document:
    """One PDF file: objects 1-3 are the catalog, the page tree and the document information."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._offsets: dict[int, int] = {}
        self._size = len(HEADER)
        self._next = 4
        self._kids: list[int] = []
        self._blocks: dict[int, int] = {}

    def _put(self, number: int, body: bytes):
        obj = b"%d 0 obj\n" % number + body + b"\nendobj\n"
        self._offsets[number] = self._size
        self._parts.append(obj)
        self._size += len(obj)

    def object(self, body: bytes) -> int:
        number = self._next
        self._next += 1
        self._put(number, body)
        return number

    def add(self, block: Block) -> int:
        """Add a shared block once; the number of its first object."""
        if id(block) not in self._blocks:
            base = self._next
            data, offsets = block.serialized(base)
            for i, rel in enumerate(offsets):
                self._offsets[base + i] = self._size + rel
            self._parts.append(data)
            self._size += len(data)
            self._next += len(offsets)
            self._blocks[id(block)] = base
        return self._blocks[id(block)]

    def page(self, width: float, height: float, content: bytes, xobjects: dict[str, int] | None = None,
             fonts: dict[str, int] | None = None):
        contents = self.object(stream(b"", content))
        res = b""
        if xobjects:
            res += b"/XObject <<" + b"".join(b"/%s %d 0 R" % (k.encode(), v) for k, v in xobjects.items()) + b">>"
        if fonts:
            res += b"/Font <<" + b"".join(b"/%s %d 0 R" % (k.encode(), v) for k, v in fonts.items()) + b">>"
        body = (b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources <<%s>> /Contents %d 0 R>>"
                % (pdf_number(width).encode(), pdf_number(height).encode(), res, contents))
        self._kids.append(self.object(body))

    def bytes(self, info: dict[str, str]) -> bytes:
        self._put(1, b"<</Type /Catalog /Pages 2 0 R>>")
        kids = b" ".join(b"%d 0 R" % k for k in self._kids)
        self._put(2, b"<</Type /Pages /Kids [%s] /Count %d>>" % (kids, len(self._kids)))
        self._put(3, b"<<" + b"".join(b"/" + k.encode("ascii") + b" " + pdf_string(v)
                                      for k, v in info.items()) + b">>")
        body = b"".join(self._parts)
        start = len(HEADER) + len(body)
        xref = [b"xref\n0 %d\n" % self._next, b"0000000000 65535 f \n"]
        for n in range(1, self._next):
            offset = self._offsets.get(n)
            xref.append(b"%010d 00000 n \n" % offset if offset is not None else b"0000000000 65535 f \n")
        trailer = b"trailer\n<</Size %d /Root 1 0 R /Info 3 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (self._next, start)
        return HEADER + body + b"".join(xref) + trailer


# --------------------------------------------------------------------------- pages of other PDFs

class FormBlock(Block):
    """The pages of a PDF (read with pypdf) as Form XObjects: objects base+i are the pages, then every
    object their resources reach. Streams keep their encoded data; nothing is decoded."""

    def __init__(self, reader):
        super().__init__()
        from pypdf.generic import IndirectObject

        self._pages = list(reader.pages)
        self._order: list[int] = []  # idnums of the reachable objects, first seen first
        self._objects: dict[int, object] = {}
        todo = []
        for page in self._pages:
            todo.append(page["/Resources"])
            contents = page.get("/Contents")
            if isinstance(contents, IndirectObject):
                contents = contents.get_object()
            if isinstance(contents, list):
                todo.extend(contents)
        self._walk(todo)

    def _walk(self, todo):
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

        stack = list(reversed(todo))
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                if item.idnum in self._objects:
                    continue
                target = item.get_object()
                self._objects[item.idnum] = target
                self._order.append(item.idnum)
                stack.append(target)
            elif isinstance(item, DictionaryObject):
                stack.extend(reversed([v for k, v in item.items() if k != "/Parent"]))
            elif isinstance(item, ArrayObject):
                stack.extend(reversed(list(item)))

    def bodies(self, base: int) -> list[bytes]:
        from pypdf.generic import IndirectObject

        numbers = {idnum: base + len(self._pages) + i for i, idnum in enumerate(self._order)}
        out = []
        for page in self._pages:
            box = b" ".join(pdf_number(float(v)).encode() for v in page.mediabox)
            res = _serialize(page["/Resources"], numbers)
            contents = page.get("/Contents")
            if isinstance(contents, IndirectObject):
                contents = contents.get_object()
            entries = b"/Type /XObject /Subtype /Form /BBox [" + box + b"] /Resources " + res
            if isinstance(contents, list):
                data = b"\n".join(c.get_object().get_data() for c in contents)
                out.append(stream(entries, data))
            else:
                filters = b""
                for key in ("/Filter", "/DecodeParms"):
                    if key in contents:
                        filters += b" " + key.encode() + b" " + _serialize(contents[key], numbers)
                out.append(stream(entries + filters, contents._data, compress=False))
        for idnum in self._order:
            out.append(_serialize_object(self._objects[idnum], numbers))
        return out


def _serialize_object(obj, numbers) -> bytes:
    from pypdf.generic import StreamObject

    if isinstance(obj, StreamObject):
        entries = b"".join(b" " + k.encode() + b" " + _serialize(v, numbers)
                           for k, v in obj.items() if k != "/Length")
        return stream(entries, obj._data, compress=False)
    return _serialize(obj, numbers)


def _serialize(obj, numbers) -> bytes:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    if isinstance(obj, IndirectObject):
        return b"%d 0 R" % numbers[obj.idnum]
    if isinstance(obj, DictionaryObject):
        return b"<<" + b" ".join(NameObject(k).renumber() + b" " + _serialize(v, numbers)
                                 for k, v in obj.items()) + b">>"
    if isinstance(obj, ArrayObject):
        return b"[" + b" ".join(_serialize(v, numbers) for v in obj) + b"]"
    out = io.BytesIO()
    obj.write_to_stream(out)
    return out.getvalue()


# --------------------------------------------------------------------------- text

# Characters every subset holds, so that most files share one subset of each face: Latin, Russian and
# Kazakh letters, digits and the punctuation of names, numbers and dates.
BASE_CHARS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0x410, 0x450)]
    + list("ЁёӘәҒғҚқҢңӨөҰұҮүҺһІі«»№–—’“”„…•·×"))


class Face:
    """A TrueType font file: advance widths for layout, and subsets of it for embedding."""

    def __init__(self, path: Path, cache=None):
        """``cache``: an output cache (biliktilik.build.cache.OutputCache) that keeps the subsets
        between builds, so that a rebuild does not subset the fonts again; None: made every time."""
        from fontTools.ttLib import TTFont

        self.path = Path(path)
        self.cache = cache
        tt = TTFont(str(path), recalcTimestamp=False, lazy=True)
        self.upem = tt["head"].unitsPerEm
        self.ascent = tt["hhea"].ascent
        self.descent = -tt["hhea"].descent
        head = tt["head"]
        self.bbox = (head.xMin, head.yMin, head.xMax, head.yMax)
        self.italic_angle = float(tt["post"].italicAngle)
        self.ps_name = (tt["name"].getDebugName(6) or self.path.stem).replace(" ", "")
        self.serif = "Serif" in self.ps_name
        hmtx = tt["hmtx"].metrics
        cmap = tt.getBestCmap()
        self._advance = {cp: hmtx[g][0] for cp, g in cmap.items()}
        self._notdef = hmtx[tt.getGlyphOrder()[0]][0]
        self._subsets: dict[frozenset, Subset] = {}

    def advance(self, ch: str) -> int:
        return self._advance.get(ord(ch), self._notdef)

    def width(self, text: str, size: float, spacing: float = 0.0) -> float:
        return sum(self.advance(ch) for ch in text) * size / self.upem + spacing * len(text)

    def subset(self, chars) -> Subset:
        """The subset holding BASE_CHARS and ``chars``; made once per distinct set."""
        extra = frozenset(ch for ch in chars if ch not in BASE_CHARS and ord(ch) in self._advance)
        if extra not in self._subsets:
            self._subsets[extra] = Subset(self, BASE_CHARS | extra, self.cache)
        return self._subsets[extra]


SUBSET_KIND = "font-subset"  # a subset's font file and glyph maps in the output cache


class Subset(Block):
    """The glyphs of a Face for some characters, as a Type0 font: five objects from the base."""

    def __init__(self, face: Face, chars: frozenset, cache=None):
        super().__init__()
        self.face = face
        key = cache.key(SUBSET_KIND, face.path.name, "".join(sorted(chars))) if cache is not None else None
        kept = dict(cache.get(SUBSET_KIND, key) or ()) if key else {}
        try:  # the subset an earlier build made of this font; a damaged entry is made again
            glyphs = json.loads(kept["glyphs.json"])
            self.data = kept["font.ttf"]
            self.gid = {int(cp): int(gid) for cp, gid in glyphs["gid"]}
            self.widths = {int(gid): int(width) for gid, width in glyphs["widths"]}
        except (KeyError, ValueError, TypeError):
            kept = {}
        if not kept:
            self._make(face, chars)
            if key:
                glyphs = {"gid": list(self.gid.items()), "widths": list(self.widths.items())}  # in their order
                cache.put(SUBSET_KIND, key, [("font.ttf", self.data), ("glyphs.json", json.dumps(glyphs).encode())])
        digest = hashlib.sha256(self.data).digest()
        self.name = "".join(chr(65 + b % 26) for b in digest[:6]) + "+" + face.ps_name

    def _make(self, face: Face, chars: frozenset):
        from fontTools import subset as ftsubset
        from fontTools.ttLib import TTFont

        options = ftsubset.Options()
        options.layout_features = []
        options.hinting = False
        options.name_IDs = []
        options.name_languages = []
        options.notdef_outline = True
        options.glyph_names = False
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "name", "post", "OS/2", "gasp", "prep",
                                "fpgm", "cvt ", "hdmx", "VDMX", "LTSH", "DSIG", "meta", "MATH"]
        font = TTFont(str(face.path), recalcTimestamp=False, lazy=True)
        for tag in options.drop_tables:  # before subsetting, so that they are never decompiled
            if tag in font:
                del font[tag]
        sub = ftsubset.Subsetter(options)
        sub.populate(unicodes={ord(c) for c in chars if ord(c) in face._advance})
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        self.data = buf.getvalue()
        cmap = font.getBestCmap()
        hmtx = font["hmtx"].metrics
        self.gid = {cp: font.getGlyphID(g) for cp, g in cmap.items()}
        self.widths = {font.getGlyphID(g): hmtx[g][0] for g in font.getGlyphOrder()}

    def encode(self, text: str) -> bytes:
        """Text as the 2-byte glyph ids of Identity-H, in hex (a missing character shows .notdef)."""
        return b"<" + b"".join(b"%04X" % self.gid.get(ord(ch), 0) for ch in text) + b">"

    def bodies(self, base: int) -> list[bytes]:
        face, name = self.face, self.name.encode("ascii")
        scale = 1000 / face.upem
        widths = b" ".join(b"%d" % round(self.widths[g] * scale) for g in sorted(self.widths))
        flags = 4 | (2 if face.serif else 0) | (64 if face.italic_angle else 0)
        bbox = b" ".join(b"%d" % round(v * scale) for v in face.bbox)
        to_unicode = _to_unicode(self.gid)
        return [
            b"<</Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R]"
            b" /ToUnicode %d 0 R>>" % (name, base + 1, base + 4),
            b"<</Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo <</Registry (Adobe) /Ordering"
            b" (Identity) /Supplement 0>> /FontDescriptor %d 0 R /W [0 [%s]] /CIDToGIDMap /Identity>>"
            % (name, base + 2, widths),
            b"<</Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [%s] /ItalicAngle %s /Ascent %d"
            b" /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R>>"
            % (name, flags, bbox, pdf_number(face.italic_angle).encode(), round(face.ascent * scale),
               -round(face.descent * scale), round(face.ascent * scale * 0.75), base + 3),
            stream(b"/Length1 %d" % len(self.data), self.data),
            stream(b"", to_unicode),
        ]


def _to_unicode(gids: dict[int, int]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    pairs = sorted((gid, cp) for cp, gid in gids.items())
    seen = set()
    unique = []
    for gid, cp in pairs:
        if gid not in seen:
            seen.add(gid)
            unique.append((gid, cp))
    for i in range(0, len(unique), 100):
        chunk = unique[i:i + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines.extend(b"<%04X> <%s>" % (gid, chr(cp).encode("utf-16-be").hex().upper().encode()) for gid, cp in chunk)
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)


@dataclass(frozen=True)
class TextStyle:
    """How a value is set: a face key, size and line height in points, colour, alignment, spacing."""
    face: str  # key into the faces the caller passes around, e.g. "serif-bold"
    size: float
    line_height: float
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    align: str = "left"  # left | center | right
    spacing: float = 0.0  # letter spacing, points


def text_ops(face: Face, font_name: str, sub: Subset, text: str, style: TextStyle, x: float, top: float,
             width: float, page_height: float, size: float | None = None) -> bytes:
    """One line of text in the box whose top-left corner is (x, top), points from the page's top-left:
    placed as CSS places a line (half-leading above the ascent), aligned within ``width``."""
    size = size or style.size
    w = face.width(text, size, style.spacing)
    if style.align == "center":
        x += (width - w) / 2
    elif style.align == "right":
        x += width - w
    ascent, descent = face.ascent * size / face.upem, face.descent * size / face.upem
    baseline = top + (style.line_height - (ascent + descent)) / 2 + ascent
    r, g, b = style.color
    # Tc is part of the graphics state, not reset by BT: set it every time
    return (f"BT /{font_name} {pdf_number(size)} Tf {pdf_number(r)} {pdf_number(g)} {pdf_number(b)} rg "
            f"{pdf_number(style.spacing)} Tc "
            f"{pdf_number(x)} {pdf_number(page_height - baseline)} Td ").encode("ascii") + sub.encode(text) + b" Tj ET\n"


def wrap(face: Face, text: str, size: float, width: float, spacing: float = 0.0) -> list[str]:
    """Greedy line breaking at spaces within ``width`` points."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and face.width(candidate, size, spacing) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
