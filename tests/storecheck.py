"""Checks that a store is not corrupted, shared by the robustness tests.

A store is sound when every directory under ``entries/`` is a whole entry (its ``entry.json``
names that very directory and every file its RECORD lists is there with the recorded hash and
size), and nothing else is there. A failed or killed install may leave debris in ``staging/``
only, and the next install removes it.
"""

from __future__ import annotations

import csv
import os
import posixpath
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name

from versioned_import.store import Entry, Store, layout
from versioned_import.wheelbuild import record_hash

__all__ = [
    "Snapshot",
    "assert_entry_holds_wheel",
    "assert_nothing_written",
    "assert_store_sound",
    "snapshot",
    "staging_leftovers",
]

Snapshot = dict[str, tuple[int, int, int, int, int]]


def snapshot(top: str | Path) -> Snapshot:
    """Every path below ``top`` (top included) -> (mode, size, inode, mtime_ns, ctime_ns).

    ctime moves with any write, chmod or rename, so equal snapshots mean nothing was touched
    even where permissions would not have stopped a writer (root ignores them)."""
    found: Snapshot = {}
    for directory, dirs, files in os.walk(top):
        for name in [".", *dirs, *files]:
            path = os.path.normpath(os.path.join(directory, name))
            st = os.lstat(path)
            key = os.path.relpath(path, top)
            found[key] = (st.st_mode, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    return found


def staging_leftovers(store: Store) -> list[str]:
    staging = layout.staging_dir(store.root)
    return sorted(os.listdir(staging)) if os.path.isdir(staging) else []


def assert_nothing_written(store: Store) -> None:
    """What a refused install may leave: no entry (not even an empty directory), no staging."""
    entries = layout.entries_dir(store.root)
    assert not os.path.exists(entries) or os.listdir(entries) == [], os.listdir(entries)
    assert staging_leftovers(store) == []


def _assert_entry_whole(directory: str, name: str, version: str, tag: str) -> Entry:
    entry = Entry.read(directory)  # raises StoreError for a missing or partial entry.json
    assert (canonicalize_name(entry.name), entry.version, entry.tag) == (name, version, tag)
    site = entry.site_dir
    record = os.path.join(site, entry.dist_info, "RECORD")
    with open(record, encoding="utf-8", newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    assert rows, f"{record} is empty"
    for path, digest, size in rows:
        full = os.path.normpath(os.path.join(site, path))
        assert os.path.isfile(full), f"{record} lists {path}, which is missing"
        if digest:
            with open(full, "rb") as f:
                data = f.read()
            assert (record_hash(data), len(data)) == (digest, int(size)), f"{full} differs"
    return entry


def assert_store_sound(store: Store) -> list[Entry]:
    """Every directory under ``entries/`` is a whole entry; returns them."""
    top = layout.entries_dir(store.root)
    found = []
    # os.listdir, not Store.entries(): a hidden leftover must count as corruption too.
    for name in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        for version in sorted(os.listdir(os.path.join(top, name))):
            for tag in sorted(os.listdir(os.path.join(top, name, version))):
                directory = os.path.join(top, name, version, tag)
                found.append(_assert_entry_whole(directory, name, version, tag))
    return found


def assert_entry_holds_wheel(entry: Entry, wheel: str | Path) -> None:
    """Every file of ``wheel`` is in ``entry`` with its bytes, and every path the wheel's RECORD
    promises is there (scripts only exist: their ``#!python`` line is rewritten)."""
    data_dir = entry.dist_info.removesuffix(".dist-info") + ".data/"
    schemes = {"purelib": "site", "platlib": "site", "scripts": "bin", "data": "data"}
    schemes["headers"] = "include"

    def installed(member: str) -> str:
        # "pkg/./m.py" lands where "pkg/m.py" would; installers resolve the name the same way.
        member = posixpath.normpath(member)
        if member.startswith(data_dir):
            scheme, _, rest = member[len(data_dir) :].partition("/")
            return os.path.join(entry.path, schemes[scheme], rest)
        return os.path.join(entry.site_dir, member)

    with zipfile.ZipFile(wheel) as archive:
        record = archive.read(f"{entry.dist_info}/RECORD").decode("utf-8")
        promised = {row[0] for row in csv.reader(record.splitlines()) if row}
        for info in archive.infolist():
            if info.is_dir() or info.filename == f"{entry.dist_info}/RECORD":
                continue
            path = installed(info.filename)
            assert os.path.isfile(path), f"{info.filename} of {wheel} is not in {entry.path}"
            if not info.filename.startswith(f"{data_dir}scripts/"):
                assert Path(path).read_bytes() == archive.read(info), f"{path} differs"
    for member in promised:
        if not member.endswith("/"):  # a directory entry; installers skip those
            assert os.path.isfile(installed(member)), f"RECORD of {wheel} promises {member}"
