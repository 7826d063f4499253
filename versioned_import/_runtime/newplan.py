"""A new plan, for a start whose stored plan is missing or stale: computed in this process when
every version is pinned (``quickplan``), else in a child interpreter (``versioned_import.planner``),
then stored ``packed``; ``unpacked`` gives the tool a stored plan as computed. Loaded lazily
by the hook: a start with a fresh plan never unmarshals it.
"""

import marshal
import os
import sys

from versioned_import._runtime.errors import PlanError
from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.plan import PLANNER, plan_file, records
from versioned_import._runtime.quickplan import plan_pinned

TYPE_CHECKING = False
if TYPE_CHECKING:
    from versioned_import._runtime.plan import Packed, Plan

__all__ = ["compute_in_child", "new_plan", "packed", "save", "unpacked"]


def new_plan(project: str, store: str, tool_paths: "list[str]") -> "tuple[Packed, str]":
    """The plan of ``project``, stored (and returned as stored), and how it was computed."""
    found, why_not = plan_pinned(project, store)
    how = "in-process: every version is pinned"
    if found is None:
        found = compute_in_child(project, store, tool_paths)
        how = f"in a child interpreter ({why_not})"
    return save(found), how


def save(plan: "Plan") -> "Packed":
    """Store ``plan`` atomically (a cache that cannot be written only costs speed); ``plan``
    as stored."""
    stored = packed(plan)
    path = plan_file(plan["project"], plan["store"])
    try:
        make_dirs(os.path.dirname(path))
        write_atomic(path, marshal.dumps(dict(stored)))
    except OSError:
        pass
    return stored


def packed(plan: "Plan") -> "Packed":
    """``plan`` as its file holds it."""
    found: Packed = {k: v for k, v in plan.items() if k != "dists"}  # type: ignore[assignment]
    found["sites"] = [d["site"] for d in plan["dists"]]
    found["records"] = marshal.dumps(plan["dists"])
    return found


def unpacked(plan: "Packed") -> "Plan":
    """``plan`` as computed."""
    common = {k: v for k, v in plan.items() if k not in ("sites", "records")}
    found: Plan = common  # type: ignore[assignment]
    found["dists"] = records(plan)
    return found


def compute_in_child(project: str, store: str, tool_paths: "list[str]") -> "Plan":
    """The plan computed in a fresh interpreter that sees the tool's dependencies, not the
    project's."""
    import subprocess

    code = f"import sys; sys.path[:0] = {tool_paths!r}; from {PLANNER} import main; main()"
    env = dict(os.environ, VIMPORT_DISABLE="1")
    child = subprocess.run(
        [sys.executable, "-I", "-c", code, project, store],
        capture_output=True,
        env=env,
        check=False,
    )
    if child.returncode != 0:
        lines = child.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise PlanError(f"computing the plan of {project} failed: {lines[-1]}")
    plan: Plan = marshal.loads(child.stdout)
    return plan
