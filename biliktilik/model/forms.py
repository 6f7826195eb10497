"""The printable forms: which exist, which filled forms the records give, and what each prints.

The layouts (templates/forms/layouts.yaml) say where each form's printed lines are (the regulation
transcriptions in content/regulations/) and which value goes in which blank. This module decides,
from the checked dataset and its facts:

- ``specs()``: every form (``org/form``, e.g. ``conservatory/annex-1``), blank versions of which are public;
- ``filled_forms(ds, facts)``: the filled forms the records give (an application per listener, the
  Conservatory's post-course plan and report per graduate, the internship reference and certificate,
  KAZGUU's staff application list per year, the acknowledgement sheet), each with its values;
- ``Filled.missing``: the fields a filled form needs and the record lacks. The validator reports them
  (biliktilik/form_checks.py) and the build does not print such a form: no form is printed with a hole.

Rendering is generators/forms.py's; nothing here writes files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import yaml

from biliktilik.model.certificates import person_name
from biliktilik.load.dataset import Dataset, Record
from biliktilik.model.facts import Facts, ListenerFacts, previous_course
from biliktilik.project import LANGUAGES, TEMPLATES, labels
from biliktilik.texts import name_sort_key, sort_key, text_of

LAYOUTS = TEMPLATES / "forms" / "layouts.yaml"
LANGS = LANGUAGES
BLANK_RE = re.compile(r"_+")


class LayoutError(ValueError):
    """The layouts file does not follow the transcriptions (a build error, not bad data)."""


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class FormSpec:
    org: str  # the forms folder: order-95 (national forms), conservatory, ecd-institute, kazguu
    id: str  # annex-1, annex-2-1, amendment-sheet: the anchor in the document
    document: str  # the regulation transcription holding the printed lines
    source: str  # annex or table anchor in that document
    role: str
    title: dict
    header: dict  # {ru} or {kk, ru}
    parent: str | None
    parent_header: dict
    page: str
    lines: tuple
    blank_values: tuple
    owner: str | None
    like: str | None
    cites: str  # the regulation whose annex this form is (the Institute's forms: its rules, not Order 95)

    @property
    def key(self) -> str:
        return f"{self.org}/{self.id}"

    def keys(self, lang: str) -> list[str]:
        """Every value key a filled form of this spec prints in ``lang``, in order."""
        return _spec_keys(self.key, lang)


@lru_cache(maxsize=256)
def _spec_keys(key: str, lang: str) -> list[str]:
    out: list[str] = []
    for ln in specs()[key].lines:
        if "table" in ln:
            if ln.get("rows"):
                out.append(ln["rows"])
            out.extend(k for k in ln.get("cells") or [] if k)
            continue
        fill = ln.get("fill") or []
        if isinstance(fill, dict):
            fill = fill.get(lang) or []
        out.extend(k for k in fill if k)
        if ln.get("value"):
            out.append(ln["value"])
        out.extend(r["key"] for r in ln.get("replace") or [])
    return list(dict.fromkeys(out))


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> dict:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    forms = raw.get("forms") or {}
    out = {}
    for key, f in forms.items():
        org, _, fid = key.partition("/")
        base = forms.get(f.get("like")) if f.get("like") else f
        if base is None:
            raise LayoutError(f"{path}: form {key} is like unknown form {f.get('like')!r}")
        out[key] = FormSpec(
            org=org, id=fid, document=base["document"], source=base["source"], role=f["role"],
            title=f["title"], header=f.get("header") or {}, parent=base.get("parent"),
            parent_header=base.get("parent_header") or {}, page=f.get("page") or base.get("page") or "portrait",
            lines=tuple(base["lines"]), blank_values=tuple(f.get("blank_values") or ()),
            owner=f.get("owner"), like=f.get("like"), cites=f.get("cites") or base["document"])
    return {"forms": out, "defaults": raw.get("defaults") or "order-95",
            "list_instead": tuple(raw.get("list_instead_of_application") or ())}


_REGISTRY: dict = {}


def _registry() -> dict:
    """The layouts, read once per process (a validation asks for them once per listener)."""
    if not _REGISTRY:
        _REGISTRY.update(_load(LAYOUTS, LAYOUTS.stat().st_mtime))
    return _REGISTRY


def specs() -> dict[str, FormSpec]:
    """``org/form`` -> FormSpec, in the layouts' order."""
    return _registry()["forms"]


