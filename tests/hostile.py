"""A hostile copy of data/: every free-text string of every record kind starts with script payloads.

``hostile_copy(src, dst)`` copies ``src`` (a data/ folder) to ``dst``, walks every YAML record of
the organisations, programmes and cohorts (and the rule sets' texts) and prefixes each free-text
string (one with a Cyrillic letter: titles, descriptions, topics, literature, organisation names,
addresses and heads, cohort cities, trainers, employers, positions (not listener names: see _KEEP) ...) with
``PAYLOAD``. Ids, dates, numbers, IINs, phones, e-mails, web addresses and enumerations are
ASCII and are left alone, so the data stays valid. The ledger is emptied and every certificate
taken off the listeners; ``issue`` then gives each cohort's graduates new numbers and tokens, so
the ledger states the hostile names and titles and every verification page exists.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

#: Every payload in one prefix. ``window.__pwn`` records a call; an execution anywhere is a failure.
PAYLOADS = [
    "<img src=x onerror=__pwn(1)>",
    '"><script>__pwn(2)</script>',
    "</script><script>__pwn(3)</script>",
    "javascript:__pwn(4)",
    "{{7*7}}",
    "[x](javascript:__pwn(5))",
    "' onmouseover='__pwn(6)",
]
PAYLOAD = " ".join(PAYLOADS)

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
#: Keys whose strings must keep their value (references between records, enumerations).
_KEEP = {"id", "programme", "organisation", "cohort", "iin", "phone", "email", "work_phone", "website",
         "number", "token", "listener", "replaces", "format", "language", "outcome", "kind", "key",
         # a listener's surname, given name and patronymic: markup there is an error (name.character,
         # tests/test_staff_trial.py), so no certificate is issued to it; the titles, organisation
         # names, employers and positions around it still carry the payload onto every page
         "surname", "given", "patronymic"}


#: A web address the schema accepts (``https?://\\S+``) that tries to leave its attribute.
WEBSITE = 'https://example.kz/"><script>__pwn(7)</script><a/href="javascript:__pwn(8)"'


def _hostile(node, key=None):
    """Rewrite ``node`` in place; return the (possibly new) value for scalars."""
    if isinstance(node, CommentedMap):
        for k in list(node.keys()):
            if k == "website" and isinstance(node[k], str):
                node[k] = WEBSITE
                continue
            if k in _KEEP:
                continue
            node[k] = _hostile(node[k], k)
        return node
    if isinstance(node, CommentedSeq):
        for i, v in enumerate(node):
            node[i] = _hostile(v, key)
        return node
    if isinstance(node, str) and _CYRILLIC.search(node):
        return f"{PAYLOAD} {node}"
    return node


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    return y


def hostile_copy(src: Path, dst: Path) -> Path:
    """Copy data/ ``src`` to ``dst`` with hostile free text; issue every certificate anew. Returns dst."""
    from biliktilik.issuing import IssueError, issue


    shutil.copytree(src, dst)
    y = _yaml()
    folders = ["organisations", "programmes", "cohorts", "rulesets"]
    for folder in folders:
        for path in sorted((dst / folder).glob("*.yaml")):
            doc = y.load(path.read_text(encoding="utf-8"))
            if folder == "cohorts":
                for listener in doc.get("listeners") or []:
                    if isinstance(listener, CommentedMap):
                        listener.pop("certificate", None)
            if folder != "rulesets":
                _hostile(doc)
            with path.open("w", encoding="utf-8") as fh:
                y.dump(doc, fh)
    ledger = dst / "ledger.yaml"
    doc = y.load(ledger.read_text(encoding="utf-8"))
    doc["certificates"] = CommentedSeq()
    with ledger.open("w", encoding="utf-8") as fh:
        y.dump(doc, fh)
    for path in sorted((dst / "cohorts").glob("*.yaml")):
        try:
            issue(dst, path.stem)
        except IssueError:
            pass  # nobody passed (yet) in this cohort
    return dst
