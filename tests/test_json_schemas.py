"""The JSON Schemas editors use (data/.schemas/), checked by an independent validator (jsonschema):
every shipped record passes, broken records fail for the right reason, the committed files are
current, and every data file points its editor at the schema of its kind."""

from __future__ import annotations

import copy
import datetime as dt
import json

import cerberus
import jsonschema
import pytest
import yaml

from biliktilik.load import schemas as S
from biliktilik.load.dataset import discover
from conftest import DATA, ROOT, run_cli


def _jsonable(value):
    """As a JSON validator sees YAML: dates are text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _validator(kind):
    schema = json.loads((DATA / ".schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


RECORDS = discover(DATA)[0]


def test_the_committed_schemas_reference_and_schema_lines_are_current():
    proc = run_cli("schemas", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path,kind", RECORDS, ids=[p.relative_to(DATA).as_posix() for p, _ in RECORDS])
def test_every_shipped_record_is_valid_by_jsonschema_and_names_its_schema(path, kind):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (DATA / ".schemas" / f"{kind}.schema.json").resolve() and target.is_file()
    errors = sorted(_validator(kind).iter_errors(_jsonable(yaml.safe_load(text))), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def _cohort():
    return yaml.safe_load((DATA / "cohorts" / "2026-02-tor-ru.yaml").read_text(encoding="utf-8"))


def _break(change):
    doc = copy.deepcopy(_cohort())
    change(doc)
    return doc


BROKEN = {
    "wrong type": (lambda d: d.update(seats="twenty"), ["seats"], "type"),
    "unknown key": (lambda d: d.update(seets=20), [], "additionalProperties"),
    "missing required": (lambda d: d.pop("programme"), [], "required"),
    "listener unknown key": (lambda d: d["listeners"][0].update(atendance=0.9), ["listeners", 0], "additionalProperties"),
    "iin as a number": (lambda d: d["listeners"][1].update(iin=870814423695), ["listeners", 1, "iin"], "type"),
    "iin with 11 digits": (lambda d: d["listeners"][1].update(iin="70814423695"), ["listeners", 1, "iin"], "pattern"),
    "attendance as a percent": (lambda d: d["listeners"][2].update(attendance=85), ["listeners", 2, "attendance"], "maximum"),
    "outcome not allowed": (lambda d: d["listeners"][2].update(outcome="passed"), ["listeners", 2, "outcome"], "enum"),
    "grade out of range": (lambda d: d["listeners"][0]["grades"].update({"1": 6}), ["listeners", 0, "grades", "1"], "maximum"),
    "impossible date": (lambda d: d.update(end="2026-02-30"), ["end"], "format"),
    "id with capitals": (lambda d: d.update(id="2026-02-TOR"), ["id"], "pattern"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_records_are_rejected_where_they_are_broken(name):
    change, where, why = BROKEN[name]
    doc = _jsonable(_break(change))
    errors = list(_validator("cohort").iter_errors(doc))
    assert [(list(e.absolute_path), e.validator) for e in errors] == [(where, why)], [e.message for e in errors]
    # the project's own (cerberus) schema agrees that the record is broken
    if name != "impossible date":  # cerberus sees a YAML date, not text
        assert not cerberus.Validator(S.COHORT).validate(_break(change))


def test_every_field_is_described_in_three_languages_with_examples_where_given():
    for kind in S.SCHEMAS:
        schema = json.loads((DATA / ".schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
        props = schema["properties"]
        if kind == "cohort":
            props = {**props, **{f"listeners.{k}": v for k, v in props["listeners"]["items"]["properties"].items()}}
        for name, prop in props.items():
            assert "Қазақша: " in prop.get("description", "") and "По-русски: " in prop["description"], (kind, name)
    cohort = json.loads((DATA / ".schemas" / "cohort.schema.json").read_text(encoding="utf-8"))
    iin = cohort["properties"]["listeners"]["items"]["properties"]["iin"]
    assert iin["examples"] == ["870814423695"] and "ЖСН" in iin["description"] and "ИИН" in iin["description"]


def test_data_reference_lists_every_field():
    text = (DATA / "REFERENCE.md").read_text(encoding="utf-8")
    for kind, fields in S.SCHEMAS.items():
        assert f"## {kind} (" in text
        for name in fields:
            assert f"| `{name}` |" in text, (kind, name)
    for name in S.LISTENER["schema"]:
        assert f"| `listeners[].{name}` |" in text
    assert "| `listeners[].attendance` | number |  | Attendance: a share between 0 and 1 |" in text


def test_a_stale_schema_is_noticed(tmp_path):
    import shutil

    shutil.copytree(DATA, tmp_path / "data")
    f = tmp_path / "data" / "cohorts" / "2027-02-tor-kk.yaml"
    f.write_text("\n".join(f.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8")
    proc = run_cli("schemas", "--check", "--data", tmp_path / "data")
    assert proc.returncode == 1 and "2027-02-tor-kk.yaml: out of date" in proc.stdout
    run_cli("schemas", "--data", tmp_path / "data", check=0)
    assert f.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../.schemas/cohort.schema.json\n")
    assert (ROOT / "data" / ".schemas").is_dir()
