"""The printable forms as staff and the public meet them.

Blank forms (site/forms/, public) and filled forms (print/forms/, personal data) are read back as
text with pypdf: every label printed in the seeds and every value of the record must be there.
A record lacking a field a form needs gives a validator finding on its line, not a form with a hole.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from biliktilik.model import forms as F
from biliktilik.findings import BuildError
from biliktilik.validate import validate
from conftest import DATA, ROOT, findings_json, run_cli
from generators import form_pdfs as G
from biliktilik.model import regulation_text as rt

SEEDS = Path(os.environ.get("BILIKTILIK_SEEDS", ROOT.parent / "shared" / "seeds"))
LANGS = ("kk", "ru")


def compact(text: str) -> str:
    """Text without any whitespace: table cells and narrow columns wrap words anywhere."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def fragments(line: str) -> list[str]:
    """The printed words of a form line: what is left between its blanks (runs of underscores)."""
    return [p.strip() for p in F.BLANK_RE.split(line) if p.strip()]


def expected_labels(spec: F.FormSpec, lang: str, filled: bool = False) -> list[str]:
    """Every label a form must print in ``lang``: the kk ones from the transcription, the ru ones from the layout."""
    head, lines = G.printed(spec)
    out = []
    if lang == "kk":
        out.append(spec.header.get("kk") or head["header"] or "")
        out.append(head["parent"] or "")
    else:
        out += [spec.header.get("ru") or "", spec.parent_header.get("ru") if head["parent"] else ""]
    for ln, printed in zip([ln for ln in spec.lines if not ln.get("added")], lines):
        if isinstance(printed, rt.Table):
            out += list(printed.columns if lang == "kk" else ln["ru"])
            out.append((printed.title or "") if lang == "kk" else ln.get("title_ru", ""))
            continue
        if filled and ln.get("cont"):
            continue
        if "dash" in (ln.get("style") or "").split():  # the extraction's remnant of an underline: not printed
            continue
        text = (ln.get("restore") or printed) if lang == "kk" else ln["ru"]
        parts = [text]
        if filled:  # a printed example (e.g. «Авторлық курс», 2025) gives way to the record's value
            for r in ln.get("replace") or []:
                parts = [piece for part in parts for piece in part.split(r[lang])]
        out += [frag for part in parts for frag in fragments(part)]
    return [x for x in out if x]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The shipped data built once with the real command (site/ and print/)."""
    work = tmp_path_factory.mktemp("forms-build")
    run_cli("build", "--data", DATA, "--site", work / "site", "--print", work / "print", "--forms",
            env={"XDG_CACHE_HOME": str(work / "cache")}, check=0)
    return work


@pytest.fixture(scope="module")
def sample():
    return validate(DATA, use_cache=False)


# --------------------------------------------------------------------------- blank forms


def test_every_blank_form_exists_in_kazakh_and_russian_with_all_its_labels(built):
    specs = F.specs()
    assert {s.org for s in specs.values()} == {"order-95", "conservatory", "ecd-institute", "kazguu"}
    assert {f"order-95/annex-{n}" for n in range(1, 7)} <= set(specs)
    assert {"conservatory/annex-1", "conservatory/annex-2-1", "conservatory/annex-2-2", "conservatory/amendment-sheet",
            "conservatory/acknowledgement-sheet", "ecd-institute/annex-1", "ecd-institute/annex-3",
            "ecd-institute/annex-4", "kazguu/annex-1"} <= set(specs)
    for key, spec in specs.items():
        for lang in LANGS:
            path = built / "site" / G.form_url(spec.org, spec.id, lang)
            assert path.is_file(), path
            reader = PdfReader(path)
            box = reader.pages[0].mediabox
            assert (round(float(min(box.width, box.height))), round(float(max(box.width, box.height)))) == (595, 842)  # A4
            text = compact(pdf_text(path))
            missing = [label for label in expected_labels(spec, lang) if compact(label) not in text]
            assert not missing, f"{key} ({lang}) lacks labels: {missing}"


def test_labels_are_the_seeds_own_words(built):
    """The Kazakh labels of every blank form appear in the seed documents as printed (spaces aside)."""
    if not SEEDS.is_dir():
        pytest.skip(f"source documents not found at {SEEDS}")
    seeds = {p.name: compact(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    for spec in F.specs().values():
        if spec.like:
            continue  # the Institute's forms: Order 95's lines (checked there) under its own stamp
        source = rt.load(ROOT / "content" / "regulations" / f"{spec.document}.yaml").source
        seed = seeds[source]
        for label in expected_labels(spec, "kk"):
            assert compact(label) in seed, f"{spec.key}: «{label}» is not printed in {source}"


def test_fonts_covering_kazakh_are_embedded(built):
    path = built / "site" / "forms" / "conservatory" / "annex-1.kk.pdf"
    reader = PdfReader(path)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "DejaVu" in str(font["/BaseFont"])
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), "font not embedded"
    text = pdf_text(path)
    for letter in "құөіғңӘӨҚ":
        assert letter in text


def test_the_institutes_forms_carry_its_own_name(built):
    kk = compact(pdf_text(built / "site" / "forms" / "ecd-institute" / "annex-1.kk.pdf"))
    assert compact("Мектепке дейінгі ұйымдардың басшылары, әдіскерлері мен педагогтерінің") in kk
    # the application goes to the teacher's own organisation (Order 95 p. 10), not to the Institute
    assert compact("Балаларды ерте дамыту институты") not in kk
    kk = compact(pdf_text(built / "site" / "forms" / "ecd-institute" / "annex-3.kk.pdf"))
    assert compact("Балаларды ерте дамыту институты") in kk
    ru = compact(pdf_text(built / "site" / "forms" / "ecd-institute" / "annex-3.ru.pdf"))
    assert compact("Институт раннего развития детей") in ru
    national = compact(pdf_text(built / "site" / "forms" / "order-95" / "annex-1.kk.pdf"))
    assert compact("Балаларды ерте дамыту") not in national


def test_forms_pages_link_every_blank_form_in_both_languages(built):
    for lang, page in (("kk", built / "site" / "forms" / "index.html"), ("ru", built / "site" / "ru" / "forms" / "index.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        links = {a["data-form"] + "." + a["hreflang"]: a["href"] for a in soup.select("a[data-form]")}
        assert len(links) == len(F.specs()) * len(LANGS), lang
        for key, href in links.items():
            target = (page.parent / href).resolve()
            assert target.is_file(), f"{lang}: {key} -> {href}"
            assert target.is_relative_to((built / "site" / "forms").resolve())


def test_form_url_is_the_published_scheme():
    assert G.form_url("order-95", "annex-1", "ru") == "forms/order-95/annex-1.ru.pdf"
    assert G.form_url("conservatory", "annex-2-1", "kk", base="../../") == "../../forms/conservatory/annex-2-1.kk.pdf"
    assert ("conservatory", "amendment-sheet") in G.forms_of_document("conservatory-rules")
    assert G.forms_of_document("order-95", "annex-5") == [("order-95", "annex-5")]
    assert G.forms_of_document("ecd-institute-rules", "annex-1") == [("ecd-institute", "annex-1")]
    with pytest.raises(ValueError, match="no form"):
        G.form_url("order-95", "annex-9", "kk")


# --------------------------------------------------------------------------- filled forms


def test_every_filled_form_carries_its_labels_and_the_records_values(built, sample):
    filled = F.filled_forms(sample.dataset, sample.facts)
    assert filled and not [f for f in filled if f.missing], "the sample data fills every form"
    roles = {f.spec.role for f in filled}
    # no filled Annex 6: the one internship certificate per intern is the certificate PDF with its QR code
    assert roles == {"application", "application-abroad", "post-course-plan", "post-course-report", "internship-reference",
                     "staff-applications", "acknowledgement-sheet"}
    for f in filled:
        path = built / "print" / f.rel
        assert path.is_file(), path
        text = compact(pdf_text(path))
        labels = [label for label in expected_labels(f.spec, f.lang, filled=True) if compact(label) not in text]
        assert not labels, f"{f.rel} lacks labels {labels}"
        for key, value in f.values().items():
            cells = [c for row in value for c in row] if isinstance(value, list) else [value]
            for cell in cells:
                assert compact(str(cell)) in text, f"{f.rel}: {key} = {cell!r} is not printed"


def test_filled_forms_print_these_values(built):
    """Values read off the shipped records by hand: the test does not ask the code what to expect."""
    def text(rel):
        return compact(pdf_text(built / "print" / "forms" / rel))

    piano = text("2026-04-piano-group/l02-application.pdf")
    for value in ("Исмаилов Тимур Рустемұлы", "871212326970", "П. Чайковский атындағы Алматы музыка колледжі",
                  "+7 727 272 20 15", "Жоғары, Құрманғазы атындағы Қазақ ұлттық консерваториясы (2010)",
                  "концертмейстер, өнертану магистрі", "Концертмейстерлік шеберлік", "Алматы қ., Гагарин даңғылы, 124, 7-пәтер",
                  "t.ismailov@example.kz", "+7 707 219 27 57", "Жұмабеков Ерлан Серікұлы", "«Авторлық курс» бағдарламасы",
                  "2026 ж.", "сәуір", "Төлеуге кепілдік беремін.", "ЖСН:", "Оқытылатын пәндер:"):
        assert compact(value) in piano, value
    assert compact("2025 ж.") not in piano  # the printed example year is replaced by the cohort's
    choir = text("2026-09-choir-individual/l01-application.pdf")
    assert compact("«Реестрге енгізілген курс» бағдарламасы") in choir
    assert compact("«Авторлық курс»") not in choir
    report = text("2026-04-piano-group/l01-post-course-report.pdf")
    for value in ("Байжанова Ақерке Саматқызы", "Тәжібаева Әсел Нұрланқызы", "06.04.2026 – 17.04.2026",
                  "Әдістемелік баяндама", "06.11.2026", "Бірлестік отырысының хаттамасы", "Іс-шара", "Почта: conservatory.pk@mail"):
        assert compact(value) in report, value
    reference = text("2026-05-tvet-welding/l01-internship-reference.pdf")
    for value in ("Ғабдуллин Серік Амангелдіұлы", "«ПавлодарМашЗавод» ЖШС", "Дәнекерлеу ісі", "11.05.2026", "22.05.2026",
                  "Жақыпов Ерболат Сейітқалиұлы", "(мамандықтың және біліктілікten атауы)", "академиялық сағат көлемінде"):
        assert compact(value) in reference, value
    # no filled Annex 6 among the forms: the intern's one certificate is print/certificates/<org>/<number>.pdf
    assert not (built / "print" / "forms" / "2026-05-tvet-welding" / "l02-internship-certificate.pdf").exists()
    application_ru = text("2026-02-tor-ru/l03-application.pdf")
    for value in ("Заявление", "Сергеева Анна Игоревна", "вожатая", "русском", "КГУ «Школа-лицей № 1», г. Караганда"):
        assert compact(value) in application_ru, value
    staff = text("kazguu/staff-applications-2026.pdf")
    for value in ("Өтінім", "Высшая школа права", "Ким Сергей Олегович", "Case method", "12.04.2019", "Legal writing",
                  "20.11.2020", "a.nurpeisov@example.kz", "+7 705 275 35 65", "Жоғары мектептегі оқыту шеберлігі"):
        assert compact(value) in staff, value
    staff_ru = text("kazguu/staff-applications-2026.ru.pdf")
    assert compact("Контактный телефон") in staff_ru and compact("Токтаров Ерлан Серикович") in staff_ru


def test_applications_are_addressed_to_the_teachers_own_organisation(built):
    """Order 95 p. 10: the teacher hands Annex 1 or 2 to their education organisation (the employer);
    p. 14 and 18: the lists go to the education authorities and the provider admits on their letters.
    So a filled application names the employer, never the provider or the provider's head; the
    head's name (not in the records) is a line to write on; no stray dash of the text extraction."""
    import pypdf

    path = built / "print" / "forms" / "2026-02-tor-ru" / "l03-application.pdf"
    text = compact(pdf_text(path))
    assert compact("КГУ «Школа-лицей № 1», г. Караганда") + compact("(наименование организации)руководителю") in text
    head_of_provider = compact("Сапарова Айгүл")  # data/organisations/center-nit.yaml: head.name
    assert compact("Центр повышения квалификации") not in text and head_of_provider not in text
    assert "—" not in pdf_text(path)
    # Annex 2, a course abroad: the sample cohort in Finland (data/cohorts/2027-04-abroad-finland.yaml)
    abroad = compact(pdf_text(built / "print" / "forms" / "2027-04-abroad-finland" / "l01-application.pdf"))
    for value in ("2-қосымша", "Әбілқайырова Іңкәр Ғалымқызы", "бастауыш сынып мұғалімі", "Финляндия",
                  "(оқитын ел)", "қазақ тілінде", "(өтініш берушінің қолы)"):
        assert compact(value) in abroad, value
    assert compact("Өтініш: Қазақстан Республикасындағы") not in abroad and "1-қосымша" not in abroad
    assert len(pypdf.PdfReader(path).pages) == 1


