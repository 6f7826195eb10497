"""What the catalog and regulation generators share: page paths and links, Markdown/HTML
escaping, dates and numbers in Kazakh and Russian, hours classes, upcoming cohorts.

Page layout (the same relative paths in every language; kk at the site root, ru under ru/):

    index.md                     the catalog (all programmes, with filters)
    programmes/<id>.md           one programme; programmes/<id>.ics its upcoming cohorts
    organisations/index.md       all organisations; organisations/<id>.md one of them
    regulations/index.md         the documents; regulations/<doc>.md one document (anchors p24-3 ...)
    regulations/checks.md        what the validator checks, one row per regulation paragraph
    cohorts.ics                  every upcoming cohort; catalog.json (kk only) the open data

Nothing here reads the clock: "today" is ``ctx.facts.today`` (SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from biliktilik.project import LANGUAGES, labels
from biliktilik.texts import sort_key, text_of  # noqa: F401 (the kit's users take them from here)
from biliktilik.model.facts import cohort_deadline, fitting_hours_classes

# --------------------------------------------------------------------------- paths and links

INDEX = "index.md"
ORGS_INDEX = "organisations/index.md"
REGS_INDEX = "regulations/index.md"
CHECKS = "regulations/checks.md"
ABOUT = "about.md"


def programme_src(pid: str) -> str:
    return f"programmes/{pid}.md"


def programme_ics(pid: str) -> str:
    return f"programmes/{pid}.ics"


def organisation_src(oid: str) -> str:
    return f"organisations/{oid}.md"


def regulation_src(doc: str) -> str:
    return f"regulations/{doc}.md"


def url_of(src: str) -> str:
    """The site-relative URL MkDocs gives a docs file (use_directory_urls): a/b.md -> a/b/."""
    if not src.endswith(".md"):
        return src
    stem = src[:-3]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def md_link(from_src: str, to_src: str, anchor: str | None = None) -> str:
    """A Markdown link target from one docs file to another (MkDocs validates and rewrites it)."""
    rel = posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")
    return rel + (f"#{anchor}" if anchor else "")


def href(from_src: str, to_url: str) -> str:
    """A raw-HTML link from the page built from ``from_src`` to a site-relative URL (with #anchor)."""
    path, _, anchor = to_url.partition("#")
    base = url_of(from_src)
    rel = posixpath.relpath(path or ".", base.rstrip("/") or ".")
    if (path == "" or path.endswith("/")) and not rel.endswith("/"):
        rel = "./" if rel == "." else rel + "/"
    elif rel == ".":
        rel = "./"
    return rel + (f"#{anchor}" if anchor else "")


def root_href(from_src: str, lang: str, to_url: str, default: str = "kk") -> str:
    """A raw-HTML link to a file kept once at the site's root for all languages (site/forms/,
    catalog.json): a page of another language is one folder deeper (ru/...)."""
    return ("" if lang == default else "../") + href(from_src, to_url)


def source_src(rule_source) -> tuple[str, str]:
    """A rule's Source -> (docs file of its regulation page, anchor)."""
    return regulation_src(rule_source.document), rule_source.anchor


def edit_path(record, root: Path, folder: str) -> str:
    """The record's file relative to the repository (what the page's edit link opens)."""
    path = getattr(record, "path", None)
    if path is not None:
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return f"data/{folder}/{Path(record.file).name}"


def front_matter(**meta) -> str:
    """YAML front matter from plain strings/bools/lists (quoted safely)."""
    lines = ["---"]
    for key, value in meta.items():
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key}: {value}")
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"  - {_yaml_str(v)}" for v in value)
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {_yaml_str(v) if not isinstance(v, (bool, int, float)) else str(v).lower()}"
                         for k, v in value.items())
        else:
            lines.append(f"{key}: {_yaml_str(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def _yaml_str(s) -> str:
    return "'" + str(s).replace("'", "''").replace("\n", " ") + "'"


# --------------------------------------------------------------------------- escaping

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~^])")
_LIST_START = re.compile(r"^(\s*)(\d+)([.)])(\s)")


def esc_html(text) -> str:
    return html.escape(str(text), quote=True)


