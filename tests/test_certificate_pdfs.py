"""The certificate PDFs of the shipped sample data, checked as a verifier and a printer would check them:
by what they say (pypdf text), by the QR code decoded from a rendered page image (pdftoppm + zxing-cpp),
by the verification page that code leads to, by the fonts they embed and by a byte-identical rebuild.

One `biliktilik build` of a copy of data/ serves the whole module; expectations come from the data
(listeners, programmes, organisations, facts), not from the generator.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from PIL import Image
from pypdf import PdfReader

from biliktilik.project import read_config
from biliktilik.validate import validate
from conftest import DATA, ROOT, run_cli

SITE_URL = read_config(ROOT / "mkdocs.yml")["site_url"]


def squash(text: str) -> str:
    """Text without whitespace: lines wrap differently in a PDF than in the data."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("certificates")
    shutil.copytree(DATA, root / "data")
    run_cli("build", "--data", root / "data", "--site", root / "site", "--print", root / "print", "--no-cache",
            check=0)
    return root


@pytest.fixture(scope="module")
def issued():
    """Every issued certificate of the sample data, from the records: what its PDF must state."""
    checked = validate(DATA, use_cache=False)
    ds = checked.dataset
    out = []
    for lf in checked.facts.listeners:
        cert = lf.data.get("certificate")
        if not isinstance(cert, dict):
            continue
        org_id = lf.cohort.data["organisation"]
        org = ds.organisations[org_id].data
        name = lf.data["name"]
        prog = lf.programme.data
        out.append({
            "lf": lf, "cert": cert, "number": cert["number"], "token": cert["token"], "organisation": org_id,
            "holder": " ".join(p for p in (name.get("surname"), name.get("given"), name.get("patronymic")) if p),
            "hours": lf.hours, "title": prog["title"], "org_name": org["name"], "programme": prog,
            "internship": lf.outcome == "internship_certificate", "revoked": isinstance(cert.get("revoked"), dict),
        })
    assert len(out) >= 20, "the sample data should ship its certificates issued"
    return out


@pytest.fixture(scope="module")
def decoded(built, issued, tmp_path_factory):
    """The QR codes of every certificate PDF, page by page (rendered and decoded once for the module)."""
    tmp = tmp_path_factory.mktemp("qr")
    return {c["number"]: qr_codes(pdf_path(built, c), tmp) for c in issued}