def test_no_filled_form_and_no_personal_data_in_the_public_site(built, sample):
    people = [lf.data for lf in sample.facts.listeners]
    iins = {p["iin"] for p in people}
    names = {F.full_name(p["name"]) for p in people}
    emails = {p["email"] for p in people if p.get("email")}
    site = built / "site"
    pdfs = sorted(site.rglob("*.pdf"))
    assert pdfs and all(p.relative_to(site).parts[0] == "forms" for p in pdfs), "only blank forms are PDFs in site/"
    for pdf in pdfs:
        text = pdf_text(pdf)
        assert not [x for x in iins | names | emails if x in text], pdf
    for path in site.rglob("*"):
        if not path.is_file() or path.suffix in (".pdf", ".png", ".gz", ".woff", ".woff2", ".ico"):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        assert not [x for x in iins | emails if x in text], path
        if path.relative_to(site).parts[0] != "v":  # a verification page shows its holder's name, nothing else does
            assert not [x for x in names if x in text], path
    filled = {f.rel for f in F.filled_forms(sample.dataset, sample.facts)}
    assert not [rel for rel in filled if (site / rel).exists()]


# --------------------------------------------------------------------------- missing data


def _listener_line(path: Path, marker: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker in line)


def test_a_conservatory_listener_without_education_gets_a_finding_not_a_form(data_copy, tmp_path):
    cohort = data_copy / "cohorts" / "2026-04-piano-group.yaml"
    text = cohort.read_text(encoding="utf-8")
    assert "    education: Жоғары, Құрманғазы атындағы Қазақ ұлттық консерваториясы (2010)\n" in text
    text = text.replace("    education: Жоғары, Құрманғазы атындағы Қазақ ұлттық консерваториясы (2010)\n", "")
    text = text.replace("    subjects: Фортепиано, сольфеджио\n", "")
    cohort.write_text(text, encoding="utf-8")
    proc, found = findings_json("--data", data_copy, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # a warning: the data is valid, the form cannot be filled
    mine = [f for f in found if f["code"] == "form.missing-field"]
    assert {(Path(f["file"]).name, f["line"]) for f in mine} == {
        ("2026-04-piano-group.yaml", _listener_line(cohort, "- id: l02")),
        ("2026-04-piano-group.yaml", _listener_line(cohort, "- id: l03"))}
    education = next(f for f in mine if "education" in f["message"])
    assert "conservatory/annex-1" in education["message"] and "'education'" in education["message"]
    assert education["severity"] == "warning" and education["source"] == "Conservatory rules, Annex 1"
    assert any("subjects" in f["message"] for f in mine)
    text_out = run_cli("validate", "--data", data_copy, cwd=tmp_path).stdout
    assert re.search(r"2026-04-piano-group\.yaml:\d+:\d+: warning form\.missing-field: form conservatory/annex-1", text_out)
    # the forms command prints the others and says why this one is not printed
    proc = run_cli("forms", "--data", data_copy, "--cohort", "2026-04-piano-group", "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "out" / "forms" / "2026-04-piano-group" / "l02-application.pdf").exists()
    assert (tmp_path / "out" / "forms" / "2026-04-piano-group" / "l01-application.pdf").is_file()
    assert "not printed: forms/2026-04-piano-group/l02-application.pdf" in proc.stderr and "education" in proc.stderr


def test_missing_enterprise_head_and_trainers_are_findings_on_their_records(data_copy, tmp_path):
    cohort = data_copy / "cohorts" / "2026-05-tvet-welding.yaml"
    cohort.write_text(cohort.read_text(encoding="utf-8").replace(", head: Жақыпов Ерболат Сейітқалиұлы}", "}", 1),
                      encoding="utf-8")
    choir = data_copy / "cohorts" / "2026-09-choir-individual.yaml"
    text = choir.read_text(encoding="utf-8")
    start = text.index("trainers:")
    end = text.index("listeners:")
    choir.write_text(text[:start] + text[end:], encoding="utf-8")
    _, found = findings_json("--data", data_copy, cwd=tmp_path)
    mine = [f for f in found if f["code"] == "form.missing-field"]
    head = [f for f in mine if "order-95/annex-5" in f["message"]]
    assert len(head) == 1 and head[0]["line"] == _listener_line(cohort, "- id: l01")
    assert "internship.head" in head[0]["message"] and head[0]["source"] == "Order 95, Annex 5"
    trainers = [f for f in mine if "trainers" in f["message"]]
    assert {f["message"].split()[1] for f in trainers} == {"conservatory/annex-2-1", "conservatory/annex-2-2"}
    assert all(Path(f["file"]).name == "2026-09-choir-individual.yaml" for f in trainers)


def test_a_kazguu_staff_member_without_a_last_course_keeps_the_list_from_print(data_copy, tmp_path):
    cohort = data_copy / "cohorts" / "2026-06-kazguu-teaching.yaml"
    text = cohort.read_text(encoding="utf-8")
    text = text.replace(", last_course: {title: Academic writing in economics, date: 2021-03-19, hours: 72}", "")
    cohort.write_text(text, encoding="utf-8")
    checked = validate(data_copy, use_cache=False)
    mine = [f for f in checked.findings if f.code == "form.missing-field"]
    assert mine and all("kazguu/annex-1" in f.message for f in mine)
    assert {f.line for f in mine} == {_listener_line(cohort, "- id: l02")}
    jobs, skipped = G.filled_jobs(checked.dataset, checked.facts, organisation="kazguu")
    assert not [rel for rel, _, _ in jobs if "staff-applications" in rel]
    assert {f.rel for f in skipped} == {"forms/kazguu/staff-applications-2026.pdf", "forms/kazguu/staff-applications-2026.ru.pdf"}


def test_a_layout_that_leaves_the_transcription_is_a_build_error():
    spec = F.specs()["order-95/annex-5"]
    lines = list(spec.lines)
    lines[3] = {**lines[3], "kk": "берілді!"}
    broken = F.FormSpec(**{**spec.__dict__, "lines": tuple(lines)})
    with pytest.raises(BuildError, match="line 4 should be the printed «берілді.»"):
        G.check_layout(broken)
    short = F.FormSpec(**{**spec.__dict__, "lines": tuple(spec.lines[:-1])})
    with pytest.raises(BuildError, match="layout lines for the 18 printed lines"):
        G.check_layout(short)



def test_a_restored_line_may_only_put_back_underlines_and_quotes():
    """``restore`` gives back what the text extraction lost (underlines, quote marks), nothing else; the
    widths of the blanks count as the blanks do; an added table needs its columns in both languages."""
    spec = F.specs()["order-95/annex-3"]
    i = next(n for n, ln in enumerate(spec.lines) if ln.get("restore"))
    for change, message in ((dict(restore='Берілген күні: "_" _ 21_ жыл'), "may only add underlines"),
                            (dict(blank_mm=[12, 35]), r"3 blank\(s\) but 2 blank_mm entries")):
        lines = list(spec.lines)
        lines[i] = {**lines[i], **change}
        with pytest.raises(BuildError, match=message):
            G.check_layout(F.FormSpec(**{**spec.__dict__, "lines": tuple(lines)}))
    added = {"table": "extra", "added": True, "kk": ["№", "Іс-шара"], "ru": ["№"]}
    with pytest.raises(BuildError, match="as many Kazakh as Russian columns"):
        G.check_layout(F.FormSpec(**{**spec.__dict__, "lines": tuple(spec.lines) + (added,)}))


# --------------------------------------------------------------------------- the command


def test_forms_command_writes_blank_and_filled_forms_byte_identically(tmp_path):
    out1, out2 = tmp_path / "a", tmp_path / "b"
    for out in (out1, out2):
        proc = run_cli("forms", "--cohort", "2026-05-tvet-welding", "--out", out)
        assert proc.returncode == 0, proc.stderr
    files = sorted(p.relative_to(out1) for p in out1.rglob("*.pdf"))
    assert [str(p) for p in files] == [f"forms/2026-05-tvet-welding/{l}-{k}.pdf" for l in ("l01", "l02")
                                       for k in ("application", "internship-reference")]
    for rel in files:
        assert (out1 / rel).read_bytes() == (out2 / rel).read_bytes(), rel
    proc = run_cli("forms", "--blank", "--org", "conservatory", "--out", tmp_path / "blank")
    assert proc.returncode == 0, proc.stderr
    written = {p.relative_to(tmp_path / "blank").as_posix() for p in (tmp_path / "blank").rglob("*.pdf")}
    assert "forms/conservatory/annex-1.ru.pdf" in written and "forms/order-95/annex-5.kk.pdf" in written
    assert not [w for w in written if w.startswith("forms/kazguu/")]


@pytest.mark.parametrize("args, message", [
    (["forms", "--cohort", "nope"], "unknown cohort 'nope'"),
    (["forms", "--org", "nope"], "unknown organisation 'nope'"),
    (["forms", "--blank", "--org", "nope"], "unknown organisation 'nope'"),
    (["forms", "--blank", "--cohort", "2025-10-tor-kk"], "--blank prints the blank forms of an organisation"),
    (["forms", "--cohort", "2026-04-piano-group", "--org", "kazguu"], "belongs to 'conservatory'"),
])
def test_forms_command_errors_are_clear_and_exit_2(args, message, tmp_path):
    proc = run_cli(*args, "--out", tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("*.pdf"))


def test_forms_command_on_invalid_data_prints_the_findings_and_exits_1(data_copy, tmp_path):
    (data_copy / "cohorts" / "2026-05-tvet-welding.yaml").write_text("id: [\n", encoding="utf-8")
    proc = run_cli("forms", "--data", data_copy, "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 1
    assert "2026-05-tvet-welding.yaml:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cohort_language_decides_the_filled_forms_language(sample):
    langs = {f.rel: f.lang for f in F.filled_forms(sample.dataset, sample.facts)}
    assert langs["forms/2026-02-tor-ru/l01-application.pdf"] == "ru"
    assert langs["forms/2025-10-tor-kk/l01-application.pdf"] == "kk"
    assert langs["forms/kazguu/staff-applications-2026.ru.pdf"] == "ru"
    # of the upcoming cohorts only the course abroad has an applicant yet (her Annex 2, in Kazakh)
    assert [k for k in sorted(langs) if "/2027-" in k] == ["forms/2027-04-abroad-finland/l01-application.pdf"]
    assert langs["forms/2027-04-abroad-finland/l01-application.pdf"] == "kk"


def test_fields_the_validator_skips_are_required_by_the_schema():
    from biliktilik.load import schemas

    listener = schemas.LISTENER["schema"]
    for key in F._SCHEMA_REQUIRED:
        assert listener[F.FIELDS[key].path[0]].get("required") is True, key


def test_a_rebuild_renders_only_the_forms_whose_records_changed(tmp_path, sample):
    jobs, _ = G.filled_jobs(sample.dataset, sample.facts, cohort="2026-05-tvet-welding")
    renderer, cache = G.Renderer(), tmp_path / "pdf"
    first = renderer.pdfs(jobs, cache)
    stored = sorted(cache.rglob("*.pdf"))
    assert len(stored) == len(jobs) == 4
    assert renderer.pdfs(jobs, cache) == first == G.Renderer().pdfs(jobs)  # from the cache: the same bytes
    changed = [(rel, {**view}, title) for rel, view, title in jobs]
    rel, view, title = changed[0]
    view["elements"] = [dict(el) for el in view["elements"]]
    view["elements"][-1] = {**view["elements"][-1], "classes": "sign center"}
    again = renderer.pdfs(changed, cache)
    assert len(sorted(cache.rglob("*.pdf"))) == 5
    assert again[rel] != first[rel] and all(again[r] == first[r] for r, _, _ in jobs[1:])


# --------------------------------------------------------------------------- paper use (issue 13)

MM = 72 / 25.4  # PDF points per millimetre


def words(path: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in points from the top-left, as poppler's pdftotext -bbox reads them."""
    import html
    import subprocess

    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(html.unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4])) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)]


