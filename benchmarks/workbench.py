"""The work directory of ``peers.py`` and how its jobs are timed.

``build`` makes everything the cases share, from the real interpreter binary: the benchmark's own
tool venv (uv, matplotlib), a ``python -m venv`` venv and a ``uv venv`` venv with the hook, the
same two kinds with the 30 packages installed by pip and by uv, the store with the 30, and a
project that needs them. ``interleave`` times slow jobs in rounds, as ``common.measure`` times
interpreter starts.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    PACKAGES,
    BenchmarkError,
    Package,
    clean_env,
    fetch_wheels,
    load_average,
    make_venv,
    run,
    venv_python,
    vimport,
    write_project,
)
from benchmarks.report import Row, Section

__all__ = [
    "FULL",
    "QUICK",
    "Job",
    "Runs",
    "Setup",
    "build",
    "first_run",
    "interleave",
    "pins",
    "timed",
    "timed_section",
]

Job = tuple[Row, int, Callable[[int], object]]
"""A row, its number of timed runs, and the action, given the run's index."""


@dataclass(frozen=True)
class Runs:
    """How many timed runs each kind of case gets: slow peers get fewer."""

    rounds: int
    """Rounds of cases 1 and 2 (``-c pass`` runs more often per round)."""
    fast: int
    """vimport and uv in cases 3-6 (case 6's goals compare single runs from the network,
    which vary by a quarter: three were too few)."""
    slow: int
    """venv + pip in cases 3 and 5, and the pip engine in case 6."""
    slowest: int
    """venv + pip in case 4: ten venvs per run."""


FULL = Runs(rounds=40, fast=7, slow=3, slowest=2)
QUICK = Runs(rounds=5, fast=2, slow=1, slowest=1)


@dataclass
class Setup:
    work: Path
    base: str
    env: dict[str, str]
    uv: str
    tool_python: str
    wheels: Path
    hooked: str
    hooked_uv: str
    pip_venv: str
    uv_venv: str
    store: str
    project: str
    outside: str

    def new_uv_venv(self, directory: Path, env: dict[str, str] | None = None) -> str:
        """``uv venv`` from the real interpreter; returns the venv's python."""
        return _uv_venv(self.uv, self.base, directory, env or self.env)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds (this process and every child it reaped) of ``action``."""
    import resource

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime) * 1e3

    cpu_before = cpu()
    start = time.perf_counter_ns()
    action()
    elapsed = (time.perf_counter_ns() - start) / 1e6
    return elapsed, cpu() - cpu_before


def interleave(jobs: Sequence[Job]) -> None:
    """Run each job (a row, its number of runs, the action given the run's index), in rounds,
    every other round in reverse order, so drift falls on every side alike."""
    for index in range(max(runs for _row, runs, _action in jobs)):
        order = jobs if index % 2 == 0 else list(reversed(jobs))
        for row, runs, action in order:
            if index < runs:
                wall, cpu = timed(functools.partial(action, index))
                row.wall.append(wall)
                row.cpu.append(cpu)


def first_run(python: str, code: str, cwd: Path, env: dict[str, str]) -> None:
    """Run ``code`` once where a new project lives; anything on stderr is a failure."""
    import subprocess

    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )
    if done.returncode != 0 or done.stderr:
        raise BenchmarkError(f"`{python} -c {code!r}` in {cwd}: {done.stderr.strip()}")


def _uv_venv(uv: str, base: str, directory: Path, env: dict[str, str]) -> str:
    run([uv, "venv", "-q", "--python", base, str(directory)], env=env)
    return venv_python(directory)


def pins(packages: Sequence[Package]) -> list[str]:
    return [f"{p.distribution}=={p.version}" for p in packages]


def build(work: Path, wheel_cache: Path) -> Setup:
    """The tool venv with uv and matplotlib, the venvs, the store, the project, the hook."""
    base = os.path.realpath(sys.executable)
    env = clean_env(
        {
            "VIMPORT_STORE": str(work / "store"),
            "XDG_CACHE_HOME": str(work / "cache"),
            "UV_CACHE_DIR": str(work / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
        }
    )
    print(f"creating the tool venv (uv, matplotlib) from {base} in {work}", flush=True)
    tools = make_venv(base, work / "tools", env)
    # The user's own pip caches serve the tools: they are not what is measured.
    run([tools, "-m", "pip", "install", "-q", "uv", "matplotlib"], env=clean_env({}))
    uv = str(Path(tools).parent / "uv")
    wheels = fetch_wheels(tools, wheel_cache, env)
    print("creating the venvs (two hooked, one by pip, one by uv); filling the store", flush=True)
    hooked = make_venv(base, work / "venv-hooked", env)
    vimport("hook", "install", "--python", hooked, env=env)
    pip_venv = make_venv(base, work / "venv-pip", env)
    install = ["--no-index", "--no-deps", "--find-links", str(wheel_cache), *pins(PACKAGES)]
    run([pip_venv, "-m", "pip", "install", "-q", *install], env=env)
    hooked_uv = _uv_venv(uv, base, work / "venv-uv-hooked", env)
    vimport("hook", "install", "--python", hooked_uv, env=env)
    uv_venv = _uv_venv(uv, base, work / "venv-uv", env)
    run([uv, "pip", "install", "-q", "--python", uv_venv, *install], env=env)
    vimport("install", *map(str, wheels), env=env)
    project = write_project(work / "project", name="peers-bench")
    outside = work / "outside"
    outside.mkdir()
    from versioned_import._runtime.discover import find_project

    if find_project(str(outside)) is not None:
        raise BenchmarkError(f"{outside} lies inside a project; pass --keep DIR outside any")
    return Setup(
        work=work,
        base=base,
        env=env,
        uv=uv,
        tool_python=tools,
        wheels=wheel_cache,
        hooked=hooked,
        hooked_uv=hooked_uv,
        pip_venv=pip_venv,
        uv_venv=uv_venv,
        store=env["VIMPORT_STORE"],
        project=str(project),
        outside=str(outside),
    )


def timed_section(title: str, jobs: Sequence[Job]) -> Section:
    """Run ``jobs`` (see ``interleave``) and make them a section, with the load around them."""
    before = load_average()
    interleave(jobs)
    return Section(title, [row for row, _runs, _action in jobs], (before, load_average()))
