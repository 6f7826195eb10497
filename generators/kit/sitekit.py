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

from biliktilik.texts import text_of  # noqa: F401 (the kit's users take it from here)
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

LANG_NAMES = {
    "kk": {"kk": "қазақ тілі", "ru": "орыс тілі", "en": "ағылшын тілі"},
    "ru": {"kk": "казахский", "ru": "русский", "en": "английский"},
}
FORMAT_NAMES = {
    "kk": {"full_time": "күндізгі", "distance": "қашықтықтан", "blended": "аралас", "one_week": "бір апталық күндізгі"},
    "ru": {"full_time": "очный", "distance": "дистанционный", "blended": "смешанный", "one_week": "очный недельный"},
}
MONTHS = {
    "kk": ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
           "қараша", "желтоқсан"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"],
}
KIND_NAMES = {
    "kk": {"provider": "біліктілікті арттыру ұйымы", "university": "университет", "conservatory": "консерватория",
           "institute": "институт"},
    "ru": {"provider": "организация повышения квалификации", "university": "университет",
           "conservatory": "консерватория", "institute": "институт"},
}


def has_lang(value, lang: str) -> bool:
    return isinstance(value, dict) and bool(value.get(lang))


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def hours_text(n, lang: str) -> str:
    n_str = f"{n:g}" if isinstance(n, float) else str(n)
    if lang == "kk":
        return f"{n_str} академиялық сағат"
    if isinstance(n, float) and n != int(n):
        return f"{n_str} академического часа"
    return f"{n_str} {ru_plural(int(n), 'академический час', 'академических часа', 'академических часов')}"


def short_hours(n, lang: str) -> str:
    n_str = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{n_str} сағ." if lang == "kk" else f"{n_str} ч"


def years_text(n: int, lang: str) -> str:
    return f"{n} жыл" if lang == "kk" else f"{n} {ru_plural(n, 'год', 'года', 'лет')}"


def months_text(n: int, lang: str) -> str:
    return f"{n} ай" if lang == "kk" else f"{n} {ru_plural(n, 'месяц', 'месяца', 'месяцев')}"


def date_text(d: dt.date, lang: str) -> str:
    if lang == "kk":
        return f"{d.year} ж. {d.day} {MONTHS['kk'][d.month - 1]}"
    return f"{d.day} {MONTHS['ru'][d.month - 1]} {d.year} г."


def date_html(d: dt.date, lang: str) -> str:
    """A date that a phone's narrow line does not break in the middle."""
    return f'<time datetime="{d.isoformat()}">{esc_html(date_text(d, lang)).replace(" ", chr(0xA0))}</time>'


def range_text(a: dt.date, b: dt.date, lang: str) -> str:
    return f"{date_text(a, lang)} – {date_text(b, lang)}"


def month_day_text(mmdd: str, lang: str) -> str:
    month, day = map(int, mmdd.split("-"))
    return f"{day} {MONTHS['kk'][month - 1]}" if lang == "kk" else f"{day} {MONTHS['ru'][month - 1]}"


def percent(x: float) -> str:
    return f"{x * 100:g}%"


def yes_no(v: bool, lang: str) -> str:
    return ("иә" if v else "жоқ") if lang == "kk" else ("да" if v else "нет")


_KK_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_KK_ORDER = {ch: i for i, ch in enumerate(_KK_ALPHABET)}


def sort_key(text: str):
    """Alphabetical order of the Kazakh Cyrillic alphabet (the Russian letters keep their order in it),
    which Python's code-point order is not: it puts ә ғ қ ң ө ұ ү һ і after я."""
    out = []
    for ch in str(text).lower():
        if ch in _KK_ORDER:
            out.append((1, _KK_ORDER[ch]))
        elif ch.isdigit():
            out.append((0, ord(ch)))
        elif ch.isalpha():
            out.append((2, ord(ch)))
    return tuple(out)


# --------------------------------------------------------------------------- rules applied to programmes


def hours_class(prog: dict, rules) -> dict | None:
    """The organisation's hours class a programme falls in (the most specific; see facts)."""
    classes = fitting_hours_classes(prog, rules)
    return classes[0] if classes else None


