"""Certificate PDFs for staff, under print/ and never under site/.

Order 95 p. 29 and p. 33: the certificate (Annex 3) and its annex with the modules, hours and
grades (Annex 4); for a TVET internship the internship certificate (Annex 6). Every page carries
the QR code of the certificate's verification page and the short fingerprint that page shows.

Outputs (all in print/):
- ``certificates/<organisation>/<number>.pdf``: one certificate with its annex (the staff copy; a
  revoked or replaced certificate is stamped as such);
- ``certificates/<cohort>.pdf``: the cohort's certificates in force, for printing;
- ``certificates-blank/<cohort>.pdf``: only the variable fields, at the positions of
  templates/certificates/blank-positions.yaml, for printing onto the protected blank forms.

How, and why it is fast: what a programme's certificates share (the organisation, head, topic,
hours, the annex's table...) is laid out ONCE by WeasyPrint from templates/certificates/document.html
as a form whose slots (name, number, date, grades, fingerprint, QR code) are empty boxes of fixed
size; their places and text styles are measured from that layout. Each certificate's pages then show
the form as a Form XObject and draw the holder's values into the slots straight as PDF text, with an
embedded subset of the same fonts, and the QR code as rectangles (biliktilik.pdf). Nothing is laid
out twice, and the form's objects are serialized once for all files. bench/certificate_pdfs.py
compares this with one WeasyPrint document per certificate (``render_naive``, the same template
with the values filled in).

Deterministic: no clock and no randomness; the PDF dates are the certificates' issue dates, the
fonts are the files in templates/fonts, and the same data gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import logging
import multiprocessing
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jinja2
import qrcode
import qrcode.constants
from babel.dates import format_date
from markupsafe import Markup, escape

from biliktilik.project import ROOT
from biliktilik.texts import name_sort_key, text_of
from biliktilik.model.certificates import certificate_facts, control_code, fingerprint, holder_gender
from biliktilik.findings import BuildError, InvalidData
from biliktilik.i18n import _
from generators.kit.addresses import verification_url
from generators.kit.weasy import WeasyRenderer
from generators.kit.pdfdraw import Document, Face, FormBlock, Subset, TextStyle, text_ops, wrap

log = logging.getLogger(__name__)

TEMPLATES = ROOT / "templates" / "certificates"
FONTS = ROOT / "templates" / "fonts"
POSITIONS = TEMPLATES / "blank-positions.yaml"
PX = 0.75  # CSS px -> PDF points
MM = 72 / 25.4  # mm -> PDF points

# The faces, shipped in templates/fonts (DejaVu covers ә ғ қ ң ө ұ ү һ і): the same files serve the
# forms (through @font-face) and the values drawn over them.
FACES = {
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "serif-bold-italic": "DejaVuSerif-Bold.ttf",  # no bold italic shipped: bold stands in
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
}
_FONT_FACES = [  # @font-face family, weight, style -> face
    ("Cert Serif", "normal", "normal", "serif"),
    ("Cert Serif", "bold", "normal", "serif-bold"),
    ("Cert Serif", "normal", "italic", "serif-italic"),
    ("Cert Serif", "bold", "italic", "serif-bold-italic"),
    ("Cert Sans", "normal", "normal", "sans"),
    ("Cert Sans", "bold", "normal", "sans-bold"),
]


# --------------------------------------------------------------------------- what is printed

@dataclass
class Certificate:
    """One issued certificate: ``form`` is what its programme's certificates share, ``person`` the rest."""
    cohort: str
    organisation: str
    number: str
    kind: str  # certificate | internship_certificate
    in_force: bool  # neither revoked nor replaced: goes into the batch for printing
    issued: dt.date | None
    form: dict = field(repr=False)
    person: dict = field(repr=False)

    @property
    def file(self) -> str:
        return f"certificates/{self.organisation}/{safe_name(self.number)}.pdf"


def issuer_domain(site_url: str) -> str:
    """The issuer's domain as printed beside the QR code (``https://kurs.example.kz/sub/`` ->
    ``kurs.example.kz``): what a verifier compares with the address bar and types in himself.
    An IDN host is printed in Unicode. Empty when ``site_url`` has no host."""
    host = urlsplit(site_url or "").hostname or ""
    try:
        return host.encode("ascii").decode("idna") if host.startswith("xn--") or ".xn--" in host else host
    except UnicodeError:
        return host


def printed_address(site_url: str, url: str) -> tuple[str, str]:
    """An address of the issuer's site as printed beside the QR code: (the issuer's domain, the rest)
    without the scheme, e.g. ``https://kurs.example.kz/sub/v/AbC/`` -> (``kurs.example.kz``,
    ``/sub/v/AbC/``); a browser given the two typed one after the other opens the same page."""
    parts = urlsplit(url)
    return issuer_domain(site_url), parts.path + (f"?{parts.query}" if parts.query else "")


def safe_name(number: str) -> str:
    """A registration number as a file name: letters, digits, '.', '_' and '-' only."""
    name = re.sub(r"[^\w.-]+", "_", str(number), flags=re.UNICODE).strip("._")
    return name or "certificate"


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def issued_text(d: dt.date | None) -> dict:
    """«17» қазан 2025 жыл / «17» октября 2025 года (the forms' "Берілген күні" line): {"kk", "ru"}."""
    return dict(_issued_text(d))


