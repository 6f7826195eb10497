"""Pieces of the national-scale build that need no build to test: the shared canonicalisation of a
credential's two signed forms, and how certificate cohorts are handed to the workers."""

from __future__ import annotations

import json

import rfc8785

from biliktilik.model import credentials as signing
from generators import certificate_pdfs as C


def _credential():
    return {
        "@context": [signing.VC_CONTEXT, {"ns": "https://kurs.example.kz/ns#"}],
        "id": "https://kurs.example.kz/v/abc/",
        "issuer": {"id": "did:web:kurs.example.kz", "name": "Ұлттық институт"},
        "validFrom": "2026-03-01T00:00:00+05:00",
        "validUntil": "2029-03-01T00:00:00+05:00",
        "credentialSubject": {"id": "urn:uuid:1", "creditsEarned": 72, "note": "a\u2028b\x01\"\\"},
        # names whose UTF-16 order differs from their code point order (RFC 8785 sorts by UTF-16)
        "\uff61half-width": 1, "\U0001f600smile": [True, None, -3], "Ә": {"z": 1, "a": []},
    }


def test_credential_payloads_equal_canonicalising_each_form_alone():
    cred = _credential()
    payload, document = signing.credential_payloads(cred)
    assert document == rfc8785.dumps(cred)
    assert payload == signing.jwt_payload(cred)
    claims = json.loads(payload)
    assert claims["iss"] == "did:web:kurs.example.kz" and claims["sub"] == "urn:uuid:1"
    assert document.index("\U0001f600smile".encode()) < document.index("\uff61half-width".encode())


def test_jcs_object_sorts_member_names_by_utf16():
    members = {"b": b"1", "\uff61": b"2", "\U0001f600": b"3", "a": b"4"}
    assert signing.jcs_object(members) == rfc8785.dumps({"b": 1, "\uff61": 2, "\U0001f600": 3, "a": 4})


def _cert(cohort, topic, gender):
    form = {"org": {"name": {"kk": "Org"}}, "topic": {"kk": topic}, "hours": 72, "modules": [], "gender": gender}
    return C.Certificate(cohort, "org", f"N-{cohort}-{gender}", "certificate", True, None, form, {})


def test_a_programmes_cohorts_go_to_one_worker_in_bounded_chunks():
    groups = []
    for i in range(40):
        topic = "A" if i % 2 == 0 else ("B" if i % 4 == 1 else "C")
        groups.append((f"c{i:02d}", [_cert(f"c{i:02d}", topic, "f"), _cert(f"c{i:02d}", topic, "m")]))
    todo = [i for i in range(40) if i != 7]
    chunks = C.chunks_by_programme(groups, todo, size=6)
    assert sorted(i for chunk in chunks for i in chunk) == todo  # every cohort once
    assert all(0 < len(chunk) <= 6 for chunk in chunks)
    topics = [{groups[i][1][0].form["topic"]["kk"] for i in chunk} for chunk in chunks]
    assert all(len(t) == 1 for t in topics)  # one programme per chunk, whatever the gender
    assert len(chunks) == 4 + 2 + 2  # A: 20 cohorts in 6+6+6+2; B: 10 in 6+4; C: 9 in 6+3