def esc_md(text) -> str:
    """Plain text -> Markdown that renders as exactly that text (one line, no markup)."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _LIST_START.sub(r"\1\2\\\3\4", s)
    if s.startswith(("-", "=", ":")):
        s = "\\" + s
    return s


def paragraphs(text) -> list[str]:
    """A folded YAML text -> its printed paragraphs (a blank line in the YAML is one "\\n")."""
    if text is None:
        return []
    if isinstance(text, list):
        out = []
        for t in text:
            out.extend(paragraphs(t))
        return out
    return [p.strip() for p in str(text).split("\n") if p.strip()]


def slug(text: str, n: int = 8) -> str:
    return hashlib.sha1(str(text).encode("utf-8")).hexdigest()[:n]


# --------------------------------------------------------------------------- words

_SITE = labels("site")  # templates/site/labels.yaml: every word below comes from there

LANG_NAMES = {lang: _SITE[lang]["languages"] for lang in LANGUAGES}  # lang -> language code -> its name
FORMAT_NAMES = {lang: _SITE[lang]["formats"] for lang in LANGUAGES}  # lang -> format -> name (file order)
MONTHS = {lang: _SITE[lang]["months"] for lang in LANGUAGES}  # lang -> 12 month names (genitive in Russian)
KIND_NAMES = {lang: _SITE[lang]["organisation_kinds"] for lang in LANGUAGES}  # lang -> organisation kind -> name


def _words(lang: str) -> dict:
    return _SITE[lang]["words"]


def _phrase(lang: str, key: str, **fields) -> str:
    return _SITE[lang]["phrases"][key].format(**fields)


def has_lang(value, lang: str) -> bool:
    return isinstance(value, dict) and bool(value.get(lang))


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a noun after the number ``n`` by the Russian rule (1, 21 -> one; 2-4, 22-24 -> few;
    0, 5-20, 25 ... -> many)."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def counted(n, lang: str, word: str) -> str:
    """``n`` and the noun ``word`` of templates/site/labels.yaml (``words``: hours, years, months, times,
    working_days) in the form the number asks for: "5 лет", "5 жыл"."""
    return _phrase(lang, "count", n=n, word=ru_plural(n, *_words(lang)[word]))


def hours_text(n, lang: str) -> str:
    """Academic hours in words: 72 -> "72 академиялық сағат" / "72 академических часа"; a fraction
    (1.5) takes the genitive singular in Russian."""
    n_str = f"{n:g}" if isinstance(n, float) else str(n)
    if isinstance(n, float) and n != int(n):
        return _phrase(lang, "count", n=n_str, word=_words(lang)["hours_fraction"])
    return _phrase(lang, "count", n=n_str, word=ru_plural(int(n), *_words(lang)["hours"]))


def short_hours(n, lang: str) -> str:
    """Hours abbreviated: "72 сағ." / "72 ч"."""
    n_str = f"{n:g}" if isinstance(n, float) else str(n)
    return _phrase(lang, "short_hours", n=n_str)


def years_text(n: int, lang: str) -> str:
    """Whole years in words: "5 жыл" / "5 лет"."""
    return counted(n, lang, "years")


def months_text(n: int, lang: str) -> str:
    """Whole months in words: "6 ай" / "6 месяцев"."""
    return counted(n, lang, "months")


def date_text(d: dt.date, lang: str) -> str:
    """A date as printed: "2026 ж. 9 наурыз" / "9 марта 2026 г."."""
    return _phrase(lang, "date", year=d.year, day=d.day, month=MONTHS[lang][d.month - 1])


def date_html(d: dt.date, lang: str) -> str:
    """A date that a phone's narrow line does not break in the middle."""
    return f'<time datetime="{d.isoformat()}">{esc_html(date_text(d, lang)).replace(" ", chr(0xA0))}</time>'


def range_text(a: dt.date, b: dt.date, lang: str) -> str:
    return f"{date_text(a, lang)} – {date_text(b, lang)}"


