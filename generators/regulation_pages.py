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

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from biliktilik.project import LANGUAGES
from biliktilik.findings import BuildError

from biliktilik.model import regulation_text as rt
from generators.kit.addresses import form_urls
from generators.kit.sitekit import (CHECKS, REGS_INDEX, esc_html, esc_md, front_matter, href, md_link, root_href,
                      organisation_src, regulation_src, rule_label, rule_value, sort_key, text_of)

T = {
    "kk": {
        "regs": "Нормативтік құжаттар",
        "regs_intro": "Курстар осы құжаттардың негізінде ұйымдастырылады. Әр тармақтың тұрақты сілтемесі бар "
                      "(мысалы, 24-тармақтың 3) тармақшасы — <code>#p24-3</code>); валидатор тексеретін "
                      "тармақтар «тексеріледі» белгісімен белгіленген.",
        "national": "Жалпыұлттық қағидалар",
        "own": "Ұйымдардың ішкі ережелері",
        "applies": "Қолданылады",
        "all_orgs": "барлық ұйымдарға (ұйымның өз ережесі болмаса)",
        "checked": "тексеріледі",
        "checked_title": "Бұл тармақты валидатор тексереді: не тексерілетінін қараңыз",
        "checks": "Валидатор тексеретін нормалар",
        "checks_intro": "Деректер жарияланар алдында <code>biliktilik validate</code> әр жазбаны осы нормалар "
                        "бойынша тексереді. Әр жолда — тармақ (құжаттағы орнына сілтеме), ереже, оның мәні және "
                        "ол қолданылатын ұйымдар. Ұйымның өз ережесі № 95 бұйрықтың сол нормасын ауыстырады. "
                        "Валидатордың "
                        "хабарламасы ережені ағылшынша атайды (мысалы, <code>(Order 95, p. 24.3)</code>): ол осы "
                        "кестеде әр ереженің астында жазылған.",
        "col_par": "Тармақ", "col_rule": "Ереже", "col_value": "Мәні", "col_orgs": "Кімге қолданылады",
        "default_for_none": "№ 95 бұйрықтың әдепкі нормасы (барлық ұйымда өз ережесімен ауыстырылған)",
        "source": "Дереккөзі",
        "official_kk": "",
        "form": "Бланкіні жүктеу (PDF)",
        "form_kk": "қазақша", "form_ru": "орысша",
        "annex": "{n}-қосымша",
        "organisation": "Ұйым",
        "meta_note": "Мәтін түпнұсқадан (ресми жарияланған мәтіннен) өзгеріссіз көшірілді: емле мен тыныс "
                     "белгілері баспадағыдай, түзетулер туралы ескертпелер өз орнында.",
        "whole": "Құжаттың толық мәтіні",
        "checks_link": "Валидатор тексеретін нормалар",
    },
    "ru": {
        "regs": "Нормативные документы",
        "regs_intro": "Курсы организуются на основании этих документов. У каждого пункта есть постоянная ссылка "
                      "(например, подпункт 3) пункта 24 — <code>#p24-3</code>); пункты, которые проверяет "
                      "валидатор, отмечены знаком «проверяется».",
        "national": "Общенациональные правила",
        "own": "Внутренние правила организаций",
        "applies": "Применяется",
        "all_orgs": "ко всем организациям (если у организации нет своего правила)",
        "checked": "проверяется",
        "checked_title": "Этот пункт проверяет валидатор: посмотреть, что проверяется",
        "checks": "Нормы, которые проверяет валидатор",
        "checks_intro": "Перед публикацией <code>biliktilik validate</code> проверяет каждую запись по этим нормам. "
                        "В каждой строке — пункт (ссылка на его место в документе), правило, его значение и "
                        "организации, к которым оно применяется. Собственное правило организации заменяет "
                        "соответствующую норму приказа № 95. Сообщения валидатора называют правило по-английски "
                        "(например, <code>(Order 95, p. 24.3)</code>): так оно подписано под каждым правилом "
                        "в таблице.",
        "col_par": "Пункт", "col_rule": "Правило", "col_value": "Значение", "col_orgs": "К кому применяется",
        "default_for_none": "норма приказа № 95 по умолчанию (все организации заменили её своим правилом)",
        "source": "Источник",
        "official_kk": "Официальный текст этого документа опубликован только на казахском языке. Он приведён "
                       "ниже без изменений и без перевода; на русском языке — только элементы интерфейса.",
        "form": "Скачать бланк (PDF)",
        "form_kk": "на казахском", "form_ru": "на русском",
        "annex": "Приложение {n}",
        "organisation": "Организация",
        "meta_note": "Текст перенесён из оригинала (официально опубликованного текста) без изменений: "
                     "орфография и пунктуация как в печатном тексте, примечания об изменениях на своих местах.",
        "whole": "Полный текст документа",
        "checks_link": "Нормы, которые проверяет валидатор",
    },
}

