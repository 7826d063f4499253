"""The parts of the store's layout (``store/layout.py``) that computing a plan reads, with the
standard library alone. A lazy module of the hook's runtime: a start that finds its plan fresh
never walks the store (leaving these out of its bytecode took ~0.1 M instructions off every
start in a project, valgrind).
"""

import os

__all__ = [
    "ENTRY_FILE",
    "SITE_DIR",
    "entries_dir",
    "generation_file",
    "list_names",
    "name_entry_dirs",
    "roots_dir",
    "subdirs",
]

ENTRY_FILE = "entry.json"
SITE_DIR = "site"


def entries_dir(store: str) -> str:
    return os.path.join(store, "entries")


def generation_file(store: str) -> str:
    """Rewritten on every change of the store: every plan depends on it."""
    return os.path.join(store, "generation")


def roots_dir(store: str) -> str:
    """One file per project that resolved against the store, for gc."""
    return os.path.join(store, "roots")


def name_entry_dirs(
    store: str, name: str, strays: "list[str] | None" = None
) -> "dict[tuple[str, str], str]":
    """(version, tag) -> entry directory, for the distribution ``name`` (canonical): a walk of
    that name's directory alone. What lies there but is no directory (or is a link) goes to
    ``strays`` when given."""
    found = {}
    top = os.path.join(entries_dir(store), name)
    for version in subdirs(top, strays):
        for tag in subdirs(os.path.join(top, version), strays):
            found[(version, tag)] = os.path.join(top, version, tag)
    return found


def subdirs(directory: str, strays: "list[str] | None" = None) -> "list[str]":
    """The directories in ``directory``, sorted, hidden ones and links skipped; what else lies
    there goes to ``strays`` when given; none when it does not exist or is not a directory."""
    try:
        # scandir's file types come with the names: no stat per name (a resolution walks
        # ~1,600 directories of the store).
        with os.scandir(directory) as found:
            listed = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in found)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = []
    for name, is_dir in listed:
        if name.startswith("."):
            continue
        if is_dir:
            names.append(name)
        elif strays is not None:
            strays.append(os.path.join(directory, name))
    return names


def list_names(directory: str) -> "list[str]":
    """The names in ``directory``, sorted, hidden ones skipped; none when it does not exist or
    is not a directory."""
    try:
        return sorted(n for n in os.listdir(directory) if not n.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return []
