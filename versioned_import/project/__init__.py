"""A project: a directory whose ``pyproject.toml`` opts in with ``[tool.vimport]``, or a
single-file script with PEP 723 inline metadata. This module is the one place that tells the
two apart; everything else asks it.
"""

from __future__ import annotations

import os

from versioned_import.project import inline, pyproject
from versioned_import.project.manifest import Manifest, Selection

__all__ = [
    "Manifest",
    "Selection",
    "import_roots",
    "is_script",
    "lock_file",
    "manifest_file",
    "manifest_for",
    "watched_files",
]


def is_script(target: str) -> bool:
    """True when ``target`` is a script, False for a project directory."""
    return os.path.isfile(target)


def manifest_for(target: str, selection: Selection | None = None) -> Manifest:
    """The manifest of a project directory, or of a script; ``selection`` changes the groups and
    extras it chooses (a script has none)."""
    if is_script(target):
        return inline.read_script(target)
    return pyproject.read_manifest(target, selection)


def manifest_file(target: str) -> str:
    """The file that says whether ``target`` opts in."""
    return target if is_script(target) else os.path.join(target, pyproject.MANIFEST)


def lock_file(target: str) -> str:
    """Where the lock of a project directory, or of a script, lives."""
    if is_script(target):
        return inline.lock_path(target)
    return os.path.join(target, pyproject.LOCK)


def import_roots(target: str) -> list[str]:
    """Where a project's own code imports from; a script's directory is Python's own business
    (``sys.path[0]``)."""
    return [] if is_script(target) else pyproject.import_roots(target)


def watched_files(target: str) -> list[str]:
    """The files whose change makes a plan stale, before the manifest is read (reading it may
    add more: ``Manifest.sources``). The manifest comes first."""
    watched = [manifest_file(target), lock_file(target)]
    if not is_script(target):
        watched.append(os.path.join(target, "src"))
    return watched