def pdf_path(root: Path, c: dict) -> Path:
    return root / "print" / "certificates" / c["organisation"] / f"{c['number']}.pdf"


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def qr_codes(path: Path, tmp: Path) -> list[list[str]]:
    """The QR codes decoded from each page rendered at 150 dpi, as a phone would see the paper."""
    prefix = tmp / path.stem
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(prefix)], check=True)
    pages = sorted(tmp.glob(f"{path.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [[r.text for r in zxingcpp.read_barcodes(Image.open(p))] for p in pages]


# --------------------------------------------------------------------------- what the PDFs say

def test_every_issued_certificate_has_its_pdf_and_nothing_else(built, issued):
    expected = {pdf_path(built, c) for c in issued}
    found = {p for p in (built / "print" / "certificates").glob("*/*.pdf")}
    assert found == expected


def test_the_pdf_states_holder_number_hours_programme_and_organisation(built, issued):
    for c in issued:
        texts = page_texts(pdf_path(built, c))
        assert len(texts) == (1 if c["internship"] else 2), c["number"]
        whole = squash(" ".join(texts))
        for what in (c["holder"], c["number"], c["title"]["kk"], c["title"]["ru"]):
            assert squash(what) in whole, (c["number"], what)
        for official_name in (c["org_name"]["kk"], c["org_name"]["ru"]):  # set in capitals
            assert squash(official_name).upper() in whole.upper(), (c["number"], official_name)
        certificate = squash(texts[0])
        assert "СЕРТИФИКАТ" in certificate
        assert squash(c["holder"]) in certificate and c["number"] in certificate
        assert re.search(rf"(?<!\d){c['hours']}академиялықсағат", certificate), c["number"]
        assert re.search(rf"(?<!\d){c['hours']}академическихчасов", certificate), c["number"]
        if not c["internship"]:
            annex = squash(texts[1])
            assert "Сертификатқақосымша".upper() in annex.upper() and c["number"] in annex
            assert squash(c["holder"]) in annex
        else:
            assert squash(c["lf"].data["internship"]["enterprise"]) in certificate


def test_the_signer_and_seal_follow_each_organisations_rules(built, issued):
    checked = validate(DATA, use_cache=False)
    for c in issued:
        rules = checked.facts.rules[c["organisation"]]
        text = squash(page_texts(pdf_path(built, c))[0])
        assert squash(rules.value("certificate_signer")["kk"]) in text, c["number"]
        assert squash(rules.value("certificate_seal")["kk"]) in text, c["number"]
        head = checked.dataset.organisations[c["organisation"]].data["head"]["name"]
        assert squash(head) in text
    conservatory = [c for c in issued if c["organisation"] == "conservatory"]
    assert conservatory and all("КонсерваторияРекторы" in squash(page_texts(pdf_path(built, c))[0])
                                for c in conservatory)
    kazguu = [c for c in issued if c["organisation"] == "kazguu"]
    assert kazguu and all("Түстімөр" in squash(page_texts(pdf_path(built, c))[0]) for c in kazguu)


def test_the_annex_hours_add_up_to_the_programme_hours(built, issued):
    courses = [c for c in issued if not c["internship"]]
    assert courses
    for c in courses:
        annex = " ".join(page_texts(pdf_path(built, c))[1].split())
        hours = []
        ru = c["lf"].cohort.data.get("language") == "ru"
        for m in c["programme"]["thematic_plan"]["modules"]:
            title = (m.get("title_ru") if ru else None) or m["title"]  # the cohort's language
            found = re.search(re.escape(" ".join(title.split())) + r" (\d+)\b", annex)
            assert found, (c["number"], title)
            hours.append(int(found.group(1)))
        total = re.search(r"Барлығы / Итого (\d+)\b", annex)
        assert total, c["number"]
        assert sum(hours) == int(total.group(1)) == c["programme"]["hours"] == c["hours"], (c["number"], hours)
    organiser = [c for c in courses if c["programme"]["id"] == "teacher-organiser-80"]
    assert organiser and organiser[0]["hours"] == 80


def test_every_font_is_embedded_and_kazakh_letters_come_out_as_text(built, issued):
    def fonts(resources, seen):
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            yield font.get_object()
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and id(xobject) not in seen:
                seen.add(id(xobject))
                yield from fonts(xobject.get("/Resources"), seen)

    for c in issued:
        reader = PdfReader(pdf_path(built, c))
        count = 0
        for page in reader.pages:
            for font in fonts(page.get("/Resources"), set()):
                count += 1
                descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                descriptor = descendant["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor, (c["number"], font.get("/BaseFont"))
        assert count >= 4, c["number"]
    text = " ".join(" ".join(page_texts(pdf_path(built, c))) for c in issued)
    stated = " ".join(c["holder"] + c["title"]["kk"] for c in issued)
    letters = {ch for ch in "әғқңөұүһіӘҒҚҢӨҰҮҺІ" if ch in stated}
    assert len(letters) >= 8
    assert {ch for ch in letters if ch not in text} == set()


# --------------------------------------------------------------------------- QR codes and verification pages

def test_the_qr_code_on_every_page_holds_the_verification_address(issued, decoded):
    for c in issued:
        pages = decoded[c["number"]]
        assert pages and all(codes == [SITE_URL + f"v/{c['token']}/"] for codes in pages), (c["number"], pages)


def test_the_qr_code_leads_to_a_page_that_shows_the_same_certificate(built, issued, decoded):
    """End to end: paper -> phone camera -> the static page in site/ shows the same facts and status."""
    for c in issued:
        path = pdf_path(built, c)
        (url,) = set(code for codes in decoded[c["number"]] for code in codes)
        assert url.startswith(SITE_URL)
        page = built / "site" / urlsplit(url).path.removeprefix(urlsplit(SITE_URL).path) / "index.html"
        assert page.is_file(), url
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")

        def shown(key):
            node = soup.find(attrs={"data-v": key})
            return " ".join(node.get_text(" ").split()) if node else None

        text = squash(" ".join(page_texts(path)))
        assert shown("name") == c["holder"] and squash(c["holder"]) in text
        assert shown("number") == c["number"] and c["number"] in text
        assert shown("hours") == str(c["hours"])
        fingerprint = shown("fp")
        assert fingerprint and fingerprint in text, (c["number"], fingerprint)
        status = soup.find(id="st")
        stamped = "КҮШІЖОЙЫЛДЫ" in text
        assert stamped == c["revoked"]
        if c["revoked"]:
            assert status["data-state"] == "revoked"
        else:
            assert status["data-state"] != "revoked"
            assert status["data-until"] == c["lf"].certificate_valid_until.isoformat()


# --------------------------------------------------------------------------- batches, blanks, privacy

def test_the_cohort_batch_holds_the_certificates_in_force_and_not_the_revoked(built, issued):
    by_cohort: dict[str, list[dict]] = {}
    for c in issued:
        by_cohort.setdefault(c["lf"].cohort.id, []).append(c)
    revoked = [c for c in issued if c["revoked"]]
    assert revoked, "the sample data has a revoked certificate"
    for cohort, certs in by_cohort.items():
        batch = built / "print" / "certificates" / f"{cohort}.pdf"
        in_force = [c for c in certs if not c["revoked"]]
        reader = PdfReader(batch)
        assert len(reader.pages) == sum(1 if c["internship"] else 2 for c in in_force), cohort
        text = squash(" ".join(p.extract_text() for p in reader.pages))
        for c in certs:
            assert (c["number"] in text) == (not c["revoked"]), (cohort, c["number"])


def test_every_page_prints_the_control_code_and_the_issuers_domain_beside_the_qr_code(built, issued):
    """What a verifier types on the issuer's check page (issue 10): the code computed from the ledger's
    token, and the domain from site_url, on the certificate and on its annex, in both languages' labels."""
    from biliktilik.model.certificates import control_code

    domain = urlsplit(SITE_URL).hostname
    assert domain
    for c in issued:
        code = control_code(c["token"])
        for text in page_texts(pdf_path(built, c)):
            flat = squash(text)
            assert code in flat, (c["number"], code)
            assert domain in flat, (c["number"], domain)
            assert "Тексерукоды" in flat and "Кодпроверки" in flat, c["number"]
    cohort = "2025-10-tor-kk"
    blank = squash(" ".join(page_texts(built / "print" / "certificates-blank" / f"{cohort}.pdf")))
    for c in issued:
        if c["lf"].cohort.id == cohort and not c["revoked"]:
            assert control_code(c["token"]) in blank and domain in blank


def test_the_blank_form_overlay_prints_only_the_variable_fields(built, issued, tmp_path):
    cohort = "2025-10-tor-kk"
    certs = [c for c in issued if c["lf"].cohort.id == cohort and not c["revoked"]]
    # the batch is in the Kazakh alphabet's order (the cohort's language): Ә after А, Қ after К
    alphabet = ["Ахметова", "Әлімжанова", "Қасымов", "Сейтқали", "Төлеуов"]
    certs.sort(key=lambda c: alphabet.index(c["holder"].split()[0]))
    assert [c["holder"].split()[0] for c in certs] == [a for a in alphabet if any(c["holder"].startswith(a) for c in certs)]
    path = built / "print" / "certificates-blank" / f"{cohort}.pdf"
    texts = page_texts(path)
    assert len(texts) == len(certs)
    for c, text in zip(certs, texts):
        flat = squash(text)
        assert squash(c["holder"]) in flat and c["number"] in flat and str(c["hours"]) in flat
        assert squash(c["title"]["kk"]) in flat
        for printed_on_the_blank in ("СЕРТИФИКАТ", "Тіркеу", "Осымен", "Мөрорны", "академиялық"):
            assert printed_on_the_blank not in flat
    codes = qr_codes(path, tmp_path)
    assert codes == [[SITE_URL + f"v/{c['token']}/"] for c in certs]


def test_blank_positions_are_overridden_per_organisation_and_checked(tmp_path):
    from biliktilik.findings import InvalidData
    from generators.certificate_pdfs import blank_layout, load_positions

    positions = load_positions()
    default = {f["name"]: f for f in blank_layout(positions, "center-nit", "certificate")["fields"]}
    conservatory = {f["name"]: f for f in blank_layout(positions, "conservatory", "certificate")["fields"]}
    assert conservatory["holder"]["y"] != default["holder"]["y"]
    assert conservatory["number"] == default["number"]

    bad = tmp_path / "positions.yaml"
    bad.write_text("default:\n  certificate:\n    holder: {x: 30, y: left}\n    colour: {x: 1, y: 2}\n",
                   encoding="utf-8")
    with pytest.raises(InvalidData) as exc:
        load_positions(bad)
    messages = [f.text() for f in exc.value.findings]
    assert any(":3:" in m and "'y' of field 'holder' must be a number" in m for m in messages), messages
    assert any(":4:5:" in m and "unknown field 'colour'" in m for m in messages), messages


def test_no_certificate_pdf_or_holder_reaches_the_site(built, issued):
    site = built / "site"
    assert not list(site.rglob("certificates-blank")) and not [p for p in site.rglob("*.pdf") if
                                                                 "certificates" in p.parts]
    numbers = [c["number"] for c in issued]
    for pdf in site.rglob("*.pdf"):
        text = squash(" ".join(page.extract_text() for page in PdfReader(pdf).pages))
        assert not any(n in text for n in numbers), pdf
        assert not any(squash(c["holder"]) in text for c in issued), pdf


# --------------------------------------------------------------------------- the same bytes again

def test_a_rebuild_gives_byte_identical_pdfs(built, issued, tmp_path):
    """Rendered again in this process (a fresh renderer) and by the CLI with another build date."""
    from generators.certificate_pdfs import render_all

    checked = validate(built / "data", use_cache=False)
    again = render_all(checked.dataset, checked.facts, SITE_URL)
    on_disk = {p.relative_to(built / "print").as_posix(): p.read_bytes()
               for sub in ("certificates", "certificates-blank") for p in (built / "print" / sub).rglob("*.pdf")}
    assert again.keys() == on_disk.keys()
    assert [k for k in again if again[k] != on_disk[k]] == []

    run_cli("certificates", "--data", built / "data", "--cohort", "2025-10-tor-kk", "--print", tmp_path / "p",
            "--no-cache", env={"SOURCE_DATE_EPOCH": "1900000000"}, check=0)
    written = sorted(p.relative_to(tmp_path / "p").as_posix() for p in (tmp_path / "p").rglob("*.pdf"))
    assert len(written) == 6  # 5 certificates in force and the batch
    assert all((tmp_path / "p" / rel).read_bytes() == on_disk[rel] for rel in written)


def test_the_pdf_dates_come_from_the_data(built, issued):
    for c in issued:
        meta = PdfReader(pdf_path(built, c)).metadata
        assert meta["/CreationDate"] == "D:" + c["cert"]["issued"].strftime("%Y%m%d") + "000000Z"


# --------------------------------------------------------------------------- the command

def test_the_certificates_command_explains_bad_input(tmp_path):
    proc = run_cli("certificates", "--cohort", "no-such-cohort", "--print", tmp_path / "p")
    assert proc.returncode == 2 and "unknown cohort 'no-such-cohort'" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_cli("certificates", "--cohort", "2027-01-preschool", "--print", tmp_path / "p")
    assert proc.returncode == 1 and "no issued certificates" in proc.stderr and "biliktilik issue" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "p").exists()


# --------------------------------------------------------------------------- wording of the filled certificates

# the holder's gender as the patronymic tells it (-қызы, -вна: she; -ұлы, -вич: he), chosen by hand
_HOLDERS = {"Серікқызы": "прошла", "Ерболұлы": "прошёл", "Петровна": "прошла", "Сергеевич": "прошёл",
            "Амангелдіұлы": "прошёл", "Жұмабекқызы": "прошла"}


def test_the_russian_wording_follows_the_holders_gender(built, issued):
    seen = set()
    for c in issued:
        patronymic = c["lf"].data["name"].get("patronymic")
        whole = " ".join(page_texts(pdf_path(built, c)))
        assert "(-ла)" not in whole and "(а)" not in squash(whole), c["number"]
        if patronymic in _HOLDERS:
            verb = _HOLDERS[patronymic]
            other = "прошёл" if verb == "прошла" else "прошла"
            assert verb in whole and other not in whole, (c["number"], patronymic)
            seen.add(patronymic)
            if not c["internship"]:
                assert ("продемонстрировала" in whole) == (verb == "прошла") and "продемонстрировал" in whole
    assert seen == set(_HOLDERS)


def test_the_registration_number_is_on_the_kazakh_and_the_russian_line(built, issued):
    for c in issued:
        first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf_path(built, c)), "-"],
                               capture_output=True, text=True, check=True).stdout
        kk = [line for line in first.splitlines() if "Тіркеу нөмірі" in line]
        ru = [line for line in first.splitlines() if "Регистрационный номер" in line]
        assert len(kk) == 1 and c["number"] in kk[0], (c["number"], kk)
        assert len(ru) == 1 and c["number"] in ru[0], (c["number"], ru)


