"""``vimport sync``: fill the store with what a project needs, from the index, and lock it.

A fresh lock whose packages are all in the store means there is nothing to do, with no network.
A lock another tool wrote is installed exactly as it lists, hash-checked, without resolving.
Each wheel is installed in staging as soon as it is fetched, and nothing is published before
everything is fetched, so an index error leaves the store as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from versioned_import._runtime.pep508 import canonical_name
from versioned_import.engine import Artifact, Engine, Fetched, Pick
from versioned_import.engine.choice import default_engine
from versioned_import.errors import (
    LocalSourceError,
    ManifestError,
    PackageIndexError,
    StoreError,
    UsageError,
    split_hint,
)
from versioned_import.progress import Reporter, count
from versioned_import.project import Manifest, Selection, is_script, lock_file, manifest_for
from versioned_import.project.pylock import Lock, PrivateCopy, read_lock, write_lock
from versioned_import.resolve import resolve_from_store, usable_entries
from versioned_import.resolve_private import Split, resolve_split
from versioned_import.store import Entry, Store, layout
from versioned_import.store.bytecode import Compilers
from versioned_import.sync_private import batches, not_held, sync_split

if TYPE_CHECKING:
    from versioned_import.localbuild import Built
    from versioned_import.sync_ahead import Ahead

__all__ = ["LockOptions", "SyncResult", "install_requirements", "lock", "sync"]


@dataclass(frozen=True)
class LockOptions:
    """How a sync (or ``vimport lock``) may treat the lock there is, and the network."""

    offline: bool = False
    """Never touch the network: resolve from the store; what it lacks is an error."""
    locked: bool = False
    """The lock must exist and be fresh: an error instead of writing it (CI)."""
    frozen: bool = False
    """The lock as it is: not checked against the manifest, nothing resolved."""
    upgrade: bool = False
    """Resolve as if there were no lock: the newest versions that satisfy."""
    upgrade_packages: frozenset[str] = frozenset()
    """Canonical names whose locked versions are not kept."""

    @property
    def upgrading(self) -> bool:
        return self.upgrade or bool(self.upgrade_packages)


@dataclass(frozen=True)
class SyncResult:
    lock: str
    """The lock file used or written."""
    locked: int
    """How many packages the lock holds for this interpreter."""
    installed: list[Entry]
    """The entries this sync added to the store."""
    resolved: bool
    """False when a fresh lock was used as it was."""


def _key(name: str, version: str) -> tuple[str, str]:
    return canonical_name(name), version


def _usable(store: Store) -> dict[tuple[str, str], Entry]:
    return usable_entries(store) if os.path.isdir(store.root) else {}


def sync(
    target: str,
    store: Store,
    reporter: Reporter,
    options: LockOptions = LockOptions(),
    *,
    selection: Selection | None = None,
    engine: Engine | None = None,
) -> SyncResult:
    """Make ``target`` (a project directory or a script) runnable from ``store``, the project's
    own distribution included."""
    result = _sync_dependencies(target, store, reporter, options, selection, engine)
    if not is_script(target):
        from versioned_import.own_dist import ensure, read_own

        own = read_own(target)
        if own is not None:
            # What a dynamic version comes from may not be watched (a VCS): sync refreshes it.
            ensure(own, reporter, force=own.dynamic, offline=options.offline)
    return result


def _sync_dependencies(
    target: str,
    store: Store,
    reporter: Reporter,
    options: LockOptions,
    selection: Selection | None,
    engine: Engine | None,
) -> SyncResult:
    engine = engine or default_engine(reporter)
    store.mark_third_party()  # for a store whose entries came before the marker did
    if options.frozen:
        return _sync_frozen(target, store, reporter, options.offline, engine)
    manifest, lock = _manifest_and_lock(target, selection, options)
    # Local sources are built on every sync (their code changes without the manifest
    # changing), except with --locked, which never rewrites the lock.
    if (
        lock is not None
        and lock.fresh_for(manifest)
        and not options.upgrading
        and (not manifest.local or options.locked)
    ):
        installed = _install_locked(lock, store, reporter, options.offline, engine)
        return SyncResult(lock.path, len(lock.packages), installed, False)
    packages, private, installed = _resolve(manifest, lock, store, reporter, options, engine, True)
    _write_lock(manifest, packages, private, reporter)
    return SyncResult(manifest.lock, len(packages), installed, True)


def lock(
    target: str,
    store: Store,
    reporter: Reporter,
    options: LockOptions = LockOptions(),
    *,
    selection: Selection | None = None,
    engine: Engine | None = None,
) -> bool:
    """``vimport lock``: resolve ``target`` and write its lock, installing nothing. False when
    the lock was fresh and left as it was."""
    manifest, found = _manifest_and_lock(target, selection, options)
    if found is not None and found.fresh_for(manifest) and not options.upgrading:
        reporter.done(f"Up to date: {count(len(found.packages), 'package')} ({found.path})")
        return False
    engine = engine or default_engine(reporter)
    packages, private, _ = _resolve(manifest, found, store, reporter, options, engine, False)
    _write_lock(manifest, packages, private, reporter)
    return True


def _manifest_and_lock(
    target: str, selection: Selection | None, options: LockOptions
) -> tuple[Manifest, Lock | None]:
    manifest = manifest_for(target, selection or Selection())
    if not manifest.active:
        raise ManifestError(
            manifest.path,
            ["nothing to sync: add a [tool.vimport] table (a script: a `# /// script` block)"],
        )
    found = read_lock(manifest.lock)
    if found is not None and found.inputs is None:
        if not selection or selection == Selection():
            # Another tool's lock says which groups it holds (pip lock has none): the manifest
            # is read as the runtime reads it, without this tool's default groups.
            manifest = manifest_for(target, found.read_as())
        _check_covers(found, manifest)
    if options.locked:
        _check_locked(found, manifest)
    return manifest, found


def _check_locked(found: Lock | None, manifest: Manifest) -> None:
    """``--locked``: the lock must exist and match the manifest; it is never rewritten."""
    if found is None:
        raise ManifestError(
            manifest.lock,
            ["--locked: there is no lock; run `vimport lock` and commit the lock it writes"],
        )
    differences = found.differences(manifest)
    if differences:
        raise ManifestError(
            found.path,
            [
                f"--locked: the lock does not match {manifest.path} ({', '.join(differences)}); "
                "run `vimport lock` and commit the lock it writes"
            ],
        )


def _sync_frozen(
    target: str, store: Store, reporter: Reporter, offline: bool, engine: Engine
) -> SyncResult:
    """``--frozen``: exactly what the lock lists, whatever the manifest says now."""
    path = lock_file(target)
    found = read_lock(path)
    if found is None:
        raise ManifestError(
            path, ["--frozen: there is no lock; run `vimport lock` or `vimport sync` to write one"]
        )
    installed = _install_locked(found, store, reporter, offline, engine)
    return SyncResult(path, len(found.packages), installed, False)


def _install_locked(
    found: Lock, store: Store, reporter: Reporter, offline: bool, engine: Engine
) -> list[Entry]:
    missing = _missing(store, found.packages)
    missing += not_held([copy.pick for copy in found.private], store)
    if not missing:
        reporter.done(f"Up to date: {count(len(found.packages), 'package')} ({found.path})")
        return []
    local = [p for p in missing if p.artifact.built_sha256]
    if local:
        # A build is only the lock's when its sha256 is: only a sync that writes the lock
        # builds local sources.
        names = ", ".join(f"{p.name} {p.version} ({p.artifact.location})" for p in local)
        raise LocalSourceError(
            f"{found.path}: the store lacks the builds of {names} that the lock names by their "
            "wheel sha256; run `vimport sync` without --frozen or --locked to build and lock them"
        )
    if offline:
        names = ", ".join(f"{p.name} {p.version}" for p in missing)
        raise PackageIndexError(
            f"--offline: the store {store.root} lacks {names} that {found.path} lists, and "
            "nothing was fetched; run the command without --offline to fetch them"
        )
    installed = []
    with Compilers() as compilers:  # started now, they are ready when the first wheel is
        for batch in batches(missing):  # pip fetches one version of a name at a time
            installed += _fetch_and_install(batch, store, reporter, engine, compilers)
    return installed


def _preferences(found: Lock | None, options: LockOptions) -> dict[str, str]:
    """The locked versions a re-resolution keeps where they still satisfy; local sources are
    built anew, whatever version they now have."""
    if found is None or options.upgrade:
        return {}
    local = {canonical_name(p.name) for p in found.local()}
    return {
        n: v
        for n, v in found.pins().items()
        if n not in options.upgrade_packages and n not in local
    }


def _resolve(
    manifest: Manifest,
    found: Lock | None,
    store: Store,
    reporter: Reporter,
    options: LockOptions,
    engine: Engine,
    install: bool,
) -> tuple[list[Pick], list[PrivateCopy], list[Entry]]:
    """The packages to lock, the private copies, and the entries installed on the way (with
    ``install``; a split installs what it resolves in any case, since it splits against the
    store)."""
    prefer = _preferences(found, options)
    if options.offline:
        if manifest.local:
            where = next(iter(manifest.local.values())).where
            raise LocalSourceError(
                f"{where}: local sources are built by their build backends, which `--offline` "
                "does not run; sync without --offline"
            )
        reporter.step("Resolving from the store")
        split = resolve_split(
            manifest.requirements, store, manifest.name, manifest.private_copies, prefer=prefer
        )
        return (*_locked_split(split), [])
    installed: list[Entry] = []
    with (
        tempfile.TemporaryDirectory(prefix="vimport-build-") as directory,
        # Started before resolving: their start-up overlaps the resolver's wait. When the
        # store turns out to hold everything, that cost two idle interpreter starts.
        Compilers() if install else nullcontext() as compilers,
        _ahead(manifest, store, engine, compilers) as ahead,
    ):
        built: dict[str, Built] = {}
        if manifest.local:  # localbuild is imported for them alone: zipfile, email...
            from versioned_import.localbuild import build_local_sources

            built = build_local_sources(manifest, engine, directory, reporter)
        _import_meanwhile()
        try:
            picks = engine.resolve(_for_index(manifest, built), reporter, prefer)
        except PackageIndexError as exc:
            if not manifest.private_copies:
                raise _with_split_hint(exc) from exc
            # The engines hold one version of a name: they cannot resolve a project that splits.
            install_split = _installer(store, reporter, engine)
            split, added = sync_split(manifest, store, reporter, engine, install_split)
            return (*_locked_split(split), added)
        picks = [_local_pick(p, built) for p in picks]
        if install:
            wheels = {b.pick().artifact.built_sha256: b.wheel for b in built.values()}
            missing = _missing(store, picks)
            installed = _fetch_and_install(
                missing, store, reporter, engine, compilers, wheels, ahead
            )
    usable = _usable(store)
    return [_sized(p, usable.get(_key(p.name, p.version))) for p in picks], [], installed


_NEEDED_ONCE_RESOLVED = (
    "packaging.pylock",  # reading the engine's lock
    "ssl",  # fetching
    "urllib.request",
    "http.client",
    "zipfile",  # installing
    "email.parser",
    "installer",
    "tomli_w",  # writing the lock
)
"""What a sync imports once resolved: libraries that never import this package, so importing
them on another thread cannot meet an import of ours."""


def _import_meanwhile() -> None:
    """Import ``_NEEDED_ONCE_RESOLVED`` on a thread while this one waits for the resolver, with
    the CPU idle: otherwise they are imported after it, on the way to the result (~60 ms in a
    cold sync, measured)."""
    import contextlib
    import importlib
    import threading

    def run() -> None:
        for name in _NEEDED_ONCE_RESOLVED:
            # Only a head start: imported again where it is used, which then says what failed.
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    threading.Thread(target=run, name="vimport-imports", daemon=True).start()


def _ahead(
    manifest: Manifest, store: Store, engine: Engine, compilers: Compilers | None
) -> Ahead | nullcontext[None]:
    """Installs of the project's exact pins, started while the resolver runs; not for a project
    with local sources (none of its names may come from an index before the resolver says so)
    or private copies (resolved against the store, not the index). Nor for a lock, which
    installs nothing: it does not even import the installer."""
    if compilers is None or manifest.local or manifest.private_copies:
        return nullcontext()
    from versioned_import.sync_ahead import Ahead, exact_pins

    pins = exact_pins(manifest.requirements)
    return Ahead(store, engine, compilers.compile, pins) if pins else nullcontext()


def _for_index(manifest: Manifest, built: dict[str, Built]) -> list[str]:
    """The requirements to resolve, each local one as a direct reference to the wheel built
    from it: pip never looks a name with a direct reference up on an index."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    lines, named = [], set()
    for requirement in manifest.requirements:
        name = canonical_name(requirement.name)
        if name in built:
            named.add(name)
            requirement = Requirement(str(requirement))
            requirement.specifier = SpecifierSet()  # checked against the build already
            requirement.url = _uri(built[name].wheel)
        lines.append(str(requirement))
    # Local sources that only other local sources require.
    lines += [f"{b.name} @ {_uri(b.wheel)}" for n, b in built.items() if n not in named]
    return lines


