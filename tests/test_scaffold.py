"""`biliktilik init` and `biliktilik new`, run as a person runs them (``python -m biliktilik`` in a
fresh folder): an initialised instance validates and builds with no sample data; a new record's
blanks are "fill in" findings at their lines and the record validates once they are filled;
refusals are one line, exit 1 or 2, no traceback, nothing written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parents[1]
ORG = "pedagog-center"
HOST = "kurs.example.kz"


def run(*args, cwd: Path, env: dict | None = None, stdin=subprocess.DEVNULL):
    full_env = {**os.environ, "BILIKTILIK_LANG": "en", **(env or {})}
    full_env.pop("BILIKTILIK_ISSUER_KEY", None)
    return subprocess.run([sys.executable, "-m", "biliktilik", *args], check=False, cwd=cwd, env=full_env, stdin=stdin,
                          capture_output=True, text=True, timeout=600)


def init(tmp: Path, name: str = "inst", *extra: str):
    return run("init", name, "--site-url", f"https://{HOST}/", "--organisation", ORG,
               "--name-kk", "Педагогтер орталығы", "--name-ru", "Центр педагогов",
               "--head", "Ахметова Дина Серікқызы", "--key-file", str(tmp / f"{name}-key.pem"), *extra,
               cwd=tmp, env={"XDG_CONFIG_HOME": str(tmp / "config")})


def one_line_refusal(result, code: int):
    """Exit ``code``, no traceback, and the message one line saying ``biliktilik: ...``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("biliktilik:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def instance(tmp_path):
    result = init(tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "inst"


def findings(result) -> list[tuple[str, int, str]]:
    """(file, line, message) of every finding line of `validate`'s text output."""
    out = []
    for ln in result.stdout.splitlines():
        m = re.match(r"(?P<file>[^:]+):(?P<line>\d+):\d+: (error|warning) \S+: (?P<msg>.*)", ln)
        if m:
            out.append((m["file"], int(m["line"]), m["msg"]))
    return out


def test_init_makes_an_instance_without_sample_data_that_validates(instance, tmp_path):
    from biliktilik.project import read_config

    config = read_config(instance / "mkdocs.yml")
    assert config["site_url"] == f"https://{HOST}/"
    assert "repo_url" not in config
    data = instance / "data"
    assert sorted(p.name for p in (data / "organisations").glob("*.yaml")) == [f"{ORG}.yaml"]
    assert not list((data / "programmes").glob("*.yaml")) and not list((data / "cohorts").glob("*.yaml"))
    assert yaml.safe_load((data / "ledger.yaml").read_text(encoding="utf-8")) == {"certificates": []}
    assert (data / ".schemas" / "cohort.schema.json").is_file() and (instance / ".github/workflows/publish.yml").is_file()
    org = yaml.safe_load((data / "organisations" / f"{ORG}.yaml").read_text(encoding="utf-8"))
    assert org["name"] == {"kk": "Педагогтер орталығы", "ru": "Центр педагогов"} and org["ruleset"] == "order-95"
    assert (org["kind"], org["head"]["name"], org["registration_prefix"]) == ("provider", "Ахметова Дина Серікқызы",
                                                                            "PEDAGOG-CENTER")

    # the private key: outside the repository, readable by its owner only; its public half is the key file's
    key_file = tmp_path / "inst-key.pem"
    assert key_file.stat().st_mode & 0o077 == 0
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    x = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import base64
    keys = yaml.safe_load((instance / "content" / "issuer-keys.yaml").read_text(encoding="utf-8"))["keys"]
    assert [k["public_key"]["x"] for k in keys] == [base64.urlsafe_b64encode(x).rstrip(b"=").decode("ascii")]
    assert not [p for p in instance.rglob("*") if p.is_file() and ".git/" not in p.as_posix()
                and b"PRIVATE KEY" in p.read_bytes()]
    assert "*.pem" in (instance / ".gitignore").read_text(encoding="utf-8").split()

    result = run("validate", cwd=instance)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("0 error(s), 0 warning(s)")


def _fill(path: Path, line: int, message: str):
    """Put a fitting value on the blank at ``line`` (1-based), as staff would type it."""
    values = {"title.kk": "Физика пәнін оқыту", "title.ru": "Преподавание физики", "audience.kk": "Физика мұғалімдері",
              "audience.ru": "Учителя физики", "hours": "72", "languages": "[kk]", "formats": "[full_time]",
              "thematic_plan.modules.title": "Физиканы оқыту әдістемесі", "thematic_plan.modules.hours": "72",
              "format": "full_time", "language": "kk", "seats": "25", "name.kk": "Екінші орталық",
              "name.ru": "Второй центр", "head.title.kk": "Ректор", "head.title.ru": "Ректор", "head.name": "Омаров Ерлан"}
    field = re.match(r"fill in (\S+):", message)[1]
    lines = path.read_text(encoding="utf-8").split("\n")
    key = field.rsplit(".", 1)[-1]
    assert re.match(rf"\s*(- )?{key}:\s*(#.*)?$", lines[line - 1]), (line, lines[line - 1])  # the finding is at the blank
    lines[line - 1] = re.sub(rf"({key}:)\s*(#.*)?$", rf"\1 {values[field]}", lines[line - 1])
    path.write_text("\n".join(lines), encoding="utf-8")


def test_new_records_have_blanks_reported_at_their_lines_and_validate_once_filled(instance):
    made = run("new", "programme", "--organisation", ORG, "--id", "physics-72", cwd=instance)
    assert made.returncode == 0, made.stderr
    programme_blanks = int(re.search(r"(\d+) blank", made.stdout)[1])
    made = run("new", "cohort", "--programme", "physics-72", "--id", "2027-03-physics-kk",
               "--start", "01.03.2027", "--end", "12.03.2027", cwd=instance)
    assert made.returncode == 0, made.stderr
    cohort_blanks = int(re.search(r"(\d+) blank", made.stdout)[1])

    made = run("new", "organisation", "--id", "second-center", "--kind", "university", "--prefix", "SC", cwd=instance)
    assert made.returncode == 0, made.stderr
    organisation_blanks = int(re.search(r"(\d+) blank", made.stdout)[1])

    programme = instance / "data" / "programmes" / "physics-72.yaml"
    cohort = instance / "data" / "cohorts" / "2027-03-physics-kk.yaml"
    organisation = instance / "data" / "organisations" / "second-center.yaml"
    for path, kind in ((programme, "programme"), (cohort, "cohort"), (organisation, "organisation")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../.schemas/{kind}.schema.json"
    doc = yaml.safe_load(cohort.read_text(encoding="utf-8"))
    assert (str(doc["start"]), str(doc["end"]), doc["organisation"]) == ("2027-03-01", "2027-03-12", ORG)

    result = run("validate", cwd=instance)
    assert result.returncode == 1
    found = findings(result)
    assert found and all(msg.startswith("fill in ") for _, _, msg in found), result.stdout
    assert len([f for f in found if f[0].endswith("physics-72.yaml")]) == programme_blanks
    assert len([f for f in found if f[0].endswith("2027-03-physics-kk.yaml")]) == cohort_blanks
    assert len([f for f in found if f[0].endswith("second-center.yaml")]) == organisation_blanks == 5
    assert {"title.kk", "hours", "thematic_plan.modules.hours"} <= {m.split()[2].rstrip(":") for _, _, m in found}

    for file, line, message in found:
        _fill(instance / file, line, message)
    result = run("validate", cwd=instance)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("0 error(s), 0 warning(s)")


LISTENER = """\
  - id: l01
    name: {surname: Сейтқали, given: Айгерім, patronymic: Маратқызы}
    iin: "%s"
    employer: №12 мектеп-гимназия
    position: физика мұғалімі
    attendance: 0.95
    final_test: {score: 27, max: 30}
    grades: {"1": 5}
    outcome: certificate
"""


@pytest.mark.slow
def test_the_initialised_instance_builds_with_its_own_key_and_address(instance, tmp_path):
    """init, new programme and cohort, their blanks filled, a listener, issue, build, print: the
    site, the signed credential and the printed certificate all name the instance's address and key."""
    import datetime as dt

    from biliktilik.load.iin import make

    assert run("new", "programme", "--organisation", ORG, "--id", "physics-72", "--hours", "72",
               cwd=instance).returncode == 0
    for file, line, message in findings(run("validate", cwd=instance)):
        _fill(instance / file, line, message)
    assert run("new", "cohort", "--programme", "physics-72", "--id", "2026-10-physics-kk", "--start", "05.10.2026",
               "--end", "16.10.2026", "--seats", "25", cwd=instance).returncode == 0  # format, language: the programme's one
    cohort = instance / "data" / "cohorts" / "2026-10-physics-kk.yaml"
    cohort.write_text(cohort.read_text(encoding="utf-8").replace(
        "listeners: []\n", "listeners:\n" + LISTENER % make(dt.date(1988, 4, 12), True, 17)), encoding="utf-8")
    assert run("validate", cwd=instance).returncode == 0
    issued = run("issue", "--cohort", "2026-10-physics-kk", cwd=instance)
    assert issued.returncode == 0, issued.stderr
    token = yaml.safe_load(cohort.read_text(encoding="utf-8"))["listeners"][0]["certificate"]["token"]

    key_env = {"BILIKTILIK_ISSUER_KEY_FILE": str(tmp_path / "inst-key.pem")}
    result = run("build", "--jobs", "1", cwd=instance, env=key_env)
    assert result.returncode == 0, result.stderr
    verified = run("verify", f"site/v/{token}/credential.jwt", "--site", "site", cwd=instance)
    assert verified.stdout.strip().splitlines()[-1].startswith("VALID"), verified.stdout + verified.stderr
    printed = run("certificates", "--cohort", "2026-10-physics-kk", cwd=instance)
    assert printed.returncode == 0, printed.stderr
    pdf = next((instance / "print" / "certificates" / ORG).glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert HOST in text and f"/v/{token}/" in text and "biliktilik.example.kz" not in text  # printed under the QR code
    pages = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(pages)], check=True)
    import zxingcpp
    from PIL import Image

    codes = [r.text for p in sorted(tmp_path.glob("page*.png")) for r in zxingcpp.read_barcodes(Image.open(p))]
    assert f"https://{HOST}/v/{token}/" in codes, codes  # the QR code opens the instance's verification page
    site = instance / "site"
    did = json.loads((site / ".well-known" / "did.json").read_text(encoding="utf-8"))
    keys = yaml.safe_load((instance / "content" / "issuer-keys.yaml").read_text(encoding="utf-8"))["keys"]
    assert did["id"] == f"did:web:{HOST}"
    assert [m["publicKeyJwk"]["x"] for m in did["verificationMethod"]] == [keys[0]["public_key"]["x"]]
    page = (site / "programmes" / "physics-72" / "index.html").read_text(encoding="utf-8")
    assert "Физика пәнін оқыту" in page
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    text = json.dumps(catalog, ensure_ascii=False)
    assert "physics-72" in text and "center-nit" not in text and "biliktilik.example.kz" not in text

    # without its key the instance refuses to sign (it never falls back to the DEMO key's did.json)
    result = run("build", "--jobs", "1", cwd=instance)
    assert "BILIKTILIK_ISSUER_KEY_FILE=" in one_line_refusal(result, 1)


def test_refusals_are_one_line_and_write_nothing(instance, tmp_path):
    data = instance / "data"
    before = sorted(p.relative_to(data).as_posix() for p in data.rglob("*"))

    line = one_line_refusal(run("new", "organisation", "--id", ORG, cwd=instance), 1)
    assert "exists already" in line
    line = one_line_refusal(run("new", "programme", "--organisation", "nowhere", "--id", "p-72", cwd=instance), 1)
    assert "no organisation 'nowhere'" in line and ORG in line
    line = one_line_refusal(run("new", "cohort", "--programme", "nothing-72", "--id", "c1", cwd=instance), 1)
    assert "no programme 'nothing-72'" in line
    for bad in ("Физика-72", "Physics", "-x", "a b"):
        line = one_line_refusal(run("new", "programme", "--organisation", ORG, f"--id={bad}", cwd=instance), 2)
        assert "is not an id" in line
    line = one_line_refusal(run("new", "organisation", "--id", "x", "--ruleset", "order-96", cwd=instance), 1)
    assert "no ruleset 'order-96'" in line
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*")) == before

    made = run("new", "programme", "--organisation", ORG, "--id", "p-72", cwd=instance)
    assert made.returncode == 0
    line = one_line_refusal(run("new", "programme", "--organisation", ORG, "--id", "p-72", cwd=instance), 1)
    assert "exists already" in line
    line = one_line_refusal(run("new", "cohort", "--programme", "p-72", "--id", "c1", "--start", "31.02.2027",
                                cwd=instance), 2)
    assert "is not a day" in line
    line = one_line_refusal(run("new", "cohort", "--programme", "p-72", "--id", "c1", "--start", "10.03.2027",
                                "--end", "01.03.2027", cwd=instance), 2)
    assert "before --start" in line


@pytest.mark.parametrize("args, words", [
    (["--site-url", "ftp://kurs.example.kz/"], "is not an address"),
    (["--site-url", "kurs.example.kz"], "is not an address"),
    (["--site-url", "https://user@kurs.example.kz/"], "may not hold a user"),
    (["--site-url", "https://kurs.example.kz/?a=1"], "may not hold a user, a query"),
    (["--site-url", "http://kurs.example.kz/"], "must use https"),
    (["--site-url", "https://kurs_example kz/"], "is not a domain name"),
    (["--issuer-domain", "other.example.kz"], "is not the host of --site-url"),
    (["--organisation", "Педагог"], "is not an id"),
    (["--repo-url", "github.com/x/y"], "is not an https address"),
    (["--prefix", "pc"], "is not a registration prefix"),
    (["--kind", "school"], "invalid choice"),
])
def test_init_refuses_bad_input(tmp_path, args, words):
    base = {"--site-url": f"https://{HOST}/", "--organisation": ORG, "--name-kk": "Орталық", "--name-ru": "Центр",
            "--head": "Ахметова Дина", "--key-file": str(tmp_path / "k.pem")}
    for opt, value in zip(args[::2], args[1::2]):
        base[opt] = value
    argv = [x for kv in base.items() for x in kv]
    line = one_line_refusal(run("init", "inst", *argv, cwd=tmp_path), 2)
    assert words in line
    assert not (tmp_path / "inst").exists() and not (tmp_path / "k.pem").exists()


def test_init_refuses_a_non_empty_folder_an_existing_key_and_missing_options(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    line = one_line_refusal(init(tmp_path, "busy"), 2)
    assert "is not empty" in line
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"] and not (tmp_path / "busy-key.pem").exists()

    (tmp_path / "taken-key.pem").write_text("someone's key", encoding="utf-8")
    line = one_line_refusal(init(tmp_path, "taken"), 1)
    assert "exists already" in line
    assert not (tmp_path / "taken").exists() and (tmp_path / "taken-key.pem").read_text() == "someone's key"

    line = one_line_refusal(init(tmp_path, "inside", "--key-file", "inside/key.pem"), 2)
    assert "inside" in line and "never goes into the repository" in line

    # no terminal to ask on: the missing options are named
    result = run("init", "inst", "--site-url", f"https://{HOST}/", cwd=tmp_path)
    line = one_line_refusal(result, 2)
    assert "--organisation" in line and "--name-kk" in line and "--head" in line and "--site-url" not in line
    assert not (tmp_path / "inst").exists()


def test_init_asks_on_a_terminal(tmp_path):
    """With a terminal, the missing options are asked (a pseudo-terminal plays the person)."""
    import pty

    answers = [f"https://{HOST}/", "", ORG, "Педагогтер орталығы", "Центр педагогов", "Ахметова Дина"]
    env = {**os.environ, "BILIKTILIK_LANG": "en", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on the pseudo-terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "biliktilik", "init", "inst"], env)
    out = b""
    for answer in answers:
        while not out.rstrip().endswith(b":") and not out.rstrip().endswith(b"]:"):
            chunk = os.read(fd, 4096)
            assert chunk, out
            out += chunk
        os.write(fd, answer.encode("utf-8") + b"\n")
        out = b""
    rest = b""
    try:
        while chunk := os.read(fd, 4096):
            rest += chunk
    except OSError:  # the child closed the terminal
        pass
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    org = yaml.safe_load((tmp_path / "inst" / "data" / "organisations" / f"{ORG}.yaml").read_text(encoding="utf-8"))
    assert org["head"]["name"] == "Ахметова Дина"
    assert (tmp_path / "config" / "biliktilik" / "keys" / f"{HOST}-key-1.pem").is_file()
