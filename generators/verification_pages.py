"""Public verification pages of issued certificates, and the signed credentials beside them.

For every certificate in the ledger (``data/ledger.yaml``; replaced and revoked ones too,
so that an old address keeps answering):

- ``site/v/<token>/index.html``: a small static page in Kazakh and Russian, made for a
  phone, no request to another host, ``noindex``, linked from nowhere, with a
  Content-Security-Policy (no inline script; connect-src 'self'). It shows the holder, the
  programme, hours, dates, organisation, registration number, fingerprint and the annex's
  modules, and ONE verdict at the top (``#verdict[data-verdict]``) that the shared script
  ``site/v/verify.js`` sets only after its checks: the page is on the issuer's site, the
  credential verifies with the key of the issuer's did:web document, every fact shown equals
  the signed one, the signed status lists say in force, and the Kazakhstan day is inside the
  validity window. Without script the page says the status shown is as of the build date.
- ``site/v/<token>/credential.jwt``: an Open Badges 3.0 credential (VC data model 2.0)
  signed as a VC-JWT (EdDSA, typ JWT, iss/jti/sub/nbf/exp); ``credential.json``: the same
  credential with an eddsa-jcs-2022 Data Integrity proof (``proof`` an array).

And once: the issuer's ``did:web`` document (``site/.well-known/did.json``), the two
Bitstring Status Lists (``site/status/1``, revocation: revoked or replaced; ``site/status/2``,
message, same index: set when replaced; VC-JWTs), ``site/v/verify.js``, and
``site/v/index.html`` and ``site/v/unknown/index.html`` explaining how to check a
certificate (for an unknown token).

Pages are rendered by one Jinja2 environment straight into site/, never through MkDocs,
so they are in no sitemap, search index or navigation. They are made from the facts the
ledger stored when each certificate was issued (the validator has checked that the data
still states the same), so a page shows exactly what was certified.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from biliktilik.model import credentials as signing
from biliktilik.model.certificates import fingerprint, person_name
from biliktilik.findings import BuildError
from biliktilik.i18n import _
from biliktilik.model.facts import Validity, certificate_validity, today
from biliktilik.project import TEMPLATES as TEMPLATES_DIR
from biliktilik.project import issuer_keys_file
from generators.kit.addresses import verification_url
from generators.kit import jinja

log = logging.getLogger(__name__)

TEMPLATES = TEMPLATES_DIR / "verification"
NS = "ns#"  # site_url + this: the namespace of the terms the credentials add to Open Badges
SCRIPT = "v/verify.js"  # the one script of every verification page


@dataclass
class Cert:
    """One issued certificate as the ledger keeps it, with its status."""
    number: str
    token: str
    facts: dict
    index: int  # its bit in the status lists
    validity: Validity  # facts.certificate_validity: the one rule
    revoked: dict | None = None  # {date, reason}
    replaced_by: str | None = None
    replaced_by_token: str | None = None
    replaces: str | None = None
    hash: str | None = None  # sha256 of the canonical facts, as the ledger keeps it
    replaces_token: str | None = None

    @property
    def valid_until(self) -> dt.date | None:
        """The last valid day (Kazakhstan time), None without end."""
        return self.validity.last_day

    @property
    def void(self) -> bool:
        return bool(self.revoked or self.replaced_by)


def collect(ds, facts) -> list[Cert]:
    """Every certificate in the ledger, in ledger order."""
    from biliktilik.model.ledger import ledger_entries

    return certs_from_entries(ledger_entries(ds), facts)


def certs_from_entries(entries: list[dict], facts) -> list[Cert]:
    tokens = {e.get("number"): e.get("token") for e in entries}
    out = []
    for e in entries:
        stored = json.loads(e["facts"])
        issued = e["issued"]
        rules = facts.rules.get((stored.get("organisation") or {}).get("id"))
        end = stored.get("end")
        end = dt.date.fromisoformat(end) if isinstance(end, str) and len(end) == 10 else None
        out.append(Cert(e["number"], e["token"], stored, e["status_index"], certificate_validity(issued, rules, end),
                        e.get("revoked"), e.get("replaced_by"), tokens.get(e.get("replaced_by")), e.get("replaces"),
                        e.get("hash"), tokens.get(e.get("replaces"))))
    return out


# -- presentation ----------------------------------------------------------------------

def dmy(iso) -> str:
    text = iso.isoformat() if isinstance(iso, dt.date) else str(iso or "")
    return f"{text[8:10]}.{text[5:7]}.{text[0:4]}" if len(text) >= 10 else text


def ru_hours(n) -> str:
    if not isinstance(n, int):
        return "академических часов"
    if n % 10 == 1 and n % 100 != 11:
        return "академический час"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "академических часа"
    return "академических часов"


def holder_name(holder: dict) -> str:
    return person_name(holder)


def environment() -> jinja2.Environment:
    env = jinja.environment(TEMPLATES, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                            lstrip_blocks=True)
    env.filters["dmy"] = dmy
    env.filters["ru_hours"] = ru_hours
    return env


def fingerprint_of(cert: Cert) -> str:
    """certificates.fingerprint of the facts, from the stored hash when there is one (no re-hashing)."""
    if cert.hash:
        h = cert.hash[:16].upper()
        return "-".join(h[i:i + 4] for i in range(0, 16, 4))
    return fingerprint(cert.facts)


@lru_cache(maxsize=4096)
def _module_row(number, title, hours) -> Markup:
    """The part of an annex row that is the same on every certificate of a programme."""
    return Markup('<tr><td data-v="m{0}t">{0}. {1}</td><td class="n" data-v="m{0}h">{2}</td>').format(number, title, hours)


def csp(style_hash: str) -> str:
    """The Content-Security-Policy of the verification pages: nothing but the site's own script
    (``v/verify.js``), the one inline style by its hash, requests only to the page's own origin."""
    return (f"default-src 'none'; script-src 'self'; style-src '{style_hash}'; connect-src 'self'; "
            "img-src 'self'; base-uri 'none'; form-action 'none'")