def gap_after(path: Path, word: str, next_word: str) -> float:
    """The room (mm) between ``word`` and the word right of it on its line of page 1, which must be
    ``next_word``: the blank between them."""
    ws = words(path)
    for w, _, y0, x1, _ in ws:
        if w != word:
            continue
        right = sorted((v for v in ws if abs(v[2] - y0) < 3 and v[1] >= x1), key=lambda v: v[1])
        if right and right[0][0] == next_word:
            return (right[0][1] - x1) / MM
    raise AssertionError(f"«{word} … {next_word}» not found on one line of {path.name}: {[w[0] for w in ws]}")


def ruled_lines(path: Path, tmp: Path, min_mm: float = 150) -> list[float]:
    """The y (points from the top) of the horizontal lines of page 1 at least ``min_mm`` long: rendered by
    pdftoppm at 144 dpi, a pixel row counts when it holds a run of dark pixels that long."""
    import subprocess
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "144", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp / "page")], check=True)
    im = Image.open(tmp / "page.png").convert("L")
    w, h = im.size
    px = im.load()
    rows = []
    for y in range(h):
        run = best = 0
        for x in range(w):
            run = run + 1 if px[x, y] < 160 else 0
            best = max(best, run)
        if best >= min_mm * MM * 2:
            rows.append(y)
    # a line a few pixels thick counts once
    return [y / 2 for i, y in enumerate(rows) if i == 0 or y - rows[i - 1] > 3]


