"""``vimport sync``: fill the store with what a project needs, from the index, and lock it.

A fresh lock whose packages are all in the store means there is nothing to do, with no network.
A lock another tool wrote is installed exactly as it lists, hash-checked, without resolving.
Everything is fetched before anything is installed, so an index error leaves the store as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from versioned_import.engine import Artifact, Engine, Pick
from versioned_import.engine.choice import default_engine
from versioned_import.errors import ManifestError
from versioned_import.progress import Reporter, count
from versioned_import.project import Manifest, manifest_for
from versioned_import.project.pylock import Lock, read_lock, write_lock
from versioned_import.resolve import resolve_from_store, usable_entries
from versioned_import.store import Entry, Store
from versioned_import.store.install import install_wheels

__all__ = ["SyncResult", "install_requirements", "sync"]


@dataclass(frozen=True)
class SyncResult:
    manifest: Manifest
    locked: int
    """How many packages the lock holds for this interpreter."""
    installed: list[Entry]
    """The entries this sync added to the store."""
    resolved: bool
    """False when a fresh lock was used as it was."""


def _key(name: str, version: str) -> tuple[str, str]:
    return canonicalize_name(name), version


def _usable(store: Store) -> dict[tuple[str, str], Entry]:
    return usable_entries(store) if os.path.isdir(store.root) else {}


def sync(
    target: str,
    store: Store,
    reporter: Reporter,
    *,
    offline: bool = False,
    groups: Sequence[str] = (),
    engine: Engine | None = None,
) -> SyncResult:
    """Make ``target`` (a project directory or a script) runnable from ``store``."""
    engine = engine or default_engine()
    manifest = manifest_for(target, groups)
    if not manifest.active:
        raise ManifestError(
            manifest.path,
            ["nothing to sync: add a [tool.vimport] table (a script: a `# /// script` block)"],
        )
    lock = read_lock(manifest.lock)
    usable = _usable(store)
    if lock is not None and lock.inputs is None:
        _check_covers(lock, manifest)
    if lock is not None and lock.fresh_for(manifest):
        missing = [p for p in lock.packages if _key(p.name, p.version) not in usable]
        if not missing:
            reporter.done(f"Up to date: {count(len(lock.packages), 'package')} ({manifest.lock})")
        installed = _fetch_and_install(missing, store, reporter, engine)
        return SyncResult(manifest, len(lock.packages), installed, False)
    if offline:
        reporter.step("Resolving from the store")
        resolution = resolve_from_store(manifest.requirements, store, manifest.name)
        packages = [_from_entry(r.entry) for r in resolution]
        installed = []
    else:
        picks = engine.resolve([str(r) for r in manifest.requirements], reporter)
        missing = [p for p in picks if _key(p.name, p.version) not in usable]
        installed = _fetch_and_install(missing, store, reporter, engine)
        usable = _usable(store)
        packages = [_sized(p, usable.get(_key(p.name, p.version))) for p in picks]
    write_lock(manifest, packages)
    reporter.done(f"Locked {count(len(packages), 'package')} into {manifest.lock}")
    return SyncResult(manifest, len(packages), installed, True)


def install_requirements(
    requirements: Sequence[str], store: Store, reporter: Reporter, engine: Engine | None = None
) -> list[Entry]:
    """``vimport install REQ...``: what the engine resolves for ``requirements``, into the
    store."""
    engine = engine or default_engine()
    usable = _usable(store)
    picks = engine.resolve(requirements, reporter)
    missing = [p for p in picks if _key(p.name, p.version) not in usable]
    _fetch_and_install(missing, store, reporter, engine)
    usable = _usable(store)
    return [usable[_key(p.name, p.version)] for p in picks]


def _fetch_and_install(
    packages: Sequence[Pick], store: Store, reporter: Reporter, engine: Engine
) -> list[Entry]:
    if not packages:
        return []
    with tempfile.TemporaryDirectory(prefix="vimport-fetch-") as directory:
        fetched = engine.fetch(packages, directory, reporter)
        reporter.step(f"Installing {count(len(fetched), 'package')}")
        installed = install_wheels(store, [(f.wheel, f.pick.artifact.location) for f in fetched])
    reporter.done(f"Installed {count(len(installed), 'package')} into {store.root}")
    return installed


def _check_covers(lock: Lock, manifest: Manifest) -> None:
    """A lock another tool wrote is taken as it is, but it must still cover the manifest: a
    requirement added since would otherwise never be installed."""
    from packaging.version import Version

    pins = lock.pins()
    uncovered = [
        str(r)
        for r in manifest.requirements
        if (r.marker is None or r.marker.evaluate({"extra": ""}))
        and not (
            (version := pins.get(canonicalize_name(r.name)))
            and r.specifier.contains(Version(version), prereleases=True)
        )
    ]
    if uncovered:
        raise ManifestError(
            lock.path,
            [
                f"written by another tool, it does not cover {', '.join(uncovered)} from "
                f"{manifest.path}; write it again with that tool, or delete it and run "
                "`vimport sync` to let versioned-import lock the project"
            ],
        )


def _from_entry(entry: Entry) -> Pick:
    artifact = Artifact(entry.source or entry.wheel, entry.sha256, entry.wheel_size, True)
    return Pick(entry.name, entry.version, artifact)


def _sized(pick: Pick, entry: Entry | None) -> Pick:
    """The pick with its wheel's size, known once the wheel is in the store."""
    artifact = pick.artifact
    if entry is None or not artifact.is_wheel or entry.sha256 != artifact.sha256:
        return pick
    sized = Artifact(artifact.location, artifact.sha256, entry.wheel_size, True)
    return Pick(pick.name, pick.version, sized)
