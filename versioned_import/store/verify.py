"""``vimport verify``: every entry checked against the RECORD its installer wrote.

For each ``entries/NAME/VERSION/TAG`` directory:

- ``entry.json`` reads, and its name (canonicalized), version and tag are the directory's;
- the dist-info directory it names exists and holds a RECORD;
- every file RECORD lists is a regular file inside the entry, of RECORD's size and hash. RECORD's
  paths are relative to ``site/``; ``../bin/x`` reaches the wheel's other schemes. Only RECORD
  itself (and its signatures) may lack a hash;
- nothing else is there but ``entry.json`` and bytecode beside its source: a
  ``__pycache__/NAME.*.pyc`` whose ``NAME.py`` RECORD lists. The installer compiles those, and
  another interpreter sharing the store may add its own, but RECORD never lists them. Any other
  file is flagged: an extra module in a package, or a sourceless ``.pyc`` (which Python imports),
  changes what a project runs. The contents of bytecode cannot be checked: RECORD has no hash.

Every problem is collected before any is reported.

``fix`` reinstalls each damaged entry from the wheel ``entry.json`` names (``source``), when
that wheel is at hand with the recorded sha256: a file that still exists, or a URL the caller's
``fetch`` downloads. A published entry is never replaced in place: ``Store.removing`` takes it
out, the wheel is installed anew by ``install_wheel``, and a failed install puts it back.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import posixpath
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from versioned_import._runtime.fs import file_digest
from versioned_import.errors import StoreError, VersionedImportError
from versioned_import.store import Entry, Store, layout
from versioned_import.store.install import install_wheel
from versioned_import.store.layout import Key

__all__ = ["Fetch", "Fixed", "Problem", "Report", "fix", "verify_entry", "verify_store"]

Fetch = Callable[[Entry, str], str]
"""Downloads the wheel at the URL ``entry.source`` into a directory; returns the file's path.
Raises ``VersionedImportError`` when it cannot."""

_HASHLESS = ("RECORD", "RECORD.jws", "RECORD.p7s")
"""The dist-info files RECORD may list without a hash."""


@dataclass(frozen=True)
class Problem:
    entry: str
    """The entry's directory."""
    file: str
    """The file, relative to the entry's directory (``site/pkg/mod.py``, ``bin/tool``)."""
    what: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.file}: {self.what}"


@dataclass(frozen=True)
class Report:
    entries: int
    files: int
    """How many files RECORD listed, all entries together."""
    problems: list[Problem]

    def damaged(self) -> list[str]:
        """The entries with at least one problem, in order."""
        return sorted({p.entry for p in self.problems})


@dataclass(frozen=True)
class Fixed:
    reinstalled: list[Entry]
    problems: list[Problem]
    """What is still wrong: the problems of entries whose wheel was not at hand, with why."""


def verify_store(store: Store) -> Report:
    """Check every entry of ``store``; nothing is changed."""
    store.require()
    entries, strays = layout.entry_dirs(store.root)
    problems = [Problem(p, ".", "not an entry directory; remove it") for p in strays]
    files = 0
    for key, path in entries.items():
        count, found = verify_entry(path, key)
        files += count
        problems += found
    return Report(len(entries), files, sorted(problems, key=lambda p: (p.entry, p.file)))


def verify_entry(path: str, key: Key) -> tuple[int, list[Problem]]:
    """Check the entry at ``path``, whose directory names are ``key``; returns how many files
    RECORD lists and every problem found."""
    problems: list[Problem] = []
    entry = _read_entry(path, key, problems)
    dist_info = _dist_info(path, entry, problems)
    if dist_info is None:
        return 0, problems
    record = f"{layout.SITE_DIR}/{dist_info}/RECORD"
    try:
        with open(os.path.join(path, record), encoding="utf-8", newline="") as f:
            rows = [row for row in csv.reader(f) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(path, record, f"unreadable ({exc}); the file list is lost"))
        return 0, problems
    listed = set()
    for row in rows:
        relative, what = _check_row(path, dist_info, row)
        listed.add(relative)
        if what:
            problems.append(Problem(path, relative, what))
    problems += _unlisted(path, listed)
    return len(rows), problems


