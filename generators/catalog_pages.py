"""The public catalog: the index of programmes (with filters), a page per programme and per
organisation in Kazakh and Russian, JSON-LD, ``catalog.json`` (open data) and iCalendar files
of upcoming cohorts.

Everything is generated from the checked records at build time; nothing generated is
committed. Pages are Markdown for MkDocs (links between pages are Markdown links, so MkDocs'
strict validation checks them and their anchors). No personal data: a cohort shows how many
seats are left, never who took them; no trainer's or listener's name goes into the site.

Navigation: programmes are listed on the index, not in MkDocs' nav (Material renders the
whole nav into every page: 600 nav entries in 600 pages is quadratic; see bench/catalog_build.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from biliktilik.project import LANGUAGES

from biliktilik.calendars import Event, calendar as ical
from biliktilik.model import regulation_text as rt
from biliktilik.project import REGULATIONS, ROOT
from generators.kit.addresses import application_form_url
from generators.kit.sitekit import (FORMAT_NAMES, INDEX, KIND_NAMES, LANG_NAMES, ORGS_INDEX, RULE_LABELS, Upcoming,
                      class_range_text, date_html, date_text, edit_path, esc_html, esc_md, front_matter, hours_class,
                      hours_text, iso_duration, md_link, minutes_required, months_text, organisation_src, paragraphs,
                      percent, programme_ics, programme_src, regulation_src, root_href, ru_plural, rule_label,
                      rule_value, short_hours, slug, sort_key, source_src, text_of, upcoming_cohorts, url_of)

T = {
    "kk": {
        "catalog": "Біліктілікті арттыру курстарының каталогы",
        "catalog_short": "Каталог",
        "intro": "{orgs} ұйымның {n} бағдарламасы, оның ішінде {up} бағдарламаның жақын арада басталатын топтары бар "
                 "(олар тізімнің басында, өтінім қабылдайтындары алдымен).",
        "open_data": "Ашық деректер",
        "open_data_text": "барлық бағдарламалар мен жақын топтар (жеке деректерсіз)",
        "calendar": "күнтізбе",
        "calendar_text": "барлық жақын топтар (iCalendar: телефон немесе компьютер күнтізбесіне қосуға болады)",
        "filter": "Бағдарламаларды сүзу",
        "f_org": "Ұйым", "f_audience": "Кімге арналған", "f_hc": "Курс түрі (сағат көлемі)",
        "f_format": "Оқыту нысаны", "f_lang": "Оқыту тілі", "f_upcoming": "Жақын арада басталатын топтары барлар ғана",
        "f_any": "Барлығы", "f_reset": "Сүзгіні тазалау",
        "count": "Көрсетілді: {shown} / {total}",
        "count_static": "Барлығы: {total} бағдарлама",
        "empty": "Таңдалған сүзгілерге сай бағдарлама жоқ. Сүзгілердің бірін өзгертіп көріңіз.",
        "next": "Жақын топ", "no_cohort": "Жақын арада басталатын топ әзірге жоқ",
        "apply_until": "өтінім мерзімі: {date}", "closed": "өтінім қабылдау аяқталды",
        "seats_left": "бос орын: {n}",
        "programme": "Бағдарлама", "organisation": "Ұйым", "audience": "Кімге арналған",
        "volume": "Көлемі", "formats": "Оқыту нысандары", "languages": "Оқыту тілдері",
        "academic_hour": "1 академиялық сағат — {m} минут",
        "hc": "Курс түрі",
        "back": "Барлық бағдарламалар", "contents": "Бет мазмұны",
        "other_title": "Орысша атауы",
        "content_lang": "",
        "cohorts": "Жақын топтар",
        "cohorts_none": "Қазір жоспарланған топ жоқ. Жаңа топтар туралы ұйымнан біле аласыз.",
        "c_dates": "Оқу мерзімі", "c_format": "Нысаны", "c_lang": "Тілі", "c_place": "Өтетін жері",
        "c_seats": "Бос орын", "c_deadline": "Өтінім мерзімі",
        "c_deadline_rule": "Өтінім мерзімі көрсетілмесе — тыңдаушылар тізімі жасалатын күн: {rule}.",
        "c_seats_of": "{left} (барлығы {seats})",
        "online": "онлайн",
        "ics": "Топтарды күнтізбеге қосу (iCalendar)",
        "apply": "Қалай өтінім беруге болады",
        "apply_steps": [
            "Ұйымның өтініш нысанын толтырыңыз: {form}.",
            "Өтінішті өтінім мерзімі аяқталғанға дейін ұйымға жіберіңіз: {org}.",
            "Ұйым тыңдаушылар тізімін жасап, оқу шартын (келісімін) жібереді.",
        ],
        "apply_form": "өтініш нысаны (PDF)",
        "apply_website": "Ұйымның сайты: {url}.",
        "about": "Бағдарлама туралы", "aim": "Мақсаты", "tasks": "Міндеттері", "aims_tasks": "Мақсаты мен міндеттері",
        "outcomes": "Күтілетін нәтижелер",
        "knows": "Тыңдаушы біледі", "can_do": "Тыңдаушы жасай алады", "can_apply": "Тыңдаушы қолдана алады",
        "plan": "Оқу-тақырыптық жоспар",
        "plan_no": "№", "plan_title": "Модуль / тақырып", "plan_hours": "Сағат",
        "plan_week": "Бір апталық нұсқа, сағ.", "plan_total": "Барлығы",
        "plan_note": "Сағаттар бағдарламада басылғандай берілген.",
        "plan_cells": "Баспа нұсқасындағы сағат бағандары",
        "plan_cells_note": "Бағдарламаның баспа кестесіндегі сағат бағандары (баған атаулары түпнұсқада сақталмаған), "
                           "басылған ретімен.",
        "modules": "Модульдердің мазмұны",
        "variants": "Оқыту нұсқалары",
        "v_full_time": "Күндізгі оқу", "v_one_week": "Бір апталық күндізгі оқу", "v_blended": "Аралас оқу",
        "v_ft": "күндізгі", "v_dist": "қашықтықтан", "v_self": "өз бетімен",
        "v_factor": "ОТЖ сағаттарының {f}",
        "methods": "Оқыту нысандары мен әдістері",
        "structure": "Бағдарламаның құрылымы",
        "assessment": "Бағалау",
        "lesson_plan": "Ықшам сабақты жоспарлауға қойылатын талаптар",
        "criteria": "Бағалау критерийлері", "rubric": "Бағалау рубрикасы",
        "points": "Балл", "meaning": "Мағынасы", "per_criterion": "Әр критерий бойынша ең жоғары балл: {n}",
        "duration": "Таныстырылым ұзақтығы: {d} минут",
        "self_study": "Өзіндік жұмыс", "project": "Жоба жұмысы", "mini_lesson": "Шағын сабақ",
        "max_score": "Ең жоғары балл: {n}",
        "scale": "Бағаға айналдыру шкаласы", "grade": "Баға", "label": "Атауы", "range": "Балл аралығы",
        "final_test": "Қорытынды тестілеу",
        "ft_bank": "Әр тақырыпқа арналған тапсырмалар банкі: {n}",
        "ft_per_topic": "Әр тақырыптан: {n} тапсырма", "ft_items": "Тесттегі тапсырмалар: {n}",
        "ft_selection": "Тапсырмаларды таңдау: {s}", "random": "кездейсоқ", "fixed": "тұрақты",
        "ft_dist": "Сұрақтардың модульдер бойынша бөлінуі",
        "ft_module": "Модуль", "ft_hours": "Сағат саны", "ft_questions": "Сұрақтар саны",
        "support": "Курстан кейінгі сүйемелдеу",
        "support_rule": "Сүйемелдеу мерзімі: {v} ({cite}).",
        "s_forms": "Сүйемелдеу нысандары", "s_channels": "Байланыс құралдары",
        "s_resources": "Ресурстық қамтамасыз ету",
        "glossary": "Глоссарий",
        "literature": "Әдебиеттер",
        "l_normative": "Нормативтік құжаттар", "l_main": "Негізгі әдебиеттер", "l_additional": "Қосымша әдебиеттер",
        "l_other": "Басқа әдебиеттер",
        "legal": "Құқықтық негіздер",
        "record": "Бағдарлама жазбасы",
        "approved": "Бекітілген күні: {d}", "monitored": "Тиімділігі мониторингтелген: {d}",
        "monitoring_due": "Келесі мониторинг: {d} дейін ({cite})",
        "edit": "Бұл бет {path} жазбасынан жасалған. Ұйым қызметкерлері деректерді сол файлда өзгертеді: {link}.",
        "edit_link": "жазбаны өңдеу",
        "kind_internship": "тағылымдама",
        "abroad": "шетелде",
        # organisations
        "orgs": "Ұйымдар",
        "orgs_intro": "Біліктілікті арттыру курстарын өткізетін ұйымдар, олардың бағдарламалары мен ережелері.",
        "o_kind": "Түрі", "o_city": "Қаласы", "o_website": "Сайты", "o_rules": "Ережелері",
        "o_programmes_n": "Бағдарламалар", "o_upcoming_n": "Жақын топтар",
        "o_own_rules": "{doc} және {national}",
        "o_order95": "№ 95 бұйрық (ұйымның өз ережесі жоқ)",
        "programmes": "Бағдарламалар",
        "rules": "Ұйымға қолданылатын ережелер",
        "rules_intro": "Деректер жарияланар алдында валидатор (<code>biliktilik validate</code>) ұйымның "
                       "бағдарламалары мен топтарын осы ережелер бойынша тексереді. Әр ереженің жанында — "
                       "ол алынған тармаққа сілтеме.",
        "r_rule": "Ереже", "r_value": "Мәні", "r_source": "Дереккөзі",
        "r_own": "ұйымның өз ережесі", "r_default": "№ 95 бұйрық бойынша",
        "forms": "Өтініш нысаны",
        "forms_text": "Курсқа өтініш беру үшін: {form}.",
        "home_other": "Басқа беттер",
    },
    "ru": {
        "catalog": "Каталог курсов повышения квалификации педагогов",
        "catalog_short": "Каталог",
        "intro": "{n} {programmes} {orgs_word}; у {up} из них есть группы, которые скоро начнутся "
                 "(они в начале списка, сначала те, что принимают заявки).",
        "open_data": "Открытые данные",
        "open_data_text": "все программы и ближайшие группы (без персональных данных)",
        "calendar": "календарь",
        "calendar_text": "все ближайшие группы (iCalendar: можно добавить в календарь телефона или компьютера)",
        "filter": "Фильтр программ",
        "f_org": "Организация", "f_audience": "Для кого", "f_hc": "Вид курса (объём часов)",
        "f_format": "Форма обучения", "f_lang": "Язык обучения", "f_upcoming": "Только с ближайшими группами",
        "f_any": "Все", "f_reset": "Сбросить фильтр",
        "count": "Показано: {shown} из {total}",
        "count_static": "Всего программ: {total}",
        "empty": "Нет программ, подходящих под выбранные условия. Попробуйте изменить один из фильтров.",
        "next": "Ближайшая группа", "no_cohort": "Ближайших групп пока нет",
        "apply_until": "заявки до {date}", "closed": "приём заявок завершён",
        "seats_left": "свободных мест: {n}",
        "programme": "Программа", "organisation": "Организация", "audience": "Для кого",
        "volume": "Объём", "formats": "Формы обучения", "languages": "Языки обучения",
        "academic_hour": "1 академический час — {m} минут",
        "hc": "Вид курса",
        "back": "Все программы", "contents": "Содержание страницы",
        "other_title": "Название на казахском",
        "content_lang": "Содержание программы (модули, темы, цели, оценивание) утверждено на казахском языке и "
                        "приведено без перевода.",
        "cohorts": "Ближайшие группы",
        "cohorts_none": "Запланированных групп сейчас нет. О новых группах можно узнать в организации.",
        "c_dates": "Сроки обучения", "c_format": "Форма", "c_lang": "Язык", "c_place": "Место",
        "c_seats": "Свободные места", "c_deadline": "Срок подачи заявки",
        "c_deadline_rule": "Если срок заявки не указан — это дата составления списков слушателей: {rule}.",
        "c_seats_of": "{left} из {seats}",
        "online": "онлайн",
        "ics": "Добавить группы в календарь (iCalendar)",
        "apply": "Как подать заявку",
        "apply_steps": [
            "Заполните форму заявления организации: {form}.",
            "Отправьте заявление в организацию до окончания срока приёма заявок: {org}.",
            "Организация составит список слушателей и направит договор (соглашение) об обучении.",
        ],
        "apply_form": "форма заявления (PDF)",
        "apply_website": "Сайт организации: {url}.",
        "about": "О программе", "aim": "Цель", "tasks": "Задачи", "aims_tasks": "Цель и задачи",
        "outcomes": "Ожидаемые результаты",
        "knows": "Слушатель знает", "can_do": "Слушатель умеет", "can_apply": "Слушатель применяет",
        "plan": "Учебно-тематический план",
        "plan_no": "№", "plan_title": "Модуль / тема", "plan_hours": "Часы",
        "plan_week": "Недельный вариант, ч", "plan_total": "Итого",
        "plan_note": "Часы приведены так, как они напечатаны в программе.",
        "plan_cells": "Столбцы часов печатной версии",
        "plan_cells_note": "Столбцы часов печатной таблицы программы (названия столбцов в оригинале не сохранились), "
                           "в напечатанном порядке.",
        "modules": "Содержание модулей",
        "variants": "Варианты обучения",
        "v_full_time": "Очное обучение", "v_one_week": "Очное недельное обучение", "v_blended": "Смешанное обучение",
        "v_ft": "очно", "v_dist": "дистанционно", "v_self": "самостоятельно",
        "v_factor": "{f} часов УТП",
        "methods": "Формы и методы обучения",
        "structure": "Структура программы",
        "assessment": "Оценивание",
        "lesson_plan": "Требования к планированию мини-урока",
        "criteria": "Критерии оценивания", "rubric": "Рубрика оценивания",
        "points": "Балл", "meaning": "Значение", "per_criterion": "Максимальный балл по каждому критерию: {n}",
        "duration": "Продолжительность презентации: {d} минут",
        "self_study": "Самостоятельная работа", "project": "Проектная работа", "mini_lesson": "Мини-урок",
        "max_score": "Максимальный балл: {n}",
        "scale": "Шкала перевода в оценку", "grade": "Оценка", "label": "Название", "range": "Баллы",
        "final_test": "Итоговое тестирование",
        "ft_bank": "Банк заданий на каждую тему: {n}",
        "ft_per_topic": "Заданий по каждой теме: {n}", "ft_items": "Заданий в тесте: {n}",
        "ft_selection": "Выбор заданий: {s}", "random": "случайный", "fixed": "фиксированный",
        "ft_dist": "Распределение вопросов по модулям",
        "ft_module": "Модуль", "ft_hours": "Часы", "ft_questions": "Вопросы",
        "support": "Посткурсовое сопровождение",
        "support_rule": "Срок сопровождения: {v} ({cite}).",
        "s_forms": "Формы сопровождения", "s_channels": "Средства связи", "s_resources": "Ресурсное обеспечение",
        "glossary": "Глоссарий",
        "literature": "Литература",
        "l_normative": "Нормативные документы", "l_main": "Основная литература",
        "l_additional": "Дополнительная литература",
        "l_other": "Другая литература",
        "legal": "Правовые основания",
        "record": "Запись программы",
        "approved": "Дата утверждения: {d}", "monitored": "Мониторинг эффективности: {d}",
        "monitoring_due": "Следующий мониторинг: до {d} ({cite})",
        "edit": "Эта страница создана из записи {path}. Сотрудники организации меняют данные в этом файле: {link}.",
        "edit_link": "редактировать запись",
        "kind_internship": "стажировка",
        "abroad": "за рубежом",
        "orgs": "Организации",
        "orgs_intro": "Организации, проводящие курсы повышения квалификации, их программы и правила.",
        "o_kind": "Тип", "o_city": "Город", "o_website": "Сайт", "o_rules": "Правила",
        "o_programmes_n": "Программы", "o_upcoming_n": "Ближайшие группы",
        "o_own_rules": "{doc} и {national}",
        "o_order95": "приказ № 95 (собственных правил нет)",
        "programmes": "Программы",
        "rules": "Правила, действующие для организации",
        "rules_intro": "Перед публикацией валидатор (<code>biliktilik validate</code>) проверяет программы и группы "
                       "организации по этим правилам. У каждого правила — ссылка на пункт, из которого оно взято.",
        "r_rule": "Правило", "r_value": "Значение", "r_source": "Источник",
        "r_own": "собственное правило организации", "r_default": "по приказу № 95",
        "forms": "Форма заявления",
        "forms_text": "Чтобы подать заявку на курс: {form}.",
        "home_other": "Другие страницы",
    },
}

COURSE_MODE = {"full_time": "Onsite", "one_week": "Onsite", "distance": "Online", "blended": "Blended"}
FILTER_FORMATS = ("full_time", "distance", "blended")


# --------------------------------------------------------------------------- the model shared by all outputs


class Catalog:
    """Everything the catalog's outputs need, computed once per build."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.ds, self.facts = ctx.dataset, ctx.facts
        self.today = self.facts.today
        self.upcoming = upcoming_cohorts(self.ds, self.facts)
        self.programmes = sorted(self.ds.programmes.values(),
                                 key=lambda p: (sort_key(text_of(p.data["title"], "kk")), p.id))
        self.orgs = sorted(self.ds.organisations.values(),
                           key=lambda o: (sort_key(text_of(o.data["name"], "kk")), o.id))
        self.by_org: dict[str, list] = {}
        for p in self.programmes:
            self.by_org.setdefault(p.data.get("organisation"), []).append(p)
        self.monitoring = {prog.id: (last, due, overdue) for prog, last, due, overdue in self.facts.monitoring}
        self.docs = rt.documents(Path(ctx.root) / REGULATIONS.relative_to(ROOT))

    def listing(self, lang: str) -> list:
        """The index's order: programmes with an upcoming cohort first, soonest first; then the rest
        alphabetically (Kazakh alphabet)."""
        def key(p):
            u = self.next_cohort(p)
            title = sort_key(text_of(p.data["title"], lang))
            if u is None:
                return (2, dt.date.min, title, p.id)
            return (0 if u.open(self.today) else 1, u.start, title, p.id)
        return sorted(self.programmes, key=key)

    def next_cohort(self, prog) -> Upcoming | None:
        """The first upcoming cohort still taking applications, else the first upcoming one."""
        ups = self.upcoming.get(prog.id, [])
        return next((u for u in ups if u.open(self.today)), ups[0] if ups else None)

    def rules(self, prog):
        return self.facts.rules.get(prog.data.get("organisation"))

    def org(self, prog):
        return self.ds.organisations.get(prog.data.get("organisation"))

    def hclass(self, prog):
        return hours_class(prog.data, self.rules(prog))

    def formats(self, prog) -> list[str]:
        fs = set(prog.data.get("formats") or [])
        fs |= {u.format for u in self.upcoming.get(prog.id, [])}
        if "one_week" in fs:
            fs.add("full_time")
        return sorted(fs, key=lambda f: list(FORMAT_NAMES["kk"]).index(f) if f in FORMAT_NAMES["kk"] else 99)

    def languages(self, prog) -> list[str]:
        ls = list(prog.data.get("languages") or [])
        for u in self.upcoming.get(prog.id, []):
            if u.language not in ls:
                ls.append(u.language)
        return ls

    def url(self, lang: str, site_rel: str) -> str:
        base = self.ctx.site_url + ("" if lang == LANGUAGES[0] else lang + "/")
        return base + site_rel

    def cite(self, rule, lang: str) -> str:
        doc = self.docs.get(rule.source.document)
        if doc is None:
            return str(rule.source)
        return rt.cite(doc, rule.source.anchor, lang)

    def rule_link(self, from_src: str, rule, lang: str) -> str:
        """A Markdown link to the paragraph a rule comes from."""
        to, anchor = source_src(rule.source)
        return f"[{esc_md(self.cite(rule, lang))}]({md_link(from_src, to, anchor)})"

    def application_form_url(self, org, lang: str) -> str | None:
        return application_form_url(self.ctx.dataset, org, lang)

    def _ruleset_doc(self, org):
        rs = self.ds.rulesets.get(org.data.get("ruleset"))
        return rs.data.get("document") if rs else None


