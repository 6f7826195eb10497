"""After a change to one file, only that file is read again, and findings stay exact."""

from __future__ import annotations

import os

from biliktilik.load.dataset import load_dataset
from biliktilik.validate import validate


def test_only_the_changed_file_is_read_again(data_copy, tmp_path):
    cache = tmp_path / "c"
    first = load_dataset(data_copy, cache)
    assert first.files_read > 5 and first.files_cached == 0
    second = load_dataset(data_copy, cache)
    assert second.files_read == 0 and second.files_cached == first.files_read
    target = data_copy / "cohorts" / "2025-10-tor-kk.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("attendance: 0.95", "attendance: 0.5"), encoding="utf-8")
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    third = load_dataset(data_copy, cache)
    assert third.files_read == 1


def test_findings_from_cached_data_keep_their_lines(data_copy, tmp_path):
    cache = tmp_path / "c"
    target = data_copy / "cohorts" / "2025-10-tor-kk.yaml"
    text = target.read_text(encoding="utf-8").replace("attendance: 0.95", "attendance: 0.5")
    target.write_text(text, encoding="utf-8")
    cold = [f for f in validate(data_copy, cache).findings if f.severity == "error"]
    warm = [f for f in validate(data_copy, cache).findings if f.severity == "error"]
    assert cold == warm and len(cold) == 1
    line = text.splitlines()[cold[0].line - 1]
    assert "attendance: 0.5" in line


def test_a_same_size_edit_with_the_old_mtime_is_read_again(data_copy, tmp_path):
    """An edit that keeps the size and puts the mtime back (os.utime, as some tools do) is still seen."""
    cache = tmp_path / "c"
    target = data_copy / "cohorts" / "2025-10-tor-kk.yaml"
    assert not [f for f in validate(data_copy, cache).findings if f.severity == "error"]
    before = target.stat()
    text = target.read_text(encoding="utf-8")
    changed = text.replace("attendance: 0.95", "attendance: 0.50", 1)
    assert changed != text and len(changed.encode()) == len(text.encode())
    target.write_text(changed, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    ds = load_dataset(data_copy, cache)
    assert ds.files_read == 1
    errors = [f for f in validate(data_copy, cache).findings if f.severity == "error"]
    assert [f.code for f in errors] == ["listener.attendance"] and f"{errors[0].file}".endswith("2025-10-tor-kk.yaml")