@functools.lru_cache(maxsize=1024)
def _issued_text(d: dt.date | None) -> tuple:
    if d is None:
        return (("kk", ""), ("ru", ""))
    return tuple((lang, _labels()[lang]["issued_date"].format(day=f"{d.day:02d}", month=format_date(d, "MMMM", locale=lang),
                                                               year=d.year)) for lang in ("kk", "ru"))


QR_MASK = 2  # a fixed mask: any mask decodes; choosing the "best" of 8 costs 6 ms a code in pure Python


@functools.lru_cache(maxsize=4096)
def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's modules (rows of booleans, dark = True), with the 4-module quiet zone (error
    correction M). Remembered for the last 4,096 addresses: a cohort's certificates are drawn twice
    (the full PDF and the values for pre-printed blanks), and pure-Python encoding costs 1 to 2 ms."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1, mask_pattern=QR_MASK)
    qr.add_data(data)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def _runs(matrix):
    for y, row in enumerate(matrix):
        x, n = 0, len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                yield y, start, x - start
            else:
                x += 1


def qr_svg(data: str) -> Markup:
    """The QR code as an inline SVG (for the one-document-per-certificate rendering)."""
    matrix = qr_matrix(data)
    n = len(matrix)
    path = "".join(f"M{x} {y}h{w}v1h-{w}z" for y, x, w in _runs(matrix))
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges">'
                  f'<rect width="{n}" height="{n}" fill="#fff"/><path fill="#000" d="{path}"/></svg>')


def qr_ops(matrix, x: float, top: float, size: float, page_height: float) -> bytes:
    """PDF operators drawing a QR code (``qr_matrix``) in the square (x, top, size), points from the top-left."""
    n = len(matrix)
    m = size / n
    bottom = page_height - top - size
    ops = [f"q 1 g {x:.3f} {bottom:.3f} {size:.3f} {size:.3f} re f 0 g"]
    for y, col, w in _runs(matrix):
        ops.append(f"{x + col * m:.3f} {bottom + (n - 1 - y) * m:.3f} {w * m:.3f} {m:.3f} re")
    ops.append("f Q")
    return ("\n".join(ops) + "\n").encode("ascii")


def logo_svg(short: str) -> Markup:
    """A monogram in place of the organisation's logo: its short name in a double ring."""
    short = (short or "").strip() or "?"
    size = min(28.0, 84.0 / max(len(short), 1))
    dots = "".join(
        f'<circle cx="{50 + 44 * c:.2f}" cy="{50 + 44 * s:.2f}" r="1.3" fill="#b08d3c"/>'
        for c, s in ((1, 0), (0.7071, 0.7071), (0, 1), (-0.7071, 0.7071), (-1, 0), (-0.7071, -0.7071), (0, -1),
                     (0.7071, -0.7071)))
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<circle cx="50" cy="50" r="48" fill="#fff" stroke="#1f3a68" stroke-width="2.5"/>'
        '<circle cx="50" cy="50" r="40" fill="none" stroke="#b08d3c" stroke-width="1"/>'
        f'{dots}'
        f'<text x="50" y="{50 + size * 0.36:.2f}" text-anchor="middle" font-family="Cert Sans" font-weight="bold" '
        f'font-size="{size:.2f}" fill="#1f3a68">{escape(short)}</text></svg>')


def scale_words(programme: dict) -> dict[int, str]:
    """{grade: its Kazakh word} from the programme's assessment scales (``assessment.*.scale``: the seed
    programme's «5» үздік, «4» жақсы, «3» қанағаттанарлық), lower-cased; the first scale naming a grade wins."""
    out: dict[int, str] = {}
    assessment = programme.get("assessment") if isinstance(programme.get("assessment"), dict) else {}
    for part in assessment.values():
        for row in (part.get("scale") or []) if isinstance(part, dict) else []:
            if isinstance(row, dict) and isinstance(row.get("grade"), int) and isinstance(row.get("label"), str):
                out.setdefault(row["grade"], row["label"].strip().lower())
    return out


def grade_text(grade, own: dict[int, str]) -> str:
    """A module's grade with its words, Kazakh / Russian: "5 (үздік / отлично)". The Kazakh word from the
    programme's scale (``own``, :func:`scale_words`), else ``grade_words`` of the label file; the Russian
    from the label file. A grade without words, or no grade ("—"), is printed as it is."""
    if not isinstance(grade, int):
        return str(grade)
    labels = _labels()
    kk = own.get(grade) or (labels["kk"].get("grade_words") or {}).get(grade)
    ru = (labels["ru"].get("grade_words") or {}).get(grade)
    words = " / ".join(w for w in (kk, ru) if w)
    return f"{grade} ({words})" if words else str(grade)


def _void(cert: dict) -> dict | None:
    labels = _labels()
    revoked = cert.get("revoked")
    if isinstance(revoked, dict):
        d = _date(revoked.get("date"))
        detail = f"{d.isoformat() if d else ''} {revoked.get('reason') or ''}".strip()
        return {"kk": labels["kk"]["revoked"], "ru": labels["ru"]["revoked"], "detail": detail}
    if cert.get("replaced_by"):
        return {"kk": labels["kk"]["replaced"], "ru": labels["ru"]["replaced"], "detail": f"→ {cert['replaced_by']}"}
    return None