def class_range_text(c: dict, lang: str) -> str:
    h = "сағ." if lang == "kk" else "ч"
    if "min" in c and "max" in c:
        return f"{c['min']}–{c['max']} {h}"
    if "min" in c:
        return (f"{c['min']} {h} бастап" if lang == "kk" else f"от {c['min']} {h}")
    if "above" in c:
        return (f"{c['above']} {h} астам" if lang == "kk" else f"свыше {c['above']} {h}")
    if "max" in c:
        return (f"{c['max']} {h} дейін" if lang == "kk" else f"до {c['max']} {h}")
    if "max_months" in c:
        return (f"{c['max_months']} айға дейін" if lang == "kk" else f"до {months_text(c['max_months'], 'ru')}")
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

RULE_LABELS = {
    "academic_hour_minutes": ("Академиялық сағаттың ұзақтығы", "Продолжительность академического часа"),
    "hours_classes": ("Курстардың сағат көлемі бойынша түрлері", "Виды курсов по объёму часов"),
    "formats": ("Оқыту нысандары", "Формы обучения"),
    "attendance_min": ("Сертификат алу үшін сабаққа қатысу, кемінде", "Посещаемость для сертификата, не менее"),
    "final_test_min": ("Қорытынды тестілеу нәтижесі, ең жоғары балдан кемінде",
                       "Результат итогового тестирования, не менее от максимума"),
    "certificate_validity_years": ("Сертификаттың қолданылу мерзімі", "Срок действия сертификата"),
    "certificate_signer": ("Сертификатқа қол қояды", "Сертификат подписывает"),
    "certificate_seal": ("Сертификаттағы мөр", "Печать на сертификате"),
    "certificate_shows_hours": ("Сертификатта сағат саны көрсетіледі", "В сертификате указывается число часов"),
    "certificate_qr": ("Сертификаттың түпнұсқалығын QR-код арқылы тексеру",
                       "Проверка подлинности сертификата по QR-коду"),
    "post_course_support_months": ("Курстан кейінгі сүйемелдеу", "Посткурсовое сопровождение"),
    "post_course_plan": ("Курстан кейінгі сүйемелдеудің жеке жоспары",
                         "Индивидуальный план посткурсового сопровождения"),
    "post_course_report_due_months": ("Курстан кейінгі сүйемелдеу есебінің мерзімі",
                                      "Срок отчёта о посткурсовом сопровождении"),
    "monitoring_interval_years": ("Білім беру бағдарламаларының тиімділігін мониторингтеу",
                                  "Мониторинг эффективности образовательных программ"),
    "reassessment_per_year": ("Қайта бағалау", "Переоценивание"),
    "applications_due": ("Курстарға өтінімдер мерзімі", "Срок заявок на курсы"),
    "district_plans_due": ("Аудандық жоспарлар мерзімі", "Срок районных планов"),
    "regional_plans_due": ("Облыстық жоспарлар мерзімі", "Срок областных планов"),
    "staff_plan_due": ("Біліктілікті арттыру жоспарының мерзімі", "Срок плана повышения квалификации"),
    "listener_lists_months_before": ("Тыңдаушылар тізімі", "Списки слушателей"),
    "nobd_working_days": ("ҰБДҚ деректері", "Данные НОБД"),
    "group_min_applications": ("Топтық курсқа өтінімдер, кемінде", "Заявок для группового курса, не менее"),
    "course_hours": ("Курс түрлері және сағат көлемі", "Виды курсов и их объём"),
    "trainer_requirements": ("Тренерлерге қойылатын талаптар", "Требования к тренерам"),
    "staff_obligations": ("Қызметкерлердің біліктілігін арттыру міндеті",
                          "Обязанность сотрудников повышать квалификацию"),
    "competence_groups": ("Құзырет топтары", "Группы компетенций"),
    "work_off": ("Оқу ақысын өтеу кезеңі", "Период отработки после обучения"),
}

_GROUPS = {"teaching": ("ПОҚ", "ППС"), "management": ("басшылар", "руководители"),
           "administrative": ("ӘБП", "АУП")}


