"""Staff report PDFs laid out by ReportLab (platypus): a title, the as-of line, one table whose
header row repeats on every page, then the legend, notes and sources: what
``templates/reports/report.html.j2`` shows in a browser, in the same fonts (DejaVu Serif, shipped in
templates/fonts) on A4 landscape.

Why not WeasyPrint, which lays out the forms: a report is a plain table, and WeasyPrint spends about
0.13 s of CPU on a 20-row cohort list (styles, automatic table layout, a font subset per document),
while ReportLab takes about 0.013 s (a cell that fits on one line is drawn as plain text, only the
others as wrapping paragraphs); at 60,000 listeners (about 3,000 cohort lists) that is the difference
between 7 minutes of CPU and 40 seconds (``bench/report_pdfs.py`` measures both on the same views:
10.8 times less CPU for the cohort lists, 9.8 for the country-wide reports). The column widths follow CSS's automatic table layout (each column between its longest word
and its longest line, the rest of the page shared in proportion).

A PDF's bytes depend on its view alone (``invariant``: no date or random identifier), so the PDF
cache of :class:`generators.kit.weasy.Renderer` keys it by the view's HTML, as for the forms."""

from __future__ import annotations

import hashlib
import io
from importlib import metadata
from pathlib import Path
from xml.sax.saxutils import escape

from biliktilik.project import FONTS

from generators.kit.weasy import Renderer

PAGE_MARGINS_MM = (12, 12, 14, 12)  # top, right, bottom, left: reports.css's @page
FONT_SIZE = 9.0  # pt, line height 1.3
PADDING = (0.8, 1.2)  # mm, vertical and horizontal cell padding
MARK_WIDTH_MM = 3.0  # the overdue mark's column
_FACES = {"": "DejaVuSerif.ttf", "-Bold": "DejaVuSerif-Bold.ttf", "-Italic": "DejaVuSerif-Italic.ttf"}
FAMILY = "BiliktilikSerif"


def _register_fonts():
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FAMILY in pdfmetrics.getRegisteredFontNames():
        return
    for suffix, file in _FACES.items():
        pdfmetrics.registerFont(TTFont(FAMILY + suffix, str(FONTS / file)))
    addMapping(FAMILY, 0, 0, FAMILY)
    addMapping(FAMILY, 1, 0, FAMILY + "-Bold")
    addMapping(FAMILY, 0, 1, FAMILY + "-Italic")
    addMapping(FAMILY, 1, 1, FAMILY + "-Bold")


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm

    body = ParagraphStyle("body", fontName=FAMILY, fontSize=FONT_SIZE, leading=FONT_SIZE * 1.3,
                          textColor=colors.black, wordWrap=None, splitLongWords=True)
    return {
        "body": body,
        "bold": ParagraphStyle("bold", parent=body, fontName=FAMILY + "-Bold"),
        "none": ParagraphStyle("none", parent=body, fontName=FAMILY + "-Italic"),
        "h1": ParagraphStyle("h1", parent=body, fontName=FAMILY + "-Bold", fontSize=13, leading=16, spaceAfter=1 * mm),
        "as_of": ParagraphStyle("as_of", parent=body, textColor=colors.HexColor("#333333"), spaceAfter=3 * mm),
        "legend": ParagraphStyle("legend", parent=body, fontName=FAMILY + "-Bold", spaceBefore=1.5 * mm),
        "note": ParagraphStyle("note", parent=body, leftIndent=4 * mm, bulletIndent=1 * mm, spaceBefore=0.5 * mm),
        "sources": ParagraphStyle("sources", parent=body, textColor=colors.HexColor("#333333"), spaceBefore=2 * mm),
    }


def _text(value) -> str:
    """A cell's text as ReportLab paragraph markup: escaped, line breaks kept."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def column_widths(cells: list[list[str]], fonts: list[str], available: float, padding: float,
                  fixed: dict[int, float] | None = None) -> list[float]:
    """Widths in points of the columns of ``cells`` (rows of texts; ``fonts[i]``: the font of row i)
    on ``available`` points, as CSS's automatic table layout gives a ``width: 100%`` table: each
    column at least its longest word (its minimum) and at most its longest line (its maximum) plus
    ``padding`` (points, both sides); when the maxima fit, the room left is shared in proportion to
    them; else each column gets its minimum and the rest is shared in proportion to max - min.
    ``fixed``: {column: width} taken as given."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    fixed = fixed or {}
    n = max((len(r) for r in cells), default=0)
    low, high = [padding] * n, [padding] * n
    for row, font in zip(cells, fonts):
        for i, text in enumerate(row):
            if i in fixed or not text:
                continue
            for line in text.split("\n"):
                high[i] = max(high[i], stringWidth(line, font, FONT_SIZE) + padding)
                for word in line.split():
                    low[i] = max(low[i], stringWidth(word, font, FONT_SIZE) + padding)
    free = [i for i in range(n) if i not in fixed]
    room = available - sum(fixed.values())
    widths = [fixed.get(i, 0.0) for i in range(n)]
    if not free:
        return widths
    if sum(high[i] for i in free) <= room:
        total = sum(high[i] for i in free)
        for i in free:
            widths[i] = room * high[i] / total
        return widths
    least = sum(low[i] for i in free)
    if least >= room:  # even the longest words do not fit: shrink them (ReportLab splits the words)
        for i in free:
            widths[i] = room * low[i] / least
        return widths
    spread = sum(high[i] - low[i] for i in free) or 1.0
    for i in free:
        widths[i] = low[i] + (room - least) * (high[i] - low[i]) / spread
    return widths