# --------------------------------------------------------------------------- small renderers


def _fill(template: str, **parts: str) -> str:
    """A label with Markdown/HTML parts put in: the label's text is escaped, the parts are not."""
    marks = {key: f"\x00{i}\x00" for i, key in enumerate(parts)}
    out = esc_md(template.format(**marks))
    for key, mark in marks.items():
        out = out.replace(mark, parts[key])
    return out


def _lang_list(codes, lang):
    return ", ".join(LANG_NAMES[lang].get(c, c) for c in codes)


def _format_list(codes, lang):
    return ", ".join(FORMAT_NAMES[lang].get(c, c) for c in codes)


def _kk_block(lang: str, inner: str) -> str:
    """Kazakh-only record text on a Russian page is marked lang="kk" (WCAG 3.1.2)."""
    if lang == "kk" or not inner.strip():
        return inner
    return f'<div lang="kk" markdown="1">\n\n{inner}\n\n</div>\n'


def _paras(text) -> str:
    return "\n\n".join(esc_md(p) for p in paragraphs(text))


def _list(items, ordered=False) -> str:
    mark = "1." if ordered else "-"
    return "\n".join(f"{mark} {esc_md(x)}" for x in items if str(x).strip())


def _form_link(src: str, lang: str, url: str | None, label: str) -> str:
    """A link to a blank form (PDF, kept once at the site's root), or the label alone without one."""
    if not url:
        return esc_html(label)
    return f'<a href="{root_href(src, lang, url, LANGUAGES[0])}" type="application/pdf">{esc_html(label)}</a>'