def style_hash(rendered_style: str) -> str:
    """'sha256-...' of the text inside the <style> element (CSP Level 2 hash source)."""
    m = re.search(r"<style>(.*?)</style>", rendered_style, re.S)
    return "sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest()).decode("ascii")


def page_context(cert: Cert, site_url: str, did: str, demo: bool, as_of: dt.date, csp_value: str,
                 fp: str | None = None) -> dict:
    """What page.html shows of a certificate. ``as_of``: the build date, for the status shown without script."""
    f = cert.facts
    until = cert.valid_until
    modules = f.get("modules") or []
    state = ("revoked" if cert.revoked else "replaced" if cert.replaced_by
             else "expired" if cert.validity.state_on(as_of) == "expired" else "valid")
    return {
        "c": cert, "f": f, "name": holder_name(f.get("holder") or {}),
        "fingerprint": fp or fingerprint_of(cert), "internship": f.get("kind") == "internship_certificate",
        "until": until.isoformat() if until else "", "expired_since": (until + dt.timedelta(days=1)).isoformat() if until else "",
        "state": state, "as_of": as_of.isoformat(), "csp": csp_value,
        "site_url": site_url, "domain": urlsplit(site_url).netloc, "did": did,
        "did_url": site_url + signing.did_document_path(did),
        "demo": demo, "total": sum(m.get("hours") or 0 for m in modules),
        "rows": [(_module_row(m.get("number"), m.get("title"), m.get("hours")), m.get("number"), m.get("grade")) for m in modules],
    }


# -- credentials --------------------------------------------------------------------------

