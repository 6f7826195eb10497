"""Command-line messages in Kazakh, Russian and English (gettext catalogs in biliktilik/locale/).

The catalogs are complete and current (every msgid of the code has a kk and ru translation with the
same placeholders; the committed .mo files are the compiled .po files), and a person who runs the
command with ``--lang`` or a Kazakh/Russian locale reads Kazakh or Russian, with the finding codes of
the English output."""

from __future__ import annotations

import gettext
import re
import shutil
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from biliktilik import i18n
from conftest import ROOT, run_cli

LOCALE = ROOT / "biliktilik" / "locale"
POT = LOCALE / "biliktilik.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PERCENT = re.compile(r"%(?:\(([a-z_]+)\))?[rsd]")
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
KAZAKH_ONLY = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")
LINE = re.compile(r"^(\S+):(\d+):(\d+): (\S+) ([a-z0-9.-]+): ")


def _ids(messages) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id}


def _placeholders(text: str) -> tuple[set[str], list[str]]:
    """The ``{name}`` set and the ``%(name)s``/``%s`` list of a message."""
    names = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    return names, sorted(PERCENT.findall(text))


def _catalog(lang):
    with open(LOCALE / lang / "LC_MESSAGES" / "biliktilik.po", "rb") as fh:
        return read_po(fh, locale=lang)


# -- the catalogs -------------------------------------------------------------

def test_pot_holds_every_message_of_the_code(tmp_path):
    """Extracting the code again gives the msgids of the committed .pot: a new ``_()`` needs
    ``pybabel extract`` and ``update`` (README, "Messages and translations")."""
    extracted = {msgid if isinstance(msgid, str) else msgid[0]
                 for folder in ("biliktilik", "generators")  # as babel.cfg says
                 for _, _, msgid, _, _ in extract_from_dir(ROOT / folder, method_map=[("**.py", "python")],
                                                           keywords=KEYWORDS)}
    with open(POT, "rb") as fh:
        committed = _ids(read_po(fh))
    assert extracted, "extraction found no messages"
    assert sorted(extracted - committed) == [], "messages missing from biliktilik.pot: run pybabel extract"
    assert sorted(committed - extracted) == [], "biliktilik.pot holds messages the code no longer has"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_is_translated_with_the_same_placeholders(lang):
    with open(POT, "rb") as fh:
        wanted = _ids(read_po(fh))
    catalog = _catalog(lang)
    have = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    assert sorted(wanted - set(have)) == [], f"msgids without a {lang} entry"
    problems = []
    for msgid in sorted(wanted):
        m = have[msgid]
        forms = list(m.string) if isinstance(m.string, (tuple, list)) else [m.string]
        ids = list(m.id) if isinstance(m.id, tuple) else [m.id]
        if len(forms) != catalog.num_plurals if isinstance(m.id, tuple) else len(forms) != 1:
            problems.append(f"{msgid!r}: {len(forms)} plural form(s), the catalog has {catalog.num_plurals}")
        for form in forms:
            if not form or not form.strip():
                problems.append(f"{msgid!r}: empty")
            elif _placeholders(form) != _placeholders(ids[0]):
                problems.append(f"{msgid!r}: placeholders {_placeholders(form)} != {_placeholders(ids[0])}")
            elif "fuzzy" in m.flags:
                problems.append(f"{msgid!r}: fuzzy")
            elif msgid.strip() and re.search(r"[a-z]{3} [a-z]{3}", msgid) and not CYRILLIC.search(form):
                problems.append(f"{msgid!r}: still English: {form!r}")
    assert problems == []


