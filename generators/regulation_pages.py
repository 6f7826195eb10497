"""Regulation pages: every document of content/regulations/ in full, as published, with a
stable anchor on every block (``#p24``, ``#p24-3``, ``#annex-1``), in both languages.

The sources are Kazakh only: the Russian pages show the Kazakh text (marked ``lang="kk"``)
under a Russian interface and say that the official text is Kazakh. Nothing is translated.

Two-way links with the validator: every rule of every rule set and every organisation's
effective rules (what ``biliktilik validate`` enforces) cites a paragraph; that paragraph
carries a "тексеріледі / проверяется" badge linking to its row on ``regulations/checks/``,
and that row links back to the paragraph and to the organisations the rule applies to.
Annexes link to their blank forms (``site/forms/<org>/<form>.<lang>.pdf``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml
from markupsafe import Markup

from biliktilik.project import LANGUAGES, TEMPLATES, labels
from biliktilik.findings import BuildError
from biliktilik.i18n import _

from biliktilik.model import regulation_text as rt
from biliktilik.validate import coverage
from generators.kit.addresses import form_urls
from generators.kit import jinja
from generators.kit.sitekit import (CHECKS, REGS_INDEX, esc_html, esc_md, front_matter, href, md_link, root_href,
                                   organisation_src, regulation_src, rule_label, rule_value, sort_key, text_of)

T = {lang: labels("regulation")[lang] for lang in LANGUAGES}  # templates/regulation/labels.yaml

CONTENT = Path("content") / "regulations"


# --------------------------------------------------------------------------- data


def documents(ctx) -> dict[str, rt.Document]:
    """Every content/regulations/*.yaml of the project being built (read once, see rt.documents)."""
    try:
        return rt.documents(Path(ctx.root) / CONTENT)
    except (ValueError, OSError, yaml.YAMLError) as exc:  # load() names the file and the problem
        raise BuildError(_("cannot read the regulation texts: {exc}").format(exc=exc)) from exc


@dataclass
class CheckedRule:
    """One rule the validator enforces, with everyone it applies to."""
    rule: object
    owner: str  # the record that writes it: a rule set id or an organisation id
    organisations: list[str] = field(default_factory=list)


_CHECKED: dict[int, tuple] = {}  # id(facts) -> (facts, checked rules): computed once per build


def checked_rules(ctx) -> dict[tuple[str, str], list[CheckedRule]]:
    """(document, anchor) -> the rules citing it: every rule of every rule set (the national
    defaults) and every organisation's effective rules; in document order of anchors."""
    ds, facts = ctx.dataset, ctx.facts
    cached = _CHECKED.get(id(facts))
    if cached is not None and cached[0] is facts:
        return cached[1]
    by_key: dict[tuple, CheckedRule] = {}
    for rid, rec in sorted(ds.rulesets.items()):
        for key, rule in _record_rules(rec, ds):
            by_key.setdefault((rule.source.document, rule.source.anchor, key, rec.file), CheckedRule(rule, rid))
    for oid in sorted(ds.organisations):
        rules = facts.rules.get(oid)
        if rules is None:
            continue
        for key, rule in rules.items():
            entry = by_key.setdefault((rule.source.document, rule.source.anchor, key, rule.record.file),
                                      CheckedRule(rule, rule.record.id))
            entry.organisations.append(oid)
    out: dict[tuple[str, str], list[CheckedRule]] = {}
    for (doc, anchor, key, _file), entry in sorted(by_key.items()):
        out.setdefault((doc, anchor), []).append(entry)
    _CHECKED.clear()  # one build's at a time
    _CHECKED[id(facts)] = (facts, out)
    return out


def not_checkable(ctx) -> dict[tuple[str, str], str]:
    """(document, anchor) -> reason id of every paragraph a rule set or organisation marks
    ``checkable: false`` (biliktilik.validate.coverage): the page says "not checkable from the records"."""
    cached = _UNCHECKED.get(id(ctx.facts))
    if cached is not None and cached[0] is ctx.facts:
        return cached[1]
    found = coverage.not_checkable(ctx.dataset)
    _UNCHECKED.clear()
    _UNCHECKED[id(ctx.facts)] = (ctx.facts, found)
    return found


_UNCHECKED: dict[int, tuple] = {}


def _record_rules(rec, ds):
    """The rules a rule-set record writes, as Rule objects with their sources."""
    from biliktilik.model.rules import rules_of, citations  # the same reading as the validator's

    return sorted(rules_of(rec, citations(ds)).items())


def check_sources(ctx):
    """Every rule must cite an anchor that exists: a clear error, not a broken link."""
    docs = documents(ctx)
    problems = []
    for (doc, anchor), entries in checked_rules(ctx).items():
        for e in entries:
            rec = e.rule.record
            if doc not in docs:
                known = ", ".join(sorted(docs)) or "none"
                problems.append(_where(rec, e.rule.key) + f"rule '{e.rule.key}' cites '{doc}#{anchor}', but there "
                                f"is no content/regulations/{doc}.yaml (known: {known})")
            elif anchor not in docs[doc]._index:
                problems.append(_where(rec, e.rule.key) + f"rule '{e.rule.key}' cites '{doc}#{anchor}', but "
                                f"content/regulations/{doc}.yaml has no paragraph with that anchor")
    if problems:
        raise BuildError(_("rules cite paragraphs that do not exist:") + "\n  " + "\n  ".join(sorted(set(problems))))


def _where(rec, key) -> str:
    try:
        line, col = rec.at("rules", key, "source")
    except Exception:  # noqa: BLE001 - a position is a courtesy
        line, col = 1, 1
    return f"{rec.file}:{line}:{col}: "


def document_owner(ctx, doc_id: str) -> tuple[str, object] | None:
    """('ruleset', record) or ('organisation', record) whose document this is."""
    for rec in sorted(ctx.dataset.rulesets.values(), key=lambda r: r.id):
        if rec.data.get("document") == doc_id:
            return "ruleset", rec
    for rec in sorted(ctx.dataset.organisations.values(), key=lambda r: r.id):
        if rec.data.get("document") == doc_id:
            return "organisation", rec
    return None


def checked_anchor_id(doc: str, anchor: str) -> str:
    return f"{doc}-{anchor}"


# --------------------------------------------------------------------------- rendering


@functools.cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment of the regulation pages (templates/regulation/*.md.j2), made once.

    The templates write Markdown with raw HTML: ``h`` escapes text for HTML (quotes too, as
    ``html.escape``), ``md`` escapes it for Markdown (:func:`esc_md`); anything else printed is
    autoescaped; ``is table`` tells an annex's table from its lines of text."""
    env = jinja.environment(TEMPLATES, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                            lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["h"] = lambda text: Markup(esc_html(text))
    env.filters["md"] = lambda text: Markup(esc_md(text))
    env.tests["table"] = lambda value: isinstance(value, rt.Table)
    return env


def _render(template: str, **context) -> str:
    return environment().get_template(f"regulation/{template}").render(**context)


def _front(**meta) -> Markup:
    return Markup(front_matter(**meta).rstrip("\n"))


def _block_levels(blocks) -> list[tuple]:
    """(block, heading level) pairs: headings are level 2 until a "title" block, level 3 after it."""
    out, level = [], 2
    for b in blocks:
        out.append((b, 2 if b.kind == "title" else level))
        if b.kind == "title":
            level = 3
    return out


def document_page(ctx, doc: rt.Document, lang: str) -> str:
    """The Markdown page of one regulation document in ``lang`` ("kk" or "ru"): every block at its
    stable anchor (``#p24-3``), a badge on each paragraph the validator checks (linking to its row
    on regulations/checks/), annexes and tables linked to their blank forms (site/forms/)."""
    src = regulation_src(doc.id)
    t = T[lang]
    checked = {a for (d, a) in checked_rules(ctx) if d == doc.id}
    badges = {a: href(src, f"regulations/checks/#{checked_anchor_id(doc.id, a)}") for a in checked}
    reasons = labels("regulation")["reasons"]
    unchecked = {a: text_of(reasons.get(r) or {}, lang) for (d, a), r in not_checkable(ctx).items()
                 if d == doc.id and a not in checked}

    def forms(anchor: str) -> list[dict]:
        return [{"lang": flang, "href": root_href(src, lang, url, LANGUAGES[0])}
                for flang in LANGUAGES for url in form_urls(doc.id, anchor, flang)]

    title = text_of(doc.title, lang)
    owner = document_owner(ctx, doc.id)
    info = []
    if owner and owner[0] == "organisation":
        org = owner[1]
        info.append({"label": t["organisation"], "text": text_of(org.data.get("name"), lang),
                     "href": md_link(src, organisation_src(org.id))})
    elif owner:
        info.append({"label": t["applies"], "text": t["all_orgs"], "href": None})
    if checked:
        info.append({"label": None, "text": t["checks_link"], "href": md_link(src, CHECKS, _checks_section(doc.id))})
    edit = doc.path and _rel(doc.path, ctx.root) or f"content/regulations/{doc.id}.yaml"
    return _render("document.md.j2", t=t, lang=lang, doc=doc, title=title, info=info,
                   front=_front(title=title, description=title, bk_edit=edit),
                   kk_attr=Markup(' lang="kk"') if lang != "kk" else "",
                   ui_lang_attr=Markup(f' lang="{lang}"') if lang != "kk" else "",
                   printed_title=" ".join(doc.printed_title) if doc.printed_title else "",
                   blocks=_block_levels(doc.blocks), badges=badges, unchecked=unchecked, forms=forms)


def _rel(path, root) -> str | None:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None


def _checks_section(doc_id: str) -> str:
    return f"doc-{doc_id}"


# --------------------------------------------------------------------------- index and checks pages


def _index(ctx, lang: str, docs) -> str:
    t = T[lang]
    src = REGS_INDEX
    national, own = [], []
    for doc_id in sorted(docs, key=lambda d: sort_key(text_of(docs[d].title, lang), lang)):
        owner = document_owner(ctx, doc_id)
        entry = {"title": text_of(docs[doc_id].title, lang), "href": md_link(src, regulation_src(doc_id)),
                 "organisation": None}
        if owner and owner[0] == "organisation":
            org = owner[1]
            entry["organisation"] = {"name": text_of(org.data.get("name"), lang),
                                     "href": md_link(src, organisation_src(org.id))}
            own.append(entry)
        else:
            national.append(entry)
    sections = [{"heading": heading, "anchor": anchor, "documents": entries}
                for heading, entries, anchor in ((t["national"], national, "national"), (t["own"], own, "own"))
                if entries]
    return _render("index.md.j2", t=t, front=_front(title=t["regs"], bk_edit=""), sections=sections,
                   checks_href=md_link(src, CHECKS))


_KAZAKH_ONLY = ("trainer_requirements", "competence_groups", "work_off")  # values transcribed in Kazakh only


def _checks(ctx, lang: str, docs) -> str:
    t = T[lang]
    src = CHECKS
    ds = ctx.dataset
    rows_by_doc: dict[str, list] = {}
    for (doc_id, anchor), entries in checked_rules(ctx).items():
        rows_by_doc.setdefault(doc_id, []).append((anchor, entries))

    def doc_order(d):
        owner = document_owner(ctx, d)
        return (0 if owner and owner[0] == "ruleset" else 1, d)

    sections = []
    for doc_id in sorted(rows_by_doc, key=doc_order):
        doc = docs.get(doc_id)
        if doc is None:
            continue
        order = {a: i for i, a in enumerate(rt.anchors(doc))}
        rows = []
        for anchor, entries in sorted(rows_by_doc[doc_id], key=lambda x: order.get(x[0], 10 ** 6)):
            for i, e in enumerate(entries):
                names = {o: ds.organisations[o].data.get("short_name") or ds.organisations[o].data.get("name")
                         for o in e.organisations}
                rows.append({
                    "span_id": checked_anchor_id(doc_id, anchor) if i == 0 else None,
                    "cite": rt.cite(doc, anchor, lang), "cite_href": md_link(src, regulation_src(doc_id), anchor),
                    "label": rule_label(e.rule.key, lang), "key": e.rule.key, "rule": str(e.rule),
                    "value_lines": rule_value(e.rule, lang), "kazakh_only": lang != "kk" and e.rule.key in _KAZAKH_ONLY,
                    "organisations": [(text_of(names[o], lang), md_link(src, organisation_src(o)) + "#rules")
                                      for o in e.organisations]})
        sections.append({"title": text_of(doc.title, lang), "href": md_link(src, regulation_src(doc_id)),
                         "anchor": _checks_section(doc_id), "rows": rows})
    return _render("checks.md.j2", t=t, lang=lang, front=_front(title=t["checks"], bk_edit=""), sections=sections)


# --------------------------------------------------------------------------- entry point


def pages(ctx):
    docs = documents(ctx)
    check_sources(ctx)
    for lang in LANGUAGES:
        ctx.page(lang, REGS_INDEX, _index(ctx, lang, docs))
        ctx.page(lang, CHECKS, _checks(ctx, lang, docs))
        for doc_id, doc in sorted(docs.items()):
            ctx.page(lang, regulation_src(doc_id), document_page(ctx, doc, lang))


__all__ = ["pages", "documents", "checked_rules", "checked_anchor_id"]
