"""Where the store and the per-user cache live.

The hook needs these paths in every interpreter start, where importing ``platformdirs`` would
cost more than the whole hook, so they are computed here with the standard library alone; a test
keeps them equal to what ``platformdirs`` says.
"""

import os
import sys

__all__ = [
    "APP_NAME",
    "ENTRY_FILE",
    "LOCK",
    "MANIFEST",
    "SITE_DIR",
    "build_flavour",
    "default_store",
    "entries_dir",
    "generation_file",
    "import_roots",
    "list_names",
    "name_entry_dirs",
    "plans_dir",
    "roots_dir",
    "store_root",
    "subdirs",
    "user_cache_dir",
]

APP_NAME = "versioned-import"
MANIFEST = "pyproject.toml"
LOCK = "pylock.toml"
# The parts of the store's layout (``store/layout.py``) that planning at start-up reads.
ENTRY_FILE = "entry.json"
SITE_DIR = "site"


def _xdg(variable: str, fallback: str) -> str:
    # The XDG spec says a relative value is invalid and must be ignored; platformdirs agrees.
    value = os.environ.get(variable, "")
    return value if os.path.isabs(value) else os.path.expanduser(fallback)


def _windows_local_app_data() -> str:
    base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    return os.path.join(base, APP_NAME, APP_NAME)


def _user_data_dir() -> str:
    if sys.platform == "win32":
        return _windows_local_app_data()
    if sys.platform == "darwin":
        return os.path.expanduser(f"~/Library/Application Support/{APP_NAME}")
    return os.path.join(_xdg("XDG_DATA_HOME", "~/.local/share"), APP_NAME)


def user_cache_dir() -> str:
    """The per-user cache directory (``platformdirs.user_cache_dir("versioned-import")``)."""
    if sys.platform == "win32":
        return os.path.join(_windows_local_app_data(), "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser(f"~/Library/Caches/{APP_NAME}")
    return os.path.join(_xdg("XDG_CACHE_HOME", "~/.cache"), APP_NAME)


def default_store() -> str:
    """The store used when ``VIMPORT_STORE`` is not set."""
    return os.path.join(_user_data_dir(), "store")


def store_root() -> str:
    """The store this process uses: ``VIMPORT_STORE`` if set, else the default, made absolute."""
    return os.path.abspath(os.environ.get("VIMPORT_STORE") or default_store())


def build_flavour() -> str:
    """The interpreter kind that build environments and a project's own metadata are kept for."""
    # Imported here: most starts never ask. On Linux get_platform() imports nothing more; on
    # macOS it reads the build's configuration (the hook asks only for a project's first run).
    import sysconfig

    return f"{sys.implementation.cache_tag}-{sysconfig.get_platform()}"


def plans_dir() -> str:
    """Where this user's interpreters keep their plans, one directory per interpreter kind."""
    return os.path.join(user_cache_dir(), "plans")


def entries_dir(store: str) -> str:
    return os.path.join(store, "entries")


def generation_file(store: str) -> str:
    """Rewritten on every change of the store: every plan depends on it."""
    return os.path.join(store, "generation")


def roots_dir(store: str) -> str:
    """One file per project that resolved against the store, for gc."""
    return os.path.join(store, "roots")


def import_roots(project_dir: str) -> list[str]:
    """Where a project's own code imports from: ``src/`` when it exists, else the root."""
    src = os.path.join(project_dir, "src")
    return [src] if os.path.isdir(src) else [project_dir]


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
