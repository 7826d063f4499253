"""The store's layout on disk, shared by the CLI and the hook (standard library only).

::

    STORE/
      generation                      rewritten on every change; the hook's plans depend on it
      entries/NAME/VERSION/TAG/       one published entry per wheel, read-only
        site/                         the import root (purelib and platlib)
        bin/ data/ include/           the wheel's other schemes
        entry.json                    what the resolver and the hook need, computed at install
      staging/                        entries being built; never read by the hook
      locks/                          one lock file per distribution name
      roots/                          one file per project that resolved here, for gc
      trash/                          entries being removed (gc, verify --fix): renamed here under
                                      the name's lock, then deleted; never read by the hook
"""

import os

__all__ = [
    "ENTRY_FILE",
    "SITE_DIR",
    "entries_dir",
    "entry_path",
    "generation_file",
    "locks_dir",
    "roots_dir",
    "staging_dir",
    "trash_dir",
]

ENTRY_FILE = "entry.json"
SITE_DIR = "site"


def entries_dir(root: str) -> str:
    return os.path.join(root, "entries")


def entry_path(root: str, name: str, version: str, tag: str) -> str:
    """The directory of one entry; ``name`` is canonical, ``version`` normalized."""
    return os.path.join(root, "entries", name, version, tag)


def generation_file(root: str) -> str:
    return os.path.join(root, "generation")


def staging_dir(root: str) -> str:
    return os.path.join(root, "staging")


def locks_dir(root: str) -> str:
    return os.path.join(root, "locks")


def roots_dir(root: str) -> str:
    return os.path.join(root, "roots")


def trash_dir(root: str) -> str:
    """Inside the store, so that moving an entry here is a rename on one file system."""
    return os.path.join(root, "trash")