def collect(ds, facts, site_url: str, cohort: str | None = None) -> list[Certificate]:
    """Every issued certificate (of one cohort), by cohort, then by holder in the alphabetical order of the
    cohort's language (the order of a printed batch)."""
    out = []
    orgs: dict[str, dict] = {}
    for lf in facts.listeners:
        if cohort is not None and lf.cohort.id != cohort:
            continue
        cf = certificate_facts(lf, ds)
        if cf is None:
            continue
        cert = lf.data["certificate"]
        oid = cf["organisation"]["id"]
        if oid not in orgs:
            org = ds.organisations[oid].data
            rules = facts.rules.get(oid)
            signer = rules.value("certificate_signer") if rules else None
            seal = rules.value("certificate_seal") if rules else None
            short = text_of(org.get("short_name"), "kk") or text_of(org.get("name"), "kk")[:1]
            orgs[oid] = {
                "org": {"name": cf["organisation"]["name"], "head": (org.get("head") or {}).get("name") or "",
                        "short": short},
                "signer": signer if isinstance(signer, dict) else (org.get("head") or {}).get("title") or {},
                "seal": seal if isinstance(seal, dict) else {"kk": "", "ru": ""},
            }
        own_words = scale_words(lf.programme.data)
        lang = lf.cohort.data.get("language") if lf.cohort.data.get("language") in ("kk", "ru") else "kk"
        # the module names in the cohort's language (issue 13): the programme's title_ru for a Russian
        # cohort where it has one, else the module's (Kazakh) title
        titles_ru = {str(m.get("number")): m.get("title_ru")
                     for m in ((lf.programme.data.get("thematic_plan") or {}).get("modules") or [])}
        modules = [{"number": m["number"],
                    "title": (titles_ru.get(str(m["number"])) if lang == "ru" else None) or m["title"],
                    "hours": m["hours"]} for m in cf["modules"]]
        start, end = _date(cf["start"]), _date(cf["end"])
        form = {
            **orgs[oid], "kind": cf["kind"], "topic": cf["programme"]["title"], "hours": cf["hours"],
            "modules": modules, "module_hours": sum(m["hours"] for m in modules if isinstance(m["hours"], int)),
            "enterprise": cf.get("enterprise"),
            "period": f"{start:%d.%m.%Y} – {end:%d.%m.%Y}" if start and end and cf.get("enterprise") else "",
            "gender": holder_gender(lf.data),  # прошёл / прошла: one form per programme and gender
            "domain": issuer_domain(site_url),
            # the check page (generators/check_pages.py) as the verifier types it: domain and path
            "check_address": "".join(printed_address(site_url, urljoin(site_url or "", "check/"))),
        }
        holder = " ".join(p for p in (cf["holder"].get("surname"), cf["holder"].get("given"),
                                      cf["holder"].get("patronymic")) if p)
        issued = _date(cf["issued"])
        void = _void(cert)
        person = {
            "number": cf["number"], "holder": holder, "issued": issued_text(issued),
            "grades": [grade_text(m["grade"], own_words) if m["grade"] is not None else "—" for m in cf["modules"]],
            "url": verification_url(site_url, cert["token"]), "fingerprint": fingerprint(cf), "void": void,
            "url_path": printed_address(site_url, verification_url(site_url, cert["token"]))[1],
            "control_code": control_code(cert["token"]),
        }
        out.append((lf.cohort.id, name_sort_key(cf["holder"], lang), lf.ref,
                    Certificate(lf.cohort.id, oid, str(cf["number"]), cf["kind"], void is None, issued, form, person)))
    return [c for *_, c in sorted(out, key=lambda t: t[:3])]


# --------------------------------------------------------------------------- labels, templates, fonts

_LABELS: dict = {}


def _labels() -> dict:
    if not _LABELS:
        import yaml
        _LABELS.update(yaml.safe_load((TEMPLATES / "labels.yaml").read_text(encoding="utf-8")))
    return _LABELS


def face_key(family: str, bold: bool, italic: bool) -> str:
    """The face (a key of FACES) for a CSS family, weight and style."""
    key = ("sans" if family == "Cert Sans" or family == "sans" else "serif") + ("-bold" if bold else "")
    return key + "-italic" if italic and key + "-italic" in FACES else key


@dataclass(frozen=True)
class Slot:
    """The place of a value on a page of the form (points from the page's top-left corner) and its style."""
    page: int
    x: float
    y: float
    w: float
    h: float
    style: TextStyle


@dataclass
class Form:
    """A programme's certificate laid out once: its pages as Form XObjects and the places of its slots."""
    block: FormBlock
    sizes: list[tuple[float, float]]  # page sizes, points
    slots: dict[str, Slot]


def _text_style(style) -> TextStyle:
    """The text style of a laid-out box (WeasyPrint's computed values, CSS px) in points."""
    size = style["font_size"] * PX
    lh = style["line_height"]
    if isinstance(lh, (int, float)):
        line_height = lh * size
    elif isinstance(lh, tuple) and len(lh) == 2 and lh[1] == "px":
        line_height = lh[0] * PX
    else:  # normal: the font's ascent and descent
        line_height = 1.164 * size
    ls = style["letter_spacing"]
    align = style["text_align_all"]
    align = {"start": "left", "end": "right", "justify": "left"}.get(align, align)
    color = tuple(round(max(0.0, min(1.0, float(v))), 4) for v in style["color"].coordinates[:3])
    return TextStyle(face_key(style["font_family"][0], style["font_weight"] >= 600, style["font_style"] != "normal"),
                     round(size, 4), round(line_height, 4), color, align,
                     0.0 if ls == "normal" else round(ls * PX, 4))