def _city(u: Upcoming, lang: str) -> str:
    if u.format == "distance":
        return T[lang]["online"]
    return text_of(u.city, lang) if u.city else "—"


def _next_line(cat: Catalog, prog, lang: str, label: bool = True) -> str:
    t = T[lang]
    u = cat.next_cohort(prog)
    if u is None:
        return esc_html(t["no_cohort"])
    bits = [(f"<strong>{esc_html(t['next'])}:</strong> " if label else "") + date_html(u.start, lang),
            esc_html(_format_list([u.format], lang)), esc_html(LANG_NAMES[lang].get(u.language, u.language))]
    if u.deadline:
        bits.append(esc_html(t["closed"]) if not u.open(cat.today)
                    else esc_html(t["apply_until"]).replace("{date}", date_html(u.deadline, lang)))
    return " · ".join(bits)


# --------------------------------------------------------------------------- index


def _index(cat: Catalog, lang: str) -> str:
    t = T[lang]
    src = INDEX
    n, norgs = len(cat.programmes), len({p.data.get("organisation") for p in cat.programmes})
    up = sum(1 for p in cat.programmes if cat.upcoming.get(p.id))
    if lang == "kk":
        intro = t["intro"].format(n=n, orgs=norgs, up=up)
    else:
        orgs_word = f"от {norgs} {ru_plural(norgs, 'организации', 'организаций', 'организаций')}"
        intro = t["intro"].format(n=n, programmes=ru_plural(n, "программа", "программы", "программ"),
                                  orgs_word=orgs_word, up=up)
    listing = cat.listing(lang)
    jsonld = {
        "@context": "https://schema.org", "@type": "ItemList",
        "name": t["catalog"], "url": cat.url(lang, ""), "numberOfItems": n,
        "itemListElement": [
            {"@type": "ListItem", "position": i, "url": cat.url(lang, url_of(programme_src(p.id))),
             "name": text_of(p.data["title"], lang)}
            for i, p in enumerate(listing, 1)],
    }
    out = [front_matter(title=t["catalog_short"], description=t["catalog"], bk_edit="", hide=["toc"],
                        bk_jsonld=_jsonld(jsonld)).rstrip("\n"), "",
           f"# {esc_md(t['catalog'])}", "", esc_md(intro), ""]
    ics_line = (f"[{t['calendar']}]({md_link(src, 'cohorts.ics')}) — {esc_md(t['calendar_text'])}")
    if lang == LANGUAGES[0]:
        data_line = f"[catalog.json]({md_link(src, 'catalog.json')}) — {esc_md(t['open_data_text'])}"
    else:  # the open data lives once, at the site root (outside this language's docs): a plain link
        data_url = root_href(src, lang, "catalog.json", LANGUAGES[0])
        data_line = f'<a href="{data_url}" type="application/json">catalog.json</a> — {esc_md(t["open_data_text"])}'
    links = f'<div class="bk-links" markdown="1">\n\n**{esc_md(t["open_data"])}:** {data_line} · {ics_line}\n\n</div>'

    # filters: built here, shown only when script runs (progressive enhancement)
    org_opts = sorted({p.data.get("organisation") for p in cat.programmes})
    orgs = {o: cat.ds.organisations[o] for o in org_opts if o in cat.ds.organisations}
    aud_opts: dict[str, str] = {}
    hc_opts: dict[str, set] = {}
    fmt_opts, lang_opts = set(), []
    cards = []
    for p in listing:
        d = p.data
        aud = text_of(d.get("audience"), lang)
        aud_key = slug(text_of(d.get("audience"), "kk"))
        aud_opts.setdefault(aud_key, aud)
        hc = cat.hclass(p)
        hc_key = hc.get("id") if hc else ""
        if hc:
            hc_opts.setdefault(hc_key, set()).add(text_of(hc.get("name"), lang) or hc_key)
        fmts = cat.formats(p)
        fmt_opts.update(f for f in fmts if f in FILTER_FORMATS)
        langs = cat.languages(p)
        for code in langs:
            if code not in lang_opts:
                lang_opts.append(code)
        ups = cat.upcoming.get(p.id, [])
        org = cat.org(p)
        attrs = (f'class="bk-card" data-org="{esc_html(d.get("organisation"))}" data-audience="{aud_key}" '
                 f'data-hc="{esc_html(hc_key)}" data-formats="{" ".join(fmts)}" data-langs="{" ".join(langs)}" '
                 f'data-upcoming="{1 if ups else 0}"')
        meta = [short_hours(d["hours"], lang)]
        if hc:
            meta.append(esc_html(text_of(hc.get("name"), lang)))
        meta.append(esc_html(_format_list([f for f in fmts if f != "one_week"], lang)))
        meta.append(esc_html(_lang_list(langs, lang)))
        title = esc_md(text_of(d["title"], lang))
        org_name = esc_md(text_of(org.data.get("name"), lang)) if org else ""
        card = [f'<li {attrs} markdown="1">',
                f'<h2 class="bk-card__title" markdown="span">[{title}]({md_link(src, programme_src(p.id))})</h2>',
                f'<p class="bk-card__org" markdown="span">[{org_name}]({md_link(src, organisation_src(org.id))})</p>'
                if org else "",
                f'<p class="bk-card__meta">{" · ".join(meta)}</p>',
                f'<p class="bk-card__audience">{esc_html(aud)}</p>',
                f'<p class="bk-card__next{" bk-card__next--none" if not ups else ""}">{_next_line(cat, p, lang)}</p>',
                "</li>"]
        cards.append("\n".join(x for x in card if x))

    def select(name, label, options):
        opts = [f'<option value="">{esc_html(t["f_any"])}</option>']
        opts += [f'<option value="{esc_html(v)}">{esc_html(lbl)}</option>' for v, lbl in options]
        return (f'<div class="bk-filter"><label for="bk-f-{name}">{esc_html(label)}</label>'
                f'<select id="bk-f-{name}" name="{name}">{"".join(opts)}</select></div>')

    org_names = {o: text_of(orgs[o].data.get("name"), lang) for o in orgs}
    hc_names = {k: " / ".join(sorted(v)) for k, v in hc_opts.items()}
    lang_order = ["kk", "ru", "en"]
    fields = [
        select("org", t["f_org"], sorted(org_names.items(), key=lambda kv: sort_key(kv[1]))),
        select("audience", t["f_audience"], sorted(aud_opts.items(), key=lambda kv: sort_key(kv[1]))),
        select("hc", t["f_hc"], sorted(hc_names.items(), key=lambda kv: sort_key(kv[1]))),
        select("format", t["f_format"], [(f, FORMAT_NAMES[lang][f]) for f in FILTER_FORMATS if f in fmt_opts]),
        select("lang", t["f_lang"], [(c, LANG_NAMES[lang].get(c, c)) for c in sorted(
            lang_opts, key=lambda c: lang_order.index(c) if c in lang_order else len(lang_order))]),
        (f'<div class="bk-filter bk-filter--check"><input type="checkbox" id="bk-f-upcoming" name="upcoming" value="1">'
         f'<label for="bk-f-upcoming">{esc_html(t["f_upcoming"])}</label></div>'),
        (f'<div class="bk-filter bk-filter--reset"><button type="reset" class="md-button">'
         f'{esc_html(t["f_reset"])}</button></div>'),
    ]
    out += [f'<form class="bk-filters" id="bk-filters" hidden role="search" aria-label="{esc_html(t["filter"])}" '
            f'data-count="{esc_html(t["count"])}"><details id="bk-filter-box" open>'
            f'<summary>{esc_html(t["filter"])}</summary><div class="bk-filter-grid">{"".join(fields)}</div>'
            f'</details></form>', "",
            f'<p class="bk-count" id="bk-count" role="status">{esc_html(t["count_static"].format(total=n))}</p>', "",
            f'<p class="bk-empty" id="bk-empty" hidden>{esc_html(t["empty"])}</p>', "",
            '<ul class="bk-cards" id="bk-cards" data-search-exclude markdown="1">']
    out += cards
    out += ["</ul>", "", links, ""]
    return "\n".join(out) + "\n"


