"""The store against the locks of the projects that use it: an entry whose wheel is not the one
a lock names for it would run other code than the lock says.

A wheel from an index is kept under its name, version and tag alone, so another file of the same
name (a wheel installed by hand, a republished release) can sit where a lock expects its own.
``vimport sync`` refuses to install over it; this finds it for ``vimport verify``.
"""

from __future__ import annotations

import os

from versioned_import import project
from versioned_import.errors import VersionedImportError
from versioned_import.project.pylock import read_lock
from versioned_import.store import Entry, Store, layout
from versioned_import.store.verify import Problem

__all__ = ["lock_disagreements"]


def lock_disagreements(store: Store) -> list[Problem]:
    """A problem for each entry whose sha256 differs from the wheel a remembered project's lock
    names at the entry's place. Unreadable locks are left to the commands that use them."""
    problems = []
    for target in sorted(set(store.roots().values())):
        try:
            lock = read_lock(project.lock_file(target)) if os.path.exists(target) else None
        except VersionedImportError:
            continue
        if lock is None:
            continue
        for pick in lock.packages:
            artifact = pick.artifact
            if not artifact.is_wheel or artifact.built_sha256:
                continue  # an sdist has no locked wheel; a local build is kept by its content
            try:
                path = store.entry_dir(layout.wheel_key(artifact.filename))
            except ValueError:
                continue
            if os.path.isdir(path) and Entry.read(path).sha256 != artifact.sha256:
                what = (
                    f"installed from a wheel with sha256 {Entry.read(path).sha256}, but "
                    f"{lock.path} locks {artifact.filename} with sha256 {artifact.sha256}; that "
                    "project would run other code than its lock names (`vimport sync` there "
                    "refuses until this entry is gone)"
                )
                problems.append(Problem(path, layout.ENTRY_FILE, what))
    return problems