class Renderer(WeasyRenderer):
    """The Jinja2 environment, the fonts and the stylesheet, made once; each programme's form laid
    out once and kept; the faces and their subsets for the text drawn over the forms."""

    def __init__(self, cache=None):
        """``cache``: the build's biliktilik.build.cache.OutputCache (or None): each programme's laid-out
        form is kept there, so that a rebuild draws on it without loading WeasyPrint."""
        super().__init__(TEMPLATES, [(family, weight, style, FACES[key]) for family, weight, style, key in _FONT_FACES],
                         "the certificates", keep_trailing_newline=True)
        self.env.globals["L"] = _labels()
        self._css = None
        self.cache = cache
        self.forms: dict[str, Form] = {}
        self._faces: dict[str, Face] = {}

    @property
    def css(self):
        """The certificates' stylesheet, parsed once on first use (WeasyPrint is imported then)."""
        if self._css is None:
            from weasyprint import CSS

            self._css = CSS(string=self.font_css + "\n" + (TEMPLATES / "certificates.css").read_text(encoding="utf-8"),
                            base_url=str(TEMPLATES), font_config=self.font_config)
        return self._css

    def face(self, key: str) -> Face:
        if key not in self._faces:
            self._faces[key] = Face(FONTS / FACES[key], self.cache)
        return self._faces[key]

    def html(self, template: str, **context) -> str:
        try:
            return self.env.get_template(template).render(**context)
        except jinja2.TemplateError as exc:
            raise BuildError(f"template {template}: {exc.__class__.__name__}: {exc}") from exc

    def document(self, html: str):
        from weasyprint import HTML

        return HTML(string=html, base_url=str(TEMPLATES)).render(stylesheets=[self.css], font_config=self.font_config)

    def view(self, c: Certificate, mode: str) -> dict:
        v = {**c.form, **c.person}
        v["org"] = {**c.form["org"], "logo": logo_svg(c.form["org"]["short"])}
        v["modules"] = [{**m, "grade": grade if mode == "full" else ""}
                        for m, grade in zip(c.form["modules"], c.person["grades"])]
        v["qr"] = qr_svg(c.person["url"]) if mode == "full" else ""
        if mode == "form":
            v.update(number="", holder="", issued={"kk": "", "ru": ""}, url="", url_path="", fingerprint="", control_code="",
                     void=None)
        return v

    def form(self, c: Certificate) -> Form:
        """The form of ``c``'s programme (all that its certificates share), laid out on first use, or
        read from the build's cache (``FORM_KIND``: its PDF, page sizes and slots) where an earlier
        build laid it out with the same templates, fonts and code."""
        key = json.dumps(c.form, ensure_ascii=False, sort_keys=True)
        if key not in self.forms:
            from pypdf import PdfReader

            cache_key = self.cache.key(FORM_KIND, key) if self.cache is not None else None
            kept = dict(self.cache.get(FORM_KIND, cache_key) or ()) if cache_key else {}
            try:  # an entry that does not read as one (damaged on disk) is laid out again
                pdf, meta = kept["form.pdf"], json.loads(kept["form.json"])
                sizes = [tuple(size) for size in meta["sizes"]]
                slots = {name: Slot(page, x, y, w, h, TextStyle(**{**style, "color": tuple(style["color"])}))
                         for name, (page, x, y, w, h, style) in meta["slots"].items()}
                words = list(meta["crowded"])
                block = FormBlock(PdfReader(io.BytesIO(pdf)))
            except Exception:  # noqa: BLE001 - any damage: a miss
                kept = {}
            if not kept:
                html = self.html("document.html", certificate=self.view(c, "form"), mode="form",
                                 title=c.form["topic"]["kk"])
                doc = self.document(html)
                slots = {}
                for i, page in enumerate(doc.pages):
                    for box in page._page_box.descendants(placeholders=True):
                        el = box.element
                        ident = el.get("id") if el is not None else None
                        if ident and ident.startswith("slot-") and ident[5:] not in slots and box.element_tag == "div":
                            slots[ident[5:]] = Slot(i, box.border_box_x() * PX, box.border_box_y() * PX,
                                                    box.border_width() * PX, box.border_height() * PX,
                                                    _text_style(box.style))
                words = crowded(doc)
                pdf, sizes = doc.write_pdf(), [(p.width * PX, p.height * PX) for p in doc.pages]
                if cache_key:
                    meta = {"sizes": sizes, "crowded": words,
                            "slots": {name: [s.page, s.x, s.y, s.w, s.h, dataclasses.asdict(s.style)]
                                      for name, s in slots.items()}}
                    self.cache.put(FORM_KIND, cache_key, [("form.pdf", pdf), ("form.json", json.dumps(meta).encode())])
                block = FormBlock(PdfReader(io.BytesIO(pdf)))
            _warn_if_crowded(words, c)
            self.forms[key] = Form(block, sizes, slots)
        return self.forms[key]


def crowded(doc) -> list[str]:
    """The words of the statement that run into the QR code's block on the first page of a laid-out
    certificate (a very long topic): what would print over the QR code or the codes beside it."""
    from weasyprint.formatting_structure.boxes import TextBox

    statement = check = None
    for box in doc.pages[0]._page_box.descendants(placeholders=True):
        classes = (box.element.get("class") or "").split() if box.element is not None else []
        if box.element_tag == "div" and "statement" in classes and statement is None:
            statement = box
        if box.element_tag == "div" and classes == ["check"] and check is None:
            check = box
    if statement is None or check is None:
        return []
    x0, y0 = check.border_box_x(), check.border_box_y()
    x1, y1 = x0 + check.border_width(), y0 + check.border_height()
    return [b.text for b in statement.descendants() if isinstance(b, TextBox)
            and b.position_x < x1 and b.position_x + b.width > x0 and b.position_y < y1 and b.position_y + b.height > y0]