def test_the_post_course_plan_has_ruled_rows_to_write_in(built, tmp_path):
    """The Conservatory's plan (its Annex 2.1) asks for the events of the year after the course and their
    dates (seed 000: «іс-шаралар мен олардың өткізілу мерзімі көрсетіледі») but prints no table: blank and
    filled plans carry ten numbered rows, ruled across the page, and the report (2.2) its five rows."""
    for path, lang in ((built / "site" / G.form_url("conservatory", "annex-2-1", "kk"), "kk"),
                       (built / "site" / G.form_url("conservatory", "annex-2-1", "ru"), "ru"),
                       (built / "print" / "forms" / "2026-04-piano-group" / "l01-post-course-plan.pdf", "kk")):
        text = compact(pdf_text(path))
        heads = ("Жоспарланған іс-шара", "Өткізілу мерзімі") if lang == "kk" else ("Планируемое мероприятие", "Срок проведения")
        assert all(compact(h) in text for h in heads), path
        ws = [w[0] for w in words(path)]
        assert [str(n) for n in range(1, 11)] == [w for w in ws if w.isdigit() and 1 <= int(w) <= 10][-10:], ws
        lines = ruled_lines(path, tmp_path)
        assert len(lines) >= 11, (path, lines)  # the head's top and bottom, then one line under every row
        gaps = [b - a for a, b in zip(lines[-10:], lines[-9:])]
        assert min(gaps) >= 9 * MM * 0.95, gaps  # rows tall enough to write in (10 mm)
    report = built / "print" / "forms" / "2026-04-piano-group" / "l01-post-course-report.pdf"
    assert len(ruled_lines(report, tmp_path)) >= 7