def test_placeholder_check_can_fail():
    assert _placeholders("row {row} has {count:,} of {value!r}") == ({"row", "count", "value"}, [])
    assert _placeholders("строка {row}") != _placeholders("row {row} of {total}")
    assert _placeholders("{{id: {chosen}}}") == ({"chosen"}, [])
    assert _placeholders("%(prog)s: error: %(message)s") == (set(), ["message", "prog"])


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_committed_mo_is_the_compiled_po(lang):
    """The .mo that gettext reads at run time says what the .po says (``pybabel compile`` after
    every change of a .po)."""
    with open(LOCALE / lang / "LC_MESSAGES" / "biliktilik.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)._catalog
    expected = {}
    for m in _catalog(lang):
        if not m.id or "fuzzy" in m.flags:
            continue
        if isinstance(m.id, tuple):
            for i, form in enumerate(m.string):
                expected[(m.id[0], i)] = form
        else:
            expected[m.id] = m.string
    mo = {k: v for k, v in mo.items() if k != ""}
    assert mo == expected, "run: pybabel compile -d biliktilik/locale -D biliktilik"


def test_language_from_environment():
    env = i18n.language_from_environment
    assert env({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert env({"LC_MESSAGES": "kk_KZ.UTF-8", "LANG": "ru_RU.UTF-8"}) == "kk"
    assert env({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}) == "en"
    assert env({"LANGUAGE": "de:kk", "LANG": "C.UTF-8"}) == "kk"
    assert env({"BILIKTILIK_LANG": "ru", "LANG": "kk_KZ"}) == "ru"
    assert env({}) == "en"


def test_russian_plural_forms_and_english_counts():
    try:
        i18n.choose("ru")
        from biliktilik.findings import counts

        assert counts(1, 2) == "1 ошибка, 2 предупреждения"
        assert counts(5, 21) == "5 ошибок, 21 предупреждение"
        assert counts(11, 14) == "11 ошибок, 14 предупреждений"
        i18n.choose("kk")
        assert counts(3, 1) == "3 қате, 1 ескерту"
    finally:
        i18n.choose("en")
    from biliktilik.findings import counts

    assert counts(1, 0) == "1 error(s), 0 warning(s)"  # English stays as it was


# -- the command line as a person runs it -------------------------------------

def _broken(tmp_path) -> Path:
    """A copy of the shipped data with three findings of different layers: a YAML error, a schema
    error and a rule error."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "data", work / "data")
    for case in ("attendance-outcome", "duplicate-key", "unknown-key"):
        src = ROOT / "tests" / "broken" / case
        for f in src.rglob("*"):
            if f.is_file() and f.name != "expected.txt":
                target = work / "data" / f.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, target)
    return work


def _findings(stdout: str) -> list[tuple]:
    """(file, line, column, code) of every finding line, and the messages."""
    return [LINE.match(line).group(1, 2, 3, 5) for line in stdout.splitlines() if LINE.match(line)]


def _messages(stdout: str) -> list[str]:
    return [line[LINE.match(line).end():] for line in stdout.splitlines() if LINE.match(line)]


def _validate(work, *args, env):
    return run_cli(*args, "validate", "--no-cache", cwd=work, env=env, check=1)


def test_messages_follow_lang_and_locale_with_the_same_codes(tmp_path):
    work = _broken(tmp_path)
    assert (ROOT / "tests" / "broken" / "unknown-key").is_dir() and (ROOT / "tests" / "broken" / "duplicate-key").is_dir()
    unset = {"BILIKTILIK_LANG": None, "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
    en = _validate(work, env={**unset, "LANG": "C"})
    ru = _validate(work, env={**unset, "LANG": "ru_RU.UTF-8"})
    kk = _validate(work, "--lang", "kk", env={**unset, "LANG": "C.UTF-8"})
    kk_after = run_cli("validate", "--no-cache", "--lang", "kk", cwd=work, env={**unset, "LANG": "ru_RU.UTF-8"}, check=1)
    codes = _findings(en.stdout)
    assert len(codes) >= 3 and {"listener.attendance", "yaml.duplicate-key"} <= {c[3] for c in codes}
    for out in (ru, kk, kk_after):
        assert _findings(out.stdout) == codes  # same files, lines, columns, codes, order

    assert "is below the 0.8 required for a certificate" in en.stdout and en.stdout.rstrip().endswith("warning(s)")
    for text in _messages(ru.stdout):
        assert CYRILLIC.search(text), text
    assert "ниже требуемых для сертификата" in ru.stdout
    assert re.search(r"^\S+: ошибка listener\.attendance: ", ru.stdout, re.M)
    assert re.search(r"\d+ ошиб(ка|ки|ок), \d+ предупрежден", ru.stdout)
    for text in _messages(kk.stdout):
        assert CYRILLIC.search(text), text
    assert KAZAKH_ONLY.search(kk.stdout) and not KAZAKH_ONLY.search(ru.stdout)
    assert re.search(r"^\S+: қате listener\.attendance: ", kk.stdout, re.M)
    assert kk_after.stdout == kk.stdout  # --lang after the command, and it wins over LANG
    assert not re.search(r": (ошибка|қате|предупреждение|ескерту) ", en.stdout) and "ниже" not in en.stdout
    for out in (en, ru, kk):
        assert "Traceback" not in out.stderr


def test_cache_keeps_each_language(tmp_path):
    """A file's findings are cached with the language they are worded in: an English run then a
    Russian one (same cache) reads Russian."""
    work = _broken(tmp_path)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    en = run_cli("validate", cwd=work, env={**env, "BILIKTILIK_LANG": "en"}, check=1)
    ru = run_cli("validate", cwd=work, env={**env, "BILIKTILIK_LANG": "ru"}, check=1)
    en2 = run_cli("validate", cwd=work, env={**env, "BILIKTILIK_LANG": "en"}, check=1)
    dup = [m for m in _messages(ru.stdout) if "повторяющийся ключ" in m]
    assert dup, ru.stdout
    assert en2.stdout == en.stdout


@pytest.mark.parametrize("lang, words", [
    ("kk", ["қолданылуы:", "опциялар:", "әр жазбаны сұлбалар мен ережелер бойынша тексеру", "хабарламалар тілі"]),
    ("ru", ["использование:", "параметры:", "проверить каждую запись по схемам и правилам", "язык сообщений"]),
    ("en", ["usage:", "options:", "check every record against the schemas and the rules", "language of the messages"]),
])
def test_help_in_each_language(lang, words):
    top = run_cli("--lang", lang, "--help", check=0)
    sub = run_cli("validate", "--help", env={"BILIKTILIK_LANG": None, "LANG": f"{lang}_KZ.UTF-8"}, check=0)
    for word in words[:3]:
        assert word in top.stdout, (word, top.stdout)
    assert words[3] in top.stdout
    assert words[0] in sub.stdout and words[1] in sub.stdout
    if lang != "en":
        assert "usage:" not in top.stdout and "show this help" not in sub.stdout


def test_usage_errors_in_russian_and_english():
    """argparse's own words (usage, its error messages) are translated too; exit 2, no traceback."""
    ru = run_cli("--lang", "ru", "issue", check=2)
    assert "использование: biliktilik issue" in ru.stderr
    assert "biliktilik: issue: требуются следующие аргументы: --cohort" in ru.stderr
    ru2 = run_cli("validate", "--frmat", "json", env={"BILIKTILIK_LANG": None, "LANG": "ru_RU.UTF-8"}, check=2)
    assert "использование: biliktilik" in ru2.stderr and "нераспознанные аргументы: --frmat" in ru2.stderr
    kk = run_cli("--lang", "kk", "validate", "--format", "xml", check=2)
    assert "жарамсыз таңдау: 'xml'" in kk.stderr, kk.stderr
    en = run_cli("issue", env={"LANG": "C"}, check=2)
    assert "usage: biliktilik issue" in en.stderr and "the following arguments are required: --cohort" in en.stderr
    bad = run_cli("validate", "--lang", "de", check=2)
    assert "invalid choice: 'de'" in bad.stderr
    for out in (ru, ru2, kk, en, bad):
        assert "Traceback" not in out.stderr


def test_refusals_and_summaries_in_kazakh(tmp_path):
    work = _broken(tmp_path)
    kk = run_cli("--lang", "kk", "build", "--no-cache", "--site", tmp_path / "site", "--print", tmp_path / "print",
                 cwd=work, check=1)
    assert "құрастырудан бас тартылды" in kk.stderr and "ештеңе құрастырылмады" in kk.stderr
    assert not (tmp_path / "site").exists()
    missing = run_cli("--lang", "kk", "issue", "--data", work / "data", "--cohort", "no-such-cohort", check=None)
    assert missing.returncode in (1, 2) and "белгісіз 'no-such-cohort' тобы" in missing.stderr, missing.stderr


def test_progress_shows_stage_names_in_the_chosen_language(capfd):
    """The bar shows the stage in Kazakh; ``timings`` keep the English name (benchmarks read it)."""
    from biliktilik.progress import Progress

    try:
        i18n.choose("kk")
        progress = Progress(enabled=True)
        with progress.stage("certificate PDFs", total=2) as advance:
            advance(2)
        progress.close()
    finally:
        i18n.choose("en")
    err = capfd.readouterr().err
    assert "сертификаттардың PDF файлдары" in err and "қалды" in err, err
    assert "certificate PDFs" not in err
    assert progress.timings[0][0] == "certificate PDFs"


def test_verify_says_why_in_the_chosen_language(tmp_path):
    """The verify command's lines and reason are translated; the verdict word stays (it is what
    scripts read) and so does the exit code."""
    fake = tmp_path / "credential.json"
    fake.write_text('{"type": ["VerifiableCredential"]}', encoding="utf-8")
    runs = {lang: run_cli("--lang", lang, "verify", fake, "--issuer", "https://example.kz/", check=1)
            for lang in ("en", "ru", "kk")}
    assert "UNVERIFIED: the JSON credential has no eddsa-jcs-2022 proof" in runs["en"].stdout
    assert "UNVERIFIED: в электронном сертификате JSON нет доказательства eddsa-jcs-2022" in runs["ru"].stdout
    assert "UNVERIFIED: JSON куәлігінде eddsa-jcs-2022 дәлелі жоқ" in runs["kk"].stdout
    assert "издатель: did:web:example.kz" in runs["ru"].stdout


def test_lang_after_reports_is_the_reports_own():
    """After ``reports`` a ``--lang`` is the report's language (as before); the messages follow the
    ``--lang`` given before the command."""
    both = run_cli("--lang", "ru", "reports", "no-such-report", "--lang", "kk", check=2)
    assert "неизвестный отчёт 'no-such-report'" in both.stderr
    report_only = run_cli("reports", "no-such-report", "--lang", "kk", env={"LANG": "C"}, check=2)
    assert "unknown report 'no-such-report'" in report_only.stderr
