"""JSON Schemas (draft 2020-12) of every record kind, generated from the cerberus schemas
(:data:`biliktilik.load.schemas.SCHEMAS`), with descriptions and examples in English, Kazakh and
Russian from ``templates/staff/fields.yaml``; and a Markdown data reference for staff.

Editors with the YAML language server (VS Code's YAML extension and others) read the first line
of each data file, ``# yaml-language-server: $schema=../.schemas/cohort.schema.json``, to
complete fields and flag mistakes while typing. The schemas live in ``data/.schemas/`` (a hidden
folder, which :func:`biliktilik.load.dataset.discover` passes over).

Translation: cerberus ``type`` -> JSON types (``date`` -> a string with ``format: date``, as YAML
dates reach a JSON validator as text), ``allowed`` -> ``enum``, ``regex`` -> ``pattern``
anchored (cerberus matches the whole value), ``min``/``max`` -> ``minimum``/``maximum``,
``minlength``/``maxlength`` -> ``minItems``/``maxItems`` (``minLength``/``maxLength`` for a text), ``empty: False`` -> ``minLength: 1``, ``required`` -> ``required``,
unknown keys -> ``additionalProperties: false``, ``keysrules``/``valuesrules`` ->
``propertyNames``/``additionalProperties``. The rules of Order 95 and the references between
files are the validator's (``biliktilik validate``), not the schemas'.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import yaml

from biliktilik.files import write_atomically
from biliktilik.load import schemas as S
from biliktilik.project import TEMPLATES

FIELDS_FILE = TEMPLATES / "staff" / "fields.yaml"
SCHEMA_DIR = ".schemas"  # inside the data folder
REFERENCE = "REFERENCE.md"  # inside the data folder
_TYPES = {"string": "string", "integer": "integer", "float": "number", "number": "number", "boolean": "boolean",
          "list": "array", "dict": "object", "date": "string"}


@lru_cache(maxsize=1)
def texts() -> dict:
    """templates/staff/fields.yaml as data."""
    return yaml.safe_load(FIELDS_FILE.read_text(encoding="utf-8"))


def _describe(out: dict, text: dict | None):
    if not text:
        return
    out["title"] = text["en"]
    out["description"] = f"{text['en']}\n\nҚазақша: {text['kk']}\nПо-русски: {text['ru']}"
    if "example" in text:
        out["examples"] = [text["example"]]


def convert(rule: dict, docs: dict | None = None, path: str = "") -> dict:
    """One cerberus rule set -> a JSON Schema; ``docs`` maps dotted field paths to their texts."""
    docs = docs or {}
    out: dict = {}
    types = rule.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        mapped = []
        for t in names:
            if _TYPES[t] not in mapped:
                mapped.append(_TYPES[t])
        out["type"] = mapped[0] if len(mapped) == 1 else mapped
        if names == ["date"]:
            out["format"] = "date"
    if "allowed" in rule:
        if rule.get("type") == "list":
            out["items"] = {"enum": list(rule["allowed"])}
        else:
            out["enum"] = list(rule["allowed"])
    if "regex" in rule:
        out["pattern"] = f"^(?:{rule['regex']})$"
    if "min" in rule:
        out["minimum"] = rule["min"]
    if "max" in rule:
        out["maximum"] = rule["max"]
    if "minlength" in rule:
        out["minItems" if rule.get("type") == "list" else "minLength"] = rule["minlength"]
    if "maxlength" in rule:
        out["maxItems" if rule.get("type") == "list" else "maxLength"] = rule["maxlength"]
    if rule.get("empty") is False:
        out["minLength"] = 1
    fmt = (rule.get("meta") or {}).get("format")
    if fmt and "pattern" in out:
        out["$comment"] = f"format: {fmt}"
    if rule.get("type") == "dict" or isinstance(rule.get("schema"), dict) and rule.get("type") != "list":
        if "schema" in rule:
            out.update(record(rule["schema"], docs, path))
        if "keysrules" in rule:  # JSON keys are text: an integer key is digits
            keys = rule["keysrules"]
            out["propertyNames"] = {"pattern": f"^(?:{keys['regex']})$" if "regex" in keys
                                    else (r"^\d+$" if keys.get("type") == "integer" else ".*")}
        if "valuesrules" in rule:
            out["additionalProperties"] = convert(rule["valuesrules"])
    elif rule.get("type") == "list" and "schema" in rule:
        out["items"] = convert(rule["schema"], docs, path)
    return out


def record(fields: dict, docs: dict, path: str = "") -> dict:
    """A mapping of cerberus fields -> an object schema with required keys and no others."""
    props = {}
    for name, rule in fields.items():
        sub = f"{path}.{name}" if path else name
        prop = convert(rule, docs, sub)
        _describe(prop, docs.get(sub))
        props[name] = prop
    out = {"type": "object", "properties": props, "additionalProperties": False}
    required = [n for n, r in fields.items() if r.get("required")]
    if required:
        out["required"] = required
    return out


def _docs_for(kind: str) -> dict:
    """Dotted path -> texts for one kind; listeners and rules get their own sections."""
    t = texts()["fields"]
    docs = dict(t.get(kind, {}))
    if kind == "cohort":
        docs.update({f"listeners.{k}": v for k, v in t["listener"].items()})
    if kind in ("ruleset", "organisation"):
        for key in S.RULES:
            for part, v in t["rule"].items():
                docs[f"rules.{key}.{part}"] = v
    return docs


def schema(kind: str) -> dict:
    """The JSON Schema of one record kind (a key of schemas.SCHEMAS)."""
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{kind}.schema.json"}
    _describe(out, texts()["kinds"][kind])
    out.update(record(S.SCHEMAS[kind], _docs_for(kind)))
    return out


def schema_files() -> dict[str, str]:
    """File name -> JSON text of every kind's schema, as written into data/.schemas/."""
    return {f"{kind}.schema.json": json.dumps(schema(kind), ensure_ascii=False, indent=2) + "\n" for kind in S.SCHEMAS}


