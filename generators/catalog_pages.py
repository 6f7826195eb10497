"""The public catalog: the index of programmes (with filters), a page per programme and per
organisation in Kazakh and Russian, JSON-LD, ``catalog.json`` (open data) and iCalendar files
of upcoming cohorts.

Everything is generated from the checked records at build time; nothing generated is
committed. Pages are Markdown for MkDocs (links between pages are Markdown links, so MkDocs'
strict validation checks them and their anchors). No personal data: a cohort shows how many
seats are left, never who took them; no trainer's or listener's name goes into the site.

How a page is made: ``Catalog`` computes what every output needs once per build; a ``*_page``
function turns it into the page model (plain values: what to show, already in the page's
language); ``templates/catalog/<page>.md.j2`` lays it out, with every text a person reads from
``templates/catalog/labels.yaml``. Escaping is the templates' job and is safe by construction
(``generators/kit/mdtemplates.py``): a plain value prints as Markdown text, ``|html`` for HTML and
attributes, ``|jsonld`` for JSON-LD.

Navigation: programmes are listed on the index, not in MkDocs' nav (Material renders the
whole nav into every page: 600 nav entries in 600 pages is quadratic; see bench/catalog_build.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path

from markupsafe import Markup

from biliktilik.calendars import Event, calendar as ical
from biliktilik.model import regulation_text as rt
from biliktilik.project import LANGUAGES, REGULATIONS, ROOT
from generators.kit import mdtemplates
from generators.kit.addresses import application_form_url
from generators.kit.sitekit import (FORMAT_NAMES, INDEX, KIND_NAMES, LANG_NAMES, ORGS_INDEX, RULE_LABELS, Upcoming,
                                    class_range_text, date_text, edit_path, esc_html, hours_class, hours_text,
                                    iso_duration, md_link, minutes_required, months_text, organisation_src,
                                    paragraphs, percent, programme_ics, programme_src, regulation_src, root_href,
                                    ru_plural, rule_label, rule_value, short_hours, slug, sort_key, source_src,
                                    text_of, upcoming_cohorts, url_of)

TEMPLATES = ROOT / "templates" / "catalog"

COURSE_MODE = {"full_time": "Onsite", "one_week": "Onsite", "distance": "Online", "blended": "Blended"}  # schema.org
FILTER_FORMATS = ("full_time", "distance", "blended")
KK_ONLY_RULES = ("trainer_requirements", "competence_groups", "work_off")  # their values are recorded in Kazakh only


def labels(lang: str) -> dict:
    """The catalog's wording in ``lang`` (templates/catalog/labels.yaml; LabelError if a key lacks a language)."""
    return mdtemplates.labels(TEMPLATES / "labels.yaml", LANGUAGES)[lang]


@functools.lru_cache(maxsize=1)
def _env():
    env = mdtemplates.environment(TEMPLATES)
    env.filters["kk_block"] = _kk_block
    return env


def _kk_block(inner, lang: str) -> Markup:
    """Kazakh-only record text on a page of another language is marked lang="kk" (WCAG 3.1.2).
    Ends with a line break (a filter block's own is trimmed)."""
    inner = Markup(inner).strip("\n")
    if lang == "kk" or not inner.strip():
        return inner + Markup("\n")
    return Markup('<div lang="kk" markdown="1">\n\n') + inner + Markup("\n\n</div>\n")


def _render(template: str, lang: str, **page) -> str:
    return _env().get_template(template).render(L=labels(lang), lang=lang, **page)


# sitekit's word lists: read only through these four (another change moves them into label files)
def _format_name(code, lang: str) -> str:
    return FORMAT_NAMES[lang].get(code, code)


def _lang_name(code, lang: str) -> str:
    return LANG_NAMES[lang].get(code, code)


def _kind_name(code, lang: str) -> str:
    return KIND_NAMES[lang].get(code, code)


def _format_order(code) -> int:
    order = list(FORMAT_NAMES[LANGUAGES[0]])
    return order.index(code) if code in order else 99


