"""A synthetic data set of national scale (about 300 programmes, 3,000 cohorts,
60,000 listeners) for benchmarks. Deterministic for a given seed; valid data,
so that a benchmark measures the validator and the generators, not error output.

Certificates are issued as real data has them: every listener of a finished cohort who
passed holds a registration number and a token in the cohort file, and ``ledger.yaml`` keeps
each certificate's canonical facts and their sha256 exactly as :mod:`biliktilik.issuing`
computes them (``issue_in_memory``); about one in 400 is revoked and one in 400 replaced by
a correction (the old one issued with a misspelt surname), so a benchmark renders
verification pages, credentials, status lists and certificate PDFs of every kind."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path

from biliktilik.i18n import _
from biliktilik.load.iin import make as make_iin
from biliktilik.progress import QUIET, Progress
from biliktilik.project import DATA

LEDGER_NOTE = "# Synthetic ledger written by `biliktilik synth` for benchmarks (not real certificates).\n"
REVOKE_EVERY = 397  # about one certificate in 400 revoked ...
REPLACE_EVERY = 401  # ... and one in 400 replaced by a correction
REVOKE_REASON = "Синтетикалық кері қайтарып алу / Синтетический отзыв"


_SURNAMES = ["Әбілов", "Байжанов", "Қасымов", "Нұрланов", "Омаров", "Сейтқали", "Төлеуов", "Жұмабаев", "Ахметов",
             "Ержанов", "Иванов", "Ким", "Петров", "Сергеев", "Мұқанов", "Ғабдуллин", "Исмаилов", "Тоқтаров"]
_GIVEN_M = ["Нұрлан", "Ержан", "Бауыржан", "Серік", "Тимур", "Арман", "Данияр", "Виктор", "Сергей", "Қанат"]
_GIVEN_F = ["Айгерім", "Гүлназ", "Мадина", "Жанар", "Сәуле", "Дана", "Ольга", "Анна", "Әсел", "Ләззат"]
_PATR_M = ["Ерболұлы", "Қайратұлы", "Тимурұлы", "Асқарұлы", "Сергеевич"]
_PATR_F = ["Серікқызы", "Бақытжанқызы", "Маратқызы", "Асқарқызы", "Петровна"]
_TOPICS = ["Цифрлық сауаттылық", "Инклюзивті білім беру", "Критериалды бағалау", "STEM оқыту", "Функционалдық сауаттылық",
           "Тәрбие жұмысы", "Мектепті басқару", "Ерте жастағы балаларды дамыту", "Кәсіптік оқыту", "Жобалық оқыту"]
_FORMATS = ["full_time", "distance", "blended"]


def _provider(i: int) -> str:
    return f"""id: synth-provider-{i:02d}
kind: provider
name:
  kk: Синтетикалық біліктілікті арттыру орталығы № {i}
  ru: Синтетический центр повышения квалификации № {i}
city: {{kk: Өңір {i}, ru: Регион {i}}}
head:
  title: {{kk: Директор, ru: Директор}}
  name: Директор {i}