def _warn_if_crowded(words: list[str], c: Certificate):
    if words:
        log.warning(_("certificates of {cohort}: the topic is too long for the page, «{words}» runs into the QR "
                      "code; shorten the programme's title or print onto the blank forms (--blank)").format(
                          cohort=c.cohort, words=" ".join(words)[:60]))


def _values(c: Certificate) -> dict[str, str]:
    """What is printed in each slot of ``c``'s form."""
    p = c.person
    values = {"number-c": p["number"], "number-ru-c": p["number"], "number-a": f"№ {p['number']}", "holder-c": p["holder"],
              "holder-a": p["holder"], "fingerprint-c": p["fingerprint"], "fingerprint-a": p["fingerprint"],
              "url-c": p["url_path"], "url-a": p["url_path"], "code-c": p["control_code"], "code-a": p["control_code"]}
    for suffix in ("c", "a"):
        values[f"issued-kk-{suffix}"] = p["issued"]["kk"]
        values[f"issued-ru-{suffix}"] = p["issued"]["ru"]
    for i, grade in enumerate(p["grades"]):
        values[f"grade-{i}"] = str(grade)
    return values


def _void_lines(renderer: Renderer, void: dict) -> list[tuple[str, str, float]]:
    """The stamp on a certificate that no longer stands: (face, text, size in points) per line."""
    lines = [("sans-bold", f"{void['kk']} / {void['ru']}", 20.0)]
    if void.get("detail"):
        lines += [("sans", line, 9.0) for line in wrap(renderer.face("sans"), void["detail"], 9.0, 130 * MM)]
    return lines


class _Page:
    """The content of one output page: the form (if any), the values, the QR code, a stamp."""

    def __init__(self, renderer: Renderer, width: float, height: float, fonts: dict[str, Subset]):
        self.renderer, self.width, self.height, self.fonts = renderer, width, height, fonts
        self.ops: list[bytes] = []
        self.used: set[str] = set()

    def name(self, face: str) -> str:
        self.used.add(face)
        return "V" + str(sorted(self.fonts).index(face))

    def text(self, text: str, style: TextStyle, x: float, top: float, width: float, size: float | None = None):
        if text:
            face = self.renderer.face(style.face)
            self.ops.append(text_ops(face, self.name(style.face), self.fonts[style.face], text, style, x, top,
                                     width, self.height, size))

    def fitted(self, text: str, style: TextStyle, width: float) -> float:
        """The style's size, or smaller where the text would not fit on one line of ``width``."""
        w = self.renderer.face(style.face).width(text, style.size, style.spacing)
        return style.size if w <= width or w == 0 else max(style.size * width / w, style.size * 0.5)

    def void(self, void: dict | None):
        if not void:
            return
        lines = _void_lines(self.renderer, void)
        widths = [self.renderer.face(f).width(t, s) for f, t, s in lines]
        pad = 6 * MM
        w = max(widths) + 2 * pad
        h = sum(s * 1.2 for _, _, s in lines) + 2 * 2 * MM
        angle = math.radians(12)
        cos, sin = math.cos(angle), math.sin(angle)
        cx, cy = self.width * 0.5, self.height * 0.4  # over the statement: the name stays legible
        ops = [f"q {cos:.5f} {sin:.5f} {-sin:.5f} {cos:.5f} {cx:.3f} {cy:.3f} cm",
               f"1 g {-w / 2:.3f} {-h / 2:.3f} {w:.3f} {h:.3f} re f",
               f"0.702 0.149 0.118 RG {1.2 * MM:.3f} w {-w / 2:.3f} {-h / 2:.3f} {w:.3f} {h:.3f} re S"]
        self.ops.append(("\n".join(ops) + "\n").encode("ascii"))
        top = h / 2 - 2 * MM  # y grows upwards inside the stamp
        for (face, text, size), width in zip(lines, widths):
            style = TextStyle(face, size, size * 1.2, (0.702, 0.149, 0.118), "center")
            # text_ops counts from the top of a page of height 0: baseline at -(top offset)
            self.ops.append(text_ops(self.renderer.face(face), self.name(face), self.fonts[face], text, style,
                                     -w / 2, -top, w, 0.0))
            top -= size * 1.2
        self.ops.append(b"Q\n")

    def content(self, form_xobject: bool) -> bytes:
        return (b"q /F0 Do Q\n" if form_xobject else b"") + b"".join(self.ops)


def _faces_of(renderer: Renderer, texts: dict[str, set[str]]) -> dict[str, Subset]:
    """For each face, the subset holding every character its texts use."""
    return {face: renderer.face(face).subset("".join(sorted(chars))) for face, chars in sorted(texts.items())}


def _pdf_date(d: dt.date | None) -> str:
    d = d or dt.date(2000, 1, 1)
    return f"D:{d:%Y%m%d}000000Z"


def _info(title: str, author: str, date: dt.date | None) -> dict[str, str]:
    return {"Title": title, "Author": author, "Creator": "Biliktilik", "Producer": "Biliktilik (WeasyPrint)",
            "CreationDate": _pdf_date(date), "ModDate": _pdf_date(date)}


def _emit(target: Document, page: _Page, form: Form | None, index: int):
    """Add ``page`` to ``target``: the form's page ``index`` as XObject F0, the fonts it uses as V0, V1..."""
    xobjects = {"F0": target.add(form.block) + index} if form is not None else None
    fonts = {page.name(f): target.add(page.fonts[f]) for f in sorted(page.used)}
    target.page(page.width, page.height, page.content(form is not None), xobjects, fonts)