def month_day_text(mmdd: str, lang: str) -> str:
    """A yearly date "MM-DD" in words: "06-01" -> "1 маусым" / "1 июня"."""
    month, day = map(int, mmdd.split("-"))
    return _phrase(lang, "month_day", day=day, month=MONTHS[lang][month - 1])


def percent(x: float) -> str:
    return f"{x * 100:g}%"


def yes_no(v: bool, lang: str) -> str:
    """"иә"/"жоқ", "да"/"нет"."""
    return _words(lang)["yes" if v else "no"]


# --------------------------------------------------------------------------- rules applied to programmes


def hours_class(prog: dict, rules) -> dict | None:
    """The organisation's hours class a programme falls in (the most specific; see facts)."""
    classes = fitting_hours_classes(prog, rules)
    return classes[0] if classes else None


def class_range_text(c: dict, lang: str) -> str:
    """An hours class's range in words ("16–36 сағ.", "от 80 ч", "до 6 месяцев"); "" when it has none."""
    unit = _words(lang)["hours_unit"]
    if "min" in c and "max" in c:
        return _phrase(lang, "class_min_max", min=c["min"], max=c["max"], unit=unit)
    for key in ("min", "above", "max"):
        if key in c:
            return _phrase(lang, "class_" + key, unit=unit, **{key: c[key]})
    if "max_months" in c:
        n = c["max_months"]
        return _phrase(lang, "class_max_months", n=n, months=months_text(n, lang))
    return ""


def minutes_required(hours: int, rules) -> int | None:
    rule = rules.get("academic_hour_minutes") if rules is not None else None
    return hours * rule.value if rule is not None else None


