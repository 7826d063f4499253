"""Shims: small launchers on ``PATH``, one per console script in the store or of a project's
own distribution, so that ``pytest`` typed in a project directory runs the project's pytest (and
elsewhere, the next ``pytest`` on ``PATH``)."""

from __future__ import annotations

import os
import sys

from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import.own_dist import script_names
from versioned_import.store import Store, layout

__all__ = ["default_shim_dir", "install_shims", "uninstall_shims"]

MARKER = "# versioned-import shim"


def default_shim_dir(store: str) -> str:
    """Beside the store: ``shims/`` next to ``store/``."""
    return os.path.join(os.path.dirname(os.path.abspath(store)), "shims")


def _script_names(store: Store) -> set[str]:
    """The store's scripts, and those of the projects' own distributions."""
    names = {name for entry in store.entries() for name in layout.script_files(entry.path)}
    return names | script_names()


def _is_ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            return MARKER in f.read(200)
    except (OSError, UnicodeDecodeError):
        return False


def install_shims(store: Store, directory: str) -> list[str]:
    """Write a shim for every script in ``store`` into ``directory``; returns their names.

    A file there that is not a shim is never overwritten."""
    make_dirs(directory)
    written = []
    for name in sorted(_script_names(store)):
        path = os.path.join(directory, name)
        if os.path.exists(path) and not _is_ours(path):
            continue
        text = (
            f"#!/bin/sh\n{MARKER}: `vimport shims uninstall` removes it\n"
            f'exec "{sys.executable}" -m versioned_import run --shim-dir "{directory}" '
            f'-- "{name}" "$@"\n'
        )
        write_atomic(path, text.encode(), 0o755)
        written.append(name)
    return written


def uninstall_shims(directory: str) -> list[str]:
    """Remove the shims in ``directory``; returns their names."""
    removed = []
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        path = os.path.join(directory, name)
        if _is_ours(path):
            os.unlink(path)
            removed.append(name)
    return removed
