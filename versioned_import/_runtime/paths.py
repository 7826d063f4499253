"""Where the store and the per-user cache live.

The hook needs these paths in every interpreter start, where importing ``platformdirs`` would
cost more than the whole hook, so they are computed here with the standard library alone; a test
keeps them equal to what ``platformdirs`` says.
"""

import os
import sys

__all__ = [
    "APP_NAME",
    "LOCK",
    "MANIFEST",
    "build_flavour",
    "default_store",
    "import_roots",
    "plans_dir",
    "store_root",
    "user_cache_dir",
]

APP_NAME = "versioned-import"
MANIFEST = "pyproject.toml"
LOCK = "pylock.toml"


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


def import_roots(project_dir: str) -> list[str]:
    """Where a project's own code imports from: ``src/`` when it exists, else the root."""
    src = os.path.join(project_dir, "src")
    return [src] if os.path.isdir(src) else [project_dir]
