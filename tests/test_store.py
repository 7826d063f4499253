"""The store: atomic publication, read-only entries, staging clean-up, entry.json."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import FillStore
from versioned_import import layout
from versioned_import.errors import StoreError
from versioned_import.store import Entry, Store, make_read_only, remove_tree

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


def test_publish_moves_the_staged_directory_into_place(store: Store) -> None:
    with store.staging() as staged:
        _stage(staged, "first")
        assert store.publish(staged, "demo", "1.0", "py3-none-any")
        # Published by rename: the staged directory is gone, nothing is copied.
        assert not os.path.exists(staged)
    target = Path(store.entry_dir("demo", "1.0", "py3-none-any"))
    assert (target / layout.SITE_DIR / "marker.txt").read_text(encoding="utf-8") == "first"


def test_publish_never_replaces_an_existing_entry(store: Store) -> None:
    with store.staging() as staged:
        _stage(staged, "first")
        store.publish(staged, "demo", "1.0", "py3-none-any")
    with store.staging() as staged:
        _stage(staged, "second")
        assert store.publish(staged, "demo", "1.0", "py3-none-any") is False
    target = Path(store.entry_dir("demo", "1.0", "py3-none-any"))
    assert (target / layout.SITE_DIR / "marker.txt").read_text(encoding="utf-8") == "first"
    # The losing staging directory is cleaned up, not left as debris.
    assert os.listdir(layout.staging_dir(store.root)) == []


def test_publish_changes_the_generation_file(store: Store) -> None:
    with store.staging() as staged:
        _stage(staged, "x")
        store.publish(staged, "demo", "1.0", "py3-none-any")
    before = Path(layout.generation_file(store.root)).read_text(encoding="ascii")
    with store.staging() as staged:
        _stage(staged, "x")
        store.publish(staged, "demo", "2.0", "py3-none-any")
    after = Path(layout.generation_file(store.root)).read_text(encoding="ascii")
    assert after != before


def test_publish_that_finds_an_entry_leaves_the_generation_alone(store: Store) -> None:
    # Hooks recompute their plans when the generation changes; a no-op must not cost that.
    with store.staging() as staged:
        _stage(staged, "x")
        store.publish(staged, "demo", "1.0", "py3-none-any")
    before = os.stat(layout.generation_file(store.root)).st_ino
    with store.staging() as staged:
        _stage(staged, "y")
        store.publish(staged, "demo", "1.0", "py3-none-any")
    assert os.stat(layout.generation_file(store.root)).st_ino == before


def test_staging_is_removed_when_the_block_fails(store: Store) -> None:
    with pytest.raises(RuntimeError), store.staging() as staged:
        _stage(staged, "half-written")
        make_read_only(staged)
        raise RuntimeError("installation failed half way")
    assert os.listdir(layout.staging_dir(store.root)) == []


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
    assert all(e.path == store.entry_dir(e.name, e.version, e.tag) for e in store.entries())


def test_entries_of_an_empty_store_is_empty(store: Store) -> None:
    assert store.entries() == []


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
