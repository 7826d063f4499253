"""Pruning the store (``vimport gc``): remove the versions that no project uses.

An entry is live, and kept, when any of these holds:

- its version is in the plan (computed by the caller's ``plan_of``) of a remembered project
  (``Store.roots``) that still exists and still opts in. A root whose project is gone, or
  whose manifest no longer opts in (no ``[tool.vimport]`` table; for a script, no
  ``# /// script`` block), is forgotten.
  Liveness is per version, not per tag: another interpreter sharing the store may pick another
  wheel of the same version, and the plan computed here only knows this interpreter's choice;
- it is in a plan another interpreter of this user cached for such a project (it may resolve
  other versions: markers, ``requires-python``);
- it was installed within the grace period, so that ``vimport install`` followed by the first
  run of a project is not undone by a gc in between;
- a running process has one of its files open or mapped, or works inside it (Linux ``/proc``;
  processes whose ``/proc`` entries cannot be read, such as other users', are not seen).

A project whose plan cannot be computed (a broken manifest, a lock written for another
interpreter) stops gc before anything changes: what it uses is unknown, and guessing wrong
would delete versions it needs.

Removal is ``Store.removing``: a reader sees an entry whole or absent, and every hook computes
its plan again.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from versioned_import._runtime.newplan import unpacked
from versioned_import._runtime.paths import plans_dir
from versioned_import._runtime.plan import FORMAT
from versioned_import.errors import StoreError
from versioned_import.store import Store, layout
from versioned_import.store.layout import Key

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Plan

__all__ = ["Collection", "DroppedRoot", "Garbage", "PlanOf", "collect", "open_entries"]

PlanOf = Callable[[str, str], "Plan"]
"""Computes the plan of a project (a directory or a script) against a store root."""


@dataclass(frozen=True)
class Garbage:
    """An entry that no project uses."""

    path: str
    key: Key
    size: int
    """The sum of its files' sizes: what removing it frees."""


@dataclass(frozen=True)
class DroppedRoot:
    """A remembered project that no longer uses the store."""

    root_file: str
    project: str
    reason: str


@dataclass(frozen=True)
class Collection:
    """What one gc removed (or, for a dry run, would remove)."""

    garbage: list[Garbage]
    dropped: list[DroppedRoot]
    kept: int
    """How many entries stay."""
    dry_run: bool

    @property
    def freed(self) -> int:
        return sum(g.size for g in self.garbage)


def collect(
    store: Store, plan_of: PlanOf, *, grace_minutes: float = 10.0, dry_run: bool = False
) -> Collection:
    """Remove from ``store`` every entry that is not live (see the module's docstring)."""
    store.require()
    entries, _strays = layout.entry_dirs(store.root)
    plans, dropped = _live_plans(store, plan_of)
    used = _used_versions(plans) | _cached_versions(store, set(plans))
    cutoff = time.time() - grace_minutes * 60
    fresh = {key for key, path in entries.items() if _installed_at(path) >= cutoff}
    held = open_entries(store)
    versions = {key[:2] for key in used}
    garbage = [
        Garbage(path, key, _tree_size(path))
        for key, path in entries.items()
        if not _in_use(key, used, versions) and key not in fresh and key not in held
    ]
    if not dry_run:
        _apply(store, garbage, dropped)
    return Collection(garbage, dropped, len(entries) - len(garbage), dry_run)


def _apply(store: Store, garbage: list[Garbage], dropped: list[DroppedRoot]) -> None:
    store.remove_debris()
    try:
        for root in dropped:
            with contextlib.suppress(FileNotFoundError):
                os.remove(root.root_file)
        for item in garbage:
            with store.removing(item.key):
                pass
    except OSError as exc:
        raise StoreError(
            f"{exc.filename}: gc cannot remove it ({exc.strerror}); run gc as the store's owner"
        ) from exc


def _live_plans(store: Store, plan_of: PlanOf) -> tuple[dict[str, Plan], list[DroppedRoot]]:
    """The plan of every remembered project that still uses the store, and the roots to drop.

    Raises ``StoreError`` naming every project whose plan cannot be computed."""
    plans: dict[str, Plan] = {}
    dropped: list[DroppedRoot] = []
    failures: list[str] = []
    for root_file, project in sorted(store.roots().items()):
        reason = _gone(project)
        if reason is None:
            plan = plan_of(project, store.root)
            if plan["error"]:
                failures.append(plan["error"])
                continue
            if plan["active"]:
                plans[project] = plan
                continue
            reason = _NOT_OPTED_IN["script" if os.path.isfile(project) else "project"]
        dropped.append(DroppedRoot(root_file, project, reason))
    if failures:
        raise StoreError(
            "gc removed nothing: it cannot tell which versions these projects use: "
            + "; ".join(failures)
            + "; fix them (or delete the projects), then run gc again"
        )
    return plans, dropped


