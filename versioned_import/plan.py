"""The plan: everything the hook needs for one project, precomputed and stored with ``marshal``.

Loading a fresh plan is the hook's whole warm path, so this module imports only the standard
library at the top, and the hook carries it (see ``hook.runtime_bundle``). A plan records the
``os.stat`` signature of its inputs (the manifest, the store's generation file, the lock, the
``src/`` directory, a requirements file); when any differs, the plan is computed again, in a
child interpreter so that TOML, ``packaging`` and ``resolvelib`` never enter the project's
process.
"""

import marshal
import os
import sys

from versioned_import import __version__  # bundled
from versioned_import.locations import make_dirs, replace_file, user_cache_dir  # bundled

# ``typing`` costs milliseconds at start-up; mypy treats this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Plan = dict[str, Any]
    """Keys: format, tool, project, store, inputs, active, error, notice, manifest, system_site,
    paths, dists (name, version, tag, site, dist_info, why), modules (import name -> dist
    indices), pth (site, file name)."""

__all__ = ["FORMAT", "compute_in_child", "load_fresh", "plan_file", "save", "signature"]

FORMAT = 2


def signature(paths: list[str]) -> list[tuple[str, int, int, int] | tuple[str]]:
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
    return os.path.join(user_cache_dir(), "plans", flavour, f"{key}.plan")


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
        or plan["inputs"] != signature([i[0] for i in plan["inputs"]])
    ):
        return None
    return plan


def save(plan: "Plan") -> None:
    """Store ``plan`` atomically; a cache that cannot be written only costs speed."""
    path = plan_file(plan["project"], plan["store"])
    try:
        make_dirs(os.path.dirname(path))
        replace_file(path, marshal.dumps(plan))
    except OSError:
        pass


def compute_in_child(project: str, store: str, tool_paths: list[str]) -> "Plan":
    """``planner.compute`` in a fresh interpreter that sees the tool's dependencies, not the
    project's."""
    import subprocess

    code = (
        f"import sys; sys.path[:0] = {tool_paths!r}; "
        "from versioned_import.planner import main; main()"
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
