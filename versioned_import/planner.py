"""Computing a plan: read the manifest (and its lock), resolve it against the store.

This is the cold path, run in a child interpreter by the hook (``plan.compute_in_child``) or in
the CLI's own process; it may import TOML, ``packaging`` and ``resolvelib``.
"""

from __future__ import annotations

import marshal
import os
import sys
from typing import TYPE_CHECKING

from versioned_import import __version__, layout
from versioned_import.plan import FORMAT, signature

if TYPE_CHECKING:
    from versioned_import.lock import Lock
    from versioned_import.plan import Plan
    from versioned_import.project import Manifest

__all__ = ["compute", "main"]


def _inputs(project: str, store: str) -> list[str]:
    """The files a plan depends on before its manifest is read (it may add its sources)."""
    if os.path.isfile(project):
        from versioned_import.script import lock_path

        return [project, layout.generation_file(store), lock_path(project)]
    return [
        os.path.join(project, "pyproject.toml"),
        layout.generation_file(store),
        os.path.join(project, "src"),
        os.path.join(project, "pylock.toml"),
    ]


def compute(project: str, store: str) -> Plan:
    """Read the manifest and resolve it against the store (needs the tool's dependencies).

    ``project`` is a project directory, or a script with inline metadata."""
    from versioned_import.errors import ManifestError, VersionedImportError
    from versioned_import.lock import read_lock
    from versioned_import.project import import_roots, lock_file, manifest_for

    inputs = _inputs(project, store)
    # The signature is taken first, so a change made while computing leaves the plan stale.
    plan: Plan = {
        "format": FORMAT,
        "tool": __version__,
        "project": project,
        "store": store,
        "inputs": signature(inputs),
        "active": True,
        "error": None,
        "notice": None,
        "manifest": inputs[0],
        "system_site": False,
        "paths": [] if os.path.isfile(project) else import_roots(project),
        "dists": [],
        "modules": {},
        "pth": [],
    }
    try:
        lock = read_lock(lock_file(project))
        # `vimport sync --group dev` records the group in the lock; the runtime honours it.
        manifest = manifest_for(project, lock.groups if lock else ())
        plan["inputs"] += signature(manifest.sources)
        plan["active"] = manifest.active
        if manifest.active:
            plan["system_site"] = manifest.system_site_packages
            _add_resolution(plan, manifest, lock)
    except ManifestError as exc:
        plan["error"] = str(exc)
    except VersionedImportError as exc:
        plan["error"] = f"{plan['manifest']}: {exc}"
    return plan


def _add_resolution(plan: Plan, manifest: Manifest, lock: Lock | None) -> None:
    from packaging.requirements import Requirement

    from versioned_import.resolve import resolve
    from versioned_import.store import Store

    requirements, pins, locked = manifest.requirements, None, ""
    if lock is not None and lock.fresh_for(manifest):
        pins = lock.pins()
        # A lock with no manifest requirements beside it is the list itself.
        requirements = requirements or [Requirement(f"{n}=={v}") for n, v in pins.items()]
        locked = f" [locked in {os.path.basename(lock.path)}]"
    elif lock is not None:
        plan["notice"] = (
            f"{lock.path} is stale: {manifest.path} changed after it was written, so the versions "
            "come from the store instead; run `vimport sync` to update the lock"
        )
    store = Store(plan["store"])
    resolution = resolve(requirements, store, manifest.name, pins)
    store.add_root(plan["project"])
    for index, resolved in enumerate(resolution):
        entry = resolved.entry
        site = entry.site_dir
        why = resolved.why + locked
        plan["dists"].append((entry.name, entry.version, entry.tag, site, entry.dist_info, why))
        for name in entry.top_level:
            plan["modules"].setdefault(name, []).append(index)
        plan["pth"].extend((site, pth) for pth in entry.pth_files)


def main() -> None:
    """The child's side of ``compute_in_child``: ``argv`` is ``[project, store]``."""
    project, store = sys.argv[1:3]
    sys.stdout.buffer.write(marshal.dumps(compute(project, store)))
