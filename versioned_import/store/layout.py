"""The store's layout on disk: every path, key and walk over it is written here, once.

::

    STORE/
      generation                      rewritten on every change; the hook's plans depend on it
      entries/NAME/VERSION/TAG/       one published entry per wheel, read-only
      entries/NAME/VERSION/TAG+HASH/  a wheel built from local files, kept by its content
        site/                         the import root (purelib and platlib)
        bin/ data/ include/           the wheel's other schemes
        entry.json                    what the resolver and the hook need, computed at install
      staging/                        entries being built; never read by the hook
      locks/                          one mutex file per distribution name
      roots/                          one file per project that resolved here, for gc
      trash/                          entries being removed: renamed here under the name's
                                      mutex, then deleted; never read by the hook

The hook's plans live in the user's cache directory, not here
(``versioned_import._runtime.plan.plan_file``), so a store can be mounted read-only.
"""

from __future__ import annotations

import base64
import os
from typing import NamedTuple

from versioned_import._runtime.storelayout import (
    ENTRY_FILE,
    SITE_DIR,
    entries_dir,
    generation_file,
    list_names,
    name_entry_dirs,
    roots_dir,
    subdirs,
)

__all__ = [
    "BIN_DIR",
    "ENTRY_FILE",
    "SCHEMES",
    "SITE_DIR",
    "Key",
    "content_key",
    "entries_dir",
    "entry_dirs",
    "entry_dirs_of",
    "entry_path",
    "generation_file",
    "key_of",
    "list_names",
    "mutex_dir",
    "record_digest",
    "roots_dir",
    "script_files",
    "staging_dir",
    "trash_dir",
    "wheel_key",
    "wheel_tag",
]

BIN_DIR = "bin"
SCHEMES = {
    "purelib": SITE_DIR,
    "platlib": SITE_DIR,
    "scripts": BIN_DIR,
    "data": "data",
    "headers": "include",
}
"""Where each of a wheel's install schemes goes inside an entry."""


class Key(NamedTuple):
    """An entry's identity, and its directory names."""

    name: str
    """Canonical."""
    version: str
    """Normalized."""
    tag: str
    """The wheel's compressed tag set, e.g. ``py3-none-any``."""


def entry_path(root: str, key: Key) -> str:
    return os.path.join(entries_dir(root), *key)


def key_of(entry: str) -> Key:
    """The key of the entry directory ``entry``."""
    version_dir, tag = os.path.split(os.path.normpath(entry))
    name_dir, version = os.path.split(version_dir)
    return Key(os.path.basename(name_dir), version, tag)


def wheel_key(filename: str) -> Key:
    """The key of the entry a wheel file installs; raises ``ValueError`` for a bad name."""
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    basename = os.path.basename(filename)
    try:
        name, version, _build, _tags = parse_wheel_filename(basename)
    except InvalidWheelFilename as exc:
        raise ValueError(str(exc)) from exc
    tag = "-".join(basename[:-4].rsplit("-", 3)[1:])
    return Key(canonicalize_name(name), str(version), tag)


def content_key(key: Key, sha256: str) -> Key:
    """The key of an entry kept by its wheel's content: a wheel built from local files can be
    rebuilt at the same version with other code, and both builds must sit side by side (a lock
    names one of them by its sha256)."""
    return Key(key.name, key.version, f"{key.tag}+{sha256[:16]}")


def wheel_tag(key_tag: str) -> str:
    """The wheel's tag set in an entry directory's name, without a content suffix."""
    return key_tag.partition("+")[0]


def entry_dirs(root: str) -> tuple[dict[Key, str], list[str]]:
    """Every entry directory by its key, and whatever else lies at those levels (strays).

    Read from directory names alone, so a damaged ``entry.json`` hides no entry."""
    entries: dict[Key, str] = {}
    strays: list[str] = []
    for name in subdirs(entries_dir(root), strays):
        entries.update(_entry_dirs_of(root, name, strays))
    return entries, strays


def entry_dirs_of(root: str, name: str) -> dict[Key, str]:
    """The entry directories of the distribution ``name`` (canonical) by their keys: a walk of
    that name's directory alone, so its cost does not grow with the rest of the store."""
    return _entry_dirs_of(root, name, None)


def _entry_dirs_of(root: str, name: str, strays: list[str] | None) -> dict[Key, str]:
    return {Key(name, *where): path for where, path in name_entry_dirs(root, name, strays).items()}


def script_files(entry: str) -> dict[str, str]:
    """The scripts of the entry directory ``entry`` (console and GUI scripts that installer
    generated, and ``.data/scripts``): name -> path."""
    directory = os.path.join(entry, BIN_DIR)
    return {name: os.path.join(directory, name) for name in list_names(directory)}


def record_digest(digest: bytes, algorithm: str = "sha256") -> str:
    """RECORD's form of a digest: ``algorithm=`` and urlsafe base64 without padding."""
    return f"{algorithm}={base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')}"


def third_party_marker(root: str) -> str:
    """A ``pyvenv.cfg`` at the store's root: coverage.py counts every directory on ``sys.path``
    below one as installed, third-party code, as it counts a venv's site-packages."""
    return os.path.join(root, "pyvenv.cfg")


def staging_dir(root: str) -> str:
    return os.path.join(root, "staging")


def mutex_dir(root: str) -> str:
    return os.path.join(root, "locks")


def trash_dir(root: str) -> str:
    """Inside the store, so that moving an entry here is a rename on one file system."""
    return os.path.join(root, "trash")
