"""A new plan, for a start whose stored plan is missing or stale: computed in this process when
every version is pinned (``quickplan``), else in a child interpreter (``versioned_import.planner``),
then stored. Loaded lazily by the hook: a start with a fresh plan never unmarshals it.
"""

import marshal
import os
import sys

from versioned_import._runtime.errors import PlanError
from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.plan import PLANNER, plan_file
from versioned_import._runtime.quickplan import plan_pinned

TYPE_CHECKING = False
if TYPE_CHECKING:
    from versioned_import._runtime.plan import Plan

__all__ = ["compute_in_child", "new_plan", "save"]


def new_plan(project: str, store: str, tool_paths: "list[str]") -> "tuple[Plan, str]":
    """The plan of ``project``, stored, and how it was computed."""
    found, why_not = plan_pinned(project, store)
    how = "in-process: every version is pinned"
    if found is None:
        found = compute_in_child(project, store, tool_paths)
        how = f"in a child interpreter ({why_not})"
    save(found)
    return found, how


def save(plan: "Plan") -> None:
    """Store ``plan`` atomically; a cache that cannot be written only costs speed."""
    path = plan_file(plan["project"], plan["store"])
    try:
        make_dirs(os.path.dirname(path))
        write_atomic(path, marshal.dumps(dict(plan)))
    except OSError:
        pass


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