def subject_id(site_url: str, token: str) -> str:
    """credentialSubject.id: a urn:uuid derived from the certificate's address (its random token),
    never from the IIN or anything else personal."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, verification_url(site_url, token)))


def credential(cert: Cert, site_url: str, did: str, fp: str | None = None) -> dict:
    """The Open Badges 3.0 OpenBadgeCredential (VC data model 2.0) of a certificate.

    Open Badges fields carry what they can (achievement name and description, creator, hours as
    credits, module grades as results, activity dates); the project's context adds
    ``registrationNumber``, ``fingerprint``, ``certificateFacts`` (the facts the ledger stored, as a
    JSON literal: everything the page shows is in it) and, for a correction, ``replaces``.
    validFrom/validUntil are Kazakhstan-time instants from facts.certificate_validity."""
    f = cert.facts
    programme, org = f.get("programme") or {}, f.get("organisation") or {}
    title, org_name = programme.get("title") or {}, org.get("name") or {}
    pid, oid = programme.get("id"), org.get("id")
    hours = f.get("hours")
    results, descriptions = [], []
    for m in f.get("modules") or []:
        if m.get("grade") is None:
            continue
        rid = f"urn:biliktilik:programme:{pid}:module:{m.get('number')}"
        descriptions.append({"id": rid, "type": ["ResultDescription"], "name": f"{m.get('number')}. {m.get('title')}",
                             "resultType": "RawScore", "valueMin": "1", "valueMax": "5"})
        results.append({"type": ["Result"], "resultDescription": rid, "value": str(m["grade"])})
    achievement = {
        "id": f"urn:biliktilik:programme:{pid}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title.get("kk") or "",
        "description": f"{title.get('ru') or title.get('kk') or ''} ({hours} {ru_hours(hours)})",
        "criteria": {"narrative": "Қорытынды бағалаудан өтті / Прошёл(ла) итоговую оценку"
                                  if f.get("kind") != "internship_certificate"
                                  else "Кәсіпорында тағылымдамадан өтті / Прошёл(ла) стажировку на предприятии"},
        "creator": {"id": f"urn:biliktilik:organisation:{oid}", "type": ["Profile"], "name": org_name.get("kk") or ""},
        "creditsAvailable": hours,
    }
    if descriptions:
        achievement["resultDescription"] = descriptions
    subject = {
        "id": subject_id(site_url, cert.token),
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                        "identityHash": holder_name(f.get("holder") or {})}],
        "achievement": achievement,
        "activityStartDate": f"{f.get('start')}T00:00:00+05:00",
        "activityEndDate": f"{f.get('end')}T00:00:00+05:00",
        "creditsEarned": hours,
    }
    if results:
        subject["result"] = results
    status_url = site_url + signing.STATUS_LIST_PATH
    ns = site_url + NS
    out = {
        "@context": [signing.VC_CONTEXT, signing.OB_CONTEXT,
                     {"registrationNumber": ns + "registrationNumber", "fingerprint": ns + "fingerprint",
                      "certificateFacts": {"@id": ns + "certificateFacts", "@type": "@json"},
                      "replaces": {"@id": ns + "replaces", "@type": "@json"}}],
        "id": verification_url(site_url, cert.token),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": org_name.get("kk") or "", "url": site_url},
        "name": title.get("kk") or "",
        "registrationNumber": cert.number,
        "fingerprint": fp or fingerprint_of(cert),
        "certificateFacts": f,
        "validFrom": cert.validity.valid_from.isoformat(),
        "credentialSubject": subject,
        "credentialStatus": {"id": f"{status_url}#{cert.index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(cert.index),
                             "statusListCredential": status_url},
    }
    if cert.validity.valid_until:
        out["validUntil"] = cert.validity.valid_until.isoformat()
    if cert.replaces:
        out["replaces"] = {"number": cert.replaces,
                           "id": verification_url(site_url, cert.replaces_token) if cert.replaces_token else None}
    return out


def json_file(value) -> bytes:
    """Sorted keys, UTF-8, one line (the C encoder: indenting would make it several times slower)."""
    return signing.json_bytes(value)


# -- output --------------------------------------------------------------------------------

PARALLEL_FROM = 400  # certificates to render; below this, worker processes cost more than they save


class Publisher:
    """Renders and signs the files of certificates; ``write(rel, content)`` writes one file."""

    def __init__(self, site_url: str, issuer: signing.Issuer, write, env: jinja2.Environment | None = None,
                 as_of: dt.date | None = None, keys: signing.KeySet | None = None):
        self.site_url = site_url if site_url.endswith("/") else site_url + "/"
        if not re.match(r"^https?://[^/]+/", self.site_url):
            raise BuildError(_("site_url {site_url!r} of mkdocs.yml is not an absolute http(s) address; the "
                               "certificates' QR codes and did:web need the issuer's own domain").format(site_url=site_url))
        self.issuer = issuer
        self.write = write
        self.did = signing.did_for(self.site_url)
        self.keys = keys or signing.KeySet.single(issuer)  # every credential is signed with the active key
        self.kid = f"{self.did}#{self.keys.signing}"
        self.env = env or environment()
        self.page = self.env.get_template("page.html")
        self.csp = csp(style_hash(self.env.get_template("_style.html").render()))
        self.as_of = as_of or today()
        self.jwt = signing.JwtSigner(issuer, self.kid, "JWT")
        self.status_jwt = signing.JwtSigner(issuer, self.kid, "vc+jwt")
        self.proofs = signing.ProofSigner(issuer, self.kid)

    def files_of(self, cert: Cert) -> list[tuple[str, bytes]]:
        """(path, content) of the three files of a certificate."""
        base = f"v/{cert.token}/"
        fp = fingerprint_of(cert)
        html = self.page.render(page_context(cert, self.site_url, self.did, self.issuer.demo, self.as_of,
                                             self.csp, fp)).encode("utf-8")
        cred = credential(cert, self.site_url, self.did, fp)
        payload, canonical = signing.credential_payloads(cred)
        jwt = self.jwt.sign(payload)
        proof = self.proofs.proof(cred, cred["validFrom"], canonical)
        return [(base + "index.html", html), (base + "credential.jwt", jwt + b"\n"),
                (base + "credential.json", json_file({**cred, "proof": [proof]}))]

    def certificate(self, cert: Cert):
        for rel, content in self.files_of(cert):
            self.write(rel, content)

    def shared(self, certs: list[Cert]):
        did_doc = signing.did_document(self.issuer, self.did, self.keys)
        self.write(signing.did_document_path(self.did), json_file(did_doc))
        valid_from, valid_until = signing.status_list_window(self.as_of, _last_data_day(certs))
        for path, purpose, indices in (
                (signing.STATUS_LIST_PATH, "revocation", [c.index for c in certs if c.void]),
                (signing.REASON_LIST_PATH, "message", [c.index for c in certs if c.replaced_by])):
            status = signing.status_list_credential(self.site_url, self.did, sorted(indices), valid_from, path, purpose,
                                                    valid_until)
            self.write(path, self.status_jwt.sign(signing.jwt_payload(status)) + b"\n")
            self.write(path + ".json", json_file({**status, "proof": [self.proofs.proof(status, valid_from)]}))
        self.write(SCRIPT, (TEMPLATES / "verify.js").read_bytes())
        about = self.env.get_template("about.html")
        domain = urlsplit(self.site_url).netloc
        self.write("v/index.html", about.render(unknown=False, home="../", demo=self.issuer.demo, csp=self.csp,
                                                domain=domain))
        self.write("v/unknown/index.html", about.render(unknown=True, home="../../", demo=self.issuer.demo,
                                                        csp=self.csp, domain=domain))


def _last_data_day(certs: list[Cert]) -> dt.date | None:
    """The last day the ledger names: an issue or a revocation (a status list is never dated before it)."""
    days = [c.revoked["date"] for c in certs if c.revoked and isinstance(c.revoked.get("date"), dt.date)]
    for cert in certs:
        try:
            days.append(dt.date.fromisoformat(str(cert.facts.get("issued"))))
        except ValueError:
            pass
    return max(days, default=None)


_JOB: tuple | None = None  # (publisher, groups, root, cache, keys): set before the worker processes fork
CACHE_KIND = "verification"


def _write_file(path: str, content: bytes):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, content)
    finally:
        os.close(fd)


def _write_group(root: str, files: list[tuple[str, bytes]]):
    for rel, content in files:
        folder = os.path.join(root, os.path.dirname(rel))
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        _write_file(os.path.join(root, rel), content)


def _render_group(i: int) -> int:
    """Render, sign and write the certificates of group ``i`` (one cohort); keep them in the cache."""
    pub, groups, root, cache, keys = _JOB
    files = [f for cert in groups[i] for f in pub.files_of(cert)]
    if cache is not None:
        cache.store(CACHE_KIND, keys[i], files, root)  # each file written once, as a blob, linked here
    else:
        _write_group(root, files)
    return len(groups[i])


def group_key(cache, pub: "Publisher", certs: list[Cert]) -> str:
    """The cache key of a group's files: everything they are made from (each certificate with its
    status and links, the site address, the issuer's did.json (every key), the signing key's id and the
    demo flag, the build date that the page shows, the templates and code through the cache's code version)."""
    return cache.key(CACHE_KIND, pub.site_url, pub.did, signing.did_document(pub.issuer, pub.did, pub.keys), pub.kid,
                     pub.issuer.demo, pub.as_of, certs)


