"""The store: atomic publication, read-only entries, staging clean-up, entry.json."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import FillStore
from versioned_import.errors import StoreError
from versioned_import.store import Entry, Key, Store, layout, make_read_only, remove_tree

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _stage(staged: str, marker: str) -> None:
    """Fill a staging directory with a minimal entry whose site/ holds ``marker``."""
    site = Path(staged, layout.SITE_DIR)
    site.mkdir()
    (site / "marker.txt").write_text(marker, encoding="utf-8")


def _write_bits(top: str) -> list[str]:
    """Every path below ``top`` (top included) that still has a write bit; symlinks have no
    mode of their own, so they are skipped."""
    found = []
    for directory, _dirs, files in os.walk(top):
        for path in [directory, *(os.path.join(directory, f) for f in files)]:
            if not os.path.islink(path) and os.lstat(path).st_mode & _WRITE_BITS:
                found.append(path)
    return found


KEY = Key("demo", "1.0", "py3-none-any")


def _add(store: Store, key: Key, marker: str) -> bool:
    """Add an entry whose site/ holds ``marker``; whether it was published."""
    with store.adding(key) as addition:
        if addition is None:
            return False
        _stage(addition.path, marker)
    # Published by rename: the staged directory is gone, nothing is copied.
    assert not os.path.exists(addition.path)
    return addition.published


def _marker(store: Store, key: Key) -> str:
    return Path(store.entry_dir(key), layout.SITE_DIR, "marker.txt").read_text(encoding="utf-8")


def test_adding_moves_the_staged_directory_into_place_read_only(store: Store) -> None:
    assert _add(store, KEY, "first")
    assert _marker(store, KEY) == "first"
    assert _write_bits(store.entry_dir(KEY)) == []


def test_adding_an_existing_entry_is_a_no_op(store: Store) -> None:
    _add(store, KEY, "first")
    assert _add(store, KEY, "second") is False
    assert _marker(store, KEY) == "first"


def test_adding_loses_to_an_entry_published_while_it_was_staged(store: Store) -> None:
    with store.adding(KEY) as addition:
        assert addition is not None
        _stage(addition.path, "late")
        _add(store, KEY, "first")  # another installer wins the race meanwhile
    assert addition.published is False
    assert _marker(store, KEY) == "first"
    # The losing staging directory is cleaned up, not left as debris.
    assert os.listdir(layout.staging_dir(store.root)) == []


def test_adding_changes_the_generation_file(store: Store) -> None:
    _add(store, KEY, "x")
    before = Path(layout.generation_file(store.root)).read_text(encoding="ascii")
    _add(store, KEY._replace(version="2.0"), "x")
    after = Path(layout.generation_file(store.root)).read_text(encoding="ascii")
    assert after != before


def test_adding_that_finds_an_entry_leaves_the_generation_alone(store: Store) -> None:
    # Hooks recompute their plans when the generation changes; a no-op must not cost that.
    _add(store, KEY, "x")
    before = os.stat(layout.generation_file(store.root)).st_ino
    _add(store, KEY, "y")
    assert os.stat(layout.generation_file(store.root)).st_ino == before


def test_staging_is_removed_when_the_block_fails(store: Store) -> None:
    with pytest.raises(RuntimeError), store.adding(KEY) as addition:
        assert addition is not None
        _stage(addition.path, "half-written")
        make_read_only(addition.path)
        raise RuntimeError("installation failed half way")
    assert os.listdir(layout.staging_dir(store.root)) == []
    assert not os.path.exists(store.entry_dir(KEY))


def test_removing_takes_the_entry_out_and_prunes_its_parents(store: Store) -> None:
    _add(store, KEY, "x")
    before = Path(layout.generation_file(store.root)).read_text(encoding="ascii")
    with store.removing(KEY) as trash:
        assert trash is not None and os.path.isdir(trash)
        assert not os.path.exists(store.entry_dir(KEY))
    assert not os.path.exists(trash)
    assert os.listdir(layout.entries_dir(store.root)) == []
    assert Path(layout.generation_file(store.root)).read_text(encoding="ascii") != before


def test_removing_a_missing_entry_yields_none(store: Store) -> None:
    with store.removing(KEY) as trash:
        assert trash is None


def test_restore_puts_a_removed_entry_back_unless_another_was_published(store: Store) -> None:
    _add(store, KEY, "first")
    with store.removing(KEY) as trash:
        assert trash is not None
        assert store.restore(trash, KEY)
    assert _marker(store, KEY) == "first"
    assert _write_bits(store.entry_dir(KEY)) == []
    with store.removing(KEY) as trash:
        assert trash is not None
        _add(store, KEY, "second")
        assert store.restore(trash, KEY) is False
    assert _marker(store, KEY) == "second"


def test_installed_entries_are_read_only(fill_store: FillStore) -> None:
    store = fill_store(("demo", "1.0"))
    (entry,) = store.entries()
    # Mode bits, not a write attempt: the suite may run as root, who can write anyway.
    assert _write_bits(entry.path) == []


def test_remove_tree_deletes_a_read_only_tree(tmp_path: Path) -> None:
    top = tmp_path / "tree"
    (top / "a" / "b").mkdir(parents=True)
    (top / "a" / "b" / "file.txt").write_text("x", encoding="utf-8")
    (top / "a" / "link").symlink_to(top / "a" / "b" / "file.txt")
    make_read_only(str(top))
    assert _write_bits(str(top)) == []
    remove_tree(str(top))
    assert not top.exists()


def test_entries_are_sorted_and_read_back(fill_store: FillStore) -> None:
    store = fill_store(("zeta", "1.0"), ("alpha", "2.0"), ("alpha", "1.0"))
    found = [(e.name, e.version) for e in store.entries()]
    assert found == [("alpha", "1.0"), ("alpha", "2.0"), ("zeta", "1.0")]
    assert all(e.path == store.entry_dir(Key(e.name, e.version, e.tag)) for e in store.entries())


def test_entries_of_an_empty_store_is_empty(store: Store) -> None:
    assert store.entries() == []


def test_entries_of_reads_one_name_only(fill_store: FillStore) -> None:
    store = fill_store(("alpha", "1.0"), ("alpha", "2.0"), ("beta", "1.0"))
    Path(layout.entries_dir(store.root), "stray").write_text("", encoding="utf-8")
    assert [(e.name, e.version) for e in store.entries_of("alpha")] == [
        ("alpha", "1.0"),
        ("alpha", "2.0"),
    ]
    assert store.entries_of("gamma") == []
    assert store.entries_of("stray") == []  # a file where a name's directory belongs


def test_entry_json_round_trips_without_the_path(fill_store: FillStore) -> None:
    (entry,) = fill_store(("demo", "1.0")).entries()
    assert '"path"' not in entry.to_json()
    assert Entry.read(entry.path) == entry


@pytest.mark.parametrize(
    "content",
    [pytest.param("{not json", id="bad-json"), pytest.param('{"name": "demo"}', id="missing")],
)
def test_reading_a_damaged_entry_names_the_file(tmp_path: Path, content: str) -> None:
    directory = tmp_path / "entry"
    directory.mkdir()
    (directory / layout.ENTRY_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(StoreError) as excinfo:
        Entry.read(str(directory))
    message = str(excinfo.value)
    assert str(directory / layout.ENTRY_FILE) in message
    assert "install the wheel again" in message


def test_reading_a_missing_entry_json_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="damaged store entry"):
        Entry.read(str(tmp_path))


def test_require_fails_for_a_missing_store(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "nowhere"))
    with pytest.raises(StoreError) as excinfo:
        store.require()
    assert str(tmp_path / "nowhere") in str(excinfo.value)
    assert "VIMPORT_STORE" in str(excinfo.value)


def test_store_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Store("relative").root == str(tmp_path / "relative")


def test_a_store_with_entries_is_marked_as_installed_code(
    fill_store: FillStore, store: Store
) -> None:
    # coverage.py counts directories on sys.path below a pyvenv.cfg as third-party code.
    assert not os.path.exists(store.root)
    store.mark_third_party()  # no store yet: nothing is created
    assert not os.path.exists(store.root)

    fill_store(("alpha", "1.0"))

    marker = Path(store.root, "pyvenv.cfg")
    assert marker.read_text().startswith("# versioned-import store, not a virtual environment")
    assert oct(marker.stat().st_mode & 0o777) == oct(0o644)