def _uri(path: str) -> str:
    from pathlib import Path

    return Path(path).resolve().as_uri()


def _local_pick(pick: Pick, built: dict[str, Built]) -> Pick:
    """The pick for a name with a local source is that source, and nothing else."""
    local = built.get(canonical_name(pick.name))
    if local is None:
        return pick
    chosen = local.pick()
    # By content: engines spell the file as a URL or as a path.
    if pick.artifact.sha256 != chosen.artifact.built_sha256:
        raise LocalSourceError(
            f"{local.source.where}: the resolver chose {pick.artifact.location} for "
            f"{pick.name}, not the wheel built from the local source; nothing was installed"
        )
    return chosen


def _missing(store: Store, picks: Sequence[Pick]) -> list[Pick]:
    """The picks whose install the store lacks: the very wheel, where a pick names a wheel's
    sha256; else an entry of that name and version."""
    if not os.path.isdir(store.root):
        return list(picks)
    held = {entry.sha256 for entry in store.entries()}
    usable = _usable(store)
    missing = []
    for pick in picks:
        artifact = pick.artifact
        sha256 = artifact.built_sha256 or (artifact.sha256 if artifact.is_wheel else "")
        if not (sha256 in held if sha256 else _key(pick.name, pick.version) in usable):
            missing.append(pick)
    return missing


