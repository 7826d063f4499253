"""Interpreter start-up with the hook, against a plain venv measured in the same run.

Two comparisons, each a hooked interpreter against a peer created the same way
(``python -m venv``, pip included) from the same real interpreter binary:

* active: ``python -c "import <30 packages>"`` in a project whose 30 dependencies come from the
  store through the hook (plan already computed), against a venv with the same 30 wheels
  installed by pip. Goal: median ratio <= 1.05.
* in a project: ``python -c pass`` in that project, against ``-c pass`` in the pip venv with the
  30 installed: what the hook's start costs where it has nothing to import. Goal: <= 1.05.
* inactive: ``python -c pass`` with the hook installed but no project (the working directory is
  outside any project), against a venv without the hook. Goal: median ratio <= 1.02.

Where valgrind is installed, each case also runs once under its cachegrind, and the report gives
the instructions it executed and their ratio: a count that repeats to ~0.2 %, where wall clock
moves with the host's load.

Run from the repository root: ``python benchmarks/startup.py`` (``--quick`` for a smoke run).
The wheels are fetched once with ``pip download`` into a cache outside the repository.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# `python benchmarks/startup.py` puts benchmarks/ on sys.path, not the checkout it measures.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    BIN,
    PACKAGES,
    BenchmarkError,
    Case,
    Check,
    clean_env,
    count_instructions,
    cpu_model,
    expect,
    fetch_wheels,
    load_average,
    make_venv,
    measure,
    plan_snapshot,
    prepare,
    run,
    site_packages,
    vimport,
    write_project,
)

ACTIVE_GOAL = 1.05
INACTIVE_GOAL = 1.02
# `-c pass` takes ~10 ms and the goal is 2% of it, so its pair runs this many times per round.
INACTIVE_REPEAT = 10


@dataclass(frozen=True)
class Comparison:
    subject: Case
    peer: Case
    goal: float
    within: str
    """What the goal is a margin over: ``the venv``, ``bare``."""
    repeat: int = 1
    """Runs of this pair per round: a cheap case gets more, so its median is as tight."""

    @property
    def goal_text(self) -> str:
        return f"≤ {self.goal:.2f} (within {self.goal - 1:.0%} of {self.within})"


@dataclass(frozen=True)
class Setup:
    hooked: str
    with_pip: str
    bare: str
    project: str
    outside: str
    store: str


def build(work: Path, cache: Path, env: dict[str, str]) -> Setup:
    """Create the three venvs, the store, the project and the hook."""
    base = os.path.realpath(sys.executable)
    print(f"creating three venvs from {base} in {work}", flush=True)
    hooked = make_venv(base, work / "venv-hooked", env)
    with_pip = make_venv(base, work / "venv-pip", env)
    bare = make_venv(base, work / "venv-bare", env)
    wheels = [str(w) for w in fetch_wheels(with_pip, cache, env)]
    print(f"installing {len(wheels)} wheels into the store and into the pip venv", flush=True)
    vimport("install", *wheels, env=env)
    pip_install = [with_pip, "-m", "pip", "install", "--no-index", "--no-deps", "--find-links"]
    run([*pip_install, str(cache), *(f"{p.distribution}=={p.version}" for p in PACKAGES)], env=env)
    print(f"  {vimport('hook', 'install', '--python', hooked, env=env).strip()}", flush=True)
    project = str(write_project(work / "project"))
    outside = work / "outside"
    outside.mkdir()
    from versioned_import._runtime.discover import find_project

    if find_project(str(outside)) is not None:
        raise BenchmarkError(f"{outside} lies inside a project; pass --keep DIR outside any")
    return Setup(hooked, with_pip, bare, project, str(outside), env["VIMPORT_STORE"])


def comparisons(setup: Setup, env: dict[str, str]) -> tuple[Comparison, ...]:
    """The active, in-a-project and inactive comparisons, each case with its probe's check."""
    names = tuple(p.import_name for p in PACKAGES)
    imports = "import " + ", ".join(names)
    store = os.path.join(setup.store, "")
    pip_site = os.path.join(site_packages(setup.with_pip, env), "")
    hooked_project = expect(hook=True, project=setup.project, files_under=store)
    active = Comparison(
        Case(
            "import 30 packages: hook, project",
            setup.hooked,
            imports,
            setup.project,
            names,
            hooked_project,
        ),
        Case(
            "import 30 packages: venv, pip",
            setup.with_pip,
            imports,
            setup.project,
            names,
            expect(hook=False, project=None, files_under=pip_site),
        ),
        ACTIVE_GOAL,
        "the venv",
    )
    plain = expect(hook=False, project=None, files_under=None)
    hooked_pass = expect(hook=True, project=setup.project, files_under=None)
    inactive_check = expect(hook=True, project=None, files_under=None)
    in_project = Comparison(
        _passes("hook, project", setup.hooked, setup.project, hooked_pass),
        _passes("venv, pip", setup.with_pip, setup.outside, plain),
        ACTIVE_GOAL,
        "the venv",
        repeat=INACTIVE_REPEAT,
    )
    inactive = Comparison(
        _passes("hook, no project", setup.hooked, setup.outside, inactive_check),
        _passes("venv, no hook", setup.bare, setup.outside, plain),
        INACTIVE_GOAL,
        "bare",
        repeat=INACTIVE_REPEAT,
    )
    return active, in_project, inactive


def _passes(label: str, python: str, cwd: str, check: Check) -> Case:
    """``python -c pass`` run in ``cwd``."""
    return Case(f"`-c pass`: {label}", python, "pass", cwd, (), check)