def iso_duration(minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    return f"PT{h}H{m}M" if m else f"PT{h}H"


@dataclass
class Upcoming:
    """An upcoming cohort as the public sees it (no listener data: only how many seats are taken)."""
    record: object
    start: dt.date
    end: dt.date
    format: str
    language: str
    seats: int
    seats_left: int
    deadline: dt.date | None
    deadline_rule: object | None  # the rule the deadline comes from (None: the cohort's own date)
    city: dict | None
    group: str | None

    @property
    def id(self) -> str:
        return self.record.id

    def open(self, today: dt.date) -> bool:
        return self.deadline is None or self.deadline >= today


def upcoming_cohorts(ds, facts) -> dict[str, list[Upcoming]]:
    """programme id -> its cohorts that start after the build date, by start date."""
    today = facts.today
    out: dict[str, list[Upcoming]] = {}
    for cid, cohort in sorted(ds.cohorts.items()):
        c = cohort.data
        start, end = c.get("start"), c.get("end")
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or start <= today:
            continue
        deadline, rule = c.get("application_deadline"), None
        if not isinstance(deadline, dt.date):  # the listener list is due then (p. 14)
            due = cohort_deadline(facts, cohort, "listener_lists")
            deadline, rule = (due.date, due.rule) if due else (None, None)
        taken = len([x for x in c.get("listeners") or [] if isinstance(x, dict)])
        seats = int(c.get("seats") or 0)
        out.setdefault(c.get("programme"), []).append(Upcoming(
            cohort, start, end, c.get("format"), c.get("language"), seats, max(0, seats - taken),
            deadline, rule, c.get("city"), c.get("group")))
    for lst in out.values():
        lst.sort(key=lambda u: (u.start, u.id))
    return out


# --------------------------------------------------------------------------- rules in words

# rule key -> (Kazakh name, Russian name), in the label file's order (the catalog lists rules in it)
RULE_LABELS = {key: (kk, _SITE["ru"]["rules"].get(key, key)) for key, kk in _SITE["kk"]["rules"].items()}


def _group(group, lang: str) -> str:
    return _SITE[lang]["staff_groups"].get(group, group)


def rule_label(key: str, lang: str) -> str:
    """A rule's name for people ("Сертификаттың қолданылу мерзімі"); the key itself when it has none.
    Kazakh for "kk", Russian for any other language."""
    kk, ru = RULE_LABELS.get(key, (key, key))
    return kk if lang == "kk" else ru


def _value(lang: str, key: str, **fields) -> str:
    return _SITE[lang]["rule_values"][key].format(**fields)


def rule_value(rule, lang: str) -> list[str]:
    """A rule's value in words, as plain-text lines (Kazakh-only data stays Kazakh); the wording is
    ``rule_values`` of templates/site/labels.yaml. ``lang`` is "kk" or "ru"."""
    key, v = rule.key, rule.value
    lang = "kk" if lang == "kk" else "ru"
    if key == "academic_hour_minutes":
        return [_value(lang, key, v=v)]
    if key == "hours_classes":
        return [f"{text_of(c.get('name'), lang) or c.get('id')}: {class_range_text(c, lang)}" for c in v]
    if key == "formats":
        return [", ".join(FORMAT_NAMES[lang].get(f, f) for f in v)]
    if key in ("attendance_min", "final_test_min"):
        return [percent(v)]
    if key in ("certificate_validity_years",):
        return [years_text(v, lang)]
    if key == "monitoring_interval_years":
        return [_value(lang, key, v=v, years=years_text(v, lang))]
    if key == "certificate_validity_from":
        return [_SITE[lang]["rule_values"][key].get(v, str(v))]
    if key in ("certificate_signer", "certificate_seal"):
        return [text_of(v, lang)]
    if key in ("certificate_shows_hours", "certificate_qr", "post_course_plan"):
        return [yes_no(bool(v), lang)]
    if key in ("post_course_support_months", "post_course_report_due_months", "listener_lists_months_before"):
        return [_value(lang, key, v=v, months=months_text(v, lang))]
    if key == "reassessment_per_year":
        return [_value(lang, key, v=v, times=ru_plural(v, *_words(lang)["times"]))]
    if key in ("applications_due", "district_plans_due", "regional_plans_due", "staff_plan_due"):
        return [_value(lang, "annual_date", date=month_day_text(v, lang))]
    if key == "nobd_working_days":
        return [_value(lang, key, v=v, working_days=ru_plural(v, *_words(lang)["working_days"]))]
    if key == "group_min_applications":
        return [str(v)]
    if key == "course_hours":
        return [f"{text_of(k.get('name'), lang) or k.get('kind')}: {hours_text(k['hours'], lang)}" for k in v]
    if key == "trainer_requirements":
        return [str(x) for x in v]
    if key == "staff_obligations":
        out = []
        for ob in v:
            n = ob["interval_years"]
            every = _value(lang, "obligation_every", n=n, years=years_text(n, lang))
            extra = []
            if ob.get("min_hours"):
                extra.append(_value(lang, "obligation_min_hours", hours=hours_text(ob["min_hours"], lang)))
            if ob.get("area"):
                extra.append(str(ob["area"]))
            out.append(f"{_group(ob.get('staff_group'), lang)}: {every}" + (f" ({', '.join(extra)})" if extra else ""))
        return out
    if key == "competence_groups":
        return [f"{_group(g, lang)}: {', '.join(items)}" for g, items in v.items()]
    if key == "work_off":
        return [f"{row['printed']} → {months_text(row['months'], lang)}" for row in v]
    words = _SITE[lang].get("rule_words", {})
    if key == "abroad_max_months":
        return [_value(lang, key, months=months_text(v, lang))]
    if key == "staff_plan_notice_working_days":
        return [_value(lang, key, v=v, working_days=ru_plural(v, *_words(lang)["working_days"]))]
    if key == "trainers_max":
        return [_value(lang, key, v=v)]
    if key == "trainer_choice_min_experience_years":
        return [_value(lang, "min_years", years=years_text(v, lang))]
    if key == "staged_yearly":
        return [yes_no(bool(v), lang)]
    if key == "languages":
        return [", ".join(_SITE[lang]["languages"].get(x, x) for x in v)]
    if key == "trainer_categories":
        return [words.get(c.get("id"), c.get("id")) for c in v]
    if key in ("work_breaks", "expulsion_grounds", "expulsion_reimbursement"):
        return [words.get(x, x) for x in v]
    if key in ("repayment_employee_leaves", "repayment_employer_dismisses"):
        return [words.get(v, v)]
    if isinstance(v, list):
        return [str(x) for x in v]
    if isinstance(v, dict):
        return [text_of(v, lang)]
    return [str(v)]