def _with_split_hint(exc: PackageIndexError) -> PackageIndexError:
    """A conflict the engine reports (pip: "conflicting dependencies"; uv: "No solution found"
    with what depends on what) says which opt-in could split it; the engine's message names the
    distributions. uv says "No solution found" too for a name no index has, or a version that
    does not exist, which no split mends."""
    message = str(exc)
    uv_conflict = "No solution found" in message and re.search(r"\bdepends? on\b", message)
    if "conflict" not in message and not uv_conflict:
        return exc
    return PackageIndexError(
        f"{exc}; {split_hint('NAME')}, NAME being the distribution they disagree on"
    )


def _installer(
    store: Store, reporter: Reporter, engine: Engine
) -> Callable[[Sequence[Pick]], list[Entry]]:
    def install(picks: Sequence[Pick]) -> list[Entry]:
        return _fetch_and_install(picks, store, reporter, engine, None)

    return install


def _locked_split(split: Split) -> tuple[list[Pick], list[PrivateCopy]]:
    """The plain packages of ``split`` and its private copies, as the lock records them."""
    packages = [_from_entry(r.entry) for r in split.plain]
    private = [PrivateCopy(_from_entry(copy.entry), scope.seers)
               for scope in split.scopes for copy in scope.copies]  # fmt: skip
    return packages, private