def test_grades_are_printed_with_their_words(built, issued):
    """The seed programme's scale: «5» үздік, «4» жақсы, «3» қанағаттанарлық (programme 003, project
    work); the Russian words of the five-point system: отлично, хорошо, удовлетворительно."""
    words = {5: "үздік/отлично", 4: "жақсы/хорошо", 3: "қанағаттанарлық/удовлетворительно"}
    checked = 0
    for c in issued:
        if c["internship"]:
            continue
        annex = squash(page_texts(pdf_path(built, c))[1])
        for number, grade in (c["lf"].data.get("grades") or {}).items():
            assert f"{grade}({words[grade]})" in annex, (c["number"], number, grade)
            checked += 1
    assert checked >= 40


def test_one_internship_certificate_per_intern_and_it_has_the_qr_code(built, issued, decoded):
    interns = [c for c in issued if c["internship"]]
    assert interns
    for c in interns:
        assert [len(codes) for codes in decoded[c["number"]]] == [1]
        cohort, lid = c["lf"].cohort.id, c["lf"].data["id"]
        assert not list((built / "print" / "forms").rglob(f"{cohort}/{lid}-internship-certificate*.pdf"))
        everywhere = [p for p in (built / "print").rglob("*.pdf")
                      if "Annex 6" not in p.name and p != pdf_path(built, c) and "certificates" not in p.parts
                      and squash(c["holder"]) in squash(" ".join(page_texts(p)))
                      and "тағылымдамадан өткендігін растайды".replace(" ", "") in squash(" ".join(page_texts(p)))]
        assert not everywhere, everywhere


