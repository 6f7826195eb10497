"""Public verification pages of issued certificates, and the signed credentials beside them.

For every certificate in the ledger (``data/ledger.yaml``; replaced and revoked ones too,
so that an old address keeps answering):

- ``site/v/<token>/index.html``: a small static page in Kazakh and Russian, made for a
  phone, no request to another host, ``noindex``, linked from nowhere. It shows the
  status (valid until / expired since, decided in the browser by a few lines of script;
  revoked on DATE with the reason; replaced by a link to the correction), the holder,
  the programme, hours, dates, organisation, registration number, fingerprint and the
  annex's modules with hours and grades. A script checks the signed credential with
  WebCrypto Ed25519 and says whether it matches what the page shows.
- ``site/v/<token>/credential.jwt``: an Open Badges 3.0 credential (VC data model 2.0)
  signed as a VC-JWT (EdDSA); ``credential.json``: the same credential with an
  eddsa-jcs-2022 Data Integrity proof.

And once: the issuer's ``did:web`` document (``site/.well-known/did.json``), the
Bitstring Status List (``site/status/1``, a VC-JWT; ``status/1.json`` with a proof), and
``site/v/index.html`` and ``site/v/unknown/index.html`` explaining how to check a
certificate (for an unknown token).

Pages are rendered by one Jinja2 environment straight into site/, never through MkDocs,
so they are in no sitemap, search index or navigation. They are made from the facts the
ledger stored when each certificate was issued (the validator has checked that the data
still states the same), so a page shows exactly what was certified.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import multiprocessing
import os
from functools import lru_cache

import jinja2
from markupsafe import Markup

from biliktilik.model import credentials as signing
from biliktilik.model.certificates import fingerprint, person_name
from biliktilik.findings import BuildError
from biliktilik.model.facts import add_years
from biliktilik.project import TEMPLATES as TEMPLATES_DIR
from generators.kit.addresses import verification_url

log = logging.getLogger(__name__)

TEMPLATES = TEMPLATES_DIR / "verification"
NS = "ns#"  # site_url + this: the namespace of the two terms the credentials add to Open Badges


@dataclass
class Cert:
    """One issued certificate as the ledger keeps it, with its status."""
    number: str
    token: str
    facts: dict
    index: int  # its bit in the status list
    valid_until: dt.date | None
    revoked: dict | None = None  # {date, reason}
    replaced_by: str | None = None
    replaced_by_token: str | None = None
    replaces: str | None = None
    hash: str | None = None  # sha256 of the canonical facts, as the ledger keeps it

    @property
    def void(self) -> bool:
        return bool(self.revoked or self.replaced_by)


def valid_until(rules, issued: dt.date) -> dt.date | None:
    """The last day of validity: as facts.py computes it, from the organisation's rule."""
    years = rules.value("certificate_validity_years") if rules is not None else None
    return add_years(issued, years) - dt.timedelta(days=1) if years else None


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
        out.append(Cert(e["number"], e["token"], stored, e["status_index"], valid_until(rules, issued),
                        e.get("revoked"), e.get("replaced_by"), tokens.get(e.get("replaced_by")), e.get("replaces"),
                        e.get("hash")))
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
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
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
    return Markup('<tr><td>{}. {}</td><td class="n">{}</td>').format(number, title, hours)


def page_context(cert: Cert, did: str, demo: bool, fp: str | None = None) -> dict:
    f = cert.facts
    until = cert.valid_until
    modules = f.get("modules") or []
    return {
        "c": cert, "f": f, "name": holder_name(f.get("holder") or {}),
        "fingerprint": fp or fingerprint_of(cert), "internship": f.get("kind") == "internship_certificate",
        "until": until.isoformat() if until else "", "expired_since": (until + dt.timedelta(days=1)).isoformat() if until else "",
        "did_path": "../../" + signing.did_document_path(did), "kid": f"{did}#{signing.KEY_ID}",
        "demo": demo, "total": sum(m.get("hours") or 0 for m in modules),
        "rows": [(_module_row(m.get("number"), m.get("title"), m.get("hours")), m.get("number"), m.get("grade")) for m in modules],
    }


# -- credentials --------------------------------------------------------------------------

def credential(cert: Cert, site_url: str, did: str, fp: str | None = None) -> dict:
    """The Open Badges 3.0 AchievementCredential (VC data model 2.0) of a certificate."""
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
        "criteria": {"narrative": "Қорытынды бағалаудан өтті / Прошёл(ла) итоговую аттестацию"
                                  if f.get("kind") != "internship_certificate"
                                  else "Кәсіпорында тағылымдамадан өтті / Прошёл(ла) стажировку на предприятии"},
        "creator": {"id": f"urn:biliktilik:organisation:{oid}", "type": ["Profile"], "name": org_name.get("kk") or ""},
        "creditsAvailable": hours,
    }
    if descriptions:
        achievement["resultDescription"] = descriptions
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                        "identityHash": holder_name(f.get("holder") or {})}],
        "achievement": achievement,
        "activityStartDate": f"{f.get('start')}T00:00:00Z",
        "activityEndDate": f"{f.get('end')}T00:00:00Z",
        "creditsEarned": hours,
    }
    if results:
        subject["result"] = results
    status_url = site_url + signing.STATUS_LIST_PATH
    out = {
        "@context": [signing.VC_CONTEXT, signing.OB_CONTEXT,
                     {"registrationNumber": site_url + NS + "registrationNumber", "fingerprint": site_url + NS + "fingerprint"}],
        "id": verification_url(site_url, cert.token),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": org_name.get("kk") or "", "url": site_url},
        "name": title.get("kk") or "",
        "registrationNumber": cert.number,
        "fingerprint": fp or fingerprint_of(cert),
        "validFrom": f"{f.get('issued')}T00:00:00Z",
        "credentialSubject": subject,
        "credentialStatus": {"id": f"{status_url}#{cert.index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(cert.index),
                             "statusListCredential": status_url},
    }
    if cert.valid_until:
        out["validUntil"] = f"{cert.valid_until.isoformat()}T23:59:59Z"
    return out