def publish(certs: list[Cert], site_url: str, issuer: signing.Issuer, site, workers: int | None = None,
            as_of: dt.date | None = None, cache=None, progress=None, keys: signing.KeySet | None = None):
    """Write every certificate's files and the shared ones into ``site`` (a biliktilik.build.output.Output).

    Certificates are grouped by cohort (``facts["cohort"]``); a group whose key (``group_key``) is in
    ``cache`` (a biliktilik.build.cache.OutputCache, or None) is put back from there as hard links to
    the cache's blobs (``OutputCache.link``: no file read or written), the others
    are rendered and signed, shared among ``workers`` processes (fork; default all cores) that write
    straight into the site's staging folder, one group at a time, so memory does not grow with the
    number of certificates. All paths are claimed in the writer first, so a path another generator
    wrote is still refused. ``progress``: a biliktilik.progress.Progress. ``keys``: the issuer's keys
    (credentials.load_keys; default the one key-1): every credential is signed with the active one."""
    global _JOB
    from biliktilik.progress import QUIET

    progress = progress or QUIET
    pub = Publisher(site_url, issuer, site.write, as_of=as_of, keys=keys)
    pub.shared(certs)
    workers = workers if workers is not None else (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                                   else os.cpu_count() or 1)
    written = site.written
    for cert in certs:
        for name in ("index.html", "credential.jwt", "credential.json"):
            key = f"v/{cert.token}/{name}"
            if key in written:
                raise BuildError(_("two outputs want the same file {name}/{key}").format(name=site.name, key=key))
            written.add(key)
    os.makedirs(os.path.join(site.root, "v"), exist_ok=True)
    by_cohort: dict[str, list[Cert]] = {}
    for cert in certs:
        by_cohort.setdefault(str(cert.facts.get("cohort")), []).append(cert)
    groups = [by_cohort[c] for c in sorted(by_cohort)]
    keys = [group_key(cache, pub, g) for g in groups] if cache is not None else [None] * len(groups)
    root = str(site.root)
    todo = []
    with progress.stage(_("verification pages"), total=len(certs)) as advance:
        for i, group in enumerate(groups):
            # a hit: hard links to the cache's blobs (the previous site's very files), nothing read or written
            if cache is None or cache.link(CACHE_KIND, keys[i], root) is None:
                todo.append(i)
            else:
                advance(len(group))
        _JOB = (pub, groups, root, cache, keys)
        try:
            n_todo = sum(len(groups[i]) for i in todo)
            if n_todo < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
                for i in todo:
                    advance(_render_group(i))
            else:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for n in pool.imap_unordered(_render_group, todo):
                        advance(n)
        finally:
            _JOB = None
    log.info("verification: %d certificate(s), %d of %d cohort group(s) rendered", len(certs), len(todo), len(groups))
    return pub


def files(ctx):
    certs = collect(ctx.dataset, ctx.facts)
    issuer = signing.load_issuer(root=ctx.root, site_url=ctx.site_url)
    # the key file of the instance being built (content/issuer-keys.yaml beside its mkdocs.yml)
    key_file = os.environ.get(signing.ENV_KEYS_FILE) or issuer_keys_file(ctx.root)
    publish(certs, ctx.site_url, issuer, ctx.site, workers=getattr(ctx, "jobs", None),
            cache=getattr(ctx, "cache", None), progress=getattr(ctx, "progress", None),
            keys=signing.load_keys(issuer, path=key_file))
