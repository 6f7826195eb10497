"""The public catalog as built from the shipped data: pages for every programme and
organisation in both languages, the 80-hour programme in full, JSON-LD, catalog.json,
calendars, edit links, no personal data, no broken internal link, no other host."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from biliktilik.model.facts import add_months
from biliktilik.validate import validate
from conftest import DATA, run_cli

TODAY = dt.date(2026, 11, 23)  # SOURCE_DATE_EPOCH of the sample site
LANGS = {"kk": "", "ru": "ru/"}


@pytest.fixture(scope="module")
def checked():
    import os
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1795392000"
    try:
        return validate(DATA, use_cache=False)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def norm(s: str) -> str:
    return " ".join(str(s).split())


def section(page: BeautifulSoup, anchor: str) -> str:
    """The text from the h2 with this id up to the next h2."""
    h = page.find(id=anchor)
    assert h is not None, f"no #{anchor}"
    parts = []
    for sib in h.next_siblings:
        if getattr(sib, "name", None) == "h2":
            break
        if hasattr(sib, "get_text"):
            parts.append(sib.get_text(" "))
    return norm(" ".join(parts))


# --------------------------------------------------------------------------- pages


def test_every_programme_and_organisation_has_a_page_in_both_languages(sample_site, checked):
    ds = checked.dataset
    for lang, prefix in LANGS.items():
        for pid, prog in ds.programmes.items():
            page = soup(sample_site / prefix / "programmes" / pid / "index.html")
            assert page.html["lang"] == lang
            assert norm(prog.data["title"][lang]) == norm(page.find("h1").get_text().rstrip("¶"))
        for oid, org in ds.organisations.items():
            page = soup(sample_site / prefix / "organisations" / oid / "index.html")
            assert norm(org.data["name"][lang]) in text(page.find("h1"))
            for p in ds.programmes.values():  # the organisation's programmes, and only those
                link = page.find("a", href=re.compile(rf"programmes/{re.escape(p.id)}/$"))
                assert (link is not None) == (p.data["organisation"] == oid), (lang, oid, p.id)


def test_the_80_hour_programme_shows_all_five_modules_their_topics_and_hours(sample_site, checked):
    prog = checked.dataset.programmes["teacher-organiser-80"].data
    modules = prog["thematic_plan"]["modules"]
    assert len(modules) == 5
    for lang, prefix in LANGS.items():
        page = soup(sample_site / prefix / "programmes" / "teacher-organiser-80" / "index.html")
        table = page.find(id="plan").find_next("table")
        rows = [[norm(td.get_text(" ")) for td in tr.find_all("td")] for tr in table.find_all("tr")[1:]]
        cells = {r[0]: r for r in rows}
        for m in modules:
            title = (m.get("title_ru") if lang == "ru" else None) or m["title"]  # the Russian page: title_ru
            row = cells[norm(f"{m['number']}. {title}")]
            assert row[1] == str(m["hours"])
            assert row[2] == f"{m['hours'] * prog['delivery']['one_week']['hours_factor']:g}"  # the one-week variant
            for tp in m["topics"]:
                trow = cells[norm(f"{tp['number']} {tp['title']}")]
                assert trow[1] == str(tp["hours"])
        assert cells[rows[-1][0]][1] == "80"  # the total row
        assert len(rows) == 5 + sum(len(m["topics"]) for m in modules) + 1
        blended = section(page, "variants")
        for n in (48, 20, 12):
            assert str(n) in blended


def test_the_programme_page_holds_everything_the_record_holds(sample_site, checked):
    d = checked.dataset.programmes["teacher-organiser-80"].data
    page = soup(sample_site / "programmes" / "teacher-organiser-80" / "index.html")
    body = text(page.find("article"))
    expected = [d["title"]["kk"], d["title"]["ru"], d["audience"]["kk"], d["aim"], *d["tasks"],
                *d["outcomes"]["knows"], *d["outcomes"]["can_do"], *d["outcomes"]["can_apply"],
                *d["legal_basis"], *[g["term"] for g in d["glossary"]], *[g["definition"] for g in d["glossary"]],
                *d["literature"]["normative"], *d["literature"]["main"], *d["literature"]["additional"],
                *d["literature"]["other"], *d["post_course_support"]["forms"], *d["post_course_support"]["channels"],
                *d["post_course_support"]["resources"], d["final_test"]["text"], d["assessment"]["self_study"],
                *d["assessment"]["mini_lesson"]["criteria"], d["delivery"]["blended"]["text"],
                d["delivery"]["one_week"]["text"], d["delivery"]["full_time"]["text"]]
    expected += [p for p in d["summary"].split("\n") if p.strip()]
    expected += [p for p in d["delivery"]["methods"].split("\n") if p.strip()]
    expected += [p for p in d["assessment"]["text"].split("\n") if p.strip()]
    for m in d["thematic_plan"]["modules"]:
        expected += [p for p in m["description"].split("\n") if p.strip()]
    for c in d["assessment"]["lesson_plan"]["criteria"] + d["assessment"]["lesson_plan"]["rubric"]:
        expected += [c["title"], *c["items"]]
    missing = [e for e in expected if norm(e) not in body]
    assert not missing, missing[:3]
    for scale in (d["assessment"]["project"]["scale"], d["assessment"]["mini_lesson"]["scale"]):
        for r in scale:
            assert f"{r['min']}–{r['max']}" in body and r["label"] in body
    dist = section(page, "final-test")
    for r in d["final_test"]["distribution"]:
        assert f"{r['hours']} {r['questions']}" in dist
    # the organisation, with a link to its page and its application form
    org = page.find("dl", class_="bk-facts").find("a", href=re.compile(r"organisations/center-nit/$"))
    assert org is not None
    form = page.find(id="apply").find_next("a", type="application/pdf")
    assert form["href"].endswith("forms/order-95/annex-1.kk.pdf")


def test_upcoming_cohorts_with_dates_format_language_seats_and_deadline(sample_site, checked):
    ds = checked.dataset
    page = soup(sample_site / "programmes" / "teacher-organiser-80" / "index.html")
    cohorts = page.find(id="cohorts").find_next("ul", class_="bk-cohorts").find_all("li", recursive=False)
    upcoming = sorted(c for c in ds.cohorts.values() if c.data["programme"] == "teacher-organiser-80"
                      and c.data["start"] > TODAY)
    assert [li["id"] for li in cohorts] == [f"cohort-{c.id}" for c in upcoming] == ["cohort-2027-02-tor-kk"]
    li = cohorts[0]
    times = [t["datetime"] for t in li.find_all("time")]
    c = ds.cohorts["2027-02-tor-kk"].data
    assert times == [c["start"].isoformat(), c["end"].isoformat(), c["application_deadline"].isoformat()]
    assert "күндізгі" in text(li) and "қазақ тілі" in text(li) and "Астана" in text(li)
    assert f"{c['seats'] - len(c.get('listeners') or [])} (барлығы {c['seats']})" in text(li)
    # past cohorts are not shown anywhere on the page
    assert "2025-10-06" not in str(page) and "2026-02-02" not in str(page)
    # without its own deadline, a cohort's deadline is its start less the rules' listener-list months
    pre = soup(sample_site / "ru" / "programmes" / "ecd-preschool-leaders-72" / "index.html")
    li = pre.find(id="cohort-2027-01-preschool")
    months = checked.facts.rules["ecd-institute"].value("listener_lists_months_before")
    deadline = add_months(ds.cohorts["2027-01-preschool"].data["start"], -months)
    assert li.find_all("time")[-1]["datetime"] == deadline.isoformat()
    assert "приём заявок завершён" in text(li)  # 2026-11-18 is before the build date
    assert pre.find("a", href=re.compile(r"regulations/ecd-institute-rules/#p13$")) is not None


def _jsonld(page: BeautifulSoup):
    scripts = page.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


def test_programme_pages_carry_json_ld_course_with_its_upcoming_instances(sample_site, checked):
    ds = checked.dataset
    for lang, prefix in LANGS.items():
        for pid, prog in ds.programmes.items():
            data = _jsonld(soup(sample_site / prefix / "programmes" / pid / "index.html"))
            d = prog.data
            assert data["@context"] == "https://schema.org" and data["@type"] == "Course"
            assert data["name"] == d["title"][lang] and data["description"]
            assert data["provider"]["name"] == ds.organisations[d["organisation"]].data["name"][lang]
            assert data["inLanguage"] == d["languages"]
            minutes = d["hours"] * checked.facts.rules[d["organisation"]].value("academic_hour_minutes")
            assert re.fullmatch(r"PT\d+H(\d+M)?", data["timeRequired"])
            h, _, m = data["timeRequired"][2:].partition("H")
            assert int(h) * 60 + int(m.rstrip("M") or 0) == minutes
            starts = sorted(c.data["start"].isoformat() for c in ds.cohorts.values()
                            if c.data["programme"] == pid and c.data["start"] > TODAY)
            assert sorted(i["startDate"] for i in data["hasCourseInstance"]) == starts
            for inst in data["hasCourseInstance"]:
                assert inst["@type"] == "CourseInstance"
                assert inst["courseMode"] in ("Onsite", "Online", "Blended")
                assert dt.date.fromisoformat(inst["endDate"]) >= dt.date.fromisoformat(inst["startDate"])
                assert inst["location"]["@type"] in ("Place", "VirtualLocation")
    tor = _jsonld(soup(sample_site / "programmes" / "teacher-organiser-80" / "index.html"))
    assert tor["timeRequired"] == "PT60H"  # 80 academic hours of 45 minutes
    assert [(i["startDate"], i["endDate"], i["courseMode"], i["location"]["name"]) for i in tor["hasCourseInstance"]] \
        == [("2027-02-08", "2027-02-19", "Onsite", "Астана")]


def test_the_index_carries_an_item_list_of_every_programme(sample_site, checked):
    for lang, prefix in LANGS.items():
        data = _jsonld(soup(sample_site / prefix / "index.html"))
        assert data["@type"] == "ItemList"
        assert data["numberOfItems"] == len(data["itemListElement"]) == len(checked.dataset.programmes)
        assert [i["position"] for i in data["itemListElement"]] == list(range(1, len(checked.dataset.programmes) + 1))
        site_url = "https://biliktilik.example.kz/" + prefix
        for item in data["itemListElement"]:
            assert item["url"].startswith(site_url)
            assert (sample_site / prefix / item["url"][len(site_url):] / "index.html").is_file()


def test_catalog_json_matches_the_records(sample_site, checked):
    ds, facts = checked.dataset, checked.facts
    data = json.loads((sample_site / "catalog.json").read_text(encoding="utf-8"))
    assert data["generated"] == TODAY.isoformat()
    assert [p["id"] for p in data["programmes"]] == sorted(ds.programmes)
    assert [o["id"] for o in data["organisations"]] == sorted(ds.organisations)
    for p in data["programmes"]:
        d = ds.programmes[p["id"]].data
        assert p["title"] == d["title"] and p["audience"] == d["audience"]
        assert (p["organisation"], p["hours"], p["languages"], p["formats"]) == \
            (d["organisation"], d["hours"], d["languages"], d["formats"])
        assert [(m["number"], m["hours"]) for m in p["modules"]] == \
            [(m["number"], m["hours"]) for m in d["thematic_plan"]["modules"]]
        assert [len(m["topics"]) for m in p["modules"]] == \
            [len(m.get("topics") or []) for m in d["thematic_plan"]["modules"]]
        assert p["academic_hour_minutes"] == facts.rules[d["organisation"]].value("academic_hour_minutes")
        assert p["source"] == f"data/programmes/{p['id']}.yaml"
        upcoming = sorted((c for c in ds.cohorts.values() if c.data["programme"] == p["id"] and c.data["start"] > TODAY),
                          key=lambda c: c.data["start"])
        assert [c["id"] for c in p["upcoming_cohorts"]] == [c.id for c in upcoming]
        for got, rec in zip(p["upcoming_cohorts"], upcoming):
            c = rec.data
            assert (got["start"], got["end"], got["format"], got["language"], got["seats"]) == \
                (c["start"].isoformat(), c["end"].isoformat(), c["format"], c["language"], c["seats"])
            assert got["seats_left"] == c["seats"] - len(c.get("listeners") or [])
            own = c.get("application_deadline")
            rule = facts.rules[c["organisation"]].value("listener_lists_months_before")
            assert got["application_deadline"] == (own or add_months(c["start"], -rule)).isoformat()
    hc = {p["id"]: p["hours_class"]["id"] for p in data["programmes"]}
    assert hc["teacher-organiser-80"] == "short"           # Order 95: 36-108 h
    assert hc["kazguu-teaching-excellence-72"] == "medium"  # KAZGUU's own classes: 36 h and more
    assert hc["tvet-welding-internship-36"] == "internship"


def _personal_data(ds):
    values = set()
    for c in ds.cohorts.values():
        for listener in c.data.get("listeners") or []:
            name = listener["name"]
            values.add(f"{name['surname']} {name['given']}")
            values.add(listener["iin"])
            for key in ("phone", "email", "address"):
                if listener.get(key):
                    values.add(listener[key])
        for trainer in c.data.get("trainers") or []:
            values.add(trainer["name"])
    for o in ds.organisations.values():
        values.add(o.data["head"]["name"])
    return values


def test_no_personal_data_in_the_catalog_calendars_or_pages(sample_site, checked):
    secrets = _personal_data(checked.dataset)
    assert len(secrets) > 30
    for path in sample_site.rglob("*"):
        if not path.is_file() or path.suffix not in (".html", ".json", ".ics", ".xml", ".js", ".txt"):
            continue
        rel = path.relative_to(sample_site).as_posix()
        if rel.startswith(("v/", "status/", ".well-known/")):  # certificate verification (issue 5): names by design
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        leaked = [s for s in secrets if s in content]
        assert not leaked, (rel, leaked[:3])


def _ics_events(path: Path):
    raw = path.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.decode("utf-8").split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = []
    for line in lines:
        if line.startswith(" "):
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    events, cur = [], None
    for line in unfolded:
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT":
            events.append(cur)
            cur = None
        elif cur is not None:
            key, _, value = line.partition(":")
            cur[key.split(";")[0]] = value
    return events


def test_calendars_list_upcoming_cohorts_deterministically(sample_site, checked):
    ds = checked.dataset
    upcoming = {c.id for c in ds.cohorts.values() if c.data["start"] > TODAY}
    for prefix in LANGS.values():
        events = _ics_events(sample_site / prefix / "cohorts.ics")
        courses = [e for e in events if not e["UID"].split("@")[0].endswith("-deadline")]
        assert {e["UID"].split("@")[0] for e in courses} == upcoming
        assert all(e["DTSTAMP"] == "20261123T000000Z" for e in events)
        for e in courses:
            c = ds.cohorts[e["UID"].split("@")[0]].data
            assert e["DTSTART"] == c["start"].strftime("%Y%m%d")
            assert e["DTEND"] == (c["end"] + dt.timedelta(days=1)).strftime("%Y%m%d")
    tor = _ics_events(sample_site / "programmes" / "teacher-organiser-80.ics")
    assert [e["UID"] for e in tor] == ["2027-02-tor-kk-deadline@biliktilik.example.kz",
                                       "2027-02-tor-kk@biliktilik.example.kz"]
    assert tor[1]["SUMMARY"] == ds.programmes["teacher-organiser-80"].data["title"]["kk"]
    assert _ics_events(sample_site / "programmes" / "conservatory-choir-registry-80.ics") == []


def test_public_pages_have_no_edit_link_or_repository_link(sample_site):
    """Issue 13: nothing for staff on the public site (mkdocs.yml sets no repo_url/edit_uri)."""
    for url in ("programmes/teacher-organiser-80/", "organisations/kazguu/", "regulations/order-95/", "about/",
                "ru/about/", "ru/programmes/teacher-organiser-80/", ""):
        page = soup(sample_site / url / "index.html")
        assert page.find("a", rel="edit") is None, url
        assert page.select_one("a.md-source, .md-content__button") is None, url
        assert "github.com" not in str(page), url


def test_index_cards_carry_the_facets_the_filters_use(sample_site, checked):
    ds = checked.dataset
    page = soup(sample_site / "index.html")
    cards = page.select("ul.bk-cards > li.bk-card")
    assert len(cards) == len(ds.programmes)
    by_id = {re.search(r"programmes/([^/]+)/", c.find("a")["href"]).group(1): c for c in cards}
    for pid, prog in ds.programmes.items():
        card, d = by_id[pid], prog.data
        assert card["data-org"] == d["organisation"]
        assert set(d["formats"]) <= set(card["data-formats"].split())
        assert set(d["languages"]) <= set(card["data-langs"].split())
        up = any(c.data["programme"] == pid and c.data["start"] > TODAY for c in ds.cohorts.values())
        assert card["data-upcoming"] == ("1" if up else "0")
    form = page.find("form", id="bk-filters")
    assert form.has_attr("hidden")  # shown by script only: without it the page is a plain list
    for name in ("org", "audience", "hc", "format", "lang", "upcoming"):
        assert form.find(attrs={"name": name}) is not None, name
    assert {o["value"] for o in form.find("select", attrs={"name": "format"}).find_all("option")} == \
        {"", "full_time", "distance", "blended"}
    # programmes taking applications come first
    first = cards[0].find("a")["href"]
    assert "teacher-organiser-80" in first


def test_the_language_switch_links_to_the_same_page(sample_site):
    for url in ("", "programmes/teacher-organiser-80/", "regulations/order-95/", "organisations/kazguu/", "about/"):
        for lang, prefix in LANGS.items():
            page = soup(sample_site / prefix / url / "index.html")
            links = {a["hreflang"]: a["href"] for a in page.select("a.md-select__link")}
            here = urlsplit("http://h/" + prefix + url)
            for target, tprefix in LANGS.items():
                resolved = urlsplit(_join(here.path, links[target])).path
                assert resolved == "/" + tprefix + url, (lang, url, target, links[target])


def _join(base: str, rel: str) -> str:
    from urllib.parse import urljoin
    return urljoin("http://h" + base, rel)


# --------------------------------------------------------------------------- links and hosts


@lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset:
    page = soup(path)
    return frozenset([t["id"] for t in page.find_all(id=True)]
                     + [t["name"] for t in page.find_all("a", attrs={"name": True})])


def _html_pages(site: Path):
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith("v/") or "/v/" in rel:  # verification pages: issue 5's own checks
            continue
        yield path, rel


def test_no_broken_internal_link_or_anchor(sample_site):
    broken = []
    checked = 0
    for path, rel in _html_pages(sample_site):
        page = soup(path)
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for el in page.find_all(tag, attrs={attr: True}):
                url = el[attr]
                parts = urlsplit(url)
                if parts.scheme or parts.netloc or url.startswith(("mailto:", "data:")):
                    continue
                if parts.path.startswith("/"):  # 404.html: links from the site's root (site_url's path is /)
                    target = (sample_site / unquote(parts.path).lstrip("/")).resolve()
                else:
                    target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                if parts.path.endswith("/") or target.is_dir():
                    target = target / "index.html"
                checked += 1
                if not target.is_file():
                    broken.append(f"{rel}: {url}")
                    continue
                if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target):
                    broken.append(f"{rel}: {url} (no such anchor)")
    assert checked > 2000
    assert not broken, broken[:10]


def test_no_page_asks_another_host(sample_site):
    """Nothing is loaded from another host: scripts, styles, images, fonts, frames."""
    external = []
    for path, rel in _html_pages(sample_site):
        page = soup(path)
        for el in page.find_all(["script", "img", "iframe", "source", "audio", "video"], src=True):
            if urlsplit(el["src"]).netloc:
                external.append((rel, el["src"]))
        for el in page.find_all("link", href=True):
            rels = set(el.get("rel") or [])
            loads = rels & {"stylesheet", "preconnect", "preload", "prefetch", "icon", "manifest"}
            if loads and urlsplit(el["href"]).netloc:
                external.append((rel, el["href"]))
        for style in page.find_all("style"):
            if re.search(r"url\(\s*['\"]?https?:", style.get_text()):
                external.append((rel, "style url()"))
    assert not external, external[:5]
    for css in (sample_site / "assets" / "stylesheets").glob("*.css"):
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8")), css.name


# --------------------------------------------------------------------------- failures


def test_a_rule_citing_a_paragraph_that_does_not_exist_stops_the_build(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    rules = data / "rulesets" / "order-95.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("source: p24-3", "source: p24-9"), encoding="utf-8")
    proc = run_cli("build", "--data", data, "--site", tmp_path / "site", "--print", tmp_path / "print")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    line = next(i for i, ln in enumerate(rules.read_text(encoding="utf-8").splitlines(), 1) if "p24-9" in ln)
    where = rf"order-95\.yaml:{line}:\d+: rule 'attendance_min' cites 'order-95#p24-9'"
    assert re.search(where, proc.stderr), proc.stderr
    assert not (tmp_path / "site").exists()