def report_pdf(view: dict, title: str) -> bytes:
    """The PDF (bytes) of one report ``view`` (:func:`generators.report_files.report_view`: lang,
    title, as_of, head, rows of {cells, overdue}, mark, legend, notes, sources, sources_label, none):
    A4 landscape, the header row repeated on each page, overdue rows bold on grey with the mark in
    the first column. The same view gives the same bytes (no creation date, no random id)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    _register_fonts()
    st = _styles()
    top, right, bottom, left = (m * mm for m in PAGE_MARGINS_MM)
    size = landscape(A4)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=size, topMargin=top, rightMargin=right, bottomMargin=bottom,
                            leftMargin=left, title=title, lang=view["lang"], invariant=1, displayDocTitle=1,
                            creator="biliktilik", producer="biliktilik (ReportLab)", author="", subject="")
    head = [""] + [str(h) for h in view["head"]]
    rows = view["rows"]
    texts = [head] + [[view["mark"] if r["overdue"] else ""] + ["" if c is None else str(c) for c in r["cells"]]
                      for r in rows]
    fonts = [FAMILY + "-Bold"] + [FAMILY + ("-Bold" if r["overdue"] else "") for r in rows]
    pad_v, pad_h = PADDING[0] * mm, PADDING[1] * mm
    mark = MARK_WIDTH_MM * mm + 2 * 0.5 * mm
    widths = column_widths(texts, fonts, size[0] - left - right, 2 * pad_h + 1, {0: mark})  # +1 pt: no rounding split
    def cell(text: str, font: str, style, width: float):
        """A cell that fits on one line as plain text (drawn as it is: about five times faster than a
        paragraph), else a paragraph that wraps."""
        if "\n" not in text and stringWidth(text, font, FONT_SIZE) + 2 * pad_h + 1 <= width:
            return text
        return Paragraph(_text(text), style)

    data = [[cell(t, fonts[0], st["bold"], w) for t, w in zip(head, widths)]]
    for r, cells, font in zip(rows, texts[1:], fonts[1:]):
        style = st["bold"] if r["overdue"] else st["body"]
        data.append([cell(t, font, style, w) for t, w in zip(cells, widths)])
    commands = [("FONT", (0, 0), (-1, 0), fonts[0], FONT_SIZE, FONT_SIZE * 1.3),
                ("FONT", (0, 1), (-1, -1), FAMILY, FONT_SIZE, FONT_SIZE * 1.3),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), pad_v), ("BOTTOMPADDING", (0, 0), (-1, -1), pad_v),
                ("LEFTPADDING", (0, 0), (-1, -1), pad_h), ("RIGHTPADDING", (0, 0), (-1, -1), pad_h),
                ("LEFTPADDING", (0, 0), (0, -1), 0.5 * mm), ("RIGHTPADDING", (0, 0), (0, -1), 0.5 * mm)]
    if not rows:
        data.append([Paragraph(_text(view["none"]), st["none"])] + [""] * (len(head) - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
    for i, r in enumerate(rows, start=1):
        if r["overdue"]:
            commands.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f3f3f3")))
            commands.append(("FONT", (0, i), (-1, i), FAMILY + "-Bold", FONT_SIZE, FONT_SIZE * 1.3))
    table = Table(data, colWidths=widths, repeatRows=1, splitByRow=1)
    table.setStyle(TableStyle(commands))
    story = [Paragraph(_text(view["title"]), st["h1"]), Paragraph(_text(view["as_of"]), st["as_of"]), table]
    if view.get("legend"):
        story.append(Paragraph(_text(view["legend"]), st["legend"]))
    for note in view.get("notes") or []:
        story.append(Paragraph(_text(note), st["note"], bulletText="•"))
    if view.get("sources"):
        story.append(Paragraph(_text(f"{view['sources_label']}: " + "; ".join(view["sources"])), st["sources"]))
    doc.build(story)
    return buf.getvalue()


class ReportRenderer(Renderer):
    """The reports' renderer: :class:`Renderer`'s HTML (the browser's page, the cache key) and its
    worker pool and PDF cache, with each PDF laid out by :func:`report_pdf`."""

    def __init__(self, folder: Path, template: str = "report.html.j2", css: str = "reports.css"):
        super().__init__(folder, template, css)

    def pdf(self, view: dict, title: str) -> bytes:
        return report_pdf(view, title)

    def _key(self, view: dict, title: str) -> str:
        if self._version is None:
            h = hashlib.sha256(("reportlab " + metadata.version("reportlab")).encode())
            h.update(Path(__file__).read_bytes())
            for file in sorted(_FACES.values()):
                h.update(file.encode() + (FONTS / file).read_bytes())
            self._version = h.hexdigest()
        return super()._key(view, title)