def _rule_order(key) -> int:
    order = list(RULE_LABELS)
    return order.index(key) if key in order else len(order)


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
            title = sort_key(text_of(p.data["title"], lang), lang)
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
        return sorted(fs, key=_format_order)

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

    def rule_ref(self, from_src: str, rule, lang: str) -> dict:
        """Where a rule comes from, for a link: {"cite": "Order 95, p. 23", "href": docs-relative target}."""
        to, anchor = source_src(rule.source)
        return {"cite": self.cite(rule, lang), "href": md_link(from_src, to, anchor)}

    def application_form_url(self, org, lang: str) -> str | None:
        return application_form_url(self.ctx.dataset, org, lang)

    def ruleset_document(self, org):
        rs = self.ds.rulesets.get(org.data.get("ruleset"))
        return rs.data.get("document") if rs else None


# --------------------------------------------------------------------------- parts shared by the pages


def _plural(n: int, forms: list) -> str:
    """The word after a number: forms [one, few, many] (Russian) or a single form (Kazakh)."""
    return ru_plural(n, *forms) if len(forms) == 3 else forms[0]


def _city(u: Upcoming, lang: str) -> str:
    if u.format == "distance":
        return labels(lang)["online"]
    return text_of(u.city, lang) if u.city else "—"


def _next(cat: Catalog, prog, lang: str) -> dict | None:
    """The next cohort as a line shows it (date, format, language, deadline), or None."""
    u = cat.next_cohort(prog)
    if u is None:
        return None
    return {"start": u.start, "format": _format_name(u.format, lang), "language": _lang_name(u.language, lang),
            "deadline": u.deadline, "open": u.open(cat.today)}


def _form_href(src: str, lang: str, url: str | None) -> str | None:
    """A raw-HTML link to a blank form (PDF, kept once at the site's root), or None."""
    return root_href(src, lang, url, LANGUAGES[0]) if url else None


APPLY_ANCHORS = ("p10", "p11", "p14", "p16", "p18", "p24")  # Order 95's paragraphs the "how to apply" steps cite


def _apply_refs(cat: Catalog, src: str, org, lang: str) -> dict | None:
    """Citations of the paragraphs the application steps follow (Order 95 p. 10-18, 24), as
    {anchor: {"cite", "href"}}, from the organisation's national rule set's document; None when
    that document is not transcribed or lacks one of the paragraphs (the steps are then not shown)."""
    doc_id = cat.ruleset_document(org) if org is not None else None
    doc = cat.docs.get(doc_id) if doc_id else None
    if doc is None:
        return None
    refs = {}
    for anchor in APPLY_ANCHORS:
        try:
            doc.node(anchor)
        except KeyError:
            return None
        refs[anchor] = {"cite": rt.cite(doc, anchor, lang), "href": md_link(src, regulation_src(doc_id), anchor)}
    return refs


def _contacts(org, lang: str) -> dict | None:
    """The organisation's office contacts (address in ``lang``, phone with its tel: address, e-mail), or None."""
    c = (org.data.get("contacts") if org is not None else None) or None
    if not c:
        return None
    return {"address": text_of(c.get("address"), lang), "phone": c.get("phone"),
            "tel": "tel:" + re.sub(r"[^\d+]", "", c.get("phone") or ""), "email": c.get("email"),
            "hours": text_of(c.get("hours"), lang) if c.get("hours") else None}


def has_text(value, lang):
    return isinstance(value, dict) and bool(value.get(lang))


def _module_title(m, lang):
    if lang == "ru" and m.get("title_ru"):
        return m["title_ru"]
    return m.get("title") or ""


def _jsonld_text(data) -> str:
    return str(mdtemplates.jsonld(data))


# --------------------------------------------------------------------------- index