def _write_lock(
    manifest: Manifest, packages: list[Pick], private: list[PrivateCopy], reporter: Reporter
) -> None:
    write_lock(manifest, packages, private)
    copies = f" and {count(len(private), 'private copy', 'private copies')}" if private else ""
    reporter.done(f"Locked {count(len(packages), 'package')}{copies} into {manifest.lock}")


def install_requirements(
    requirements: Sequence[str],
    store: Store,
    reporter: Reporter,
    engine: Engine | None = None,
    *,
    offline: bool = False,
) -> list[Entry]:
    """``vimport install REQ...``: what the engine resolves for ``requirements``, into the
    store; ``offline``, what the store already holds for them, or an error naming what not."""
    if offline:
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            wanted = [Requirement(r) for r in requirements]
        except InvalidRequirement as exc:
            raise UsageError(f"vimport install: {exc}; give PEP 508 requirements") from exc
        return [r.entry for r in resolve_from_store(wanted, store, "vimport install --offline")]
    engine = engine or default_engine(reporter)
    usable = _usable(store)
    with Compilers() as compilers:  # started before resolving, as for a sync
        _import_meanwhile()
        picks = engine.resolve(requirements, reporter)
        missing = [p for p in picks if _key(p.name, p.version) not in usable]
        _fetch_and_install(missing, store, reporter, engine, compilers)
    usable = _usable(store)
    return [usable[_key(p.name, p.version)] for p in picks]