def render_cohort(renderer: Renderer, certs: list[Certificate], cohort: str, blank: bool = False,
                  positions: dict | None = None) -> dict[str, bytes]:
    """The PDFs of one cohort's certificates: {path under print/: bytes}."""
    if not certs:
        return {}
    author = " / ".join(sorted({c.form["org"]["name"]["kk"] for c in certs}))
    last = max((c.issued for c in certs if c.issued), default=None)
    if blank:
        return _render_blank(renderer, [c for c in certs if c.in_force], cohort, positions, author, last)
    forms = [renderer.form(c) for c in certs]
    values = [_values(c) for c in certs]
    texts: dict[str, set[str]] = {}
    for c, form, vals in zip(certs, forms, values):
        for name, slot in form.slots.items():
            texts.setdefault(slot.style.face, set()).update(vals.get(name, ""))
        if c.person["void"]:
            for face, text, _ in _void_lines(renderer, c.person["void"]):
                texts.setdefault(face, set()).update(text)
    fonts = _faces_of(renderer, texts)
    out: dict[str, bytes] = {}
    batch = Document()
    printable = 0
    for c, form, vals in zip(certs, forms, values):
        single = Document()
        matrix = qr_matrix(c.person["url"])
        for i, (w, h) in enumerate(form.sizes):
            page = _Page(renderer, w, h, fonts)
            for name, slot in form.slots.items():
                if slot.page != i:
                    continue
                if name.startswith("qr-"):
                    page.ops.append(qr_ops(matrix, slot.x, slot.y, slot.w, h))
                elif name in vals:
                    size = page.fitted(vals[name], slot.style, slot.w) if name.startswith(("holder-", "grade-", "url-")) else None
                    page.text(vals[name], slot.style, slot.x, slot.y, slot.w, size)
            page.void(c.person["void"])
            _emit(single, page, form, i)
            if c.in_force:
                _emit(batch, page, form, i)
        printable += c.in_force
        if c.file in out:
            raise BuildError(f"two certificates of cohort {cohort} want the same file print/{c.file}; "
                             f"registration numbers must be unique within an organisation")
        out[c.file] = single.bytes(_info(f"{c.person['holder']}: {c.number}", c.form["org"]["name"]["kk"], c.issued))
    if printable:
        out[f"certificates/{cohort}.pdf"] = batch.bytes(_info(f"{cohort}: certificates", author, last))
    return out


def _blank_fields(c: Certificate, layout: dict) -> list[tuple[str, TextStyle, dict]]:
    """The fields of one blank: (text, style, field) with positions in points."""
    v = {**c.form, **c.person}
    texts = {"holder": v["holder"], "hours": str(v["hours"]), "head": v["org"]["head"], "number": v["number"],
             "fingerprint": v["fingerprint"], "control_code": v["control_code"], "domain": v["domain"]}
    out = []
    for f in layout["fields"]:
        if f["name"] == "qr":
            continue
        if f["name"] == "topic":
            text = v["topic"].get(f["lang"]) or v["topic"].get("kk")
        elif f["name"] == "issued":
            text = v["issued"].get(f["lang"]) or v["issued"]["kk"]
        else:
            text = texts[f["name"]]
        style = TextStyle(face_key(f["font"], f["bold"], f["italic"]), float(f["size"]), float(f["size"]) * 1.25,
                          (0.0, 0.0, 0.0), f["align"] if f["width"] else "left")
        out.append((text, style, f))
    return out


def _render_blank(renderer, certs, cohort, positions, author, last) -> dict[str, bytes]:
    if not certs:
        return {}
    positions = positions if positions is not None else load_positions()
    layouts = {}
    plans = []
    texts: dict[str, set[str]] = {}
    for c in certs:
        key = (c.organisation, c.kind)
        if key not in layouts:
            layouts[key] = blank_layout(positions, c.organisation, c.kind)
        fields = _blank_fields(c, layouts[key])
        for text, style, _slot in fields:
            texts.setdefault(style.face, set()).update(text)
        plans.append((c, layouts[key], fields))
    fonts = _faces_of(renderer, texts)
    doc = Document()
    for c, lay, fields in plans:
        w, h = lay["width"] * MM, lay["height"] * MM
        page = _Page(renderer, w, h, fonts)
        for text, style, f in fields:
            x, top = f["x"] * MM, f["y"] * MM
            width = (f["width"] or 0) * MM
            if f["name"] == "topic" and width:
                for line in wrap(renderer.face(style.face), text, style.size, width):
                    page.text(line, style, x, top, width)
                    top += style.line_height
            else:
                size = page.fitted(text, style, width) if f["name"] == "holder" and width else None
                page.text(text, style, x, top, width, size)
        qr = next((f for f in lay["fields"] if f["name"] == "qr"), None)
        if qr:
            page.ops.append(qr_ops(qr_matrix(c.person["url"]), qr["x"] * MM, qr["y"] * MM, qr["size"] * MM, h))
        _emit(doc, page, None, 0)
    return {f"certificates-blank/{cohort}.pdf": doc.bytes(_info(f"{cohort}: blank forms", author, last))}


def render_naive(renderer: Renderer, c: Certificate) -> bytes:
    """The baseline of bench/certificate_pdfs.py: one whole WeasyPrint document per certificate."""
    html = renderer.html("document.html", certificate=renderer.view(c, "full"), mode="full",
                         title=f"{c.person['holder']}: {c.number}")
    return renderer.document(html).write_pdf()