def test_filled_values_have_no_placeholder_captions_and_the_address_is_readable(built, issued):
    """Issue 13: no «(Тегі, аты, ...)» or «(регистрационный номер)» under a printed name or number (the
    signature's «(қолы) / (подпись)» stays: it is signed by hand); beside the QR code the address it opens,
    the issuer's domain and the page's path, printed at 7.5 pt or more (pdftotext -bbox word heights)."""
    import html

    domain = urlsplit(SITE_URL).hostname
    for c in issued:
        path = pdf_path(built, c)
        for text in page_texts(path):
            flat = squash(text)
            for caption in ("(Тегі,аты,әкесініңаты", "(фамилия,имя,отчество", "(тіркеунөмірі)", "(регистрационныйномер)"):
                assert caption not in flat, (c["number"], caption)
            assert "(қолы)/(подпись)" in flat, c["number"]
        out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
        boxes = {html.unescape(m[3]): float(m[2]) - float(m[1]) for m in re.finditer(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out)}
        url_path = urlsplit(f"{SITE_URL.rstrip('/')}/v/{c['token']}/").path
        for word in (domain, url_path):
            assert word in boxes, (c["number"], word)
            assert boxes[word] >= 7.5, (c["number"], word, boxes[word])  # a word's box is about 1.2 x its size


