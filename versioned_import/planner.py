"""Computing a plan: read the manifest (and its lock), resolve it against the store.

This is the cold path, run in a child interpreter by the hook
(``_runtime.newplan.compute_in_child``) or in the CLI's own process; it may import TOML,
``packaging`` and the resolver. Computing a plan writes nothing: the hook saves it, and
remembers the project as a root of the store.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from typing import TYPE_CHECKING

from versioned_import import __version__, project
from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.plan import FORMAT, interpreter_file, signature
from versioned_import._runtime.quickplan import interpreter_key, interpreter_record
from versioned_import.store import layout

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Dist, Plan
    from versioned_import.project import Manifest
    from versioned_import.project.pylock import Lock
    from versioned_import.resolve import Resolved
    from versioned_import.resolve_private import Scope

__all__ = ["compute", "compute_for_use", "main", "record_interpreter"]


def compute(target: str, store: str, *, own: bool = True) -> Plan:
    """Read the manifest and resolve it against the store (needs the tool's dependencies).

    ``target`` is a project directory, or a script with inline metadata. ``own`` adds the
    project's own distribution, running its build backend if its metadata inputs changed."""
    from versioned_import.errors import ManifestError, VersionedImportError
    from versioned_import.project.pylock import read_lock

    inputs = [*project.watched_files(target), layout.generation_file(store)]
    # The signature is taken first, so a change made while computing leaves the plan stale.
    plan: Plan = {
        "format": FORMAT,
        "tool": __version__,
        "project": target,
        "store": store,
        "inputs": signature(inputs),
        "active": True,
        "error": None,
        "notices": [],
        "warnings": [],
        "manifest": inputs[0],
        "system_site": False,
        "paths": project.import_roots(target),
        "dists": [],
        "modules": {},
        "pth": [],
        "private": [],
    }
    try:
        lock = read_lock(project.lock_file(target))
        # The lock records what its sync asked for (`--group docs`, `--no-dev`): the runtime
        # reads the manifest the same way, and so sees the same groups.
        manifest = project.manifest_for(target, lock.read_as() if lock else None)
        plan["inputs"] += signature(manifest.sources)
        plan["active"] = manifest.active
        if manifest.active:
            plan["system_site"] = manifest.system_site_packages
            _add_resolution(plan, manifest, lock)
            if own and not project.is_script(target):
                _add_own(plan, target)
    except ManifestError as exc:
        plan["error"] = str(exc)
    except VersionedImportError as exc:
        plan["error"] = f"{plan['manifest']}: {exc}"
    return plan


def _add_resolution(plan: Plan, manifest: Manifest, lock: Lock | None) -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from versioned_import.resolve_private import resolve_split
    from versioned_import.store import Store

    requirements, pins, prefer, locked = manifest.requirements, None, None, ""
    # A name with a local source is served only the build a lock names, even a stale lock:
    # never an entry from an index, and never another build of it.
    local = lock.local() if lock is not None else []
    hashes: dict[str, str] = {name: "" for name in manifest.local}
    if lock is not None and lock.fresh_for(manifest):
        pins = lock.pins()
        hashes.update(lock.hashes())
        # A lock with no manifest requirements beside it is the list itself.
        requirements = requirements or [Requirement(f"{n}=={v}") for n, v in pins.items()]
        locked = f" [locked in {os.path.basename(lock.path)}]"
    elif lock is not None:
        # The lock's versions still win wherever the changed manifest admits them.
        prefer = lock.pins()
        hashes.update({canonicalize_name(p.name): p.artifact.built_sha256 for p in local})
        plan["warnings"].append(
            f"{lock.path} is stale: {manifest.path} changed after it was written, so its "
            "versions are kept only where they still satisfy; run `vimport sync` to update it"
        )
    split = resolve_split(
        requirements,
        Store(plan["store"]),
        manifest.name,
        manifest.private_copies,
        pins,
        lock.private_pins() if pins is not None and lock is not None else None,
        prefer=prefer,
        hashes=hashes,
    )
    editable: dict[str, str] = {
        canonicalize_name(p.name): p.artifact.location for p in local if p.artifact.editable
    }
    for index, resolved in enumerate(split.plain):
        entry = resolved.entry
        plan["dists"].append(_dist(resolved, locked))
        if entry.key.name in editable:
            # Its code is imported from its source directory, so edits show without a sync;
            # the store's build gives only its metadata and scripts.
            plan["paths"] += project.import_roots(editable[entry.key.name])
            continue
        for name in entry.top_level:
            plan["modules"].setdefault(name, []).append(index)
        plan["pth"].extend((entry.site_dir, pth) for pth in entry.pth_files)
    _add_private(plan, split.scopes, split.plain, locked)


def _dist(resolved: Resolved, locked: str) -> Dist:
    entry = resolved.entry
    key = entry.key
    return {
        "name": entry.name,
        "canonical": key.name,
        "version": key.version,
        "tag": key.tag,
        "site": entry.site_dir,
        "dist_info": entry.dist_info,
        "why": resolved.why + locked,
    }


def _add_private(plan: Plan, scopes: list[Scope], plain: list[Resolved], locked: str) -> None:
    """Private copies, and the top-level names of the plain distributions that see them."""
    top_level = {r.entry.key.name: r.entry.top_level for r in plain}
    for scope in scopes:
        plan["private"].append(
            {
                "prefix": scope.prefix,
                "copies": [_dist(r, locked) for r in scope.copies],
                "modules": {n: i for i, r in enumerate(scope.copies) for n in r.entry.top_level},
                "seers": [n for seer in scope.seers for n in top_level.get(seer, [])],
            }
        )


def _add_own(plan: Plan, target: str) -> None:
    """The project's own distribution, when it is one. Its failure is a warning: the project's
    dependencies still import, only its own metadata is missing."""
    from versioned_import import own_dist
    from versioned_import.errors import VersionedImportError
    from versioned_import.progress import Reporter

    try:
        own = own_dist.read_own(target)
        if own is None:
            return
        watched = [p for p in own.watched if p not in {i[0] for i in plan["inputs"]}]
        plan["inputs"] += signature(watched)
        built = own_dist.ensure(own, Reporter(-1))
    except VersionedImportError as exc:
        plan["warnings"].append(f"{exc}; the project's own distribution is left out")
        return
    # Taken after the build, which rewrote it: the next start must not see it as a change.
    plan["inputs"] += signature([own.current_file])
    plan["dists"].append(built.dist)
    if built.rebuilt:
        plan["notices"].append(
            f"built the metadata of {built.dist['name']} {built.dist['version']} with "
            f"{own.system.backend}: its inputs changed since the last build (or there was none)"
        )


def compute_for_use(target: str, store: str) -> Plan:
    """``compute``, for a process about to run the project: a project that resolves is
    remembered as a root of the store, so gc keeps what it uses."""
    from versioned_import.store import Store

    plan = compute(target, store)
    if plan["active"] and not plan["error"]:
        Store(store).add_root(target)
    return plan


def record_interpreter() -> None:
    """Record this interpreter's wheel tags and marker environment for ``quickplan``, which
    cannot import ``packaging``; once, until the interpreter or the C library changes."""
    from packaging.markers import default_environment
    from packaging.tags import sys_tags

    if interpreter_record() is not None:
        return
    record = {
        "key": interpreter_key(),
        "tags": {str(tag): rank for rank, tag in enumerate(sys_tags())},
        "environment": dict(default_environment()),
    }
    path = interpreter_file()
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
        make_dirs(os.path.dirname(path))
        write_atomic(path, marshal.dumps(record))


def main() -> None:
    """The child's side of ``compute_in_child``: ``argv`` is ``[project, store]``."""
    target, store = sys.argv[1:3]
    sys.stdout.buffer.write(marshal.dumps(dict(compute_for_use(target, store))))
    record_interpreter()