def index_page(cat: Catalog, lang: str) -> dict:
    """The index's model: intro counts, filter options, one card per programme (the listing's order)."""
    L = labels(lang)
    src = INDEX
    n, norgs = len(cat.programmes), len({p.data.get("organisation") for p in cat.programmes})
    up = sum(1 for p in cat.programmes if cat.upcoming.get(p.id))
    intro = L["intro"].format(n=n, orgs=norgs, up=up, programmes=_plural(n, L["programmes_n"]),
                              organisations=_plural(norgs, L["organisations_n"]))
    listing = cat.listing(lang)
    jsonld = {
        "@context": "https://schema.org", "@type": "ItemList",
        "name": L["catalog"], "url": cat.url(lang, ""), "numberOfItems": n,
        "itemListElement": [
            {"@type": "ListItem", "position": i, "url": cat.url(lang, url_of(programme_src(p.id))),
             "name": text_of(p.data["title"], lang)}
            for i, p in enumerate(listing, 1)],
    }
    aud_opts: dict[str, str] = {}
    hc_opts: dict[str, set] = {}
    fmt_opts, lang_opts, cards = set(), [], []
    for p in listing:
        d = p.data
        aud, aud_key = text_of(d.get("audience"), lang), slug(text_of(d.get("audience"), "kk"))
        aud_opts.setdefault(aud_key, aud)
        hc = cat.hclass(p)
        hc_key = hc.get("id") if hc else ""
        if hc:
            hc_opts.setdefault(hc_key, set()).add(text_of(hc.get("name"), lang) or hc_key)
        fmts, langs = cat.formats(p), cat.languages(p)
        fmt_opts.update(f for f in fmts if f in FILTER_FORMATS)
        lang_opts += [c for c in langs if c not in lang_opts]
        org = cat.org(p)
        meta = [short_hours(d["hours"], lang)] + ([text_of(hc.get("name"), lang)] if hc else [])
        meta += [", ".join(_format_name(f, lang) for f in fmts if f != "one_week"),
                 ", ".join(_lang_name(c, lang) for c in langs)]
        cards.append({"org": d.get("organisation"), "audience_key": aud_key, "hc": hc_key, "formats": " ".join(fmts),
                      "langs": " ".join(langs), "upcoming": bool(cat.upcoming.get(p.id)),
                      "title": text_of(d["title"], lang), "href": md_link(src, programme_src(p.id)),
                      "org_name": text_of(org.data.get("name"), lang) if org else None,
                      "org_href": md_link(src, organisation_src(org.id)) if org else None,
                      "meta": " · ".join(meta), "audience": aud, "next": _next(cat, p, lang)})
    org_names = {o: text_of(cat.ds.organisations[o].data.get("name"), lang)
                 for o in sorted({p.data.get("organisation") for p in cat.programmes}) if o in cat.ds.organisations}
    hc_names = {k: " / ".join(sorted(v, key=lambda s: sort_key(s, lang))) for k, v in hc_opts.items()}
    lang_order = ["kk", "ru", "en"]
    by_name = lambda kv: sort_key(kv[1], lang)  # noqa: E731
    filters = [
        {"name": "org", "label": L["f_org"], "options": sorted(org_names.items(), key=by_name)},
        {"name": "audience", "label": L["f_audience"], "options": sorted(aud_opts.items(), key=by_name)},
        {"name": "hc", "label": L["f_hc"], "options": sorted(hc_names.items(), key=by_name)},
        {"name": "format", "label": L["f_format"],
         "options": [(f, _format_name(f, lang)) for f in FILTER_FORMATS if f in fmt_opts]},
        {"name": "lang", "label": L["f_lang"], "options": [(c, _lang_name(c, lang)) for c in sorted(
            lang_opts, key=lambda c: lang_order.index(c) if c in lang_order else len(lang_order))]},
    ]
    # the open data lives once, at the site root: the default language links it as a docs file,
    # the others by a plain link outside their docs
    data_md = md_link(src, "catalog.json") if lang == LANGUAGES[0] else None
    return {"jsonld": _jsonld_text(jsonld), "intro": intro, "total": n, "filters": filters, "cards": cards,
            "data_md": data_md, "data_href": root_href(src, lang, "catalog.json", LANGUAGES[0]),
            "ics_href": md_link(src, "cohorts.ics")}


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
        "educationalCredentialAwarded": labels(lang)["credential_awarded"],
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
        fee = (getattr(u.record, "data", None) or {}).get("fee")
        offer = {"@type": "Offer", "url": page + "#apply", "category": "Paid" if fee else "Free",
                 "price": fee or 0, "priceCurrency": "KZT",
                 "availability": "https://schema.org/InStock" if u.seats_left and u.open(cat.today)
                 else "https://schema.org/SoldOut"}
        if u.deadline:
            offer["availabilityEnds"] = u.deadline.isoformat()
        inst["offers"] = offer
        instances.append(inst)
    course["hasCourseInstance"] = instances
    # Course-level offers (Google's Course info: required with hasCourseInstance): the cohorts' offers
    course["offers"] = [dict(i["offers"], **({"@id": i["@id"] + "-offer"})) for i in instances] or [
        {"@type": "Offer", "category": "Free", "price": 0, "priceCurrency": "KZT", "url": page + "#apply"}]
    if not course["alternateName"]:
        del course["alternateName"]
    return course


