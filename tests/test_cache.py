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


def test_a_damaged_output_cache_entry_is_a_miss_never_a_hang(tmp_path):
    """A pack whose header gives a negative length (once an endless loop) or no number is a miss."""
    from biliktilik.build.cache import OutputCache

    cache = OutputCache(tmp_path / "outputs")
    cache.put("kind", "k" * 64, [("a.txt", b"hello")])
    assert cache.get("kind", "k" * 64) == [("a.txt", b"hello")]
    path = tmp_path / "outputs" / "kind" / "kk" / ("k" * 64)
    for header in (b"0:-5\n", b"-1:2\nab", b"x:1\na", b"5:5\nshort"):
        path.write_bytes(header)
        assert cache.get("kind", "k" * 64) is None


def test_compiled_templates_damaged_on_disk_are_compiled_again(tmp_path):
    """jinja2's bytecode cache files, truncated or overwritten, cost a compilation, not the build."""
    from generators.kit import jinja

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.html").write_text("{% for x in items %}<{{ x }}>{% endfor %}", encoding="utf-8")
    jinja.use_folder(tmp_path / "bytecode")
    try:
        assert jinja.environment(folder, autoescape=True).get_template("t.html").render(items=[1, "&"]) == "<1><&amp;>"
        kept = [p for p in (tmp_path / "bytecode").rglob("*.cache")]
        assert kept
        from jinja2.bccache import bc_magic

        for path in kept:  # the header intact, the source checksum cut short: jinja2 alone raises EOFError
            path.write_bytes(path.read_bytes()[:len(bc_magic) + 3])
        assert jinja.environment(folder, autoescape=True).get_template("t.html").render(items=[2]) == "<2>"
    finally:
        jinja.use_folder(None)


def test_invalid_data_crosses_a_pipe_with_its_findings():
    """A build's lane sends what it raised to the build through a pipe (pickle): InvalidData keeps
    its findings, so the build shows them (it used to fail rebuilding it from its message)."""
    import pickle

    from biliktilik.findings import Finding, InvalidData

    exc = InvalidData([Finding("templates/certificates/blank-positions.yaml", 3, 1, "error", "positions.x", "x")])
    back = pickle.loads(pickle.dumps(exc))
    assert isinstance(back, InvalidData) and back.findings == exc.findings and str(back) == str(exc)
