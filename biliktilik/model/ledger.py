"""Reading the certificate ledger (``data/ledger.yaml``): every certificate ever issued, with the
facts it states and their sha256. Only :mod:`biliktilik.issuing` writes it."""

from __future__ import annotations

from pathlib import Path

LEDGER_FILE = "ledger.yaml"  # under the data folder


def ledger_record(ds):
    """The ledger's Record in the dataset ``ds``, or None when there is no ledger."""
    return ds.ledgers.get(Path(LEDGER_FILE).stem)


def ledger_entries(ds) -> list[dict]:
    """The ledger's certificate entries (plain dicts, in file order); [] without a ledger or
    when its ``certificates`` is not a list (the schema check reports that)."""
    rec = ledger_record(ds)
    entries = rec.data.get("certificates") if rec is not None else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