def _jsonld(data) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --------------------------------------------------------------------------- programme page


def _course_jsonld(cat: Catalog, prog, lang: str) -> dict:
    d, rules, org = prog.data, cat.rules(prog), cat.org(prog)
    other = [x for x in LANGUAGES if x != lang]
    minutes = minutes_required(d["hours"], rules)
    page = cat.url(lang, url_of(programme_src(prog.id)))
    desc = " ".join(paragraphs(d.get("aim"))) or " ".join(paragraphs(d.get("summary")))[:500] \
        or text_of(d.get("audience"), lang)
    course = {
        "@context": "https://schema.org", "@type": "Course", "@id": page + "#course",
        "name": text_of(d["title"], lang),
        "alternateName": [text_of(d["title"], x) for x in other if has_text(d["title"], x)],
        "description": desc,
        "url": page, "courseCode": prog.id,
        "inLanguage": list(d.get("languages") or []),
        "audience": {"@type": "EducationalAudience", "educationalRole": "teacher",
                     "audienceType": text_of(d.get("audience"), lang)},
        "educationalCredentialAwarded": "Сертификат",  # the same word in both languages (Annex 3)
    }
    if minutes:
        course["timeRequired"] = iso_duration(minutes)
    if org is not None:
        provider = {"@type": "EducationalOrganization", "name": text_of(org.data.get("name"), lang),
                    "url": cat.url(lang, url_of(organisation_src(org.id)))}
        if org.data.get("website"):
            provider["sameAs"] = org.data["website"]
        course["provider"] = provider
    modules = (d.get("thematic_plan") or {}).get("modules") or []
    if modules and rules is not None and rules.get("academic_hour_minutes"):
        course["syllabusSections"] = [
            {"@type": "Syllabus", "name": _module_title(m, lang),
             "timeRequired": iso_duration(m["hours"] * rules.get("academic_hour_minutes").value)}
            for m in modules if isinstance(m.get("hours"), int) and m["hours"] > 0]
    instances = []
    for u in cat.upcoming.get(prog.id, []):
        inst = {"@type": "CourseInstance", "@id": page + f"#cohort-{u.id}",
                "name": f"{text_of(d['title'], lang)} ({date_text(u.start, lang)})",
                "courseMode": COURSE_MODE.get(u.format, u.format),
                "startDate": u.start.isoformat(), "endDate": u.end.isoformat(), "inLanguage": u.language,
                "maximumAttendeeCapacity": u.seats, "remainingAttendeeCapacity": u.seats_left}
        if minutes:
            inst["courseWorkload"] = iso_duration(minutes)
        if u.format == "distance":
            inst["location"] = {"@type": "VirtualLocation", "url": page + "#cohorts"}
        else:
            city = text_of(u.city, lang) if u.city else (text_of(org.data.get("city"), lang) if org else "")
            inst["location"] = {"@type": "Place", "name": city,
                                "address": {"@type": "PostalAddress", "addressLocality": city, "addressCountry": "KZ"}}
        if u.deadline:
            inst["offers"] = {"@type": "Offer", "availabilityEnds": u.deadline.isoformat(), "url": page + "#apply",
                              "availability": "https://schema.org/InStock" if u.seats_left and u.open(cat.today)
                              else "https://schema.org/SoldOut"}
        instances.append(inst)
    course["hasCourseInstance"] = instances
    if not course["alternateName"]:
        del course["alternateName"]
    return course