def _read_entry(path: str, key: Key, problems: list[Problem]) -> Entry | None:
    """The entry's ``entry.json``, checked against its directory names."""
    from packaging.utils import canonicalize_name

    entry, what = _load(path)
    if entry is None:
        problems.append(Problem(path, layout.ENTRY_FILE, what))
        return None
    said = (canonicalize_name(entry.name), entry.version, entry.tag)
    named = (key.name, key.version, layout.wheel_tag(key.tag))
    for field, value, expected in zip(("name", "version", "tag"), said, named, strict=True):
        if value != expected:
            problems.append(
                Problem(
                    path,
                    layout.ENTRY_FILE,
                    f"says {field} {value!r}, the directory says {expected!r}",
                )
            )
    content = key.tag.partition("+")[2]
    if content and not entry.sha256.startswith(content):
        what = f"says sha256 {entry.sha256}, the directory says {content}..."
        problems.append(Problem(path, layout.ENTRY_FILE, what))
    return entry


def _load(path: str) -> tuple[Entry | None, str]:
    """The entry's ``entry.json``, or None and what is wrong with it."""
    try:
        entry = Entry.read(path)
    except StoreError as exc:
        cause = exc.__cause__
        return None, "missing" if isinstance(cause, FileNotFoundError) else f"unreadable ({cause})"
    # JSON of the wrong shape reads without error; every later check needs these to be text.
    wrong = [f for f in _TEXT_FIELDS if not isinstance(getattr(entry, f), str)]
    if wrong:
        return None, f"unreadable (not text: {', '.join(wrong)})"
    return entry, ""


_TEXT_FIELDS = ("name", "version", "tag", "dist_info", "source", "sha256")


def _dist_info(path: str, entry: Entry | None, problems: list[Problem]) -> str | None:
    """The entry's dist-info directory name: the one ``entry.json`` names, or, without a
    readable ``entry.json``, the only one in ``site/``."""
    site = os.path.join(path, layout.SITE_DIR)
    if entry is not None:
        if os.path.isdir(os.path.join(site, entry.dist_info)):
            return entry.dist_info
        what = "missing (entry.json names it)"
        problems.append(Problem(path, f"{layout.SITE_DIR}/{entry.dist_info}", what))
        return None
    with contextlib.suppress(OSError):
        found = [n for n in os.listdir(site) if n.endswith(".dist-info")]
        if len(found) == 1:
            return found[0]
    problems.append(Problem(path, layout.SITE_DIR, "no single .dist-info directory to check"))
    return None


def _check_row(path: str, dist_info: str, row: list[str]) -> tuple[str, str | None]:
    """One RECORD line: the file relative to the entry, and what is wrong with it, if anything."""
    # Both lib schemes install into site/, so installer may record a file as "./x".
    relative = posixpath.normpath(posixpath.join(layout.SITE_DIR, row[0]))
    if len(row) != 3:
        return relative, f"RECORD line has {len(row)} fields, not 3"
    _, digest, size = row
    if posixpath.isabs(row[0]) or relative.startswith("../"):
        return relative, "RECORD points outside the entry"
    if size and not size.isdigit():
        return relative, f"RECORD gives the size {size!r}, not a number"
    if not digest and relative not in {f"site/{dist_info}/{n}" for n in _HASHLESS}:
        return relative, "RECORD gives no hash, so its content cannot be checked"
    return relative, _check_file(os.path.join(path, *relative.split("/")), digest, size)


def _check_file(full: str, digest: str, size: str) -> str | None:
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if size and st.st_size != int(size):
        return f"size {st.st_size}, RECORD says {size}"
    if not digest:
        return None
    algorithm, _, expected = digest.partition("=")
    if algorithm not in hashlib.algorithms_guaranteed or algorithm.startswith("shake_"):
        return f"RECORD's hash algorithm {algorithm!r} is not one this Python checks"
    try:
        actual = layout.record_digest(file_digest(full, algorithm), algorithm).partition("=")[2]
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if actual != expected:
        return f"content changed: {algorithm} {actual}, RECORD says {expected}"
    return None