def rule_label(key: str, lang: str) -> str:
    kk, ru = RULE_LABELS.get(key, (key, key))
    return kk if lang == "kk" else ru


def rule_value(rule, lang: str) -> list[str]:
    """A rule's value in words, as plain-text lines (Kazakh-only data stays Kazakh)."""
    key, v = rule.key, rule.value
    i = 0 if lang == "kk" else 1
    if key == "academic_hour_minutes":
        return [f"{v} минут"]
    if key == "hours_classes":
        return [f"{text_of(c.get('name'), lang) or c.get('id')}: {class_range_text(c, lang)}" for c in v]
    if key == "formats":
        return [", ".join(FORMAT_NAMES[lang].get(f, f) for f in v)]
    if key in ("attendance_min", "final_test_min"):
        return [percent(v)]
    if key in ("certificate_validity_years",):
        return [years_text(v, lang)]
    if key == "monitoring_interval_years":
        return [f"{years_text(v, lang)} ішінде кемінде бір рет" if lang == "kk"
                else f"не реже одного раза в {v} {ru_plural(v, 'год', 'года', 'лет')}"]
    if key in ("certificate_signer", "certificate_seal"):
        return [text_of(v, lang)]
    if key in ("certificate_shows_hours", "certificate_qr", "post_course_plan"):
        return [yes_no(bool(v), lang)]
    if key == "post_course_support_months":
        return [f"курс аяқталғаннан кейін {months_text(v, lang)}" if lang == "kk"
                else f"{months_text(v, lang)} после окончания курса"]
    if key == "post_course_report_due_months":
        return [f"курс аяқталғаннан кейін {months_text(v, lang)} ішінде" if lang == "kk"
                else f"в течение {months_text(v, lang)} после окончания курса"]
    if key == "reassessment_per_year":
        return [f"жылына {v} реттен аспайды" if lang == "kk"
                else f"не чаще {v} {ru_plural(v, 'раза', 'раз', 'раз')} в год"]
    if key in ("applications_due", "district_plans_due", "regional_plans_due", "staff_plan_due"):
        return [f"жыл сайын, {month_day_text(v, lang)}" if lang == "kk" else f"ежегодно до {month_day_text(v, lang)}"]
    if key == "listener_lists_months_before":
        return [f"курс басталғанға дейін {months_text(v, lang)} бұрын" if lang == "kk"
                else f"за {months_text(v, lang)} до начала курса"]
    if key == "nobd_working_days":
        return [f"курс аяқталғаннан кейін {v} жұмыс күні ішінде" if lang == "kk"
                else f"в течение {v} {ru_plural(v, 'рабочего дня', 'рабочих дней', 'рабочих дней')} "
                     "после окончания курса"]
    if key == "group_min_applications":
        return [str(v)]
    if key == "course_hours":
        return [f"{text_of(k.get('name'), lang) or k.get('kind')}: {hours_text(k['hours'], lang)}" for k in v]
    if key == "trainer_requirements":
        return [str(x) for x in v]
    if key == "staff_obligations":
        out = []
        for ob in v:
            group = _GROUPS.get(ob.get("staff_group"), (ob.get("staff_group"),) * 2)[i]
            n = ob["interval_years"]
            every = (f"{n} жылда кемінде бір рет" if lang == "kk"
                     else f"не реже одного раза в {n} {ru_plural(n, 'год', 'года', 'лет')}")
            extra = []
            if ob.get("min_hours"):
                extra.append(f"кемінде {hours_text(ob['min_hours'], lang)}" if lang == "kk"
                             else f"не менее {hours_text(ob['min_hours'], lang)}")
            if ob.get("area"):
                extra.append(str(ob["area"]))
            out.append(f"{group}: {every}" + (f" ({', '.join(extra)})" if extra else ""))
        return out
    if key == "competence_groups":
        return [f"{_GROUPS.get(g, (g, g))[i]}: {', '.join(items)}" for g, items in v.items()]
    if key == "work_off":
        return [f"{row['printed']} → {months_text(row['months'], lang)}" for row in v]
    if isinstance(v, list):
        return [str(x) for x in v]
    if isinstance(v, dict):
        return [text_of(v, lang)]
    return [str(v)]
