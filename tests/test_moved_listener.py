"""A listener moved to another cohort after issuing: the validator's hint is a command that works,
and following it leaves no error."""

from __future__ import annotations

import re

from biliktilik.cli.main import main
from biliktilik.issuing import ledger_entries
from biliktilik.validate import validate


def _move(data, source: str, listener: str, target: str, new_id: str):
    """Cut the listener's block (``  - id: <listener>`` up to the next listener) out of ``source``
    and append it to ``target``'s listeners with ``new_id``."""
    src = data / "cohorts" / f"{source}.yaml"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {listener}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: ")), len(lines))
    block = lines[start:end]
    block[0] = block[0].replace(f"- id: {listener}", f"- id: {new_id}")
    src.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    dst = data / "cohorts" / f"{target}.yaml"
    text = dst.read_text(encoding="utf-8")
    dst.write_text(text + ("" if text.endswith("\n") else "\n") + "".join(block), encoding="utf-8")


def test_following_the_hint_after_a_move_gives_no_error(data_copy, capsys):
    before = {e["number"]: e for e in ledger_entries(validate(data_copy, use_cache=False).dataset)}
    assert before["NIT-2026-0002"]["listener"] == "2026-02-tor-ru/l02"
    _move(data_copy, "2026-02-tor-ru", "l02", "2025-10-tor-kk", "l20")

    errors = validate(data_copy, use_cache=False).errors
    assert errors, "a moved certificate holder must be reported"
    assert {f.code for f in errors} <= {"ledger.holder", "ledger.changed"}
    hints = {m for f in errors for m in re.findall(r"`(biliktilik correct [^`]+)`", f.message)}
    assert hints == {"biliktilik correct --number NIT-2026-0002"}, [f.text() for f in errors]
    holder = next(f for f in errors if f.code == "ledger.holder")
    assert "2025-10-tor-kk/l20" in holder.message and "2026-02-tor-ru/l02" in holder.message

    args = hints.pop().split()[1:]
    assert main(args + ["--data", str(data_copy), "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert "2025-10-tor-kk/l20" in printed and "replaces NIT-2026-0002" in printed

    checked = validate(data_copy, use_cache=False)
    assert checked.errors == [], [f.text() for f in checked.errors]
    after = {e["number"]: e for e in ledger_entries(checked.dataset)}
    old = after["NIT-2026-0002"]
    new = after[old["replaced_by"]]
    assert old["listener"] == "2026-02-tor-ru/l02"  # the ledger keeps where it was issued
    assert new["listener"] == "2025-10-tor-kk/l20" and new["replaces"] == "NIT-2026-0002"
    assert new["issued"] == old["issued"]  # a correction does not extend the validity
    assert len(after) == len(before) + 1


def test_correct_still_refuses_a_number_nobody_holds(data_copy, capsys):
    """Only a certificate that one listener carries is followed; a deleted holder is not 'moved'."""
    src = data_copy / "cohorts" / "2026-02-tor-ru.yaml"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == "- id: l02")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: "))
    src.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    assert main(["correct", "--number", "NIT-2026-0002", "--data", str(data_copy), "--no-cache"]) == 1
    assert "is not held by 2026-02-tor-ru/l02" in capsys.readouterr().err