_NOT_OPTED_IN = {
    "script": "has no `# /// script` block",
    "project": "has no [tool.vimport] table",
}


def _gone(project: str) -> str | None:
    """Why ``project`` no longer counts as a user of the store, or None while it does."""
    if not project or not os.path.exists(project):
        return "is gone"
    if os.path.isdir(project) and not os.path.isfile(os.path.join(project, "pyproject.toml")):
        return "has no pyproject.toml"
    return None


def _in_use(key: Key, used: set[Key], versions: set[tuple[str, str]]) -> bool:
    """Every entry of a version a plan uses stays (other interpreters may need other tags),
    except builds from local files, kept by their content: only the build a plan names."""
    if key.tag != layout.wheel_tag(key.tag):
        return key in used
    return key[:2] in versions


def _used_versions(plans: dict[str, Plan]) -> set[Key]:
    return {key for plan in plans.values() for key in _plan_versions(plan)}


def _plan_versions(plan: Plan) -> set[Key]:
    """The keys of the entries a plan uses."""
    return {Key(dist["canonical"], dist["version"], dist["tag"]) for dist in plan["dists"]}


def _cached_versions(store: Store, projects: set[str]) -> set[Key]:
    """The entries in plans that any interpreter of this user cached for a live project."""
    found: set[Key] = set()
    top = plans_dir()
    for flavour in _names(top):
        for name in _names(os.path.join(top, flavour)):
            if not name.endswith(".plan"):
                continue
            try:
                with open(os.path.join(top, flavour, name), "rb") as f:
                    plan = marshal.loads(f.read())
                if (
                    plan.get("format") == FORMAT
                    and plan.get("store") == store.root
                    and plan.get("project") in projects
                ):
                    found |= _plan_versions(unpacked(plan))
            # Another Python's marshal format, a half-written file: its plan is not knowable.
            except (OSError, EOFError, ValueError, TypeError, AttributeError, KeyError):
                continue
    return found


def _names(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _installed_at(path: str) -> float:
    """When the entry was installed, as far as its directory tells.

    ctime changes when the installer makes the entry read-only and renames it into place, mtime
    when the staging directory was filled; reading changes neither (only atime). The later of the
    two, so that neither a file system that keeps ctime on rename nor a copied-in mtime makes a
    fresh entry look old."""
    try:
        st = os.stat(path)
    except OSError:
        return 0.0
    return max(st.st_mtime, st.st_ctime)


def open_entries(store: Store) -> set[Key]:
    """The entries a running process has a file of open or mapped, or works inside."""
    top = os.path.realpath(layout.entries_dir(store.root)) + os.sep
    found: set[Key] = set()
    for path in _paths_in_use():
        if path.startswith(top):
            parts = path[len(top) :].split(os.sep)
            if len(parts) >= 3:
                found.add(Key(*parts[:3]))
    return found


def _paths_in_use() -> Iterator[str]:
    """Every path a process on this machine has mapped, open or as its working directory (the
    kernel reports them resolved). Nothing where there is no ``/proc``."""
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return
    for pid in pids:
        proc = os.path.join("/proc", pid)
        yield from _mapped_paths(proc)
        for fd in _names(os.path.join(proc, "fd")):
            with contextlib.suppress(OSError):
                yield os.readlink(os.path.join(proc, "fd", fd))
        with contextlib.suppress(OSError):
            yield os.readlink(os.path.join(proc, "cwd"))


def _mapped_paths(proc: str) -> list[str]:
    try:
        with open(os.path.join(proc, "maps"), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:  # the process ended, or belongs to another user
        return []
    fields = (line.split(maxsplit=5) for line in lines)
    return [f[5].removesuffix(" (deleted)") for f in fields if len(f) == 6]


def _tree_size(top: str) -> int:
    size = 0
    for directory, _dirs, files in os.walk(top):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(directory, name))
                size += st.st_size if stat.S_ISREG(st.st_mode) else 0
    return size