# --------------------------------------------------------------------------- blank forms

_FIELD_KEYS = {"x", "y", "width", "size", "align", "bold", "italic", "font", "lang"}
_FIELDS = ("holder", "topic", "hours", "head", "number", "issued", "qr", "fingerprint", "control_code", "domain")


def load_positions(path: Path = POSITIONS) -> dict:
    """The blank-form positions; a mistake in them is a finding with file:line:column."""
    from biliktilik.findings import Finding
    from biliktilik.load.yamlload import load_file, position

    try:
        display = Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        display = str(path)
    findings: list[Finding] = []
    data = load_file(Path(path), display, findings)

    def bad(container, key, message, of_key=False):
        line, col = position(container, key, of_key=of_key)
        findings.append(Finding(display, line, col, "error", "certificates.blank-positions", message))

    def number(container, key, what):
        if key in container and (not isinstance(container[key], (int, float)) or isinstance(container[key], bool)):
            bad(container, key, f"{what} must be a number, got {container[key]!r}")

    if isinstance(data, dict):
        for key in data:
            if key not in ("default", "organisations"):
                bad(data, key, f"unknown key '{key}'; expected default or organisations", of_key=True)
        sections = [data.get("default")] + list((data.get("organisations") or {}).values())
        for section in sections:
            if section is None:
                continue
            if not isinstance(section, dict):
                bad(data, None, "expected a mapping of page, offset, certificate, internship_certificate")
                continue
            for kind, fields in section.items():
                if kind in ("page", "offset"):
                    if not isinstance(fields, dict):
                        bad(section, kind, f"{kind} must be a mapping")
                        continue
                    for k in fields:
                        if k not in (("width", "height") if kind == "page" else ("x", "y")):
                            bad(fields, k, f"unknown key '{k}' of {kind}", of_key=True)
                        number(fields, k, f"{kind}.{k} (mm)")
                    continue
                if kind not in ("certificate", "internship_certificate"):
                    bad(section, kind, f"unknown key '{kind}'; expected page, offset, certificate or internship_certificate", of_key=True)
                    continue
                if not isinstance(fields, dict):
                    bad(section, kind, f"{kind} must be a mapping of fields")
                    continue
                for name, spec in fields.items():
                    if name not in _FIELDS:
                        bad(fields, name, f"unknown field '{name}'; expected one of {', '.join(_FIELDS)}", of_key=True)
                    elif spec is not None and not isinstance(spec, dict):
                        bad(fields, name, f"field '{name}' must be a mapping (x, y, size, ...) or null")
                    elif spec:
                        for k in spec:
                            if k not in _FIELD_KEYS:
                                bad(spec, k, f"unknown setting '{k}' of field '{name}'; "
                                             f"expected one of {', '.join(sorted(_FIELD_KEYS))}", of_key=True)
                            elif k in ("x", "y", "width", "size"):
                                number(spec, k, f"'{k}' of field '{name}'")
                        for k, allowed in (("align", ("left", "center", "right")), ("font", ("serif", "sans")),
                                           ("lang", ("kk", "ru"))):
                            if k in spec and spec[k] not in allowed:
                                bad(spec, k, f"'{k}' of field '{name}' must be one of {', '.join(allowed)}")
    elif data is not None:
        bad(data, None, "expected a mapping with default and organisations")
    if findings or data is None:
        raise InvalidData(findings)
    return data


def _merge(base, over):
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base.get(k), v) if v is not None else None
    return out


def blank_layout(positions: dict, organisation: str, kind: str) -> dict:
    """The page size (mm) and the fields of one organisation's blank of one kind, offset applied."""
    conf = _merge(positions.get("default") or {}, (positions.get("organisations") or {}).get(organisation) or {})
    page = conf.get("page") or {}
    off = conf.get("offset") or {}
    fields = []
    for name in _FIELDS:
        spec = (conf.get(kind) or {}).get(name)
        if not spec or "x" not in spec or "y" not in spec:
            continue
        fields.append({"name": name, "x": spec["x"] + off.get("x", 0), "y": spec["y"] + off.get("y", 0),
                       "width": spec.get("width"), "size": spec.get("size", 26 if name == "qr" else 11),
                       "align": spec.get("align", "left"), "bold": bool(spec.get("bold")),
                       "italic": bool(spec.get("italic")), "font": spec.get("font", "serif"),
                       "lang": spec.get("lang", "kk")})
    return {"width": page.get("width", 297), "height": page.get("height", 210), "fields": fields}


def iter_files(ds, facts, site_url: str, cohort: str | None = None, plain: bool = True, blank: bool = True,
               renderer: Renderer | None = None):
    """(path under print/, bytes) of every certificate PDF, cohort by cohort (so that a national data
    set never holds more than one cohort's PDFs in memory)."""
    certs = collect(ds, facts, site_url, cohort)
    by_cohort: dict[str, list[Certificate]] = {}
    for c in certs:
        by_cohort.setdefault(c.cohort, []).append(c)
    renderer = renderer or Renderer()
    positions = load_positions() if blank and any(c.in_force for c in certs) else None
    for cid in sorted(by_cohort):
        if plain:
            yield from sorted(render_cohort(renderer, by_cohort[cid], cid).items())
        if blank:
            yield from sorted(render_cohort(renderer, by_cohort[cid], cid, blank=True, positions=positions).items())
        log.info("certificates: %s: %d certificate(s)", cid, len(by_cohort[cid]))