@lru_cache(maxsize=1024)
def spec_for(org_id: str, role: str) -> FormSpec | None:
    """The form an organisation uses for a role: its own, else the national (Order 95) one."""
    reg = _registry()
    own = [s for s in reg["forms"].values() if s.org == org_id and s.role == role]
    if own:
        return own[0]
    national = [s for s in reg["forms"].values() if s.org == reg["defaults"] and s.role == role]
    return national[0] if national else None


def spec_for_anchor(document: str, anchor: str) -> list[FormSpec]:
    """The forms whose printed lines are the given annex (or table) of a regulation."""
    return [s for s in specs().values() if s.document == document and s.source == anchor]


# --------------------------------------------------------------------------- fields


_FIELDS = labels("forms")["fields"]  # templates/forms/labels.yaml: the words the forms fill in
_LANG_NAMES = _FIELDS["language_names"]  # form language -> cohort language -> "қазақ" / "казахском"
_LANG_GROUP_RU = _FIELDS["language_group_ru"]  # cohort language -> "казахским" (Russian group lists)
_MONTHS = _FIELDS["months"]  # form language -> 12 month names
_TRAINER_ROLE = _FIELDS["trainer_role"]  # form language -> the trainer's role on the amendment register


def _date(d) -> str | None:
    return d.strftime("%d.%m.%Y") if isinstance(d, dt.date) else None


def full_name(name) -> str | None:
    if not isinstance(name, dict):
        return None
    return person_name(name) or None


def _get(data, *path):
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


@dataclass
class Subject:
    """What a filled form is about: a listener (with its cohort, programme and organisation), or an
    organisation and a year (KAZGUU's list), or an organisation (the acknowledgement sheet)."""
    ds: Dataset
    facts: Facts
    organisation: Record
    lf: ListenerFacts | None = None
    cohort: Record | None = None
    programme: Record | None = None
    rows: list = field(default_factory=list)  # row subjects of a list form

    @property
    def listener(self) -> dict:
        return self.lf.data if self.lf else {}


@dataclass(frozen=True)
class Field:
    key: str
    record: str  # listener, cohort, organisation, programme: which record must carry the data
    path: tuple  # the data path to add, for the message
    what: str  # what it is, in English, for the message
    get: Callable[[Subject, str], object]


def _f(key, record, path, what):
    def deco(fn):
        FIELDS[key] = Field(key, record, path, what, fn)
        return fn
    return deco


FIELDS: dict[str, Field] = {}


def _listener_field(key, path, what):
    FIELDS[key] = Field(key, "listener", path, what, lambda s, lang: _get(s.listener, *path))


for _key, _path, _what in [
    ("iin", ("iin",), "the IIN"), ("employer", ("employer",), "the place of work"),
    ("work_phone", ("work_phone",), "the work phone"), ("education", ("education",), "the education"),
    ("position", ("position",), "the position"), ("speciality", ("speciality",), "the speciality"),
    ("subjects", ("subjects",), "the subjects taught"), ("address", ("address",), "the home address"),
    ("email", ("email",), "the e-mail"), ("phone", ("phone",), "the (mobile) phone"),
    ("enterprise", ("internship", "enterprise"), "the enterprise of the internship"),
    ("internship_speciality", ("internship", "speciality"), "the speciality of the internship"),
    ("duties", ("internship", "duties"), "the position held during the internship"),
    ("skills", ("internship", "skills"), "the professional skills acquired"),
    ("enterprise_head", ("internship", "head"), "the name of the enterprise's head"),
    ("certificate_number", ("certificate", "number"), "the registration number of the certificate"),
]:
    _listener_field(_key, _path, _what)


@_f("name", "listener", ("name",), "the name")
def _name(s, lang):
    return full_name(s.listener.get("name"))


@_f("position_degree", "listener", ("position",), "the position")
def _position_degree(s, lang):
    position, degree = s.listener.get("position"), s.listener.get("degree")
    return f"{position}, {degree}" if position and degree else position