def test_blank_forms_leave_room_to_write_by_hand(built):
    """On the blank Annexes a name, a topic and a signature fit in the blank left for them."""
    def blank(form, lang="kk"):
        return built / "site" / G.form_url("order-95", form, lang)

    assert gap_after(blank("annex-3"), "Осымен", "біліктілікті") >= 70  # a full name
    assert gap_after(blank("annex-3"), "курсын", "тақырыбы") >= 80  # a course topic
    assert gap_after(blank("annex-3"), "басшысы", "Мөр") >= 50  # the head's name and signature
    assert gap_after(blank("annex-3", "ru"), "что", "прошёл(-ла)") >= 55
    assert gap_after(blank("annex-2"), "оқу", "тілінде") >= 25  # the language
    assert gap_after(blank("annex-5"), "аралығында", "бойынша") >= 70  # speciality and qualification


def test_date_lines_read_as_each_annex_prints_them_with_room_for_day_month_and_year(built):
    """Order 95 prints «Берілген күні: " " 20 жыл» (Annexes 3, 4) and «20_жылғы "___" _____» (Annex 6): the
    blank forms keep each order, with blanks for the day, the month and the year's last digits."""
    def text(form, lang="kk"):
        return compact(pdf_text(built / "site" / G.form_url("order-95", form, lang)))

    assert compact('Берілген күні: "" 20 жыл') in text("annex-3")
    assert compact('Берілген күні: "" 20 жыл') in text("annex-4")
    assert compact('Берілген күні: 20 жылғы ""') in text("annex-6")
    assert compact('"" 20 жыл(өтініш берілген күні)') in text("annex-2")
    assert compact('Дата выдачи: "" 20 года') in text("annex-6", "ru")
    path = built / "site" / G.form_url("order-95", "annex-3", "kk")
    ws = words(path)
    i = next(i for i, w in enumerate(ws) if w[0] == "күні:")
    date = ws[i + 1:i + 4]  # «"», «"» (the day between), «20» (the month before it)
    assert [w[0] for w in date] == ['"', '"', "20"], date
    assert (date[1][1] - date[0][3]) / MM >= 8 and (date[2][1] - date[1][3]) / MM >= 25, date