def _plan(prog, lang: str) -> dict:
    """The thematic plan as rows, the printed hour columns, module descriptions and delivery variants."""
    d = prog.data
    plan = d.get("thematic_plan") or {}
    modules = plan.get("modules") or []
    delivery = d.get("delivery") or {}
    one_week = delivery.get("one_week") if isinstance(delivery.get("one_week"), dict) else None
    factor = one_week.get("hours_factor") if one_week else None

    def week(h):
        return f"{h * factor:g}" if factor and isinstance(h, (int, float)) else ""

    rows = []
    for m in modules:
        number = m.get("number")
        rows.append({"module": True, "number": f"{number}." if number and not str(number).endswith(".") else number or "",
                     "title": _module_title(m, lang), "kk": not (lang == "ru" and m.get("title_ru")),
                     "hours": m.get("hours", ""), "week": week(m.get("hours"))})
        rows += [{"module": False, "number": tp.get("number") or "", "title": tp.get("title", ""), "kk": True,
                  "hours": tp.get("hours", ""), "week": week(tp.get("hours"))} for tp in m.get("topics") or []]
    total = plan.get("total") or {}
    total_h = total.get("hours") if isinstance(total.get("hours"), int) else sum(m.get("hours") or 0 for m in modules)
    cells = [(m.get("number"), m.get("hour_cells")) for m in modules if m.get("hour_cells")]
    cells += [(tp.get("number"), tp.get("hour_cells")) for m in modules for tp in m.get("topics") or []
              if tp.get("hour_cells")]
    if total.get("hour_cells"):
        cells.append((labels(lang)["plan_total"], total["hour_cells"]))
    full, blended = delivery.get("full_time"), delivery.get("blended")
    return {
        "structure": d.get("structure"), "rows": rows, "factor": factor, "total": total_h, "total_week": week(total_h),
        "cells": [(n, " · ".join(str(c) for c in cs)) for n, cs in cells],
        "descriptions": [m["description"] for m in modules if m.get("description")],
        "full_time": {"hours": hours_text(full["hours"], lang), "text": full.get("text")}
        if isinstance(full, dict) else None,
        "one_week": {"factor": percent(factor), "text": one_week.get("text"),
                     "hours": hours_text(d["hours"] * factor, lang) if isinstance(d.get("hours"), int) else None}
        if one_week else None,
        "blended": {"parts": [(key, hours_text(blended[key], lang)) for key in ("full_time", "distance", "self_study")],
                    "total": hours_text(sum(blended.get(k, 0) for k in ("full_time", "distance", "self_study")), lang),
                    "text": blended.get("text")} if isinstance(blended, dict) else None,
    }