def render_all(ds, facts, site_url: str, **options) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for rel, data in iter_files(ds, facts, site_url, **options):
        if rel in out:
            raise BuildError(f"two certificates want the same file print/{rel}")
        out[rel] = data
    return out


CACHE_KIND = "certificates"
FORM_KIND = "certificate-form"  # a programme's laid-out form in the output cache (Renderer.form)
PARALLEL_FROM = 4  # cohorts to render; below this a pool costs more than it saves
CHUNK_COHORTS = 16  # at most this many cohorts of one programme go to a worker at once
_JOB: tuple | None = None  # (renderer, groups, positions): set before the worker processes fork


def _cohort_files(i: int) -> list[tuple[str, bytes]]:
    """(rel, PDF) of cohort ``i``: each certificate with its annex, the cohort's batch, and the
    variable fields for the blank forms, sorted by path."""
    renderer, groups, positions = _JOB
    cid, certs = groups[i]
    out = sorted(render_cohort(renderer, certs, cid).items())
    if positions is not None:
        out += sorted(render_cohort(renderer, certs, cid, blank=True, positions=positions).items())
    return out


_LAST_PROGRAMME: list = [None]  # in a worker: the programme of its last chunk


def _chunk_files(chunk: list[int]) -> list[tuple[int, list[tuple[str, bytes]]]]:
    """``_cohort_files`` of each cohort of ``chunk`` (cohorts that share their programme's forms).
    A worker forgets the forms of its previous programme first, so its memory holds one
    programme's forms, not the whole country's."""
    renderer, groups, _positions = _JOB
    programme = _programme_of(groups[chunk[0]][1])
    if programme != _LAST_PROGRAMME[0]:
        renderer.forms.clear()
        _LAST_PROGRAMME[0] = programme
    return [(i, _cohort_files(i)) for i in chunk]


def _programme_of(certs: list[Certificate]) -> str:
    """What a cohort's forms depend on besides the holder's gender (organisation, topic, hours,
    modules...): cohorts with the same value share their laid-out forms."""
    form = {k: v for k, v in certs[0].form.items() if k != "gender"}
    return json.dumps(form, ensure_ascii=False, sort_keys=True)


def chunks_by_programme(groups: list[tuple[str, list[Certificate]]], todo: list[int],
                        size: int = CHUNK_COHORTS) -> list[list[int]]:
    """``todo`` (indices into ``groups``, cohort by cohort) cut into chunks of at most ``size``
    cohorts of one programme, in the order of their first cohort. Laying out a programme's form
    with WeasyPrint (about half a second of CPU) costs far more than drawing a certificate on it,
    and each worker process keeps the forms it laid out: sending a programme's cohorts to one
    worker lays out each form once in the whole build instead of once per worker."""
    by_programme: dict[str, list[int]] = {}
    for i in todo:
        by_programme.setdefault(_programme_of(groups[i][1]), []).append(i)
    return [same[k:k + size] for same in by_programme.values() for k in range(0, len(same), size)]


def files(ctx):
    """print/certificates/ of a build, cohort by cohort: a cohort whose certificates (with their status,
    the site address and the code through the cache's code version) are in ``ctx.cache`` is put back
    from there as hard links to its blobs (nothing read or written); the others are rendered by ``ctx.jobs`` worker processes (fork), a programme's cohorts
    by one worker (``chunks_by_programme``), and each cohort's PDFs are written as soon as they are
    made, so memory holds a few cohorts' PDFs, never all of them."""
    global _JOB
    from biliktilik.progress import QUIET

    cache, progress = getattr(ctx, "cache", None), getattr(ctx, "progress", None) or QUIET
    workers = getattr(ctx, "jobs", 1) or 1
    certs = collect(ctx.dataset, ctx.facts, ctx.site_url)
    by_cohort: dict[str, list[Certificate]] = {}
    for c in certs:
        by_cohort.setdefault(c.cohort, []).append(c)
    groups = [(cid, by_cohort[cid]) for cid in sorted(by_cohort)]
    positions = load_positions() if any(c.in_force for c in certs) else None
    keys = [cache.key(CACHE_KIND, ctx.site_url, cid, group, positions is not None) for cid, group in groups] \
        if cache is not None else [None] * len(groups)
    todo = []
    with progress.stage(_("certificate PDFs"), total=len(certs)) as advance:
        for i, (cid, group) in enumerate(groups):
            # a hit: hard links to the cache's blobs, each path claimed first (a path twice is refused)
            if cache is None or cache.link(CACHE_KIND, keys[i], ctx.print.root, claim=ctx.print.claim) is None:
                todo.append(i)
                continue
            advance(len(group))
        log.info("certificates: %d certificate(s), %d of %d cohort(s) rendered", len(certs), len(todo), len(groups))
        if not todo:
            return
        _JOB = (Renderer(cache), groups, positions)
        try:
            def done(i, produced):
                if cache is None:
                    for rel, data in produced:
                        ctx.print.write(rel, data)
                else:
                    for rel, _data in produced:
                        ctx.print.claim(rel)
                    cache.store(CACHE_KIND, keys[i], produced, ctx.print.root)  # blobs, linked into print/
                advance(len(groups[i][1]))
                log.info("certificates: %s: %d certificate(s)", groups[i][0], len(groups[i][1]))

            chunks = chunks_by_programme(groups, todo)
            if len(todo) < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
                for chunk in chunks:
                    for i, produced in _chunk_files(chunk):
                        done(i, produced)
            else:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for results in pool.imap_unordered(_chunk_files, chunks):
                        for i, produced in results:
                            done(i, produced)
        finally:
            _JOB = None