ruleset: order-95
registration_prefix: S{i:02d}
"""


def _programme(pid: str, org: str, r: random.Random) -> tuple[str, int, int]:
    hours = r.choice([36, 48, 72, 80, 108])
    n_modules = r.randint(3, 6)
    base = hours // n_modules
    module_hours = [base] * n_modules
    module_hours[-1] += hours - base * n_modules
    topic = r.choice(_TOPICS)
    lines = [f"id: {pid}", f"organisation: {org}",
             f"title:\n  kk: \"{topic} ({pid})\"\n  ru: Программа {pid}",
             "audience:\n  kk: Жалпы білім беретін мектептердің педагогтері\n  ru: Педагоги общеобразовательных школ",
             f"hours: {hours}", "languages: [kk, ru]", "formats: [full_time, distance, blended]",
             "thematic_plan:", "  modules:"]
    for m, mh in enumerate(module_hours, 1):
        lines += [f"    - number: \"{m}\"", f"      title: Модуль {m}", f"      hours: {mh}"]
    lines += ["  total:", f"    hours: {hours}", f"approved: {2020 + r.randint(0, 5)}-0{r.randint(1, 9)}-01", ""]
    return "\n".join(lines), hours, n_modules


def _listener(k: int, r: random.Random, n_modules: int, serial: int, finished: bool) -> str:
    female = r.random() < 0.7
    born = dt.date(1965 + r.randint(0, 35), r.randint(1, 12), r.randint(1, 28))
    sur = r.choice(_SURNAMES)
    given = r.choice(_GIVEN_F if female else _GIVEN_M)
    patr = r.choice(_PATR_F if female else _PATR_M)
    lines = [f"  - id: l{k:03d}",
             f"    name: {{surname: {sur}, given: {given}, patronymic: {patr}}}",
             f"    iin: \"{make_iin(born, female, serial)}\"",
             f"    employer: № {r.randint(1, 200)} мектеп",
             "    position: мұғалім",
             f"    phone: \"+7 70{r.randint(0, 9)} {r.randint(100, 999)} {r.randint(10, 99)} {r.randint(10, 99)}\"",
             f"    email: l{serial}@example.kz"]
    if finished:
        attendance = r.choice([1.0, 0.95, 0.9, 0.85, 0.8, 0.7])
        score = r.randint(8, 30)
        passed = attendance >= 0.8 and score >= 15
        lines += [f"    attendance: {attendance}", f"    final_test: {{score: {score}, max: 30}}"]
        if passed:
            grades = ", ".join(f'"{m}": {r.randint(3, 5)}' for m in range(1, n_modules + 1))
            lines += [f"    grades: {{{grades}}}", "    outcome: certificate"]
        else:
            lines.append("    outcome: reference")
    return "\n".join(lines)


def synthesize(out: Path, listeners: int = 60000, programmes: int | None = None, seed: int = 95,
               certificates: bool = True, progress: Progress = QUIET) -> str:
    """Write the synthetic data set into ``out`` (replaced if it exists); returns a one-line summary.

    ``listeners``: how many (20 a cohort, 10 cohorts a programme, at most 30 organisations);
    ``certificates``: issue certificates to those who passed (see the module's docstring);
    ``progress``: the cohorts written (with their count), then the issuing, as stages."""
    r = random.Random(seed)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    for folder in ("rulesets", "organisations", "programmes", "cohorts"):
        (out / folder).mkdir(parents=True)
    for f in (DATA / "rulesets").glob("*.yaml"):
        shutil.copy(f, out / "rulesets" / f.name)
    n_cohorts = max(1, listeners // 20)
    n_programmes = programmes or max(1, n_cohorts // 10)
    n_orgs = max(1, min(30, n_programmes // 10))
    for i in range(1, n_orgs + 1):
        (out / "organisations" / f"synth-provider-{i:02d}.yaml").write_text(_provider(i), encoding="utf-8")
    progs = []
    for p in range(1, n_programmes + 1):
        pid, org = f"synth-p{p:04d}", f"synth-provider-{(p - 1) % n_orgs + 1:02d}"
        text, hours, n_modules = _programme(pid, org, r)
        (out / "programmes" / f"{pid}.yaml").write_text(text, encoding="utf-8")
        progs.append((pid, org, hours, n_modules))
    serial, written = 0, 0
    cohorts: dict[str, tuple[str, list[str]]] = {}
    with progress.stage(_("synthetic cohorts"), total=n_cohorts) as advance:
        for c in range(1, n_cohorts + 1):
            pid, org, hours, n_modules = progs[(c - 1) % len(progs)]
            start = dt.date(2025, 1, 6) + dt.timedelta(days=7 * ((c * 7) % 100))
            end = start + dt.timedelta(days=13)
            finished = end < dt.date(2026, 10, 1)
            size = listeners // n_cohorts + (1 if c <= listeners % n_cohorts else 0)
            body = []
            for k in range(1, size + 1):
                serial += 1
                body.append(_listener(k, r, n_modules, serial, finished))
            written += size
            head = (f"id: synth-c{c:05d}\nprogramme: {pid}\norganisation: {org}\nformat: {r.choice(_FORMATS)}\n"
                    f"language: {r.choice(['kk', 'ru'])}\nstart: {start}\nend: {end}\nseats: {max(size, 25)}\n")
            cohorts[f"synth-c{c:05d}"] = (head, body)
            _write_cohort(out, f"synth-c{c:05d}", head, body)
            advance()
    with progress.stage(_("synthetic certificates")):
        issued = _issue(out, cohorts, random.Random(seed + 1)) if certificates else (0, 0, 0)
    return (f"wrote {out}: {n_orgs} organisations, {n_programmes} programmes, {n_cohorts} cohorts, {written} listeners, "
            f"{issued[0]} certificates ({issued[1]} revoked, {issued[2]} replaced)")


def _write_cohort(out: Path, cid: str, head: str, body: list[str]):
    text = head + ("listeners:\n" + "\n".join(body) + "\n" if body else "")
    (out / "cohorts" / f"{cid}.yaml").write_text(text, encoding="utf-8")


def _token_maker(r: random.Random):
    """Deterministic tokens of the shape biliktilik.issuing.new_token makes (72 bits, URL-safe, alphanumeric first)."""
    import base64

    def make() -> str:
        while True:
            token = base64.urlsafe_b64encode(r.getrandbits(72).to_bytes(9, "big")).decode("ascii")
            if token[0].isalnum():
                return token
    return make


def _quoted(text: str) -> str:
    """A YAML scalar as ruamel.yaml writes the ledger's facts (single-quoted), JSON-quoted if it holds a quote."""
    return "'" + text + "'" if "'" not in text else json.dumps(text, ensure_ascii=False)


def _issue(out: Path, cohorts: dict[str, tuple[str, list[str]]], r: random.Random) -> tuple[int, int, int]:
    """Issue certificates to every listener who passed (biliktilik.issuing.issue_in_memory: numbers, tokens,
    canonical facts and their sha256), revoke and replace a few, and write them into the cohort files
    and data/ledger.yaml in the layout biliktilik.issuing writes."""
    from biliktilik.issuing import LEDGER_HEADER, issue_in_memory, recorded_numbers
    from biliktilik.model.certificates import canonical, certificate_facts, facts_hash
    from biliktilik.validate import validate

    checked = validate(out, use_cache=False)
    if not checked.ok:
        raise RuntimeError(f"synthetic data has {len(checked.errors)} error(s) before issuing: {checked.errors[0]}")
    ds, facts = checked.dataset, checked.facts
    make = _token_maker(r)
    entries = issue_in_memory(ds, facts, make_token=make)
    numbers = recorded_numbers(ds)  # issue_in_memory left the new certificates on the records in memory
    extra: dict[str, list[str]] = {}  # listener ref -> lines under its certificate
    replaced = revoked = 0
    every_replace = min(REPLACE_EVERY, max(5, len(entries) // 3))  # a small set still has some of each
    every_revoke = min(REVOKE_EVERY, max(4, len(entries) // 3 - 1))
    for i, e in enumerate(list(entries)):
        lf = facts.by_ref[e["listener"]]
        cert = lf.data["certificate"]
        if i % every_replace == every_replace - 1:
            old = json.loads(e["facts"])
            old["holder"]["surname"] = old["holder"]["surname"] + "в"  # the misspelling the correction fixes
            e["hash"], e["facts"] = facts_hash(old), canonical(old).decode("utf-8")
            prefix = e["number"].rsplit("-", 2)[0]
            number, token = numbers.next(prefix, e["issued"].year), numbers.token(make)
            e["replaced_by"] = number
            lf.data["certificate"] = {"number": number, "token": token, "issued": e["issued"], "replaces": e["number"]}
            new = certificate_facts(lf, ds)
            entries.append({"number": number, "token": token, "listener": lf.ref, "issued": e["issued"],
                            "status_index": len(entries), "replaces": e["number"], "hash": facts_hash(new),
                            "facts": canonical(new).decode("utf-8")})
            replaced += 1
        elif i % every_revoke == every_revoke - 1:
            on = min(e["issued"] + dt.timedelta(days=30), facts.today)
            e["revoked"] = {"date": on, "reason": REVOKE_REASON}
            cert["revoked"] = e["revoked"]
            revoked += 1
    for e in entries:
        lf = facts.by_ref[e["listener"]]
        cert = lf.data["certificate"]
        if cert["number"] != e["number"]:
            continue
        lines = ["    certificate:", f"      number: {cert['number']}", f"      token: {cert['token']}",
                 f"      issued: {cert['issued']}"]
        if cert.get("replaces"):
            lines.append(f"      replaces: {cert['replaces']}")
        if cert.get("revoked"):
            lines += ["      revoked:", f"        date: {cert['revoked']['date']}", f"        reason: {cert['revoked']['reason']}"]
        extra[lf.ref] = lines
    for cid, (head, body) in cohorts.items():
        changed = False
        for k in range(len(body)):
            lines = extra.get(f"{cid}/l{k + 1:03d}")
            if lines:
                body[k] = body[k] + "\n" + "\n".join(lines)
                changed = True
        if changed:
            _write_cohort(out, cid, head, body)
    text = [LEDGER_HEADER, LEDGER_NOTE, "certificates:\n"]
    for e in entries:
        text.append(f"  - number: {e['number']}\n    token: {e['token']}\n    listener: {e['listener']}\n"
                    f"    issued: {e['issued']}\n    status_index: {e['status_index']}\n")
        if e.get("replaces"):
            text.append(f"    replaces: {e['replaces']}\n")
        text.append(f"    hash: {e['hash']}\n    facts: {_quoted(e['facts'])}\n")
        if e.get("replaced_by"):
            text.append(f"    replaced_by: {e['replaced_by']}\n")
        if e.get("revoked"):
            text.append(f"    revoked:\n      date: {e['revoked']['date']}\n      reason: {e['revoked']['reason']}\n")
    (out / "ledger.yaml").write_text("".join(text), encoding="utf-8")
    return len(entries), revoked, replaced