def test_the_abroad_application_has_a_line_to_sign_and_a_date_to_fill(built, tmp_path):
    """Annex 2 as the extraction kept it prints the caption «(өтініш берушінің қолы)» with no line: the form
    draws the line above it, and the date gets its blanks."""
    for path in (built / "site" / G.form_url("order-95", "annex-2", "kk"),
                 built / "print" / "forms" / "2027-04-abroad-finland" / "l01-application.pdf"):
        ws = words(path)
        caption = next(w for w in ws if w[0] == "(өтініш")
        lines = ruled_lines(path, tmp_path, min_mm=45)
        assert any(caption[2] - 8 * MM <= y <= caption[2] for y in lines), (path, caption, lines)


def test_the_internship_reference_dates_name_their_month(built):
    """data/cohorts/2026-05-tvet-welding.yaml: l01's internship from 2026-05-11 to 2026-05-22 (May: «мамыр»)."""
    text = compact(pdf_text(built / "print" / "forms" / "2026-05-tvet-welding" / "l01-internship-reference.pdf"))
    assert compact('Ол 20 26 жылғы "11" мамыр 20 26 жылғы "22" мамыр') in text


def test_one_russian_wording_of_each_certificate_sentence_on_blank_and_filled_forms(built):
    """The Russian sentences of Annexes 3, 4 and 6 read the same on the blank forms and on the certificates
    (the filled one in the holder's gender), in Order 95's terms (сертификат, not удостоверение)."""
    def blank(form):
        return compact(pdf_text(built / "site" / G.form_url("order-95", form, "ru")))

    annex3, annex4, annex6 = blank("annex-3"), blank("annex-4"), blank("annex-6")
    filled = compact(" ".join(pdf_text(p) for p in (built / "print" / "certificates").glob("*/*.pdf")))
    # (the blank form's text, its pieces between blanks and captions, the filled sentence in either gender)
    sentences = [
        (annex3, ["Настоящим подтверждается, что", "прошёл(-ла)", "курс повышения квалификации по теме", "в объёме",
                  "академических часов."],
         ["{g} курс повышения квалификации по теме", "в объёме"], ("прошёл", "прошла")),
        (annex4, ["В период обучения на курсах повышения квалификации продемонстрировал(а) соответствующие знания и"
                  " навыки по следующим модулям:"],
         ["В период обучения на курсах повышения квалификации {g} соответствующие знания и навыки по следующим"
          " модулям:"], ("продемонстрировал", "продемонстрировала")),
        (annex6, ["прошёл(-ла) стажировку в организации, определённой в качестве базы практики,",
                  "в рамках курса по теме", "в объёме", "академических часов."],
         ["{g} стажировку в организации, определённой в качестве базы практики, в рамках курса по теме"],
         ("прошёл", "прошла")),
    ]
    for blank_text, pieces, filled_forms, genders in sentences:
        for piece in pieces:
            assert compact(piece) in blank_text, piece
        for sentence in filled_forms:
            assert any(compact(sentence.format(g=g)) in filled for g in genders), sentence
    for word in ("показал(а)", "прошел(ла)", "объеме", "определенной", "удостоверени"):
        assert all(compact(word) not in t for t in (annex3, annex4, annex6, filled)), word


def test_the_staff_index_lists_filled_forms_by_name_in_alphabetical_order(built):
    """print/forms/index.html: the 2025-10-tor-kk cohort's applications by the listeners' names (from
    data/cohorts/2025-10-tor-kk.yaml), in the Kazakh alphabet's order (Ә after А, Қ after К)."""
    import yaml

    from biliktilik.texts import sort_key

    page = BeautifulSoup((built / "print" / "forms" / "index.html").read_text(encoding="utf-8"), "html.parser")
    shown = [a.get_text() for a in page.find_all("a") if a["href"].startswith("2025-10-tor-kk/")
             and a["href"].endswith("-application.pdf")]
    cohort = yaml.safe_load((DATA / "cohorts" / "2025-10-tor-kk.yaml").read_text(encoding="utf-8"))
    names = [" ".join(p for p in (x["name"]["surname"], x["name"]["given"], x["name"].get("patronymic")) if p)
             for x in cohort["listeners"]]
    assert sorted(shown) == sorted(names)
    assert shown == sorted(names, key=lambda n: sort_key(n, "kk"))
    assert shown.index("Әлімжанова Айгерім Серікқызы") == 1 + max(i for i, n in enumerate(shown) if n.startswith("А"))
