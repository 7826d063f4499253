"""The plan: everything the hook needs for one project, precomputed and stored with ``marshal``.

Loading a fresh plan is the hook's whole warm path, so this module imports only the standard
library at the top. A plan records the ``os.stat`` signature of its inputs (the manifest, the
store's generation file, the lock, the ``src/`` directory, a requirements file); when any
differs, the plan is computed again, in a child interpreter so that TOML, ``packaging`` and
``resolvelib`` never enter the project's process.
"""

import marshal
import os
import sys

from versioned_import import __version__, layout, locations

# ``typing`` costs milliseconds at start-up; mypy treats this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from versioned_import.lock import Lock
    from versioned_import.project import Manifest

    Plan = dict[str, Any]
    """Keys: format, tool, project, store, inputs, active, error, notice, manifest, system_site,
    paths, dists (name, version, tag, site, dist_info, why), modules (import name -> dist
    indices), pth (site, file name)."""

__all__ = ["compute", "compute_in_child", "load_fresh", "main", "plan_file", "save"]

FORMAT = 2


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


def _signature(paths: list[str]) -> list[tuple[str, int, int, int] | tuple[str]]:
    found: list[tuple[str, int, int, int] | tuple[str]] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            found.append((path,))
        else:
            found.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
    return found


def _fnv1a(text: str) -> str:
    # A stable 64-bit hash for the file name; hashlib would cost ~2 ms at every start-up.
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def plan_file(project: str, store: str) -> str:
    """Where this interpreter keeps the plan of ``project`` against ``store``."""
    flavour = f"{sys.implementation.cache_tag}-{sys.platform}"
    key = _fnv1a(f"{project}\0{store}\0{sys.executable}")
    return os.path.join(locations.user_cache_dir(), "plans", flavour, f"{key}.plan")


def load_fresh(project: str, store: str) -> "Plan | None":
    """The stored plan, if it exists and its inputs have not changed since."""
    try:
        with open(plan_file(project, store), "rb") as f:
            # One read, then loads: marshal.load on a file object costs ~8x more here.
            plan: Plan = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if (
        plan.get("format") != FORMAT
        or plan.get("tool") != __version__
        or plan.get("project") != project
        or plan.get("store") != store
        or plan["inputs"] != _signature([i[0] for i in plan["inputs"]])
    ):
        return None
    return plan


def save(plan: "Plan") -> None:
    """Store ``plan`` atomically; a cache that cannot be written only costs speed."""
    path = plan_file(plan["project"], plan["store"])
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(plan, f)
        os.replace(tmp, path)
    except OSError:
        pass


def compute(project: str, store: str) -> "Plan":
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
        "inputs": _signature(inputs),
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
        plan["inputs"] += _signature(manifest.sources)
        plan["active"] = manifest.active
        if manifest.active:
            plan["system_site"] = manifest.system_site_packages
            _add_resolution(plan, manifest, lock)
    except ManifestError as exc:
        plan["error"] = str(exc)
    except VersionedImportError as exc:
        plan["error"] = f"{plan['manifest']}: {exc}"
    return plan


def _add_resolution(plan: "Plan", manifest: "Manifest", lock: "Lock | None") -> None:
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


def compute_in_child(project: str, store: str, tool_paths: list[str]) -> "Plan":
    """``compute`` in a fresh interpreter that sees the tool's dependencies, not the project."""
    import subprocess

    code = (
        f"import sys; sys.path[:0] = {tool_paths!r}; from versioned_import.plan import main; main()"
    )
    env = dict(os.environ, VIMPORT_DISABLE="1")
    child = subprocess.run(
        [sys.executable, "-I", "-c", code, project, store],
        capture_output=True,
        env=env,
        check=False,
    )
    if child.returncode != 0:
        lines = child.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise RuntimeError(f"computing the plan failed: {lines[-1]}")
    plan: Plan = marshal.loads(child.stdout)
    return plan


def main() -> None:
    """The child's side of ``compute_in_child``: ``argv`` is ``[project, store]``."""
    project, store = sys.argv[1:3]
    sys.stdout.buffer.write(marshal.dumps(compute(project, store)))