def has_text(value, lang):
    return isinstance(value, dict) and bool(value.get(lang))


def _module_title(m, lang):
    if lang == "ru" and m.get("title_ru"):
        return m["title_ru"]
    return m.get("title") or ""


def _programme(cat: Catalog, prog, lang: str) -> str:
    t = T[lang]
    d = prog.data
    src = programme_src(prog.id)
    rules, org, hc = cat.rules(prog), cat.org(prog), cat.hclass(prog)
    title = text_of(d["title"], lang)
    out = []
    w = out.append
    edit = edit_path(prog, cat.ctx.root, "programmes")
    desc = f"{title}. {text_of(d.get('audience'), lang)}. {hours_text(d['hours'], lang)}."
    w(front_matter(title=title, description=desc, bk_edit=edit, search={"boost": 2},
                   bk_jsonld=_jsonld(_course_jsonld(cat, prog, lang))).rstrip("\n"))
    w("")
    w(f'<p class="bk-back" markdown="span">[← {esc_md(t["back"])}]({md_link(src, INDEX)})</p>')
    w("")
    w(f"# {esc_md(title)}")
    w("")
    for other in LANGUAGES:
        if other != lang and has_text(d["title"], other):
            w(f'<p class="bk-subtitle" lang="{other}">{esc_html(d["title"][other])}</p>')
            w("")
    # key facts
    facts = []
    if org is not None:
        facts.append((t["organisation"], f"[{esc_md(text_of(org.data.get('name'), lang))}]"
                                         f"({md_link(src, organisation_src(org.id))})"))
    aud = esc_md(text_of(d.get("audience"), lang))
    facts.append((t["audience"], aud if (lang == "kk" or has_text(d.get("audience"), lang))
                  else f'<span lang="kk">{aud}</span>'))
    volume = esc_md(hours_text(d["hours"], lang))
    ah = rules.get("academic_hour_minutes") if rules is not None else None
    if ah is not None:
        volume += f" ({esc_md(t['academic_hour'].format(m=ah.value))}, {cat.rule_link(src, ah, lang)})"
    facts.append((t["volume"], volume))
    if hc is not None:
        hc_rule = rules.get("hours_classes")
        kind = []
        if d.get("kind") == "internship":
            kind.append(t["kind_internship"])
        if d.get("abroad"):
            kind.append(t["abroad"])
        facts.append((t["hc"], f"{esc_md(text_of(hc.get('name'), lang))} ({esc_md(class_range_text(hc, lang))}; "
                               f"{cat.rule_link(src, hc_rule, lang)})"))
    facts.append((t["formats"], esc_md(_format_list(d.get("formats") or [], lang))))
    facts.append((t["languages"], esc_md(_lang_list(d.get("languages") or [], lang))))
    ups = cat.upcoming.get(prog.id, [])
    facts.append((t["next"], f"{_next_line(cat, prog, lang, label=False)} · [{esc_md(t['apply'])}](#apply)" if ups
                  else f"{esc_html(t['no_cohort'])} · [{esc_md(t['apply'])}](#apply)"))
    w('<dl class="bk-facts" markdown="1">')
    for k, v in facts:
        w(f"<dt>{esc_html(k)}</dt>")
        w(f'<dd markdown="span">{v}</dd>')
    w("</dl>")
    w("")
    if lang != "kk" and t["content_lang"]:
        w(f'<p class="bk-lang-note">{esc_html(t["content_lang"])}</p>')
        w("")
    w(_JUMP)
    w("")

    # cohorts and how to apply
    w(f"## {esc_md(t['cohorts'])} {{ #cohorts }}")
    w("")
    if ups:
        w('<ul class="bk-cohorts">')
        for u in ups:
            dl = date_html(u.deadline, lang) if u.deadline else "—"
            if u.deadline and not u.open(cat.today):
                dl += f" ({esc_html(t['closed'])})"
            rows = [(t["c_dates"], f"{date_html(u.start, lang)} – {date_html(u.end, lang)}"),
                    (t["c_format"], esc_html(_format_list([u.format], lang))),
                    (t["c_lang"], esc_html(LANG_NAMES[lang].get(u.language, u.language))),
                    (t["c_place"], esc_html(_city(u, lang))),
                    (t["c_seats"], esc_html(t["c_seats_of"].format(left=u.seats_left, seats=u.seats))),
                    (t["c_deadline"], dl)]
            state = "open" if u.open(cat.today) and u.seats_left else "closed"
            w(f'<li class="bk-cohort bk-cohort--{state}" id="cohort-{u.id}"><dl>'
              + "".join(f"<dt>{esc_html(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl></li>")
        w("</ul>")
        w("")
        rule_based = [u for u in ups if u.deadline_rule is not None]
        if rule_based:
            w(_fill(t["c_deadline_rule"], rule=cat.rule_link(src, rule_based[0].deadline_rule, lang)))
            w("")
        w(f"[{esc_md(t['ics'])}]({md_link(src, programme_ics(prog.id))}){{ .md-button }}")
        w("")
    else:
        w(esc_md(t["cohorts_none"]))
        w("")
    w(f"## {esc_md(t['apply'])} {{ #apply }}")
    w("")
    form_url = cat.application_form_url(org, lang) if org is not None else None
    form = _form_link(src, lang, form_url, t["apply_form"])
    org_name = esc_md(text_of(org.data.get("name"), lang)) if org else ""
    for i, step in enumerate(t["apply_steps"], 1):
        w(f"{i}. {_fill(step, form=form, org=org_name)}")
    w("")
    if org is not None and org.data.get("website"):
        w(_fill(t["apply_website"], url=f"[{esc_md(org.data['website'])}]({org.data['website']})"))
        w("")

    # the programme itself (Kazakh text as recorded)
    body: list[str] = []
    b = body.append
    if d.get("summary"):
        b(f"## {esc_md(t['about'])} {{ #about }}\n\n" + _kk_block(lang, _paras(d["summary"])))
    if d.get("aim") or d.get("tasks"):
        part = []
        if d.get("aim"):
            part.append(f"**{esc_md(t['aim'])}:** " + _paras(d["aim"]))
        if d.get("tasks"):
            part.append(f"**{esc_md(t['tasks'])}:**\n\n" + _list(d["tasks"]))
        b(f"## {esc_md(t['aims_tasks'])} {{ #aim }}\n\n" + _kk_block(lang, "\n\n".join(part)))
    outcomes = d.get("outcomes") or {}
    if any(outcomes.get(k) for k in ("knows", "can_do", "can_apply")):
        part = []
        for key in ("knows", "can_do", "can_apply"):
            if outcomes.get(key):
                part.append(f"### {esc_md(t[key])} {{ #outcomes-{key.replace('_', '-')} }}\n\n"
                            + _kk_block(lang, _list(outcomes[key])))
        b(f"## {esc_md(t['outcomes'])} {{ #outcomes }}\n\n" + "\n\n".join(part))
    b(_plan(cat, prog, lang))
    delivery = d.get("delivery") or {}
    if delivery.get("methods"):
        b(f"## {esc_md(t['methods'])} {{ #methods }}\n\n" + _kk_block(lang, _paras(delivery["methods"])))
    b(_assessment(d, lang))
    b(_final_test(d, lang))
    b(_support(cat, prog, lang, src))
    if d.get("glossary"):
        items = "\n".join(f"<dt>{esc_html(g['term'])}</dt><dd>{esc_html(g['definition'])}</dd>" for g in d["glossary"])
        b(f"## {esc_md(t['glossary'])} {{ #glossary }}\n\n"
          f'<dl class="bk-glossary"{" lang=" + chr(34) + "kk" + chr(34) if lang != "kk" else ""}>\n{items}\n</dl>')
    lit = d.get("literature") or {}
    if any(lit.get(k) for k in ("normative", "main", "additional", "other")):
        part = []
        for key in ("normative", "main", "additional", "other"):
            if lit.get(key):
                part.append(f"### {esc_md(t['l_' + key])} {{ #literature-{key} }}\n\n"
                            + _kk_block(lang, _list(lit[key], ordered=True)))
        b(f"## {esc_md(t['literature'])} {{ #literature }}\n\n" + "\n\n".join(part))
    if d.get("legal_basis"):
        b(f"## {esc_md(t['legal'])} {{ #legal-basis }}\n\n" + _kk_block(lang, _list(d["legal_basis"], ordered=True)))
    out.extend(x for x in body if x)

    # the record
    w("")
    w(f"## {esc_md(t['record'])} {{ #record }}")
    w("")
    rec = []
    if isinstance(d.get("approved"), dt.date):
        rec.append(_fill(t["approved"], d=date_html(d["approved"], lang)))
    for m in sorted(x for x in d.get("monitored") or [] if isinstance(x, dt.date)):
        rec.append(_fill(t["monitored"], d=date_html(m, lang)))
    mon = cat.monitoring.get(prog.id)
    if mon and rules is not None and rules.get("monitoring_interval_years"):
        rec.append(_fill(t["monitoring_due"], d=date_html(mon[1], lang),
                         cite=cat.rule_link(src, rules.get("monitoring_interval_years"), lang)))
    repo = (cat.ctx.config.get("repo_url") or "").rstrip("/")
    edit_uri = cat.ctx.config.get("edit_uri") or ""
    if repo:
        link = f"[{esc_md(t['edit_link'])}]({repo}/{edit_uri.strip('/')}/{edit})"
        rec.append(_fill(t["edit"], path=f"`{edit}`", link=link))
    w("\n".join(f"- {x}" for x in rec))
    w("")
    text = "\n".join(out) + "\n"
    return text.replace(_JUMP, _jump_nav(text, t["contents"]))


_JUMP = "\x02bk-jump\x02"
_UNESCAPE = re.compile(r"\\(.)")
_KEEP = r"\1"
_H2 = re.compile(r"^## (.+?) \{ #([a-z0-9-]+) \}$", re.M)


def _jump_nav(markdown: str, label: str) -> str:
    """The page's sections as a short list of links: phones get no table of contents for pages
    outside the nav (CSS hides this list where Material shows its own)."""
    links = [f'<a href="#{anchor}">{esc_html(_UNESCAPE.sub(_KEEP, title))}</a>'
             for title, anchor in _H2.findall(markdown)]
    if not links:
        return ""
    return (f'<nav class="bk-jump" aria-label="{esc_html(label)}"><ul>'
            + "".join(f"<li>{a}</li>" for a in links) + "</ul></nav>")


def _plan(cat: Catalog, prog, lang: str) -> str:
    t = T[lang]
    d = prog.data
    plan = d.get("thematic_plan") or {}
    modules = plan.get("modules") or []
    delivery = d.get("delivery") or {}
    one_week = delivery.get("one_week") if isinstance(delivery.get("one_week"), dict) else None
    factor = one_week.get("hours_factor") if one_week else None
    out = [f"## {esc_md(t['plan'])} {{ #plan }}", ""]
    if d.get("structure"):
        out += [_kk_block(lang, _paras(d["structure"])), ""]
    head = f"| {t['plan_title']} | {t['plan_hours']} |"
    rule = "|---|---:|"
    if factor:
        head += f" {t['plan_week']} |"
        rule += "---:|"

    def hrs(h):
        return f"{h * factor:g}" if factor and isinstance(h, (int, float)) else ""

    def title_cell(number, text, is_module=False, kk=True):
        s = esc_md(text)
        if lang != "kk" and kk:
            s = f'<span lang="kk">{s}</span>'
        num = esc_md(f"{number}." if is_module and number and not str(number).endswith(".") else number or "")
        return f"**{num} {s}**" if is_module else f"{num} {s}"

    rows = [head, rule]
    for m in modules:
        mt = _module_title(m, lang)
        cell = title_cell(m.get("number"), mt, True, kk=not (lang == "ru" and m.get("title_ru")))
        row = f"| {cell} | **{m.get('hours', '')}** |"
        if factor:
            row += f" **{hrs(m.get('hours'))}** |"
        rows.append(row)
        for tp in m.get("topics") or []:
            row = f"| {title_cell(tp.get('number'), tp.get('title', ''))} | {tp.get('hours', '')} |"
            if factor:
                row += f" {hrs(tp.get('hours'))} |"
            rows.append(row)
    total = plan.get("total") or {}
    total_h = total.get("hours") if isinstance(total.get("hours"), int) else sum(
        m.get("hours") or 0 for m in modules)
    row = f"| **{esc_md(t['plan_total'])}** | **{total_h}** |"
    if factor:
        row += f" **{hrs(total_h)}** |"
    rows.append(row)
    out += ['<div class="bk-plan" markdown="1">', "", *rows, "", "</div>", "",
            f'<p class="bk-small">{esc_html(t["plan_note"])}</p>', ""]

    # printed hour columns, as recorded
    cells = [(m.get("number"), m.get("hour_cells")) for m in modules if m.get("hour_cells")]
    cells += [(tp.get("number"), tp.get("hour_cells")) for m in modules for tp in m.get("topics") or []
              if tp.get("hour_cells")]
    if total.get("hour_cells"):
        cells.append((t["plan_total"], total["hour_cells"]))
    if cells:
        out += [f'<details class="bk-cells" markdown="1">\n<summary>{esc_html(t["plan_cells"])}</summary>\n',
                esc_md(t["plan_cells_note"]), "",
                f"| {t['plan_no']} | {t['plan_hours']} |", "|---|---|"]
        out += [f"| {esc_md(n)} | {' · '.join(str(c) for c in cs)} |" for n, cs in cells]
        out += ["", "</details>", ""]

    # module descriptions
    descr = [m for m in modules if m.get("description")]
    if descr:
        out += [f"### {esc_md(t['modules'])} {{ #modules }}", ""]
        for m in descr:
            out += [_kk_block(lang, _paras(m["description"])), ""]
    # delivery variants: full-time, the one-week variant, the blended split
    variants = []
    full = delivery.get("full_time")
    if isinstance(full, dict):
        variants.append(f"### {esc_md(t['v_full_time'])} {{ #variant-full-time }}\n\n"
                        f"{esc_md(hours_text(full['hours'], lang))}\n\n" + _kk_block(lang, _paras(full.get("text"))))
    if one_week:
        variants.append(f"### {esc_md(t['v_one_week'])} {{ #variant-one-week }}\n\n"
                        f"{esc_md(t['v_factor'].format(f=percent(factor)))}"
                        + (f"; {esc_md(hours_text(d['hours'] * factor, lang))}"
                           if isinstance(d.get("hours"), int) else "")
                        + "\n\n" + _kk_block(lang, _paras(one_week.get("text"))))
    blended = delivery.get("blended")
    if isinstance(blended, dict):
        total_b = sum(blended.get(k, 0) for k in ("full_time", "distance", "self_study"))
        table = "\n".join(f"- {esc_md(t[label])}: {esc_md(hours_text(blended[key], lang))}" for key, label in
                          (("full_time", "v_ft"), ("distance", "v_dist"), ("self_study", "v_self")))
        table += f"\n- **{esc_md(t['plan_total'])}: {esc_md(hours_text(total_b, lang))}**"
        variants.append(f"### {esc_md(t['v_blended'])} {{ #variant-blended }}\n\n{table}\n\n"
                        + _kk_block(lang, _paras(blended.get("text"))))
    if variants:
        out += [f"## {esc_md(t['variants'])} {{ #variants }}", ""] + variants + [""]

    return "\n".join(out)


def _points_table(points: dict, t) -> str:
    rows = [f"| {t['points']} | {t['meaning']} |", "|---:|---|"]
    rows += [f"| {k} | {esc_md(v)} |" for k, v in sorted(points.items())]
    return "\n".join(rows)


def _scale_table(scale: list, t) -> str:
    rows = [f"| {t['grade']} | {t['label']} | {t['range']} |", "|---:|---|---|"]
    rows += [f"| {r['grade']} | {esc_md(r['label'])} | {r['min']}–{r['max']} |" for r in scale]
    return "\n".join(rows)


def _assessment(d: dict, lang: str) -> str:
    t = T[lang]
    a = d.get("assessment") or {}
    if not a:
        return ""
    out = [f"## {esc_md(t['assessment'])} {{ #assessment }}", ""]
    if a.get("text"):
        out += [_kk_block(lang, _paras(a["text"])), ""]
    lp = a.get("lesson_plan")
    if isinstance(lp, dict):
        part = []
        if lp.get("aim"):
            part.append(f"**{esc_md(t['aim'])}:** {_paras(lp['aim'])}")
        for c in lp.get("criteria") or []:
            part.append(f"**{esc_md(c['title'])}**\n\n{_list(c.get('items') or [])}")
        inner = "\n\n".join(part)
        extra = []
        if lp.get("points"):
            extra.append(_points_table(lp["points"], t))
        if lp.get("max_per_criterion"):
            extra.append(esc_md(t["per_criterion"].format(n=lp["max_per_criterion"])))
        if lp.get("duration_minutes"):
            extra.append(esc_md(t["duration"].format(d="–".join(str(x) for x in lp["duration_minutes"]))))
        rubric = ""
        if lp.get("rubric"):
            rubric = f"#### {esc_md(t['rubric'])} {{ #rubric }}\n\n" + _kk_block(lang, "\n\n".join(
                f"**{esc_md(r['title'])}**\n\n{_list(r.get('items') or [])}" for r in lp["rubric"]))
        out += [f"### {esc_md(t['lesson_plan'])} {{ #lesson-plan }}", "", _kk_block(lang, inner), "",
                _kk_block(lang, "\n\n".join(extra)), "", rubric, ""]
    if a.get("self_study"):
        out += [f"### {esc_md(t['self_study'])} {{ #self-study }}", "", _kk_block(lang, _paras(a["self_study"])), ""]
    pr = a.get("project")
    if isinstance(pr, dict):
        part = [_paras(pr.get("text"))] if pr.get("text") else []
        if pr.get("points"):
            part.append(_points_table(pr["points"], t))
        part.append(esc_md(t["max_score"].format(n=pr["max_score"])))
        if pr.get("scale"):
            part.append(f"**{esc_md(t['scale'])}**\n\n" + _scale_table(pr["scale"], t))
        out += [f"### {esc_md(t['project'])} {{ #project }}", "", _kk_block(lang, "\n\n".join(part)), ""]
    ml = a.get("mini_lesson")
    if isinstance(ml, dict):
        part = [_paras(ml.get("text"))] if ml.get("text") else []
        if ml.get("criteria"):
            part.append(f"**{esc_md(t['criteria'])}**\n\n" + _list(ml["criteria"], ordered=True))
        if ml.get("points"):
            part.append(_points_table(ml["points"], t))
        part.append(esc_md(t["per_criterion"].format(n=ml["max_per_criterion"])))
        if ml.get("scale"):
            part.append(f"**{esc_md(t['scale'])}**\n\n" + _scale_table(ml["scale"], t))
        out += [f"### {esc_md(t['mini_lesson'])} {{ #mini-lesson }}", "", _kk_block(lang, "\n\n".join(part)), ""]
    return "\n".join(out)


def _final_test(d: dict, lang: str) -> str:
    t = T[lang]
    ft = d.get("final_test") or {}
    if not ft:
        return ""
    out = [f"## {esc_md(t['final_test'])} {{ #final-test }}", ""]
    if ft.get("text"):
        out += [_kk_block(lang, _paras(ft["text"])), ""]
    facts = []
    if ft.get("bank_per_topic"):
        facts.append(t["ft_bank"].format(n=ft["bank_per_topic"]))
    if ft.get("items_per_topic"):
        facts.append(t["ft_per_topic"].format(n=ft["items_per_topic"]))
    if ft.get("items"):
        facts.append(t["ft_items"].format(n=ft["items"]))
    if ft.get("selection"):
        facts.append(t["ft_selection"].format(s=t.get(ft["selection"], ft["selection"])))
    if facts:
        out += [_list(facts), ""]
    dist = ft.get("distribution") or []
    if dist:
        out += [f"**{esc_md(t['ft_dist'])}**", "",
                f"| {t['ft_module']} | {t['plan_title']} | {t['ft_hours']} | {t['ft_questions']} |",
                "|---|---|---:|---:|"]
        for r in dist:
            title = esc_md(r.get("title") or "")
            if lang != "kk" and title:
                title = f'<span lang="kk">{title}</span>'
            out.append(f"| {esc_md(r['module'])} | {title} | {r['hours']} | {r['questions']} |")
        if ft.get("total_questions") is not None:
            out.append(f"| | **{esc_md(t['plan_total'])}** | | **{ft['total_questions']}** |")
        out.append("")
    return "\n".join(out)


def _support(cat: Catalog, prog, lang: str, src: str) -> str:
    t = T[lang]
    s = prog.data.get("post_course_support") or {}
    rules = cat.rules(prog)
    rule = rules.get("post_course_support_months") if rules is not None else None
    if not s and rule is None:
        return ""
    out = [f"## {esc_md(t['support'])} {{ #support }}", ""]
    if rule is not None:
        out += [_fill(t["support_rule"], v=esc_md(months_text(rule.value, lang)),
                      cite=cat.rule_link(src, rule, lang)), ""]
    if s.get("text"):
        out += [_kk_block(lang, _paras(s["text"])), ""]
    for key, label in (("forms", "s_forms"), ("channels", "s_channels"), ("resources", "s_resources")):
        if s.get(key):
            out += [f"### {esc_md(t[label])} {{ #support-{key} }}", "", _kk_block(lang, _list(s[key])), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- organisations


def _orgs_index(cat: Catalog, lang: str) -> str:
    t = T[lang]
    src = ORGS_INDEX
    out = [front_matter(title=t["orgs"], bk_edit="").rstrip("\n"), "", f"# {esc_md(t['orgs'])}", "",
           esc_md(t["orgs_intro"]), "",
           f"| {t['organisation']} | {t['o_city']} | {t['o_programmes_n']} | {t['o_upcoming_n']} |",
           "|---|---|---:|---:|"]
    for o in sorted(cat.orgs, key=lambda o: sort_key(text_of(o.data["name"], lang))):
        progs = cat.by_org.get(o.id, [])
        n_up = sum(len(cat.upcoming.get(p.id, [])) for p in progs)
        out.append(f"| [{esc_md(text_of(o.data['name'], lang))}]({md_link(src, organisation_src(o.id))}) "
                   f"| {esc_md(text_of(o.data.get('city'), lang) or '—')} | {len(progs)} | {n_up} |")
    out.append("")
    return "\n".join(out) + "\n"


def _organisation(cat: Catalog, org, lang: str) -> str:
    t = T[lang]
    d = org.data
    src = organisation_src(org.id)
    name = text_of(d["name"], lang)
    rules = cat.facts.rules.get(org.id)
    edit = edit_path(org, cat.ctx.root, "organisations")
    desc = text_of(d.get("description"), lang) or name
    jsonld = {"@context": "https://schema.org", "@type": "EducationalOrganization",
              "@id": cat.url(lang, url_of(src)) + "#organisation", "name": name,
              "alternateName": [text_of(d["name"], x) for x in LANGUAGES if x != lang],
              "url": cat.url(lang, url_of(src)), "description": desc}
    if d.get("website"):
        jsonld["sameAs"] = d["website"]
    if d.get("city"):
        jsonld["address"] = {"@type": "PostalAddress", "addressLocality": text_of(d["city"], lang),
                             "addressCountry": "KZ"}
    out = [front_matter(title=name, description=desc, bk_edit=edit, bk_jsonld=_jsonld(jsonld)).rstrip("\n"), "",
           f'<p class="bk-back" markdown="span">[← {esc_md(t["orgs"])}]({md_link(src, ORGS_INDEX)})</p>', "",
           f"# {esc_md(name)}", ""]
    for other in LANGUAGES:
        if other != lang and has_text(d["name"], other):
            out += [f'<p class="bk-subtitle" lang="{other}">{esc_html(d["name"][other])}</p>', ""]
    if d.get("description"):
        out += [esc_md(text_of(d["description"], lang)), ""]
    facts = [(t["o_kind"], esc_md(KIND_NAMES[lang].get(d.get("kind"), d.get("kind"))))]
    if d.get("city"):
        facts.append((t["o_city"], esc_md(text_of(d["city"], lang))))
    if d.get("website"):
        facts.append((t["o_website"], f"[{esc_md(d['website'])}]({d['website']})"))
    doc_id = d.get("document")
    if doc_id and doc_id in cat.docs:
        doc = cat.docs[doc_id]
        link = f"[{esc_md(text_of(doc.title, lang))}]({md_link(src, regulation_src(doc_id))})"
        national = cat._ruleset_doc(org)
        nlink = (f"[{esc_md(cat.docs[national].short.get(lang) or cat.docs[national].short['kk'])}]"
                 f"({md_link(src, regulation_src(national))})") if national in cat.docs else ""
        facts.append((t["o_rules"], _fill(t["o_own_rules"], doc=link, national=nlink)))
    else:
        rs_doc = cat._ruleset_doc(org)
        if rs_doc in cat.docs:
            facts.append((t["o_rules"], f"[{esc_md(t['o_order95'])}]({md_link(src, regulation_src(rs_doc))})"))
    out.append('<dl class="bk-facts" markdown="1">')
    for k, v in facts:
        out += [f"<dt>{esc_html(k)}</dt>", f'<dd markdown="span">{v}</dd>']
    out += ["</dl>", ""]

    out += [f"## {esc_md(t['programmes'])} {{ #programmes }}", ""]
    progs = sorted(cat.by_org.get(org.id, []), key=lambda p: sort_key(text_of(p.data["title"], lang)))
    for p in progs:
        out.append(f"- [{esc_md(text_of(p.data['title'], lang))}]({md_link(src, programme_src(p.id))}) — "
                   f"{esc_md(hours_text(p.data['hours'], lang))}. {_next_line(cat, p, lang)}")
    out.append("")

    form_url = cat.application_form_url(org, lang)
    if form_url:
        form = _form_link(src, lang, form_url, t["apply_form"])
        out += [f"## {esc_md(t['forms'])} {{ #forms }}", "", _fill(t["forms_text"], form=form), ""]

    if rules is not None:
        out += [f"## {esc_md(t['rules'])} {{ #rules }}", "", t["rules_intro"], "",
                f"| {t['r_rule']} | {t['r_value']} | {t['r_source']} |", "|---|---|---|"]
        order = {k: i for i, k in enumerate(RULE_LABELS)}
        for key, rule in sorted(rules.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
            values = rule_value(rule, lang)
            value = "<br>".join(esc_md(v) for v in values)
            if lang != "kk" and key in ("trainer_requirements", "competence_groups", "work_off"):
                value = f'<span lang="kk">{value}</span>'
            whose = t["r_own"] if rule.record is org else t["r_default"]
            out.append(f"| {esc_md(rule_label(key, lang))} | {value} | {cat.rule_link(src, rule, lang)} "
                       f"<br><small>{esc_md(whose)}</small> |")
        out.append("")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- catalog.json and calendars


def catalog_json(cat: Catalog) -> dict:
    """The open data: programmes and their upcoming cohorts. No personal data (no listener,
    no trainer, no head of an organisation); seats are counted, never named."""
    ctx = cat.ctx
    orgs = []
    for o in sorted(cat.orgs, key=lambda o: o.id):
        d = o.data
        entry = {"id": o.id, "name": {k: d["name"][k] for k in LANGUAGES if d["name"].get(k)},
                 "kind": d.get("kind"),
                 "url": {x: cat.url(x, url_of(organisation_src(o.id))) for x in LANGUAGES},
                 "source": edit_path(o, ctx.root, "organisations")}
        for key in ("short_name", "city", "description"):
            if d.get(key):
                entry[key] = dict(d[key])
        if d.get("website"):
            entry["website"] = d["website"]
        if d.get("document"):
            entry["rules_url"] = {x: cat.url(x, url_of(regulation_src(d["document"]))) for x in LANGUAGES}
        orgs.append(entry)
    progs = []
    for p in sorted(cat.programmes, key=lambda p: p.id):
        d, rules = p.data, cat.rules(p)
        hc = cat.hclass(p)
        minutes = minutes_required(d["hours"], rules)
        entry = {
            "id": p.id, "organisation": d["organisation"],
            "title": {k: v for k, v in d["title"].items()},
            "audience": dict(d["audience"]),
            "hours": d["hours"],
            "academic_hour_minutes": rules.get("academic_hour_minutes").value
            if rules is not None and rules.get("academic_hour_minutes") else None,
            "duration": iso_duration(minutes) if minutes else None,
            "kind": d.get("kind", "course"),
            "abroad": bool(d.get("abroad")),
            "hours_class": {"id": hc["id"], "name": dict(hc.get("name") or {})} if hc else None,
            "languages": list(d["languages"]),
            "formats": list(d["formats"]),
            "modules": [{"number": m.get("number"), "title": m.get("title"),
                         **({"title_ru": m["title_ru"]} if m.get("title_ru") else {}),
                         "hours": m.get("hours"),
                         "topics": [{"number": tp.get("number"), "title": tp.get("title"), "hours": tp.get("hours")}
                                    for tp in m.get("topics") or []]}
                        for m in (d.get("thematic_plan") or {}).get("modules") or []],
            "url": {x: cat.url(x, url_of(programme_src(p.id))) for x in LANGUAGES},
            "calendar": {x: cat.url(x, programme_ics(p.id)) for x in LANGUAGES},
            "source": edit_path(p, ctx.root, "programmes"),
            "upcoming_cohorts": [_cohort_json(u) for u in cat.upcoming.get(p.id, [])],
        }
        if d.get("course_kind"):
            entry["course_kind"] = d["course_kind"]
        if isinstance(d.get("approved"), dt.date):
            entry["approved"] = d["approved"].isoformat()
        progs.append(entry)
    return {"generated": cat.today.isoformat(), "site_url": ctx.site_url, "languages": list(LANGUAGES),
            "organisations": orgs, "programmes": progs}


def _cohort_json(u: Upcoming) -> dict:
    out = {"id": u.id, "start": u.start.isoformat(), "end": u.end.isoformat(), "format": u.format,
           "language": u.language, "seats": u.seats, "seats_left": u.seats_left,
           "application_deadline": u.deadline.isoformat() if u.deadline else None,
           "application_deadline_source": "cohort" if u.deadline_rule is None and u.deadline else
           (str(u.deadline_rule.source) if u.deadline_rule is not None else None)}
    if u.city:
        out["city"] = dict(u.city)
    if u.group:
        out["group"] = u.group
    return out


def calendar(cat: Catalog, lang: str, progs, name: str) -> str:
    """An iCalendar of the upcoming cohorts of ``progs`` and their application deadlines."""
    t = T[lang]
    host = (cat.ctx.site_url.split("//", 1)[-1].split("/", 1)[0]) or "biliktilik"
    events = []
    for p in progs:
        org = cat.org(p)
        title = text_of(p.data["title"], lang)
        page = cat.url(lang, url_of(programme_src(p.id)))
        for u in cat.upcoming.get(p.id, []):
            desc = [f"{T[lang]['organisation']}: {text_of(org.data.get('name'), lang) if org else ''}",
                    f"{t['c_format']}: {_format_list([u.format], lang)}",
                    f"{t['c_lang']}: {LANG_NAMES[lang].get(u.language, u.language)}",
                    f"{t['c_seats']}: {t['c_seats_of'].format(left=u.seats_left, seats=u.seats)}",
                    hours_text(p.data["hours"], lang)]
            if u.deadline:
                desc.append(f"{t['c_deadline']}: {date_text(u.deadline, lang)}")
            desc.append(page)
            events.append(Event(f"{u.id}@{host}", u.start, u.end, title, "\n".join(desc), _city(u, lang),
                                page + "#cohorts", "CONFIRMED"))
            if u.deadline and u.deadline >= cat.today:
                events.append(Event(f"{u.id}-deadline@{host}", u.deadline, u.deadline, f"{t['c_deadline']}: {title}",
                                    f"{date_text(u.start, lang)} – {date_text(u.end, lang)}\n{page}#apply",
                                    url=page + "#apply"))
    return ical(events, name=name, product=f"Catalog//{lang.upper()}", stamp=cat.today).decode("utf-8")


# --------------------------------------------------------------------------- entry point


def pages(ctx):
    cat = Catalog(ctx)
    data = catalog_json(cat)
    ctx.page(LANGUAGES[0], "catalog.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    for lang in LANGUAGES:
        t = T[lang]
        ctx.page(lang, INDEX, _index(cat, lang))
        ctx.page(lang, ORGS_INDEX, _orgs_index(cat, lang))
        ctx.page(lang, "cohorts.ics", calendar(cat, lang, cat.programmes, t["catalog"]))
        for p in cat.programmes:
            ctx.page(lang, programme_src(p.id), _programme(cat, p, lang))
            ctx.page(lang, programme_ics(p.id), calendar(cat, lang, [p], text_of(p.data["title"], lang)))
        for o in cat.orgs:
            ctx.page(lang, organisation_src(o.id), _organisation(cat, o, lang))


__all__ = ["pages", "catalog_json", "calendar", "Catalog", "T"]