def _unlisted(path: str, listed: set[str]) -> list[Problem]:
    """Files in the entry that neither RECORD nor the installer accounts for."""
    problems = []
    for directory, _dirs, files in os.walk(path):
        for name in files:
            relative = os.path.relpath(os.path.join(directory, name), path).replace(os.sep, "/")
            expected = relative == layout.ENTRY_FILE or relative in listed
            if not expected and not _is_bytecode_of(relative, listed):
                problems.append(Problem(path, relative, "not in RECORD; no wheel installed it"))
    return sorted(problems, key=lambda p: p.file)


def _is_bytecode_of(relative: str, listed: set[str]) -> bool:
    """True for ``d/__pycache__/NAME.TAG[.opt-N].pyc`` with ``d/NAME.py`` in RECORD: cached
    bytecode, which Python reads only for a source file that exists."""
    cache_dir, _, file = relative.rpartition("/")
    parent, _, pycache = cache_dir.rpartition("/")
    if pycache != "__pycache__" or not file.endswith(".pyc"):
        return False
    source = f"{file.partition('.')[0]}.py"
    return (f"{parent}/{source}" if parent else source) in listed


def fix(store: Store, report: Report, fetch: Fetch) -> Fixed:
    """Reinstall every damaged entry of ``report`` whose wheel is at hand: a file, or a URL
    that ``fetch`` downloads."""
    reinstalled: list[Entry] = []
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="vimport-verify-") as downloads:
        for path in report.damaged():
            found = [p for p in report.problems if p.entry == path]
            if not os.path.isdir(path):  # a stray file among the entries: nothing to reinstall
                problems += found
                continue
            entry, wheel, why = _wheel_at_hand(path, downloads, fetch)
            if entry is None or wheel is None:
                problems += [*found, Problem(path, layout.ENTRY_FILE, f"wheel not at hand: {why}")]
                continue
            try:
                reinstalled.append(_reinstall(store, path, entry, wheel))
            except (VersionedImportError, OSError) as exc:
                problems += [*found, Problem(path, layout.ENTRY_FILE, f"reinstall failed: {exc}")]
                continue
            problems += verify_entry(path, layout.key_of(path))[1]
    return Fixed(reinstalled, problems)


def _wheel_at_hand(path: str, downloads: str, fetch: Fetch) -> tuple[Entry | None, str | None, str]:
    """The entry, the wheel it was installed from, or None and why not."""
    entry, _ = _load(path)
    if entry is None:
        return None, None, "entry.json is unreadable, so the wheel it came from is unknown"
    if not entry.source:
        return entry, None, "entry.json records no source"
    wheel, why = _obtain(entry, downloads, fetch)
    if wheel is None:
        return entry, None, f"{entry.source} ({why})"
    key = layout.key_of(path)
    if _wheel_key(wheel) != key._replace(tag=layout.wheel_tag(key.tag)):
        return entry, None, f"{entry.source} (its file name is not this entry's)"
    return entry, wheel, ""


def _obtain(entry: Entry, downloads: str, fetch: Fetch) -> tuple[str | None, str]:
    """A local file of the entry's wheel, hash-checked; or None and why not."""
    if "://" in entry.source:
        try:
            wheel = fetch(entry, downloads)
        except VersionedImportError as exc:
            return None, str(exc)
    elif os.path.isfile(entry.source):
        wheel = entry.source
    else:
        return None, "no such file"
    try:
        # Checked here for a fetched wheel too: whatever pip did, this is the file installed.
        actual = file_digest(wheel).hex()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror}"
    if actual != entry.sha256:
        return None, f"its sha256 is {actual}, the entry was installed from {entry.sha256}"
    return wheel, ""


def _wheel_key(wheel: str) -> Key | None:
    try:
        return layout.wheel_key(wheel)
    except ValueError:
        return None


def _reinstall(store: Store, path: str, entry: Entry, wheel: str) -> Entry:
    """Take the damaged entry at ``path`` out and install ``wheel`` in its place. When the
    install fails, the damaged entry is put back, so the store is as it was, and the error
    raised."""
    key = layout.key_of(path)
    by_content = key.tag != layout.wheel_tag(key.tag)
    with store.removing(key) as trash:
        try:
            return install_wheel(store, wheel, source=entry.source, by_content=by_content)[0]
        except BaseException:
            if trash is not None:
                store.restore(trash, key)
            raise