def _fetch_and_install(
    packages: Sequence[Pick],
    store: Store,
    reporter: Reporter,
    engine: Engine,
    compilers: Compilers | None,
    built: Mapping[str, str] | None = None,
    ahead: Ahead | None = None,
) -> list[Entry]:
    """Fetch ``packages`` (those in ``built``, by wheel sha256, are built already; those
    ``ahead`` installed are only published) and install them: a wheel from local files by its
    content, an index one by its name; bytecode by ``compilers`` (None: workers of its own).
    Each install starts as soon as its wheel is fetched, and none is published before every
    wheel was fetched: a failed download leaves the store as it was."""
    from versioned_import.store.install import Installs

    if not packages:
        return []
    built = built or {}
    claimed = ahead.claim(packages) if ahead else {}
    with (
        tempfile.TemporaryDirectory(prefix="vimport-fetch-") as directory,
        _workers(compilers, len(packages)) as workers,
        Installs(store, workers.compile) as installs,
    ):
        local = [Fetched(p, built[p.artifact.built_sha256]) for p in packages
                 if p.artifact.built_sha256 in built]  # fmt: skip
        for f in local:
            installs.add(f.wheel, f.pick.artifact.location, by_content=True)
        # The smallest first, as they are known: the workers get their first files soonest.
        to_fetch = sorted((p for p in packages if p.artifact.built_sha256 not in built
                           and p not in claimed), key=lambda p: p.artifact.size or 0)  # fmt: skip
        fetched = engine.fetch(
            to_fetch,
            directory,
            reporter,
            lambda f: installs.add(f.wheel, f.pick.artifact.location),
        )
        for f in [*fetched, *(Fetched(p, wheel) for p, wheel in claimed.items())]:
            if not f.pick.artifact.built_sha256:
                _check_not_another_build(store, f.wheel, f.pick)
        reporter.step(f"Installing {count(len(local) + len(fetched) + len(claimed), 'package')}")
        installs.publish()
        if ahead:
            ahead.publish()
        installed = installs.entries([f.wheel for f in [*local, *fetched]])
        installed += ahead.entries(list(claimed)) if ahead else []
    reporter.done(f"Installed {count(len(installed), 'package')} into {store.root}")
    return installed


def _workers(compilers: Compilers | None, wheels: int) -> AbstractContextManager[Compilers]:
    """``compilers``, or bytecode workers of their own for ``wheels`` wheels."""
    return nullcontext(compilers) if compilers else Compilers(min(os.cpu_count() or 1, wheels))


def _check_not_another_build(store: Store, wheel: str, pick: Pick) -> None:
    """An index wheel whose entry exists with other content would be "already present" while
    the lock names this file: the old code would run. Refuse, naming both."""
    from versioned_import._runtime.fs import file_digest

    path = store.entry_dir(layout.wheel_key(wheel))
    if not os.path.isdir(path):
        return
    entry, sha256 = Entry.read(path), file_digest(wheel).hex()
    if entry.sha256 != sha256:
        raise StoreError(
            f"{path}: holds {entry.wheel} from {entry.source} (sha256 {entry.sha256}), but "
            f"{pick.artifact.location} has the same name, version and tag and sha256 {sha256}; "
            "a store entry is never replaced, so nothing was installed: take that entry out of "
            "use (`vimport gc` removes it once no project uses it) and sync again"
        )


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
            (version := pins.get(canonical_name(r.name)))
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
    return replace(pick, artifact=replace(artifact, size=entry.wheel_size))