def test_the_two_codes_say_which_is_typed_where_and_which_is_compared(built, issued):
    """The control code (typed on the issuer's check page, whose address is printed under it) and the
    fingerprint (compared with the verification page) each carry their use; the check page asks for the
    code by the same words the paper prints beside it."""
    import html

    from biliktilik.model.certificates import control_code

    domain = urlsplit(SITE_URL).hostname
    check = f"{domain}{urlsplit(SITE_URL).path}check/"
    for c in issued:
        path = pdf_path(built, c)
        for page in range(1, len(PdfReader(path).pages) + 1):
            out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                                 capture_output=True, text=True, check=True).stdout
            ws = [(html.unescape(m[3]), float(m[1]), float(m[2])) for m in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', out)]
            y = {}
            for i, (w, _, top) in enumerate(ws):
                nxt = ws[i + 1][0] if i + 1 < len(ws) else ""
                if (w, nxt) == ("Тексеру", "коды"):
                    y["code label"] = top
                if (w, nxt) == ("Бақылау", "коды"):
                    y["fp label"] = top
                if w == "бетінде" and nxt == "теріңіз":
                    y["type hint"] = top
                if w == "салыстырыңыз":
                    y["compare hint"] = top
                for key, value in (("code", control_code(c["token"])), ("check", check)):
                    if w == value:
                        y[key] = top
            texts = squash(PdfReader(path).pages[page - 1].extract_text())
            assert "Тексерукоды/Кодпроверки" in texts and "Бақылаукоды/Контрольныйкод" in texts, c["number"]
            assert set(y) >= {"code label", "code", "check", "type hint", "fp label", "compare hint"}, (c["number"], y)
            # top to bottom: what the code is, the code, where to type it; then the fingerprint and what to do
            assert y["code label"] < y["code"] < y["check"] <= y["type hint"] < y["fp label"] < y["compare hint"], y
            assert "введитенаэтойстранице" in texts and "сверьтескодомнастраницепроверки" in texts, c["number"]
    for lang, word in (("kk", "Тексеру коды"), ("ru", "Код проверки")):
        page = built / "site" / ("" if lang == "kk" else "ru") / "check" / "index.html"
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert soup.find("label", attrs={"for": "bk-check-code"}).get_text(strip=True) == word
        assert "Бақылау коды" not in soup.get_text() and "онтрольн" not in soup.get_text(), lang


def test_module_names_are_in_the_cohorts_language(built, issued):
    """A Russian-language cohort's annex names the modules by the programme's ``title_ru`` (where the
    programme gives one), a Kazakh cohort's by their Kazakh titles; the other language's names are absent."""
    seen = set()
    for c in issued:
        if c["internship"]:
            continue
        lang = c["lf"].cohort.data.get("language")
        annex = squash(page_texts(pdf_path(built, c))[1])
        for m in c["programme"]["thematic_plan"]["modules"]:
            own, other = (m.get("title_ru") or m["title"], m["title"]) if lang == "ru" else (m["title"], m.get("title_ru"))
            assert squash(own) in annex, (c["number"], own)
            if other and other != own:
                assert squash(other) not in annex, (c["number"], other)
            seen.add((lang, bool(m.get("title_ru"))))
    assert {("ru", True), ("kk", True)} <= seen  # both cases occur in the sample data


def test_a_topic_too_long_for_the_page_is_reported_not_printed_over_the_qr_code(caplog):
    """The laid-out certificate is checked for statement words inside the QR code's block: none in the
    sample data; a topic four times as long is named in a warning."""
    import copy
    import logging

    from generators import certificate_pdfs as C

    checked = validate(DATA, use_cache=False)
    certs = C.collect(checked.dataset, checked.facts, SITE_URL)
    renderer = C.Renderer()
    for c in {(c.form["topic"]["kk"], c.kind): c for c in certs}.values():
        doc = renderer.document(renderer.html("document.html", certificate=renderer.view(c, "form"), mode="form", title="t"))
        assert C.crowded(doc) == [], (c.cohort, c.kind)
    long = copy.deepcopy(certs[0])
    long.form["topic"] = {k: " ".join([v] * 4) for k, v in long.form["topic"].items()}
    with caplog.at_level(logging.WARNING, logger="generators.certificate_pdfs"):
        renderer.form(long)
    assert any("runs into the QR code" in r.getMessage() for r in caplog.records)


def test_forms_and_font_subsets_from_the_cache_give_the_same_pdfs_and_damage_is_a_miss(tmp_path, caplog):
    """A cohort rendered with an empty output cache, again from the laid-out forms and font subsets
    it kept (no WeasyPrint layout), and again after every kept entry was damaged (garbage in place of
    the JSON and the PDF): the same bytes each time, and the long topic's warning each time."""
    import copy
    import logging

    from biliktilik.build.cache import OutputCache
    from generators import certificate_pdfs as C
    from generators.kit.pdfdraw import SUBSET_KIND

    checked = validate(DATA, use_cache=False)
    certs = C.collect(checked.dataset, checked.facts, SITE_URL)
    cohort = certs[0].cohort
    group = [c for c in certs if c.cohort == cohort]
    group[0] = copy.deepcopy(group[0])
    group[0].form["topic"] = {k: " ".join([v] * 4) for k, v in group[0].form["topic"].items()}
    cache = OutputCache(tmp_path / "outputs")

    def render():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="generators.certificate_pdfs"):
            out = C.render_cohort(C.Renderer(cache), group, cohort)
        assert any("runs into the QR code" in r.getMessage() for r in caplog.records)
        return out

    cold = render()
    kept = [p for kind in (C.FORM_KIND, SUBSET_KIND) for p in (tmp_path / "outputs" / kind).rglob("*") if p.is_file()]
    assert len(kept) >= 2
    laid_out = C.Renderer.document
    C.Renderer.document = None  # from the cache, nothing is laid out: calling it would fail
    try:
        assert render() == cold
    finally:
        C.Renderer.document = laid_out
    for path in kept:  # a pack that still parses as a pack, with garbage for each file
        files = cache.get(path.parent.parent.name, path.name)
        cache.put(path.parent.parent.name, path.name, [(rel, b"\x00garbage{") for rel, _data in files])
    assert render() == cold