CONTENT = Path("content") / "regulations"


# --------------------------------------------------------------------------- data


def documents(ctx) -> dict[str, rt.Document]:
    """Every content/regulations/*.yaml of the project being built (read once, see rt.documents)."""
    try:
        return rt.documents(Path(ctx.root) / CONTENT)
    except (ValueError, OSError, yaml.YAMLError) as exc:  # load() names the file and the problem
        raise BuildError(f"cannot read the regulation texts: {exc}") from exc


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
    for (doc, anchor, key, _), entry in sorted(by_key.items()):
        out.setdefault((doc, anchor), []).append(entry)
    _CHECKED.clear()  # one build's at a time
    _CHECKED[id(facts)] = (facts, out)
    return out


def _record_rules(rec, ds):
    """The rules a rule-set record writes, as Rule objects with their sources."""
    from biliktilik.model.rules import _rules_of, citations  # the same reading as the validator's

    return sorted(_rules_of(rec, citations(ds)).items())


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
        raise BuildError("rules cite paragraphs that do not exist:\n  " + "\n  ".join(sorted(set(problems))))


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


# --------------------------------------------------------------------------- forms


# --------------------------------------------------------------------------- rendering


class _Page:
    def __init__(self, ctx, doc: rt.Document, lang: str):
        self.ctx, self.doc, self.lang, self.t = ctx, doc, lang, T[lang]
        self.src = regulation_src(doc.id)
        self.checked = {a for (d, a) in checked_rules(ctx) if d == doc.id}
        self.kk_attr = ' lang="kk"' if lang != "kk" else ""
        self.out: list[str] = []
        self.heading_level = 2

    # small pieces -------------------------------------------------------
    def badge(self, anchor: str) -> str:
        if anchor not in self.checked:
            return ""
        url = href(self.src, f"regulations/checks/#{checked_anchor_id(self.doc.id, anchor)}")
        lang_attr = f' lang="{self.lang}"' if self.lang != "kk" else ""
        return (f' <a class="bk-checked" href="{url}" title="{esc_html(self.t["checked_title"])}"{lang_attr}>'
                f'{esc_html(self.t["checked"])}</a>')

    def num_link(self, anchor: str, number: str) -> str:
        return f'<a class="bk-n" href="#{anchor}">{esc_html(number)}</a>'

    def emit(self, *lines: str):
        self.out.extend(lines)

    # blocks --------------------------------------------------------------
    def items_html(self, items: list[rt.Item]) -> str:
        parts = ['<ul class="bk-items">']
        for it in items:
            if it.number:
                lead = self.num_link(it.id, it.number) + " "
            else:
                lead = f'<span class="bk-n" aria-hidden="true">{esc_html(it.marker or "•")}</span> '
            body = f"<p>{lead}{esc_html(it.text)}{self.badge(it.id)}</p>"
            body += "".join(f"<p>{esc_html(m)}</p>" for m in it.more)
            if it.items:
                body += self.items_html(it.items)
            parts.append(f'<li id="{it.id}">{body}</li>')
        parts.append("</ul>")
        return "".join(parts)

    def paragraph(self, b: rt.Block):
        lead = (self.num_link(b.id, f"{b.number}.") + " ") if b.number else ""
        html = [f'<div class="bk-p" id="{b.id}"{self.kk_attr}>',
                f"<p>{lead}{esc_html(b.text)}{self.badge(b.id)}</p>"]
        if b.items:
            html.append(self.items_html(b.items))
        for part in b.more:
            inner = f"<p>{esc_html(part.text)}{self.badge(part.id) if part.id else ''}</p>"
            if part.items:
                inner += self.items_html(part.items)
            html.append(f'<div id="{part.id}">{inner}</div>' if part.id else inner)
        html.append("</div>")
        self.emit("", "".join(html), "")

    def table_html(self, tid: str | None, columns, rows, title=None) -> str:
        cap = f"<caption>{esc_html(title)}</caption>" if title else ""
        ident = f' id="{tid}"' if tid else ""
        if not rows:  # a printed header band without data rows: one row of cells, not headers
            cells = "".join(f"<td>{esc_html(c)}</td>" for c in columns)
            return f"<table{ident} class=\"bk-band\"{self.kk_attr}>{cap}<tbody><tr>{cells}</tr></tbody></table>"
        head = "".join(f'<th scope="col">{esc_html(c)}</th>' for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{esc_html(c)}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table{ident}{self.kk_attr}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def heading(self, level: int, text_md: str, anchor: str):
        attrs = f"#{anchor}" + (' lang="kk"' if self.lang != "kk" else "")
        self.emit("", f"{'#' * level} {text_md} {{ {attrs} }}", "")
        if anchor in self.checked:
            self.emit(f'<p class="bk-checked-line">{self.badge(anchor).strip()}</p>', "")

    def annex(self, b: rt.Block):
        label = self.t["annex"].format(n=b.number)
        title = esc_md(b.title) if b.title else ""
        if self.lang != "kk" and title:
            title = f'<span lang="kk">{title}</span>'
        attrs = f"#{b.id}"
        self.emit("", f"## {esc_md(label)}{'. ' + title if title else ''} {{ {attrs} }}", "")
        html = [f'<div class="bk-annex"{self.kk_attr}>']
        if b.id in self.checked:
            html.append(f'<p class="bk-checked-line">{self.badge(b.id).strip()}</p>')
        html.append(f'<p class="bk-annex-header">{esc_html(b.header)}</p>')
        html.append('<div class="bk-form">')
        for ln in b.lines:
            if isinstance(ln, rt.Table):
                html.append(self.table_html(ln.id, ln.columns, ln.rows, ln.title))
            else:
                html.append(f"<p>{esc_html(ln)}</p>")
        html.append("</div>")
        html.append(self.form_links(b.id))
        html.append("</div>")
        self.emit("", "".join(html), "")

    def form_links(self, anchor: str) -> str:
        links = []
        for flang in LANGUAGES:
            for url in form_urls(self.doc.id, anchor, flang):
                word = self.t["form_" + flang]
                target = root_href(self.src, self.lang, url, LANGUAGES[0])
                links.append(f'<a href="{target}" hreflang="{flang}" type="application/pdf">{esc_html(word)}</a>')
        if not links:
            return ""
        lang_attr = f' lang="{self.lang}"' if self.lang != "kk" else ""
        return f'<p class="bk-form-link"{lang_attr}>{esc_html(self.t["form"])}: {" · ".join(links)}</p>'

    def block(self, b: rt.Block):
        k = b.kind
        if k == "paragraph":
            self.paragraph(b)
        elif k == "heading":
            self.heading(self.heading_level, esc_md(b.text), b.id)
        elif k == "title":
            self.heading(2, esc_md(b.text), b.id)
            self.heading_level = 3
        elif k == "note":
            self.emit("", f'<p class="bk-note" id="{b.id}"{self.kk_attr}>{esc_html(b.text)}{self.badge(b.id)}</p>', "")
        elif k == "preamble":
            self.emit("", f'<p class="bk-preamble" id="{b.id}"{self.kk_attr}>'
                          f'{esc_html(b.text)}{self.badge(b.id)}</p>', "")
        elif k == "table":
            self.emit("", self.table_html(b.id, b.columns, b.rows, b.title) + self.form_links(b.id), "")
        elif k == "annex":
            self.annex(b)
        elif k in ("signature", "approval"):
            lines = "<br>".join(esc_html(x) for x in b.lines)
            self.emit("", f'<p class="bk-{k}" id="{b.id}"{self.kk_attr}>{lines}</p>', "")
        elif k == "footer":
            self.emit("", f'<p class="bk-doc-footer" id="{b.id}"{self.kk_attr}>{esc_html(b.text)}</p>', "")
        else:  # a kind regulation_text accepts but this page does not know: show its text, never drop it
            self.emit("", f'<p id="{b.id}"{self.kk_attr}>{esc_html(b.text or "")}</p>', "")

    # the page ------------------------------------------------------------
    def render(self) -> str:
        doc, t, lang = self.doc, self.t, self.lang
        title = text_of(doc.title, lang)
        owner = document_owner(self.ctx, doc.id)
        edit = doc.path and _rel(doc.path, self.ctx.root) or f"content/regulations/{doc.id}.yaml"
        self.emit(front_matter(title=title, description=title, bk_edit=edit).rstrip("\n"), "")
        self.emit(f"# {esc_md(title)} {{ #top }}", "")
        if lang != "kk":
            self.emit(f'<p class="bk-lang-note" lang="ru">{esc_html(t["official_kk"])}</p>', "")
        info = []
        if owner and owner[0] == "organisation":
            org = owner[1]
            info.append(f"{t['organisation']}: [{esc_md(text_of(org.data.get('name'), lang))}]"
                        f"({md_link(self.src, organisation_src(org.id))})")
        elif owner:
            info.append(f"{t['applies']}: {t['all_orgs']}")
        if self.checked:
            info.append(f"[{esc_md(t['checks_link'])}]({md_link(self.src, CHECKS, _checks_section(doc.id))})")
        if info:
            self.emit(" · ".join(info), "")
        self.emit(f'<p class="bk-small">{esc_html(t["meta_note"])}</p>', "")
        if doc.printed_title:  # as printed; a heading, so that the table of contents starts with it
            attrs = "#printed-title .bk-printed-title" + (' lang="kk"' if lang != "kk" else "")
            self.emit("", f"## {esc_md(' '.join(doc.printed_title))} {{ {attrs} }}", "")
        for m in doc.meta:
            self.emit("", f'<p class="bk-doc-meta"{self.kk_attr}>{esc_html(m)}</p>', "")
        self.emit('<div class="bk-reg" markdown="1">', "")
        for b in doc.blocks:
            self.block(b)
        self.emit("", "</div>", "")
        return "\n".join(self.out) + "\n"


def _rel(path, root) -> str | None:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None


def _checks_section(doc_id: str) -> str:
    return f"doc-{doc_id}"


def _cite(doc: rt.Document, anchor: str, lang: str) -> str:
    return rt.cite(doc, anchor, lang)


# --------------------------------------------------------------------------- index and checks pages


def _index(ctx, lang: str, docs) -> str:
    t = T[lang]
    src = REGS_INDEX
    out = [front_matter(title=t["regs"], bk_edit="").rstrip("\n"), "", f"# {esc_md(t['regs'])}", "",
           t["regs_intro"], ""]
    national, own = [], []
    for doc_id in sorted(docs, key=lambda d: sort_key(text_of(docs[d].title, lang))):
        owner = document_owner(ctx, doc_id)
        (own if owner and owner[0] == "organisation" else national).append(doc_id)
    for heading, ids, anchor in ((t["national"], national, "national"), (t["own"], own, "own")):
        if not ids:
            continue
        out += [f"## {esc_md(heading)} {{ #{anchor} }}", ""]
        for doc_id in ids:
            doc = docs[doc_id]
            owner = document_owner(ctx, doc_id)
            line = f"- [{esc_md(text_of(doc.title, lang))}]({md_link(src, regulation_src(doc_id))})"
            if owner and owner[0] == "organisation":
                org = owner[1]
                line += f" — [{esc_md(text_of(org.data.get('name'), lang))}]({md_link(src, organisation_src(org.id))})"
            out.append(line)
        out.append("")
    out += [f"## {esc_md(t['checks'])} {{ #checks }}", "",
            f"[{esc_md(t['checks'])}]({md_link(src, CHECKS)})", ""]
    return "\n".join(out) + "\n"


def _checks(ctx, lang: str, docs) -> str:
    t = T[lang]
    src = CHECKS
    ds = ctx.dataset
    out = [front_matter(title=t["checks"], bk_edit="").rstrip("\n"), "", f"# {esc_md(t['checks'])}", "",
           t["checks_intro"], ""]
    rows_by_doc: dict[str, list] = {}
    for (doc_id, anchor), entries in checked_rules(ctx).items():
        rows_by_doc.setdefault(doc_id, []).append((anchor, entries))
    def doc_order(d):
        owner = document_owner(ctx, d)
        return (0 if owner and owner[0] == "ruleset" else 1, d)

    for doc_id in sorted(rows_by_doc, key=doc_order):
        doc = docs.get(doc_id)
        if doc is None:
            continue
        order = {a: i for i, a in enumerate(rt.anchors(doc))}
        out += [f"## [{esc_md(text_of(doc.title, lang))}]({md_link(src, regulation_src(doc_id))}) "
                f"{{ #{_checks_section(doc_id)} }}", "",
                f"| {t['col_par']} | {t['col_rule']} | {t['col_value']} | {t['col_orgs']} |",
                "|---|---|---|---|"]
        for anchor, entries in sorted(rows_by_doc[doc_id], key=lambda x: order.get(x[0], 10 ** 6)):
            cite = f"[{esc_md(_cite(doc, anchor, lang))}]({md_link(src, regulation_src(doc_id), anchor)})"
            for i, e in enumerate(entries):
                cell = f'<span id="{checked_anchor_id(doc_id, anchor)}"></span>{cite}' if i == 0 else cite
                value = "<br>".join(esc_md(v) for v in rule_value(e.rule, lang))
                if lang != "kk" and e.rule.key in ("trainer_requirements", "competence_groups", "work_off"):
                    value = f'<span lang="kk">{value}</span>'
                if e.organisations:
                    names = {o: ds.organisations[o].data.get("short_name") or ds.organisations[o].data.get("name")
                             for o in e.organisations}
                    orgs = ", ".join(f"[{esc_md(text_of(names[o], lang))}]({md_link(src, organisation_src(o))}#rules)"
                                     for o in e.organisations)
                else:
                    orgs = esc_md(t["default_for_none"])
                rule_cell = (f"{esc_md(rule_label(e.rule.key, lang))}<br><small><code>{e.rule.key}</code> · "
                             f"{esc_md(str(e.rule))}</small>")
                out.append(f"| {cell} | {rule_cell} | {value} | {orgs} |")
        out.append("")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- entry point


def pages(ctx):
    docs = documents(ctx)
    check_sources(ctx)
    for lang in LANGUAGES:
        ctx.page(lang, REGS_INDEX, _index(ctx, lang, docs))
        ctx.page(lang, CHECKS, _checks(ctx, lang, docs))
        for doc_id, doc in sorted(docs.items()):
            ctx.page(lang, regulation_src(doc_id), _Page(ctx, doc, lang).render())


__all__ = ["pages", "documents", "checked_rules", "checked_anchor_id"]