# -- reporting ---------------------------------------------------------------------------------


def table(pairs: Sequence[Comparison]) -> str:
    lines = [
        "| case | median ms | min ms | CPU ms | runs | ratio to peer | instructions | "
        "instruction ratio | goal | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for comparison in pairs:
        subject, peer = comparison.subject, comparison.peer
        ratio = statistics.median(subject.samples) / statistics.median(peer.samples)
        verdict = "PASS" if ratio <= comparison.goal else "MISS"
        ratio_of_counts = ""
        if subject.instructions is not None and peer.instructions is not None:
            ratio_of_counts = f"{subject.instructions / peer.instructions:.4f}"
        for case, cells, count_ratio in (
            (subject, [comparison.goal_text, verdict], ratio_of_counts),
            (peer, ["", ""], "1 (peer)" if ratio_of_counts else ""),
        ):
            row = [
                case.label,
                f"{statistics.median(case.samples):.2f}",
                f"{min(case.samples):.2f}",
                f"{statistics.median(case.cpu):.2f}",
                str(len(case.samples)),
                f"{ratio:.4f}" if case is subject else "1 (peer)",
                "" if case.instructions is None else f"{case.instructions:,}",
                count_ratio,
                *cells,
            ]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def deltas(pairs: Sequence[Comparison]) -> str:
    parts = []
    for c in pairs:
        wall = statistics.median(c.subject.samples) - statistics.median(c.peer.samples)
        cpu, cpu_peer = statistics.median(c.subject.cpu), statistics.median(c.peer.cpu)
        parts.append(
            f"- {c.subject.label}: {wall:+.2f} ms wall clock, {cpu - cpu_peer:+.2f} ms CPU "
            f"(CPU ratio {cpu / cpu_peer:.4f}) against its peer (medians)"
        )
    return "\n".join(parts)


def environment(python: str, runs: int, warmups: int, load: tuple[float, float]) -> str:
    base = os.path.realpath(python)
    cpus = os.cpu_count() or 1
    busy = max(load) > cpus / 2
    return "\n".join(
        [
            f"- timed interpreter: the venvs' `{BIN}/python` → `{base}` "
            f"(CPython {platform.python_version()}, {sys.implementation.cache_tag})",
            f"- machine: {platform.platform()}, {os.cpu_count()} CPUs, {cpu_model()}",
            f"- {runs} rounds, interleaved (order reversed every round); `-c pass` runs "
            f"{INACTIVE_REPEAT} times per round; untimed warm-up runs per case first: {warmups}; "
            "wall clock from spawn to exit; no PYTHON*/VIMPORT_* variables in the children",
            f"- load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}"
            + (
                f" -- other processes competed for the {cpus} CPUs, so wall-clock medians "
                "are noisy: compare the CPU column too, or run again on a quiet machine"
                if busy
                else ""
            ),
        ]
    )


# -- main --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--runs",
        type=int,
        default=60,
        help=f"rounds (default 60; `-c pass` runs {INACTIVE_REPEAT}x)",
    )
    parser.add_argument("--warmups", type=int, default=3, help="untimed runs per case first")
    parser.add_argument("--quick", action="store_true", help="10 rounds, 1 warm-up: a smoke test")
    parser.add_argument(
        "--wheel-cache",
        type=Path,
        default=default_cache / "versioned-import-bench" / "wheels",
        help="where the downloaded wheels are kept between runs",
    )
    parser.add_argument("--keep", type=Path, help="build in this new directory and keep it")
    parser.add_argument("--output", type=Path, help="also write the report (Markdown) here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs, warmups = (10, 1) if args.quick else (args.runs, args.warmups)
    if args.keep:
        args.keep.mkdir(parents=True)
    work = (args.keep or Path(tempfile.mkdtemp(prefix="vimport-startup-"))).resolve()
    try:
        return _benchmark(work, args.wheel_cache.resolve(), runs, warmups, args)
    except BenchmarkError as exc:
        print(f"startup benchmark: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            from versioned_import.store import remove_tree

            remove_tree(str(work))


def _benchmark(work: Path, cache: Path, runs: int, warmups: int, args: argparse.Namespace) -> int:
    env = clean_env({"VIMPORT_STORE": str(work / "store"), "XDG_CACHE_HOME": str(work / "cache")})
    pairs = comparisons(build(work, cache, env), env)
    cases = [case for c in pairs for case in (c.subject, c.peer)]
    print(f"warming up and checking the {len(cases)} cases", flush=True)
    for case in cases:
        prepare(case, env, warmups)
    plans = plan_snapshot(work / "cache")
    for case in cases:
        case.instructions = count_instructions(case, env)
    if cases[0].instructions is not None:
        print("counted the instructions of one run of each case under valgrind", flush=True)
    print(f"timing {runs} rounds", flush=True)
    load_before = load_average()
    measure([((c.subject, c.peer), c.repeat) for c in pairs], env, runs)
    load = (load_before, load_average())
    if plan_snapshot(work / "cache") != plans or len(plans) != 1:
        raise BenchmarkError(f"the plan was computed during the timed runs: {plans}")
    report = "\n\n".join(
        [
            "## Interpreter start-up: versioned-import hook against a plain venv",
            environment(cases[0].python, runs, warmups, load),
            table(pairs),
            deltas(pairs),
        ]
    )
    print("\n" + report)
    if args.output:
        args.output.write_text(report + "\n", encoding="utf-8")
    missed = any(
        statistics.median(c.subject.samples) / statistics.median(c.peer.samples) > c.goal
        for c in pairs
    )
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