def programme_page(cat: Catalog, prog, lang: str) -> dict:
    """A programme page's model: key facts, upcoming cohorts, how to apply, the record's content
    (shown as recorded: Kazakh-only texts are marked lang="kk" on other pages), the record's dates."""
    L = labels(lang)
    d = prog.data
    src = programme_src(prog.id)
    rules, org, hc = cat.rules(prog), cat.org(prog), cat.hclass(prog)
    title = text_of(d["title"], lang)
    edit = edit_path(prog, cat.ctx.root, "programmes")
    ah = rules.get("academic_hour_minutes") if rules is not None else None
    ups = cat.upcoming.get(prog.id, [])
    rule_based = [u for u in ups if u.deadline_rule is not None]
    support_rule = rules.get("post_course_support_months") if rules is not None else None
    mon = cat.monitoring.get(prog.id)
    mon_rule = rules.get("monitoring_interval_years") if rules is not None else None
    repo = (cat.ctx.config.get("repo_url") or "").rstrip("/")
    edit_uri = (cat.ctx.config.get("edit_uri") or "").strip("/")
    form_url = cat.application_form_url(org, lang) if org is not None else None
    return {
        "front": {"title": title, "description": f"{title}. {text_of(d.get('audience'), lang)}. "
                                                 f"{hours_text(d['hours'], lang)}.",
                  "bk_edit": edit, "search": {"boost": 2}, "bk_jsonld": _jsonld_text(_course_jsonld(cat, prog, lang))},
        "back_href": md_link(src, INDEX), "title": title,
        "subtitles": [(x, d["title"][x]) for x in LANGUAGES if x != lang and has_text(d["title"], x)],
        "org": {"name": text_of(org.data.get("name"), lang), "href": md_link(src, organisation_src(org.id)),
                "website": org.data.get("website")} if org is not None else None,
        "audience": text_of(d.get("audience"), lang),
        "audience_kk": lang != "kk" and not has_text(d.get("audience"), lang),
        "hours": hours_text(d["hours"], lang),
        "academic_hour": {"minutes": ah.value, "source": cat.rule_ref(src, ah, lang)} if ah is not None else None,
        "hours_class": {"name": text_of(hc.get("name"), lang), "range": class_range_text(hc, lang),
                        "source": cat.rule_ref(src, rules.get("hours_classes"), lang)} if hc is not None else None,
        "formats": ", ".join(_format_name(f, lang) for f in d.get("formats") or []),
        "languages": ", ".join(_lang_name(c, lang) for c in d.get("languages") or []),
        "next": _next(cat, prog, lang),
        "cohorts": [{"id": u.id, "start": u.start, "end": u.end, "format": _format_name(u.format, lang),
                     "language": _lang_name(u.language, lang), "place": _city(u, lang),
                     "seats": L["c_seats_of"].format(left=u.seats_left, seats=u.seats),
                     "deadline": u.deadline, "open": u.open(cat.today),
                     "state": "open" if u.open(cat.today) and u.seats_left else "closed"} for u in ups],
        "deadline_source": cat.rule_ref(src, rule_based[0].deadline_rule, lang) if rule_based else None,
        "ics_href": md_link(src, programme_ics(prog.id)),
        "form_href": _form_href(src, lang, form_url),
        "apply_refs": _apply_refs(cat, src, org, lang), "contacts": _contacts(org, lang),
        "d": d, "outcome_keys": [k for k in ("knows", "can_do", "can_apply") if (d.get("outcomes") or {}).get(k)],
        "literature_keys": [k for k in ("normative", "main", "additional", "other")
                            if (d.get("literature") or {}).get(k)],
        "plan": _plan(prog, lang),
        "assessment": d.get("assessment") or {}, "final_test": d.get("final_test") or {},
        "ft_facts": _final_test_facts(d.get("final_test") or {}, L),
        "support": d.get("post_course_support") or {},
        "support_rule": {"months": months_text(support_rule.value, lang),
                         "source": cat.rule_ref(src, support_rule, lang)} if support_rule is not None else None,
        "approved": d["approved"] if isinstance(d.get("approved"), dt.date) else None,
        "monitored": sorted(x for x in d.get("monitored") or [] if isinstance(x, dt.date)),
        "monitoring_due": {"date": mon[1], "source": cat.rule_ref(src, mon_rule, lang)}
        if mon and mon_rule is not None else None,
        "edit": {"path": edit, "href": f"{repo}/{edit_uri}/{edit}"} if repo else None,
    }


