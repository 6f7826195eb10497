"""Cerberus schemas of every record kind. Unknown keys are errors everywhere.

These are plain cerberus schemas, and cerberus validates with them at run time
(:mod:`biliktilik.load.schemaengine`); a compiled predicate (:mod:`biliktilik.load.schemacheck`)
spares it the documents it can tell are valid (see tests/test_schemas.py).
"""

from __future__ import annotations

from biliktilik.i18n import N_

ID_MAX = 64  # characters: an id names a file (<id>.yaml) and a page, far below any file system's limit
ID = {"type": "string", "regex": r"[a-z0-9][a-z0-9._-]*", "maxlength": ID_MAX, "meta": {"format": N_("lower-case-id")}}
TEXT = {"type": "string", "empty": False}
TEXTS = {"type": "list", "schema": TEXT}
LANG = {"type": "string", "allowed": ["kk", "ru", "en"]}
FORMATS = ["full_time", "distance", "blended", "one_week"]
BILINGUAL = {"type": "dict", "schema": {"kk": {**TEXT, "required": True}, "ru": TEXT}}
BILINGUAL_RU = {"type": "dict", "schema": {"kk": {**TEXT, "required": True}, "ru": {**TEXT, "required": True}}}
SOURCE = {"type": "string", "regex": r"([a-z0-9-]+#)?[a-z0-9-]+", "meta": {"format": N_("[document#]anchor, e.g. p24-3")}}
MONTH_DAY = {"type": "string", "regex": r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", "meta": {"format": N_("MM-DD")}}


def _rule(value_schema: dict) -> dict:
    return {"type": "dict", "schema": {
        "value": {**value_schema, "required": True},
        "source": {**SOURCE, "required": True},
        "note": TEXT,
    }}


# Why the records cannot show a rule: ids of the reasons in templates/regulation/labels.yaml (`reasons`, kk/ru/en)
UNCHECKABLE_REASONS = ["conduct", "other_body", "documents", "procedure", "content", "funding", "right"]

# Every other paragraph of the owner's text that states a rule, classified (biliktilik rules --coverage):
# `checkable: false` + reason: encoded, but the records cannot show it (the page marks the paragraph);
# `encoded: false` + note: a rule the records could show that is not encoded yet
PARAGRAPH = {"type": "dict", "schema": {
    "source": {**SOURCE, "required": True},
    "checkable": {"type": "boolean", "allowed": [False]},
    "reason": {"type": "string", "allowed": UNCHECKABLE_REASONS},
    "encoded": {"type": "boolean", "allowed": [False]},
    "rule": ID,  # enforced by this rule, which cites another paragraph (e.g. 3.14 by course_hours at 3.13)
    "note": TEXT,
}}

# Grounds of expulsion the texts list (Order 95 p. 24.1-24.3 via p. 32, p. 27; Conservatory 5.8; KAZGUU 7.14)
EXPULSION_GROUNDS = ["schedule", "conduct", "attendance", "abroad_result", "agreement", "programme_not_completed"]

# Work breaks of Order 95 p. 5 (and the organisations' own lists): without a break from work, with a break
# (salary kept), a partial break (Conservatory 3.3.2), abroad with a break of up to a year
WORK_BREAKS = ["without", "with", "partial", "abroad"]


HOURS_CLASS = {"type": "dict", "schema": {
    "id": {**ID, "required": True},
    "name": BILINGUAL,
    "kind": {"type": "string", "allowed": ["course", "internship"], "required": True},
    "abroad": {"type": "boolean"},
    "min": {"type": "integer", "min": 0},
    "max": {"type": "integer", "min": 0},
    "above": {"type": "integer", "min": 0},  # strictly more than
    "max_months": {"type": "integer", "min": 1},
}}

WORK_OFF_ROW = {"type": "dict", "schema": {
    "row": {"type": "integer", "required": True},
    "printed": {**TEXT, "required": True},
    "from": {"type": "integer", "min": 0},
    "to": {"type": "integer", "min": 0},
    "above": {"type": "integer", "min": 0},
    "exactly": {"type": "integer", "min": 0},
    "months": {"type": "integer", "min": 0, "required": True},
}}

STAFF_OBLIGATION = {"type": "dict", "schema": {
    "staff_group": {"type": "string", "allowed": ["teaching", "management", "administrative"], "required": True},
    "interval_years": {"type": "integer", "min": 1, "required": True},
    "min_hours": {"type": "integer", "min": 1},
    "area": TEXT,
}}

RULES = {
    "academic_hour_minutes": _rule({"type": "integer", "min": 1}),
    "hours_classes": _rule({"type": "list", "schema": HOURS_CLASS, "minlength": 1}),
    "formats": _rule({"type": "list", "allowed": FORMATS}),
    "attendance_min": _rule({"type": "float", "min": 0.0, "max": 1.0}),
    "final_test_min": _rule({"type": "float", "min": 0.0, "max": 1.0}),
    "certificate_validity_years": _rule({"type": "integer", "min": 1}),
    "certificate_validity_from": _rule({"type": "string", "allowed": ["issued", "course_end"]}),
    "certificate_signer": _rule(BILINGUAL),
    "certificate_seal": _rule(BILINGUAL),
    "certificate_shows_hours": _rule({"type": "boolean"}),
    "certificate_qr": _rule({"type": "boolean"}),
    "post_course_support_months": _rule({"type": "integer", "min": 1}),
    "post_course_plan": _rule({"type": "boolean"}),
    "post_course_report_due_months": _rule({"type": "integer", "min": 1}),
    "monitoring_interval_years": _rule({"type": "integer", "min": 1}),
    "reassessment_per_year": _rule({"type": "integer", "min": 1}),
    "applications_due": _rule(MONTH_DAY),
    "district_plans_due": _rule(MONTH_DAY),
    "regional_plans_due": _rule(MONTH_DAY),
    "staff_plan_due": _rule(MONTH_DAY),
    "listener_lists_months_before": _rule({"type": "integer", "min": 0}),
    "nobd_working_days": _rule({"type": "integer", "min": 1}),
    "group_min_applications": _rule({"type": "integer", "min": 1}),
    "course_hours": _rule({"type": "list", "schema": {"type": "dict", "schema": {
        "kind": {**ID, "required": True}, "name": BILINGUAL, "hours": {"type": "integer", "min": 1, "required": True}}}}),
    "trainer_requirements": _rule({"type": "list", "schema": TEXT}),
    "staff_obligations": _rule({"type": "list", "schema": STAFF_OBLIGATION}),
    "competence_groups": _rule({"type": "dict", "schema": {"teaching": TEXTS, "administrative": TEXTS}}),
    "work_off": _rule({"type": "list", "schema": WORK_OFF_ROW}),
    "abroad_max_months": _rule({"type": "integer", "min": 1}),
    "expulsion_grounds": _rule({"type": "list", "allowed": EXPULSION_GROUNDS, "minlength": 1}),
    "expulsion_reimbursement": _rule({"type": "list", "allowed": EXPULSION_GROUNDS}),
    "trainer_categories": _rule({"type": "list", "minlength": 1, "schema": {"type": "dict", "schema": {
        "id": {**ID, "required": True},
        "min_experience_years": {"type": "integer", "min": 1},
        "source": SOURCE}}}),
    "trainers_max": _rule({"type": "integer", "min": 1}),
    "trainer_choice_min_experience_years": _rule({"type": "integer", "min": 1}),
    "languages": _rule({"type": "list", "allowed": ["kk", "ru", "en"], "minlength": 1}),
    "staff_plan_notice_working_days": _rule({"type": "integer", "min": 1}),
    "work_breaks": _rule({"type": "list", "allowed": WORK_BREAKS, "minlength": 1}),
    "staged_yearly": _rule({"type": "boolean"}),
    "repayment_employee_leaves": _rule({"type": "string", "allowed": ["proportional", "full", "none"]}),
    "repayment_employer_dismisses": _rule({"type": "string", "allowed": ["proportional", "full", "none"]}),
}

RULESET = {
    "id": {**ID, "required": True},
    "title": {**BILINGUAL, "required": True},
    "document": {**ID, "required": True},
    "citation": {**TEXT, "required": True},
    "rules": {"type": "dict", "required": True, "schema": RULES},
    "paragraphs": {"type": "list", "schema": PARAGRAPH},
}

PERSON = {"type": "dict", "schema": {
    "surname": {**TEXT, "required": True},
    "given": {**TEXT, "required": True},
    "patronymic": TEXT,
}}

ORGANISATION = {
    "id": {**ID, "required": True},
    "name": {**BILINGUAL_RU, "required": True},
    "short_name": BILINGUAL,
    "kind": {"type": "string", "allowed": ["provider", "university", "conservatory", "institute"], "required": True},
    "description": BILINGUAL,
    "city": BILINGUAL,
    "website": {"type": "string", "regex": r"https?://\S+"},
    "contacts": {"type": "dict", "schema": {  # the office's, never a person's (shown on public pages)
        "address": {**BILINGUAL, "required": True},
        "phone": {"type": "string", "regex": r"\+7(?:[ ()-]*\d){10}", "required": True,
                  "meta": {"format": N_("+7 and 10 digits, e.g. +7 7172 55-01-20")}},
        "email": {"type": "string", "regex": r"[^@\s]+@[^@\s]+\.[a-z]{2,}", "required": True},
        "hours": BILINGUAL,
    }},
    "head": {"type": "dict", "required": True, "schema": {
        "title": {**BILINGUAL_RU, "required": True},
        "name": {**TEXT, "required": True},
    }},
    "ruleset": {**ID, "required": True},
    "document": ID,
    "citation": TEXT,
    "rules": {"type": "dict", "schema": RULES},
    "paragraphs": {"type": "list", "schema": PARAGRAPH},
    # the staff training plan's approval and the day staff were told of it (KAZGUU 7.4, 7.7)
    "staff_plans": {"type": "list", "schema": {"type": "dict", "schema": {
        "year": {"type": "integer", "min": 2000, "required": True},
        "approved": {"type": "date", "required": True},
        "notified": {"type": "date"}}}},
    "registration_prefix": {"type": "string", "regex": r"[A-ZА-ЯӘҒҚҢӨҰҮҺІ0-9-]+"},
}

_BLOCK_TEXT = {"type": ["string", "list"]}

TOPIC = {"type": "dict", "schema": {
    "number": {**TEXT, "required": True},
    "title": {**TEXT, "required": True},
    "hour_cells": {"type": "list", "schema": {"type": "integer", "min": 0}},
    "hours": {"type": "integer", "min": 0, "required": True},
}}

MODULE = {"type": "dict", "schema": {
    "number": {**TEXT, "required": True},
    "title": {**TEXT, "required": True},
    "title_ru": TEXT,
    "hour_cells": {"type": "list", "schema": {"type": "integer", "min": 0}},
    "hours": {"type": "integer", "min": 0, "required": True},
    "description": TEXT,
    "topics": {"type": "list", "schema": TOPIC},
}}

SCALE = {"type": "list", "schema": {"type": "dict", "schema": {
    "grade": {"type": "integer", "required": True},
    "label": {**TEXT, "required": True},
    "min": {"type": "integer", "required": True},
    "max": {"type": "integer", "required": True},
}}}

POINTS = {"type": "dict", "keysrules": {"type": "integer", "min": 0}, "valuesrules": TEXT}

PROGRAMME = {
    "id": {**ID, "required": True},
    "organisation": {**ID, "required": True},
    "title": {**BILINGUAL_RU, "required": True},
    "audience": {**BILINGUAL, "required": True},
    "hours": {"type": "integer", "min": 1, "required": True},
    "kind": {"type": "string", "allowed": ["course", "internship"]},
    "course_kind": ID,
    "abroad": {"type": "boolean"},
    "stages": {"type": "integer", "min": 2},  # a staged course (Order 95 p. 20, p. 23)
    "languages": {"type": "list", "allowed": ["kk", "ru", "en"], "required": True, "minlength": 1},
    "formats": {"type": "list", "allowed": FORMATS, "required": True, "minlength": 1},
    "summary": TEXT,
    "legal_basis": TEXTS,
    "glossary": {"type": "list", "schema": {"type": "dict", "schema": {
        "term": {**TEXT, "required": True}, "definition": {**TEXT, "required": True}}}},
    "thematic_plan": {"type": "dict", "required": True, "schema": {
        "columns": TEXTS,
        "modules": {"type": "list", "schema": MODULE, "minlength": 1, "required": True},
        "total": {"type": "dict", "schema": {
            "hour_cells": {"type": "list", "schema": {"type": "integer", "min": 0}},
            "hours": {"type": "integer", "min": 0, "required": True}}},
    }},
    "aim": TEXT,
    "tasks": TEXTS,
    "outcomes": {"type": "dict", "schema": {"knows": TEXTS, "can_do": TEXTS, "can_apply": TEXTS}},
    "structure": TEXT,
    "delivery": {"type": "dict", "schema": {
        "full_time": {"type": "dict", "schema": {"hours": {"type": "integer", "required": True}, "text": TEXT}},
        "one_week": {"type": "dict", "schema": {"hours_factor": {"type": "float", "min": 0.0, "max": 1.0, "required": True}, "text": TEXT}},
        "blended": {"type": "dict", "schema": {
            "full_time": {"type": "integer", "min": 0, "required": True},
            "distance": {"type": "integer", "min": 0, "required": True},
            "self_study": {"type": "integer", "min": 0, "required": True},
            "text": TEXT}},
        "methods": _BLOCK_TEXT,
    }},
    "assessment": {"type": "dict", "schema": {
        "text": _BLOCK_TEXT,
        "lesson_plan": {"type": "dict", "schema": {
            "aim": TEXT,
            "criteria": {"type": "list", "schema": {"type": "dict", "schema": {"title": {**TEXT, "required": True}, "items": TEXTS}}},
            "points": POINTS,
            "max_per_criterion": {"type": "integer", "min": 1},
            "duration_minutes": {"type": "list", "schema": {"type": "integer", "min": 1}},
            "rubric": {"type": "list", "schema": {"type": "dict", "schema": {"title": {**TEXT, "required": True}, "items": TEXTS}}},
        }},
        "self_study": _BLOCK_TEXT,
        "project": {"type": "dict", "schema": {
            "text": _BLOCK_TEXT, "points": POINTS, "max_score": {"type": "integer", "min": 1, "required": True}, "scale": SCALE}},
        "mini_lesson": {"type": "dict", "schema": {
            "text": _BLOCK_TEXT, "criteria": TEXTS, "points": POINTS,
            "max_per_criterion": {"type": "integer", "min": 1, "required": True}, "scale": SCALE}},
    }},
    "final_test": {"type": "dict", "schema": {
        "text": _BLOCK_TEXT,
        "bank_per_topic": {"type": "integer", "min": 1},
        "items_per_topic": {"type": "integer", "min": 1},
        "items": {"type": "integer", "min": 1},
        "selection": {"type": "string", "allowed": ["random", "fixed"]},
        "distribution": {"type": "list", "schema": {"type": "dict", "schema": {
            "module": {**TEXT, "required": True}, "title": TEXT,
            "hours": {"type": "integer", "min": 0, "required": True},
            "questions": {"type": "integer", "min": 0, "required": True}}}},
        "total_questions": {"type": "integer", "min": 0},
    }},
    "post_course_support": {"type": "dict", "schema": {"forms": TEXTS, "channels": TEXTS, "resources": TEXTS, "text": _BLOCK_TEXT}},
    "literature": {"type": "dict", "schema": {"normative": TEXTS, "main": TEXTS, "additional": TEXTS, "other": TEXTS}},
    "monitored": {"type": "list", "schema": {"type": "date"}},
    "approved": {"type": "date"},
}

IIN = {"type": "string", "regex": r"\d{12}", "meta": {"format": N_("12 digits")}}

LISTENER = {"type": "dict", "schema": {
    "id": {**ID, "required": True},
    "name": {**PERSON, "required": True},
    "iin": {**IIN, "required": True},
    # f | m: the grammatical gender of the Russian wording of a filled certificate (прошла / прошёл);
    # needed only where the patronymic does not tell it (biliktilik.model.certificates.holder_gender)
    "gender": {"type": "string", "allowed": ["f", "m"]},
    "employer": {**TEXT, "required": True},
    "position": {**TEXT, "required": True},
    "phone": {"type": "string", "regex": r"\+?[0-9 ()-]{7,20}", "meta": {"format": N_("a phone number")}},
    "email": {"type": "string", "regex": r"[^@\s]+@[^@\s]+\.[^@\s]+", "meta": {"format": N_("an e-mail address")}},
    "address": TEXT,
    "region": TEXT,
    "education": TEXT,
    "speciality": TEXT,
    "subjects": TEXT,
    "work_phone": {"type": "string", "regex": r"\+?[0-9 ()-]{7,20}", "meta": {"format": N_("a phone number")}},  # forms
    "degree": TEXT,  # academic degree, printed after the position on the Conservatory's application
    "attendance": {"type": "number", "min": 0, "max": 1, "meta": {"hint": N_("a share of classes attended, e.g. 0.85")}},
    "final_test": {"type": "dict", "schema": {
        "score": {"type": "number", "min": 0, "required": True},
        "max": {"type": "number", "min": 1, "required": True}}},
    "grades": {"type": "dict", "keysrules": {"type": "string", "regex": r"\d+"},
               "valuesrules": {"type": "integer", "min": 1, "max": 5}},
    "outcome": {"type": "string", "allowed": ["certificate", "reference", "expelled", "internship_certificate"]},
    "expelled": {"type": "dict", "schema": {
        "date": {"type": "date", "required": True},
        "ground": {"type": "string", "allowed": EXPULSION_GROUNDS, "required": True},
        "reason": {**TEXT, "required": True},
        "reimbursed": {"type": "integer", "min": 0, "meta": {"format": N_("tenge the listener paid back (Order 95 p. 27, KAZGUU 7.14)")}}}},
    "retake_of": {"type": "string", "regex": r"[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*", "meta": {"format": N_("cohort-id/listener-id")}},
    "retake_reason": TEXT,
    "internship": {"type": "dict", "schema": {
        "enterprise": {**TEXT, "required": True},
        "from": {"type": "date", "required": True},
        "to": {"type": "date", "required": True},
        "hours": {"type": "integer", "min": 1, "required": True},
        "speciality": TEXT,
        "duties": TEXT,
        "skills": TEXT,
        "head": TEXT,
    }},
    "staff": {"type": "dict", "schema": {
        "group": {"type": "string", "allowed": ["teaching", "management", "administrative"], "required": True},
        "school": TEXT,
        "area": TEXT,
        "paid_amount": {"type": "integer", "min": 0},
        # left the university within the work-off period: on whose initiative (KAZGUU 8: employee -> a
        # proportional repayment, employer -> none, employer for negative reasons -> not excepted)
        "left": {"type": "dict", "schema": {
            "date": {"type": "date", "required": True},
            "initiative": {"type": "string", "allowed": ["employee", "employer", "employer_negative"], "required": True}}},
        "repaid": {"type": "integer", "min": 0, "meta": {"format": N_("tenge paid back")}},
        "last_course": {"type": "dict", "schema": {
            "title": TEXT, "date": {"type": "date", "required": True}, "hours": {"type": "integer", "min": 1, "required": True}}},
    }},
    "post_course": {"type": "dict", "schema": {
        "plan": {"type": "date"}, "report": {"type": "date"},
        "events": {"type": "list", "schema": {"type": "dict", "schema": {  # the report's table (Conservatory Annex 2.2)
            "title": {**TEXT, "required": True}, "date": {"type": "date", "required": True},
            "description": TEXT, "evidence": TEXT}}}}},
    "certificate": {"type": "dict", "schema": {
        "number": {**TEXT, "required": True},
        "token": {"type": "string", "regex": r"[A-Za-z0-9_-]{11,}", "required": True, "meta": {"format": N_("URL-safe token")}},
        "issued": {"type": "date", "required": True},
        "revoked": {"type": "dict", "schema": {"date": {"type": "date", "required": True}, "reason": {**TEXT, "required": True}}},
        "replaces": TEXT,
        "replaced_by": TEXT,
    }},
}}

COHORT = {
    "id": {**ID, "required": True},
    "programme": {**ID, "required": True},
    "organisation": {**ID, "required": True},
    "format": {"type": "string", "allowed": FORMATS, "required": True},
    "group": {"type": "string", "allowed": ["group", "individual"]},
    "language": {**LANG, "required": True},
    "start": {"type": "date", "required": True},
    "end": {"type": "date", "required": True},
    "application_deadline": {"type": "date"},
    "fee": {"type": "integer", "min": 0, "meta": {"format": N_("tenge; absent: budget-funded, free for the teacher")}},
    "seats": {"type": "integer", "min": 1, "required": True},
    "city": BILINGUAL,
    "country": BILINGUAL,  # a course abroad: the country of study (Order 95, Annex 2)
    "venue": TEXT,
    "work_break": {"type": "string", "allowed": WORK_BREAKS},  # Order 95 p. 5
    "stage": {"type": "integer", "min": 1},  # the stage of a staged programme (Order 95 p. 20, p. 23)
    "trainers": {"type": "list", "schema": {"type": "dict", "schema": {
        "name": {**TEXT, "required": True}, "qualification": TEXT,
        "category": ID,  # one of the organisation's trainer categories (Order 95 p. 21, Conservatory 3.5)
        "experience_years": {"type": "integer", "min": 0},
        "chosen": {"type": "boolean"}}}},  # chosen by the listener (Conservatory 3.12)
    "listeners": {"type": "list", "schema": LISTENER},
}

REGISTRATION_NUMBER = {"type": "string", "regex": r"[A-ZА-ЯӘҒҚҢӨҰҮҺІ0-9-]+-\d{4}-\d{4,}",
                       "meta": {"format": N_("PREFIX-YEAR-SERIAL, e.g. NIT-2026-0007")}}

# data/ledger.yaml: every certificate ever issued (see biliktilik.issuing, biliktilik.ledger_checks)
LEDGER_ENTRY = {"type": "dict", "schema": {
    "number": {**REGISTRATION_NUMBER, "required": True},
    "token": {"type": "string", "regex": r"[A-Za-z0-9_-]{11,}", "required": True, "meta": {"format": N_("URL-safe token")}},
    "listener": {"type": "string", "regex": r"[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*", "required": True,
                 "meta": {"format": N_("cohort-id/listener-id")}},
    "issued": {"type": "date", "required": True},
    "status_index": {"type": "integer", "min": 0, "required": True},
    "hash": {"type": "string", "regex": r"[0-9a-f]{64}", "required": True, "meta": {"format": N_("64 hex digits (sha256)")}},
    "facts": {**TEXT, "required": True},
    "revoked": {"type": "dict", "schema": {"date": {"type": "date", "required": True}, "reason": {**TEXT, "required": True}}},
    "replaces": REGISTRATION_NUMBER,
    "replaced_by": REGISTRATION_NUMBER,
}}

LEDGER = {
    "certificates": {"type": "list", "schema": LEDGER_ENTRY, "required": True},
}

SCHEMAS = {
    "ruleset": RULESET,
    "organisation": ORGANISATION,
    "programme": PROGRAMME,
    "cohort": COHORT,
    "ledger": LEDGER,
}

# data/<name>: single files that are records of their own (their id is the file's stem)
FILES = {
    "ledger.yaml": "ledger",
}

# data/<folder>/*.yaml -> record kind
FOLDERS = {
    "rulesets": "ruleset",
    "organisations": "organisation",
    "programmes": "programme",
    "cohorts": "cohort",
}
