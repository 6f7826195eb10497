"""A synthetic data set of national scale (about 300 programmes, 3,000 cohorts,
60,000 listeners) for benchmarks. Deterministic for a given seed; valid data,
so that a benchmark measures the validator and the generators, not error output."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

from biliktilik.load.iin import make as make_iin
from biliktilik.project import DATA


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


def synthesize(out: Path, listeners: int = 60000, programmes: int | None = None, seed: int = 95) -> str:
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
        text = (f"id: synth-c{c:05d}\nprogramme: {pid}\norganisation: {org}\nformat: {r.choice(_FORMATS)}\n"
                f"language: {r.choice(['kk', 'ru'])}\nstart: {start}\nend: {end}\nseats: {max(size, 25)}\n"
                + ("listeners:\n" + "\n".join(body) + "\n" if body else ""))
        (out / "cohorts" / f"synth-c{c:05d}.yaml").write_text(text, encoding="utf-8")
    return f"wrote {out}: {n_orgs} organisations, {n_programmes} programmes, {n_cohorts} cohorts, {written} listeners"