def _final_test_facts(ft: dict, L: dict) -> list[str]:
    facts = [L[key].format(n=ft[field]) for key, field in (("ft_bank", "bank_per_topic"),
                                                            ("ft_per_topic", "items_per_topic"), ("ft_items", "items"))
             if ft.get(field)]
    if ft.get("selection"):
        sel = ft["selection"]
        facts.append(L["ft_selection"].format(s=L[sel] if sel in ("random", "fixed") else sel))
    return facts


_JUMP = Markup("\x02bk-jump\x02")
_UNESCAPE = re.compile(r"\\(.)")
_KEEP = r"\1"
_H2 = re.compile(r"^## (.+?) \{ #([a-z0-9-]+) \}$", re.M)


def _with_jump_nav(markdown: str, label: str) -> str:
    """The page's sections as a short list of links, put where the template left ``jump``: phones
    get no table of contents for pages outside the nav (CSS hides it where Material shows its own)."""
    links = [f'<a href="#{anchor}">{esc_html(_UNESCAPE.sub(_KEEP, title))}</a>'
             for title, anchor in _H2.findall(markdown)]
    nav = (f'<nav class="bk-jump" aria-label="{esc_html(label)}"><ul>' + "".join(f"<li>{a}</li>" for a in links)
           + "</ul></nav>") if links else ""
    return markdown.replace(_JUMP, nav)


# --------------------------------------------------------------------------- organisations


def organisations_page(cat: Catalog, lang: str) -> dict:
    """The organisations index: name, city, number of programmes and of upcoming cohorts."""
    rows = []
    for o in sorted(cat.orgs, key=lambda o: sort_key(text_of(o.data["name"], lang), lang)):
        progs = cat.by_org.get(o.id, [])
        rows.append({"name": text_of(o.data["name"], lang), "href": md_link(ORGS_INDEX, organisation_src(o.id)),
                     "city": text_of(o.data.get("city"), lang) or "—", "programmes": len(progs),
                     "upcoming": sum(len(cat.upcoming.get(p.id, [])) for p in progs)})
    return {"rows": rows}


