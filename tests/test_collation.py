"""Alphabetical order of names and titles: the Kazakh alphabet for Kazakh, the Russian for Russian.

The expected orders are written out by hand from the alphabets (Kazakh: А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ
Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я, as the seeds' own lists use it), not asked of
the code; every list here is one that Python's code-point order gets wrong.
"""

from __future__ import annotations

import datetime as dt

from biliktilik.load import iin as iinmod
from biliktilik.model import reports as R
from biliktilik.texts import name_sort_key, sort_key
from biliktilik.validate import validate

TODAY = dt.date(2026, 11, 23)

# the Kazakh alphabet order of these surnames, each letter's neighbour in the alphabet beside it
KAZAKH_ORDER = ["Ахметов", "Әбдірахманов", "Бекова", "Ғабитов", "Дәулетов", "Есенов", "Ёлкин", "Жұмабаев",
                "Ибраев", "Кенжебаев", "Қасымов", "Нұрланов", "Ңаев", "Оразов", "Өмірзақов", "Усенов",
                "Ұлықбеков", "Үмбетов", "Хасенов", "Һасанов", "Ысқақов", "Іздібаев", "Эльдаров", "Ян"]
# Russian: Ё with Е (Ёлкин after Есенов by its second letter), the Kazakh letters after their base letters
RUSSIAN_ORDER = ["Агеев", "Әлиев", "Ёжиков", "Елисеев", "Жуков", "Ивлев", "Іздібаев", "Кенжебаев", "Қасымов",
                 "Оразов", "Өмірзақов", "Усенов", "Фёдоров", "Ысқақов"]


def test_kazakh_alphabet_order():
    shuffled = sorted(KAZAKH_ORDER, key=lambda s: s[::-1])
    assert sorted(shuffled, key=lambda s: sort_key(s, "kk")) == KAZAKH_ORDER
    assert sorted(KAZAKH_ORDER) != KAZAKH_ORDER  # code points put Ә Ғ Қ Ң Ө Ұ Ү Һ І after Я


def test_russian_alphabet_order():
    shuffled = sorted(RUSSIAN_ORDER, key=lambda s: s[::-1])
    assert sorted(shuffled, key=lambda s: sort_key(s, "ru")) == RUSSIAN_ORDER
    assert sorted(RUSSIAN_ORDER) != RUSSIAN_ORDER  # code points put Ё before А


def test_ё_and_і_are_letters_of_their_own_in_kazakh_only():
    # Kazakh: Ё is the letter after Е, І the letter after Ы; Russian: ё is е, і sits by и
    assert sorted(["Ёа", "Еб"], key=lambda s: sort_key(s, "kk")) == ["Еб", "Ёа"]
    assert sorted(["Ёа", "Еб"], key=lambda s: sort_key(s, "ru")) == ["Ёа", "Еб"]
    assert sorted(["Іа", "Ыа", "Иб"], key=lambda s: sort_key(s, "kk")) == ["Иб", "Ыа", "Іа"]


def test_names_by_surname_then_given_name():
    people = [{"surname": "Қасымов", "given": "Ерлан"}, {"surname": "Касымов", "given": "Әсет"},
              {"surname": "Касымов", "given": "Арман"}, {"surname": "Қасымов", "given": "Әлия"}]
    got = [(p["surname"], p["given"]) for p in sorted(people, key=name_sort_key)]
    assert got == [("Касымов", "Арман"), ("Касымов", "Әсет"), ("Қасымов", "Әлия"), ("Қасымов", "Ерлан")]


def _listener(lid, surname, given, serial):
    iin = iinmod.make(dt.date(1985, 3, 3), False, serial)
    return (f"  - id: {lid}\n    name: {{surname: {surname}, given: {given}, patronymic: Серікұлы}}\n"
            f"    iin: \"{iin}\"\n    employer: №1 мектеп\n    position: мұғалім\n"
            f"    phone: \"+7 700 000 00 {serial % 100:02d}\"\n    email: {lid}@example.kz\n")


def test_listener_list_in_the_alphabet_of_the_report(data_copy):
    cohort = data_copy / "cohorts" / "2027-02-tor-kk.yaml"
    people = [("l01", "Ысқақов", "Ерлан"), ("l02", "Әбдірахманов", "Нұрлан"), ("l03", "Іздібаев", "Марат"),
              ("l04", "Ахметов", "Болат"), ("l05", "Қасымов", "Дәурен"), ("l06", "Иманов", "Олжас"),
              ("l07", "Өмірзақов", "Бауыржан"), ("l08", "Оразов", "Санжар")]
    cohort.write_text(cohort.read_text(encoding="utf-8").rstrip("\n") + "\nlisteners:\n"
                      + "".join(_listener(lid, s, g, 700 + i) for i, (lid, s, g) in enumerate(people)), encoding="utf-8")
    checked = validate(data_copy, use_cache=False, on=TODAY)
    assert not [f for f in checked.findings if f.severity == "error"], checked.findings
    rep = R.report("listener-lists", checked.dataset, checked.facts, cohort="2027-02-tor-kk")
    head, body = rep.table("kk")
    kk = [row[head.index("Т.А.Ә.")].split()[0] for row in body]
    assert kk == ["Ахметов", "Әбдірахманов", "Иманов", "Қасымов", "Оразов", "Өмірзақов", "Ысқақов", "Іздібаев"]
    head, body = rep.table("ru")
    ru = [row[head.index("Ф.И.О.")].split()[0] for row in body]
    # Russian order: І after И (ICU's root order of Cyrillic), not after Ы
    assert ru == ["Ахметов", "Әбдірахманов", "Иманов", "Іздібаев", "Қасымов", "Оразов", "Өмірзақов", "Ысқақов"]
    text = rep.text("kk")
    assert text.index("Әбдірахманов") < text.index("Иманов") < text.index("Ысқақов") < text.index("Іздібаев")