def json_file(value) -> bytes:
    """Sorted keys, UTF-8, one line (the C encoder: indenting would make it several times slower)."""
    return signing.compact_json(value) + b"\n"


# -- output --------------------------------------------------------------------------------

PARALLEL_FROM = 2000  # certificates; below this, worker processes cost more than they save


class Publisher:
    """Renders and signs the files of certificates; ``write(rel, content)`` writes one file."""

    def __init__(self, site_url: str, issuer: signing.Issuer, write, env: jinja2.Environment | None = None):
        self.site_url = site_url if site_url.endswith("/") else site_url + "/"
        self.issuer = issuer
        self.write = write
        self.did = signing.did_for(self.site_url)
        self.kid = f"{self.did}#{signing.KEY_ID}"
        self.env = env or environment()
        self.page = self.env.get_template("page.html")
        self.jwt = signing.JwtSigner(issuer, self.kid)
        self.proofs = signing.ProofSigner(issuer, self.kid)

    def files_of(self, cert: Cert) -> list[tuple[str, bytes]]:
        """(path, content) of the three files of a certificate."""
        base = f"v/{cert.token}/"
        fp = fingerprint_of(cert)
        html = self.page.render(page_context(cert, self.did, self.issuer.demo, fp)).encode("utf-8")
        cred = credential(cert, self.site_url, self.did, fp)
        body = signing.compact_json(cred)  # signed once as the JWT payload, once under the proof
        jwt = self.jwt.sign(body)
        proof = self.proofs.proof(body, cred["@context"], cred["validFrom"])
        return [(base + "index.html", html), (base + "credential.jwt", jwt + b"\n"),
                (base + "credential.json", body[:-1] + b',"proof":' + signing.compact_json(proof) + b"}\n")]

    def certificate(self, cert: Cert):
        for rel, content in self.files_of(cert):
            self.write(rel, content)

    def shared(self, certs: list[Cert]):
        self.write(signing.did_document_path(self.did), json_file(signing.did_document(self.issuer, self.did)))
        dates = [c.facts.get("issued") or "" for c in certs]
        dates += [c.revoked["date"].isoformat() for c in certs if c.revoked and isinstance(c.revoked.get("date"), dt.date)]
        as_of = max(dates, default="1970-01-01")
        status = signing.status_list_credential(self.site_url, self.did, sorted(c.index for c in certs if c.void),
                                                f"{as_of}T00:00:00Z")
        self.write(signing.STATUS_LIST_PATH, signing.sign_jwt(status, self.issuer, self.kid) + "\n")
        proof = signing.data_integrity_proof(status, self.issuer, self.kid, status["validFrom"])
        self.write(signing.STATUS_LIST_PATH + ".json", json_file({**status, "proof": proof}))
        about = self.env.get_template("about.html")
        self.write("v/index.html", about.render(unknown=False, home="../", demo=self.issuer.demo))
        self.write("v/unknown/index.html", about.render(unknown=True, home="../../", demo=self.issuer.demo))


_JOB: tuple | None = None  # (publisher, certs, root): set before the worker processes fork


def _write_file(path: str, content: bytes):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, content)
    finally:
        os.close(fd)


def _work(span):
    pub, certs, root = _JOB
    for cert in certs[span[0]:span[1]]:
        try:
            os.mkdir(os.path.join(root, "v", cert.token))
        except FileExistsError:
            pass
        for rel, content in pub.files_of(cert):
            _write_file(os.path.join(root, rel), content)
    return span[1] - span[0]


def publish(certs: list[Cert], site_url: str, issuer: signing.Issuer, site, workers: int | None = None):
    """Write every certificate's files and the shared ones into ``site`` (a biliktilik.output.Output).

    Many certificates are shared among worker processes (fork), which write straight into
    the site's staging folder; the paths are claimed in the writer first, so a path that
    another generator wrote is still refused."""
    global _JOB
    pub = Publisher(site_url, issuer, site.write)
    pub.shared(certs)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if len(certs) < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for cert in certs:
            pub.certificate(cert)
        return pub
    written = site.written
    for cert in certs:
        for name in ("index.html", "credential.jwt", "credential.json"):
            key = f"v/{cert.token}/{name}"
            if key in written:
                raise BuildError(f"two outputs want the same file {site.name}/{key}")
            written.add(key)
    os.makedirs(os.path.join(site.root, "v"), exist_ok=True)
    step = max(200, len(certs) // (workers * 8))
    spans = [(i, min(i + step, len(certs))) for i in range(0, len(certs), step)]
    _JOB = (pub, certs, str(site.root))
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = sum(pool.imap_unordered(_work, spans))
    finally:
        _JOB = None
    if done != len(certs):
        raise BuildError(f"verification pages: {done} of {len(certs)} certificates written")
    return pub


def files(ctx):
    certs = collect(ctx.dataset, ctx.facts)
    publish(certs, ctx.site_url, signing.load_issuer(), ctx.site)
    log.info("verification: %d page(s)", len(certs))