def organisation_page(cat: Catalog, org, lang: str) -> dict:
    """An organisation's model: its facts, programmes, application form and effective rules with their sources."""
    d = org.data
    src = organisation_src(org.id)
    name = text_of(d["name"], lang)
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
    national = cat.ruleset_document(org)
    doc_id = d.get("document")
    own = None
    if doc_id and doc_id in cat.docs:
        own = {"title": text_of(cat.docs[doc_id].title, lang), "href": md_link(src, regulation_src(doc_id))}
    ruleset = None
    if national in cat.docs:
        ruleset = {"short": cat.docs[national].short.get(lang) or cat.docs[national].short["kk"],
                   "href": md_link(src, regulation_src(national))}
    rules = cat.facts.rules.get(org.id)
    progs = sorted(cat.by_org.get(org.id, []), key=lambda p: sort_key(text_of(p.data["title"], lang), lang))
    return {
        "front": {"title": name, "description": desc, "bk_edit": edit_path(org, cat.ctx.root, "organisations"),
                  "bk_jsonld": _jsonld_text(jsonld)},
        "back_href": md_link(src, ORGS_INDEX), "name": name,
        "subtitles": [(x, d["name"][x]) for x in LANGUAGES if x != lang and has_text(d["name"], x)],
        "description": text_of(d["description"], lang) if d.get("description") else None,
        "kind": _kind_name(d.get("kind"), lang), "city": text_of(d["city"], lang) if d.get("city") else None,
        "website": d.get("website"), "own_rules": own, "ruleset": ruleset,
        "programmes": [{"title": text_of(p.data["title"], lang), "href": md_link(src, programme_src(p.id)),
                        "hours": hours_text(p.data["hours"], lang), "next": _next(cat, p, lang)} for p in progs],
        "form_href": _form_href(src, lang, cat.application_form_url(org, lang)),
        "apply_refs": _apply_refs(cat, src, org, lang), "contacts": _contacts(org, lang),
        "rules": None if rules is None else [
            {"label": rule_label(key, lang), "values": rule_value(rule, lang),
             "kk": lang != "kk" and key in KK_ONLY_RULES, "own": rule.record is org,
             "source": cat.rule_ref(src, rule, lang)}
            for key, rule in sorted(rules.items(), key=lambda kv: (_rule_order(kv[0]), kv[0]))],
    }


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
    """An iCalendar (RFC 5545) of the upcoming cohorts of ``progs`` and their application deadlines,
    in ``lang``; UIDs from the cohorts' ids, DTSTAMP the build date."""
    L = labels(lang)
    host = (cat.ctx.site_url.split("//", 1)[-1].split("/", 1)[0]) or "biliktilik"
    events = []
    for p in progs:
        org = cat.org(p)
        title = text_of(p.data["title"], lang)
        page = cat.url(lang, url_of(programme_src(p.id)))
        for u in cat.upcoming.get(p.id, []):
            desc = [f"{L['organisation']}: {text_of(org.data.get('name'), lang) if org else ''}",
                    f"{L['c_format']}: {_format_name(u.format, lang)}",
                    f"{L['c_lang']}: {_lang_name(u.language, lang)}",
                    f"{L['c_seats']}: {L['c_seats_of'].format(left=u.seats_left, seats=u.seats)}",
                    hours_text(p.data["hours"], lang)]
            if u.deadline:
                desc.append(f"{L['c_deadline']}: {date_text(u.deadline, lang)}")
            desc.append(page)
            events.append(Event(f"{u.id}@{host}", u.start, u.end, title, "\n".join(desc), _city(u, lang),
                                page + "#cohorts", "CONFIRMED"))
            if u.deadline and u.deadline >= cat.today:
                events.append(Event(f"{u.id}-deadline@{host}", u.deadline, u.deadline, f"{L['c_deadline']}: {title}",
                                    f"{date_text(u.start, lang)} – {date_text(u.end, lang)}\n{page}#apply",
                                    url=page + "#apply"))
    return ical(events, name=name, product=f"Catalog//{lang.upper()}", stamp=cat.today).decode("utf-8")


# --------------------------------------------------------------------------- entry point


def pages(ctx):
    """Write the catalog's pages for MkDocs (index, organisations, a page per programme and per
    organisation, in every language), catalog.json and the .ics calendars. Raises
    mdtemplates.LabelError (one line) on a broken label file."""
    cat = Catalog(ctx)
    data = catalog_json(cat)
    ctx.page(LANGUAGES[0], "catalog.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    for lang in LANGUAGES:
        ctx.page(lang, INDEX, _render("index.md.j2", lang, **index_page(cat, lang)))
        ctx.page(lang, ORGS_INDEX, _render("organisations.md.j2", lang, **organisations_page(cat, lang)))
        ctx.page(lang, "cohorts.ics", calendar(cat, lang, cat.programmes, labels(lang)["catalog"]))
        for p in cat.programmes:
            text = _render("programme.md.j2", lang, jump=_JUMP, **programme_page(cat, p, lang))
            ctx.page(lang, programme_src(p.id), _with_jump_nav(text, labels(lang)["contents"]))
            ctx.page(lang, programme_ics(p.id), calendar(cat, lang, [p], text_of(p.data["title"], lang)))
        for o in cat.orgs:
            ctx.page(lang, organisation_src(o.id), _render("organisation.md.j2", lang, **organisation_page(cat, o, lang)))


__all__ = ["pages", "catalog_json", "calendar", "Catalog", "labels", "index_page", "programme_page",
           "organisation_page", "organisations_page"]
