"""``vimport run``: a console script of the project's resolved set, or any command, in the
project's context, as ``uv run`` does.

The command runs under this interpreter's hook with ``VIMPORT_PROJECT`` set, so it, and every
Python process it starts, imports the project's versions.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from versioned_import import planner
from versioned_import._runtime import plan as plans
from versioned_import._runtime.newplan import save, unpacked
from versioned_import.errors import CommandNotFoundError, HookError, PlanError
from versioned_import.hook import is_active_here
from versioned_import.store import layout

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Plan

__all__ = ["command_for", "run", "script_commands"]


def _command(script: str) -> list[str]:
    """How to run a script of the store: a Python one under this interpreter, whatever its
    ``#!`` line says, so that its hook gives it the project."""
    with open(script, "rb") as f:
        first = f.readline()
    python = first.startswith(b"#!") and b"python" in first
    return [sys.executable, script] if python else [script]


def script_commands(plan: Plan) -> dict[str, list[str]]:
    """Every script of the plan's distributions: name -> the command that runs it."""
    found: dict[str, list[str]] = {}
    for dist in plan["dists"]:
        for name, path in layout.script_files(os.path.dirname(dist["site"])).items():
            if name not in found:
                found[name] = _command(path)
    return found


def _python_names() -> set[str]:
    major, minor = sys.version_info[:2]
    return {"python", f"python{major}", f"python{major}.{minor}"}


def command_for(plan: Plan | None, argv: Sequence[str], shim_dir: str | None = None) -> list[str]:
    """The command line for ``argv``: the project's script of that name, else ``argv[0]`` found
    on ``PATH`` (without ``shim_dir``, so a shim never finds itself). A shim in a project runs
    the project's script or says that there is none."""
    name, *rest = argv
    scripts = script_commands(plan) if plan and plan["active"] else {}
    if name in scripts:
        return [*scripts[name], *rest]
    if plan and name in _python_names():
        return [sys.executable, *rest]  # as `uv run python`: the interpreter with the hook
    if plan and shim_dir:
        # Another interpreter's command of that name would see none of the project's versions.
        raise CommandNotFoundError(
            f"{name}: the project of {plan['manifest']} has no such command, and the shim in "
            f"{shim_dir} runs only the project's own in a project; add the distribution that "
            "provides it to the project's dependencies and run `vimport sync`"
        )
    search = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep)
        if not shim_dir or os.path.abspath(p) != os.path.abspath(shim_dir)
    )  # fmt: skip
    found = shutil.which(name, path=search)
    if found is None:
        where = f"the project of {plan['manifest']}" if plan else "this directory"
        raise CommandNotFoundError(
            f"{name}: no such command in {where} nor on PATH; add the distribution that provides "
            "it to the project's dependencies and run `vimport sync`"
        )
    return [found, *rest]


def _say(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(f"vimport: {line}\n")


def run(project: str | None, argv: Sequence[str], store: str, shim_dir: str | None = None) -> int:
    """Replace this process with ``argv`` run in ``project``'s context (POSIX: exec).

    Without a project (a shim outside any project) the command runs as it would without us."""
    env = dict(os.environ)
    plan = None
    if project:
        if not is_active_here():
            raise HookError(
                f"{sys.executable}: the hook is not installed, so a command would not see the "
                "project's versions; run `vimport hook install`"
            )
        stored = plans.load_fresh(project, store)
        plan = unpacked(stored) if stored else None
        if plan is None:
            plan = planner.compute_for_use(project, store)
            save(plan)
            # Said here, as the hook says them when it computes: the command reads this plan.
            _say(plan["notices"])
        if plan["error"]:
            raise PlanError(plan["error"])
        _say(plan["warnings"])
        env.update(VIMPORT_PROJECT=project, VIMPORT_STORE=store)
    command = command_for(plan, argv, shim_dir)
    if os.name != "posix":
        import subprocess

        return subprocess.call(command, env=env)
    sys.stdout.flush()
    os.execve(command[0], command, env)