def first_line(data_dir: Path, file: Path, kind: str) -> str:
    """The editor's schema line for a data file: a path relative to the file."""
    rel = Path(*[".."] * (len(file.relative_to(data_dir).parts) - 1), SCHEMA_DIR, f"{kind}.schema.json")
    return f"# yaml-language-server: $schema={rel.as_posix()}"


def record_files(data_dir: Path):
    """(path, kind) of every record file of the data folder."""
    from biliktilik.load.dataset import discover

    return discover(Path(data_dir))[0]


def reference() -> str:
    """The data reference for staff (Markdown): every kind and field, its type and meaning."""
    lines = ["# Data reference / Деректер анықтамалығы / Справочник данных", "",
             "Generated by `biliktilik schemas` from `biliktilik/load/schemas.py` and `templates/staff/fields.yaml`; "
             "do not edit by hand. Editors complete and check fields with the JSON Schemas in `data/.schemas/`.", ""]
    for kind in S.SCHEMAS:
        k = texts()["kinds"][kind]
        folder = next((f"data/{f}/" for f, v in S.FOLDERS.items() if v == kind), None) or \
            next(f"data/{f}" for f, v in S.FILES.items() if v == kind)
        lines += [f"## {kind} (`{folder}`)", "", f"{k['en']}. {k['kk']}. {k['ru']}.", ""]
        sections = [("", S.SCHEMAS[kind], _docs_for(kind))]
        if kind == "cohort":
            sections.append(("listeners[].", S.LISTENER["schema"], {k2[len("listeners."):]: v for k2, v in _docs_for(kind).items()
                                                                     if k2.startswith("listeners.")}))
        for prefix, fields, docs in sections:
            lines += ["| field | type | required | English | Қазақша | По-русски | example |", "|---|---|---|---|---|---|---|"]
            for name, rule in fields.items():
                d = docs.get(name) or {}
                example = d.get("example")
                shown = "" if example is None else f"`{json.dumps(example, ensure_ascii=False)}`"
                lines.append(f"| `{prefix}{name}` | {_type(rule)} | {'yes' if rule.get('required') else ''} | "
                             f"{d.get('en', '')} | {d.get('kk', '')} | {d.get('ru', '')} | {shown} |")
            lines.append("")
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def _type(rule: dict) -> str:
    t = rule.get("type")
    t = " or ".join(t) if isinstance(t, list) else (t or "")
    if "allowed" in rule:
        t += ": " + ", ".join(rule["allowed"])
    elif (rule.get("meta") or {}).get("format"):
        t += f" ({rule['meta']['format']})"
    return t.replace("|", "/")


def write(data_dir: Path) -> list[Path]:
    """Write data/.schemas/*.schema.json and data/REFERENCE.md, and put the schema line first in every
    record file that lacks it (the rest of the file is kept byte for byte). Returns the files changed."""
    data_dir = Path(data_dir)
    changed = []

    def put(path: Path, text: str):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomically(path, text)
            changed.append(path)

    for name, text in schema_files().items():
        put(data_dir / SCHEMA_DIR / name, text)
    put(data_dir / REFERENCE, reference())
    for path, kind in record_files(data_dir):
        line = first_line(data_dir, path, kind)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the validator reports it
        lines = text.split("\n", 1)
        if lines[0].startswith("# yaml-language-server:"):
            if lines[0] != line:
                put(path, line + "\n" + (lines[1] if len(lines) > 1 else ""))
        else:
            put(path, line + "\n" + text)
    return changed