def _internship_date(which, part):
    def get(s, lang):
        d = _get(s.listener, "internship", which)
        if not isinstance(d, dt.date):
            return None
        if part == "yy":
            return f"{d.year % 100:02d}"
        if part == "dd":
            return f"{d.day:02d}"
        if part == "month":  # the month's name as the dates of the forms write it (Annex 5: «11» мамыр)
            return _MONTHS[lang][d.month - 1]
        return _date(d)
    return get


for _which in ("from", "to"):
    FIELDS[f"{_which}_yy"] = Field(f"{_which}_yy", "listener", ("internship", _which), f"the internship's '{_which}' date",
                                   _internship_date(_which, "yy"))
    FIELDS[f"{_which}_dd"] = Field(f"{_which}_dd", "listener", ("internship", _which), f"the internship's '{_which}' date",
                                   _internship_date(_which, "dd"))
    FIELDS[f"{_which}_month"] = Field(f"{_which}_month", "listener", ("internship", _which),
                                      f"the internship's '{_which}' date", _internship_date(_which, "month"))
    FIELDS[f"{_which}_date"] = Field(f"{_which}_date", "listener", ("internship", _which), f"the internship's '{_which}' date",
                                     _internship_date(_which, "date"))


def _issued(part):
    def get(s, lang):
        d = _get(s.listener, "certificate", "issued")
        if not isinstance(d, dt.date):
            return None
        return {"yy": f"{d.year % 100:02d}", "dd": f"{d.day:02d}", "month": _MONTHS[lang][d.month - 1]}[part]
    return get


for _part in ("yy", "dd", "month"):
    FIELDS[f"issued_{_part}"] = Field(f"issued_{_part}", "listener", ("certificate", "issued"),
                                      "the date the certificate was issued", _issued(_part))


@_f("hours", "programme", ("hours",), "the hours")
def _hours(s, lang):
    hours = s.lf.hours if s.lf else None
    return str(hours) if hours else None


@_f("language", "cohort", ("language",), "the language of the course")
def _language(s, lang):
    return _LANG_NAMES[lang].get(s.cohort.data.get("language")) if s.cohort else None


@_f("language_group", "cohort", ("language",), "the language of the course")
def _language_group(s, lang):
    return _LANG_GROUP_RU.get(s.cohort.data.get("language")) if s.cohort else None


@_f("country", "cohort", ("country",), "the country of study (a course abroad)")
def _country(s, lang):
    return text_of(s.cohort.data.get("country"), lang, missing=None) if s.cohort else None


@_f("year", "cohort", ("start",), "the start date")
def _year(s, lang):
    start = s.cohort.data.get("start") if s.cohort else None
    return str(start.year) if isinstance(start, dt.date) else None


def _cohort_day(which, part):
    def get(s, lang):
        d = s.cohort.data.get(which) if s.cohort else None
        if not isinstance(d, dt.date):
            return None
        return f"{d.day:02d}" if part == "day" else _MONTHS[lang][d.month - 1]
    return get


for _which in ("start", "end"):
    for _part in ("day", "month"):
        FIELDS[f"{_which}_{_part}"] = Field(f"{_which}_{_part}", "cohort", (_which,), f"the {_which} date",
                                            _cohort_day(_which, _part))


