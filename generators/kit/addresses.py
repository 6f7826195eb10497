"""Addresses inside the published site, defined once: a certificate's verification page, the
blank forms and their index. Generators link to each other's outputs only through these."""

from __future__ import annotations

from biliktilik.model import forms as F
from biliktilik.project import LANGUAGES

FORMS = "forms"  # the folder of the forms under site/ and print/


def verification_url(site_url: str, token: str) -> str:
    """The address a certificate's QR code holds: ``site_url`` + ``v/<token>/``.

    ``site_url`` is ``mkdocs.yml``'s (scheme and host of the issuer, e.g. ``https://example.kz/``);
    a missing trailing slash is added, an empty one gives the site-relative ``/v/<token>/``."""
    site_url = site_url or "/"
    if not site_url.endswith("/"):
        site_url += "/"
    return f"{site_url}v/{token}/"


def form_url(org_id: str, form_id: str, lang: str, base: str = "") -> str:
    """The address of a blank form, relative to the site root (prefix ``base``, e.g. ``"../../"``).

    ``org_id`` is the forms folder: ``order-95`` for the national forms, else the organisation
    (conservatory, ecd-institute, kazguu); ``form_id`` the annex or table anchor of its regulation
    (annex-1, annex-2-1, amendment-sheet). ``form_url("order-95", "annex-1", "ru")`` ->
    ``forms/order-95/annex-1.ru.pdf``. Raises ValueError for a form that does not exist.
    """
    if f"{org_id}/{form_id}" not in F.specs():
        raise ValueError(f"no form {org_id}/{form_id}; forms: {', '.join(F.specs())}")
    if lang not in LANGUAGES:
        raise ValueError(f"no language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return f"{base}{FORMS}/{org_id}/{form_id}.{lang}.pdf"


def forms_index_url(lang: str, base: str = "") -> str:
    """The page listing the blank forms: ``forms/`` (kk, the site root) or ``ru/forms/``."""
    return f"{base}{'' if lang == LANGUAGES[0] else lang + '/'}{FORMS}/"


def forms_of_document(document: str, anchor: str | None = None) -> list[tuple[str, str]]:
    """(org_id, form_id) of the forms printed by a regulation's annexes (one annex: ``anchor``).

    For a regulation page: ``for org, fid in forms_of_document("order-95", "annex-1"): form_url(org, fid, lang)``.
    The Institute's forms reuse Order 95's lines but belong to its own rules (ecd-institute-rules).
    """
    return [(spec.org, spec.id) for spec in F.specs().values()
            if spec.cites == document and (anchor is None or spec.id == anchor)]


def form_urls(doc_id: str, anchor: str, lang: str) -> list[str]:
    """Site-relative addresses of the blank forms printed by an annex (or form table) of a
    regulation text, in the order of the form specifications."""
    out = []
    for org, fid in forms_of_document(doc_id, anchor):
        try:
            out.append(form_url(org, fid, lang))
        except ValueError:
            continue
    return out


def application_form_url(ds, org, lang: str) -> str | None:
    """The organisation's blank application form: its own Annex 1, else its rule set's (Order 95's);
    None when neither exists. ``org`` is the organisation's Record in the dataset ``ds``."""
    rs = ds.rulesets.get(org.data.get("ruleset"))
    national = rs.data.get("document") if rs else None
    for folder in (org.id, national):
        if not folder:
            continue
        try:
            return form_url(folder, "annex-1", lang)
        except ValueError:
            continue
    return None