@_f("completed", "cohort", ("end",), "the course dates")
def _completed(s, lang):
    if not s.cohort:
        return None
    start, end = s.cohort.data.get("start"), s.lf.completed if s.lf and s.lf.completed else s.cohort.data.get("end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    return f"{_date(start)} – {_date(end)}"


@_f("trainers", "cohort", ("trainers",), "the course trainers")
def _trainers(s, lang):
    trainers = s.cohort.data.get("trainers") if s.cohort else None
    names = [t.get("name") for t in trainers or [] if isinstance(t, dict) and t.get("name")]
    return ", ".join(names) or None


@_f("programme", "programme", ("title",), "the programme title")
def _programme(s, lang):
    return text_of(s.programme.data.get("title"), lang, missing=None) if s.programme else None


@_f("course_kind", "programme", ("course_kind",), "the course kind (e.g. author, registry)")
def _course_kind(s, lang):
    if not s.programme:
        return None
    kind = s.programme.data.get("course_kind")
    rules = s.facts.rules.get(s.organisation.id)
    for k in (rules.value("course_hours") if rules else None) or []:
        if k.get("kind") == kind:
            return text_of(k.get("name"), lang, missing=None)
    return None


@_f("organisation", "organisation", ("name",), "the organisation's name")
def _organisation(s, lang):
    return text_of(s.organisation.data.get("name"), lang, missing=None)


@_f("organisation_kk", "organisation", ("name", "kk"), "the organisation's name in Kazakh")
def _organisation_kk(s, lang):
    return text_of(s.organisation.data.get("name"), "kk", missing=None)


@_f("organisation_ru", "organisation", ("name", "ru"), "the organisation's name in Russian")
def _organisation_ru(s, lang):
    return _get(s.organisation.data, "name", "ru")


@_f("organisation_logo", "organisation", ("short_name",), "the organisation's short name")
def _organisation_logo(s, lang):
    return text_of(s.organisation.data.get("short_name"), lang, missing=None) or text_of(s.organisation.data.get("name"), lang, missing=None)


@_f("head_name", "organisation", ("head", "name"), "the name of the organisation's head")
def _head_name(s, lang):
    return _get(s.organisation.data, "head", "name")


@_f("events", "listener", ("post_course", "events"), "the post-course events")
def _events(s, lang):
    rows = []
    for i, e in enumerate(_get(s.listener, "post_course", "events") or [], 1):
        if isinstance(e, dict):
            rows.append([str(i), e.get("title") or "", _date(e.get("date")) or "", e.get("description") or "",
                         e.get("evidence") or ""])
    return rows


# KAZGUU's staff application list: one row per staff listener of the year
STAFF_COLUMNS = ("school", "name", "area", "programme", "last_course_title", "last_course_date",
                 "last_course_hours", "phone", "email")
_STAFF = {
    "school": (("staff", "school"), "the school (structural unit)"),
    "area": (("staff", "area"), "the training area"),
}
for _key, (_path, _what) in _STAFF.items():
    _listener_field(_key, _path, _what)


def _last(part):
    def get(s, lang):
        last = previous_course(s.facts, s.lf) if s.lf else None
        if last is None:
            return None
        value = {"title": last.title, "date": _date(last.date), "hours": str(last.hours) if last.hours else None}[part]
        return text_of(value, lang, missing=None) if isinstance(value, dict) else value
    return get


for _part, _what in (("title", "the title of the last course"), ("date", "the date of the last course"),
                     ("hours", "the hours of the last course")):
    FIELDS[f"last_course_{_part}"] = Field(f"last_course_{_part}", "listener", ("staff", "last_course", _part),
                                           _what, _last(_part))


@_f("staff_rows", "organisation", (), "the staff application rows")
def _staff_rows(s, lang):
    return [[str(i)] + [FIELDS[k].get(row, lang) or "" for k in STAFF_COLUMNS] for i, row in enumerate(s.rows, 1)]


@_f("trainer_rows", "organisation", (), "the acknowledgement rows")
def _trainer_rows(s, lang):
    return [[str(i), name, _TRAINER_ROLE[lang], "", ""] for i, name in enumerate(s.rows, 1)]


# --------------------------------------------------------------------------- filled forms


@dataclass
class Missing:
    field: Field
    subject: Subject


@dataclass
class Filled:
    spec: FormSpec
    lang: str
    rel: str  # path under print/
    subject: Subject
    row_keys: tuple = ()  # the fields each row of a list form needs

    def value(self, key: str):
        return FIELDS[key].get(self.subject, self.lang)

    def values(self) -> dict:
        return {key: self.value(key) for key in self.spec.keys(self.lang)}

    @property
    def missing(self) -> list[Missing]:
        return self.find_missing()

    def find_missing(self, memo: dict | None = None) -> list[Missing]:
        """The fields this form needs and the records lack. ``memo`` keeps the values that do not depend on
        the listener (organisation, programme, cohort) across the forms of a validation."""
        out = []
        for key in self.spec.keys(self.lang):
            if key in OPTIONAL:
                continue  # blank rows are left for the hand
            if key == "staff_rows":
                for row in self.subject.rows:
                    for k in self.row_keys:
                        if not is_present(FIELDS[k].get(row, self.lang)):
                            out.append(Missing(FIELDS[k], row))
                continue
            if is_present(field_value(FIELDS[key], self.subject, self.lang, memo)):
                continue
            out.append(Missing(FIELDS[key], self.subject))
        return out


OPTIONAL = frozenset({"events", "trainer_rows"})
_PER_LISTENER = frozenset({"hours", "completed"})  # a programme's or cohort's, unless the internship says otherwise


def field_value(field: Field, subject: Subject, lang: str, memo: dict | None):
    """The value a form field takes for ``subject`` in ``lang`` (None when the record lacks it);
    ``memo`` keeps organisation- and programme-level values shared by the listeners of one run."""
    if memo is None or field.record == "listener" or field.key in _PER_LISTENER:
        return field.get(subject, lang)
    owner = {"cohort": subject.cohort, "programme": subject.programme}.get(field.record, subject.organisation)
    key = (field.key, field.record, owner.id if owner is not None else None, lang)
    if key not in memo:
        memo[key] = field.get(subject, lang)
    return memo[key]


def is_present(value) -> bool:
    """Whether a field value can be printed: not None, not blank text, not an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


_SUFFIX = {
    "application": "application", "application-abroad": "application",
    "post-course-plan": "post-course-plan", "post-course-report": "post-course-report",
    "internship-reference": "internship-reference", "internship-certificate": "internship-certificate",
}


def form_lang(cohort: Record) -> str:
    lang = cohort.data.get("language")
    return lang if lang in LANGS else LANGS[0]


def listener_forms(ds: Dataset, facts: Facts, lf: ListenerFacts) -> list[Filled]:
    """The filled forms one listener's record gives."""
    cohort = lf.cohort
    org = ds.organisations.get(cohort.data.get("organisation"))
    if org is None or lf.programme is None:
        return []
    subject = Subject(ds, facts, org, lf, cohort, lf.programme)
    lang = form_lang(cohort)
    lid = lf.data.get("id")
    return [Filled(spec, lang, f"forms/{cohort.id}/{lid}-{_SUFFIX[role]}.pdf", subject)
            for role, spec in listener_specs(org.id, lf)]


def listener_specs(org_id: str, lf: ListenerFacts) -> list[tuple[str, FormSpec]]:
    """(role, form) of the filled forms a listener's record gives: an application (unless the organisation's
    staff apply by a list), the post-course plan and report where the organisation wants them (and the
    listener passed), the internship reference. Never the internship certificate (Annex 6): that is
    the one official certificate with its QR code, made with the other certificates."""
    roles = []
    if not _has_list(org_id):
        roles.append("application-abroad" if lf.programme.data.get("abroad") else "application")
    if lf.passed and lf.rules is not None and lf.rules.value("post_course_plan"):
        roles += ["post-course-plan", "post-course-report"]
    if isinstance(lf.data.get("internship"), dict):
        # the internship certificate (Annex 6) is issued once, with its number and QR code, by the
        # certificates (generators/certificate_pdfs.py); a filled form here would be a second one
        roles.append("internship-reference")
    out = []
    for role in roles:
        spec = spec_for(org_id, role)
        if spec is not None:
            out.append((role, spec))
    return out


@lru_cache(maxsize=1024)
def split_fields(key: str, lang: str) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    """A form's required fields: (those of the listener, those shared by a cohort, programme or organisation)."""
    own, shared = [], []
    for k in specs()[key].keys(lang):
        if k in OPTIONAL or k == "staff_rows":
            continue
        field = FIELDS[k]
        if k in _SCHEMA_REQUIRED:
            continue  # a record without it is already an error of the schema
        (own if field.record == "listener" or k in _PER_LISTENER else shared).append(field)
    return tuple(own), tuple(shared)


# listener fields the schema requires (biliktilik/schemas.py LISTENER): never missing from valid data
_SCHEMA_REQUIRED = frozenset({"name", "iin", "employer", "position", "position_degree"})


@lru_cache(maxsize=1024)
def _has_list(org_id: str) -> bool:
    """Whether an organisation's staff apply by a list (KAZGUU) rather than each by an application."""
    for role in _registry()["list_instead"]:
        spec = spec_for(org_id, role)
        if spec is not None and spec.org == org_id:
            return True
    return False


def staff_years(ds: Dataset, facts: Facts, org_id: str) -> dict[int, list[ListenerFacts]]:
    """Staff listeners of an organisation's cohorts, by the year their cohort starts."""
    out: dict[int, list[ListenerFacts]] = {}
    for lf in facts.listeners:
        start = lf.cohort.data.get("start")
        if (lf.cohort.data.get("organisation") == org_id and isinstance(lf.data.get("staff"), dict)
                and isinstance(start, dt.date)):
            out.setdefault(start.year, []).append(lf)
    for lfs in out.values():
        lfs.sort(key=lambda x: (sort_key(_get(x.data, "staff", "school") or ""), name_sort_key(x.data.get("name")), x.ref))
    return dict(sorted(out.items()))


def organisation_forms(ds: Dataset, facts: Facts, org: Record, year: int | None = None) -> list[Filled]:
    """The filled list forms of an organisation: KAZGUU's staff applications per year, the acknowledgement sheet."""
    out = []
    spec = spec_for(org.id, "staff-applications")
    if spec is not None and spec.org == org.id:
        for y, lfs in staff_years(ds, facts, org.id).items():
            if year is not None and y != year:
                continue
            for lang in LANGS:
                in_order = sorted(lfs, key=lambda x: (sort_key(_get(x.data, "staff", "school") or "", lang),
                                                      name_sort_key(x.data.get("name"), lang), x.ref))
                rows = [Subject(ds, facts, org, lf, lf.cohort, lf.programme) for lf in in_order]
                suffix = "" if lang == LANGS[0] else f".{lang}"
                out.append(Filled(spec, lang, f"forms/{org.id}/staff-applications-{y}{suffix}.pdf",
                                  Subject(ds, facts, org, rows=rows), row_keys=STAFF_COLUMNS))
    spec = spec_for(org.id, "acknowledgement-sheet")
    if spec is not None and spec.org == org.id and year is None:
        names = {t["name"] for c in ds.cohorts.values() if c.data.get("organisation") == org.id
                 for t in c.data.get("trainers") or [] if isinstance(t, dict) and t.get("name")}
        if names:
            for lang in LANGS:
                names = sorted(names, key=lambda n: sort_key(n, lang))
                suffix = "" if lang == LANGS[0] else f".{lang}"
                out.append(Filled(spec, lang, f"forms/{org.id}/acknowledgement-sheet-trainers{suffix}.pdf",
                                  Subject(ds, facts, org, rows=names)))
    return out


def filled_forms(ds: Dataset, facts: Facts, cohort: str | None = None, organisation: str | None = None) -> list[Filled]:
    """Every filled form the records give, sorted by path (a cohort's or an organisation's only, if given)."""
    out = []
    for lf in facts.listeners:
        if cohort is not None and lf.cohort.id != cohort:
            continue
        if organisation is not None and lf.cohort.data.get("organisation") != organisation:
            continue
        out.extend(listener_forms(ds, facts, lf))
    if cohort is None:
        for oid, org in sorted(ds.organisations.items()):
            if organisation is None or oid == organisation:
                out.extend(organisation_forms(ds, facts, org))
    return sorted(out, key=lambda f: f.rel)


def blank_values(ds: Dataset | None, facts: Facts | None, spec: FormSpec, lang: str) -> dict:
    """The values a blank form prints: only the organisation's name, on the organisation's own forms."""
    if not spec.blank_values or ds is None or spec.org not in ds.organisations:
        return {}
    s = Subject(ds, facts, ds.organisations[spec.org])
    return {k: FIELDS[k].get(s, lang) for k in spec.blank_values}


def forms_used_by(org_id: str) -> set[str]:
    """The forms (``org/form`` keys) an organisation uses: its own, and Order 95's for the roles it has none of.

    For a forms folder that is no organisation (``order-95``), the forms in it."""
    reg = _registry()
    mine = {s.key for s in reg["forms"].values() if s.org == org_id}
    if org_id == reg["defaults"]:
        return mine
    roles = {s.role for s in reg["forms"].values()}
    own_roles = {s.role for s in reg["forms"].values() if s.org == org_id}
    if own_roles & set(reg["list_instead"]):
        roles -= {"application", "application-abroad"}
    for role in sorted(roles - own_roles):
        spec = spec_for(org_id, role)
        if spec is not None and spec.org == reg["defaults"]:
            mine.add(spec.key)
    return mine
