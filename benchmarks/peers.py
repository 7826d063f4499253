"""versioned-import against ``python -m venv`` + pip and against uv, measured in one run.

Six jobs, each done by every tool on this machine, on the 30 pinned packages of ``common.py``
(case 5 on a fabricated graph of 320 distributions):

1. interpreter start-up, ``python -c pass``: hook active (in a project), hook inactive (no
   project), and in a venv made by pip and by uv;
2. ``python -c "import <the 30>"``: the project through the hook, a pip venv, a uv venv;
3. a new project ready to run, everything present locally: write the manifest and run
   ``python -c "import six"`` once (the plan is computed then), against creating a venv and
   installing the 30 from the local wheels into it (uv with a warm cache);
4. the same for 10 projects that each use 25 of the 30: time, and disk for all 10;
5. resolution alone, a project whose closure is 320 distributions with 4 versions each:
   ``planner.compute`` against ``uv pip compile`` and ``pip install --dry-run --report``;
6. ``vimport sync`` with a cold store and caches, with the uv engine and with the pip engine,
   against ``uv venv`` + ``uv pip install`` with a cold cache, with and without
   ``--compile-bytecode`` (the same outcome as the store's), from the package index through this
   machine's pip configuration.

Run from the repository root: ``python benchmarks/peers.py`` (``--quick`` for a smoke run).
The report goes to ``benchmarks/results/peers.md``, the chart to ``peers.png``. ``--cold-sync``
runs case 6 alone and prints it, leaving the results as they are.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# `python benchmarks/peers.py` puts benchmarks/ on sys.path, not the checkout it measures.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, BenchmarkError, cpu_model, run
from benchmarks.local_cases import (
    PASS_REPEAT,
    PRIVATE_COPY_ROW,
    PROJECTS,
    SUBSET,
    Disk,
    new_project,
    startup_and_imports,
    ten_projects,
)
from benchmarks.report import Goal, Section, disk_table, goals_table, table
from benchmarks.resolver_cases import BYTECODE, cold_sync, resolution
from benchmarks.workbench import FULL, QUICK, Runs, Setup, build

STARTUP_GOAL = 1.05
SETUP_FASTER_THAN_UV = 10.0
SETUP_FASTER_THAN_PIP = 100.0
DISK_GOAL = 1.1
SYNC_GOAL = 1.5
SAME_OUTCOME_GOAL = 1.0
SET_UP_FASTER_THAN_UV = 5.0
RESOLVE_WITHIN_UV = 5.0
RESULTS = REPO / "benchmarks" / "results"


# -- goals and the report ----------------------------------------------------------------------


def goals(sections: Sequence[Section], disk: Disk) -> list[Goal]:
    passes, imports, one, ten, resolve, sync = sections
    found = []
    for section in (passes, imports):
        for row in section.rows:
            if row.role != "vimport":
                continue
            (peer,) = row.compare
            ratio = section.ratio(row, peer)
            found.append(
                Goal(
                    f"{section.title}, {row.label.removeprefix('vimport: ')}: within 5% of the "
                    "same venv without the hook",
                    f"{ratio:.3f}x",
                    ratio <= STARTUP_GOAL,
                )
            )
    for section in (one, ten):
        row = section.rows[0]
        for role, name, wanted in (
            ("uv", "uv", SETUP_FASTER_THAN_UV),
            ("pip", "venv + pip", SETUP_FASTER_THAN_PIP),
        ):
            faster = 1 / section.ratio(row, role)
            title = section.title.split("(")[0].strip()
            found.append(
                Goal(
                    f"{title}: at least {wanted:.0f}x faster than {name}",
                    _speed(faster),
                    faster >= wanted,
                )
            )
    found += [_set_up_goal(one), _resolve_goal(resolve)]
    ratio = disk.rows[0][2].unique / disk.one_copy.unique
    found.append(
        Goal(
            f"disk for {PROJECTS} projects: at most {DISK_GOAL}x one copy of the unique versions",
            f"{ratio:.3f}x",
            ratio <= DISK_GOAL,
        )
    )
    return found + sync_goals(sync)


def sync_goals(sync: Section) -> list[Goal]:
    """Case 6's goals: against uv with bytecode (the same outcome) and without."""
    to_uv = sync.ratio(sync.rows[0], "uv")
    same_outcome = next(row for row in sync.rows if BYTECODE in row.label)
    to_same = sync.rows[0].median / same_outcome.median
    return [
        Goal(
            f"cold `vimport sync` (uv engine): at most {SAME_OUTCOME_GOAL}x uv with "
            f"`{BYTECODE}` (the same outcome: bytecode compiled)",
            f"{to_same:.2f}x",
            to_same <= SAME_OUTCOME_GOAL,
        ),
        Goal(
            f"cold `vimport sync` (uv engine): within {SYNC_GOAL}x of uv without bytecode",
            f"{to_uv:.2f}x uv's time",
            to_uv <= SYNC_GOAL,
        ),
    ]


def _set_up_goal(one: Section) -> Goal:
    """A new project's set-up alone: its first run minus a run whose plan is computed, against
    uv making a venv and installing into it."""
    floor = next(row for row in one.rows if row.role == "info")
    uv = one.peer("uv")
    assert uv is not None
    set_up = one.rows[0].median - floor.median
    faster = uv.median / set_up if set_up > 0 else math.inf
    measured = f"{set_up:.1f} ms, {_speed(faster)}" if set_up > 0 else "below the noise"
    return Goal(
        f"3. a new project's set-up (first run minus a warm run): at least "
        f"{SET_UP_FASTER_THAN_UV:.0f}x faster than uv",
        measured,
        faster >= SET_UP_FASTER_THAN_UV,
    )


def _resolve_goal(resolve: Section) -> Goal:
    in_process = next(row for row in resolve.rows if "in this process" in row.label)
    uv = resolve.peer("uv")
    assert uv is not None
    ratio = in_process.median / uv.median
    return Goal(
        f"5. resolving in this process: within {RESOLVE_WITHIN_UV:.0f}x of `uv pip compile` warm",
        f"{ratio:.1f}x uv's time",
        ratio <= RESOLVE_WITHIN_UV,
    )


def _speed(faster: float) -> str:
    if faster < 1:
        return f"{1 / faster:.2f}x slower"
    return f"{faster:.2f}x faster" if faster < 10 else f"{faster:.0f}x faster"


def environment(setup: Setup, runs: Runs, sections: Sequence[Section], minutes: float) -> str:
    cpus = os.cpu_count() or 1
    uv_version = run([setup.uv, "--version"], env=setup.env).strip()
    pip_version = run([setup.base, "-m", "pip", "--version"], env=setup.env).split(" from ")[0]
    venv_pip = run([setup.pip_venv, "-m", "pip", "--version"], env=setup.env).split(" from ")[0]
    loads = "; ".join(
        f"{s.title.split('.')[0]}: {s.load[0]:.2f} / {s.load[1]:.2f}" for s in sections
    )
    busy = any(max(s.load) > cpus / 2 for s in sections)
    return "\n".join(
        [
            f"- timed interpreter: `{setup.base}` (CPython {platform.python_version()}); every "
            "venv is made from it, and the hook goes into one venv of each kind",
            f"- machine: {platform.platform()}, {cpus} CPUs, {cpu_model()}",
            f"- peers: {venv_pip} in the venvs, {pip_version} for case 5, "
            f"{uv_version} (in the benchmark's own tool venv); `vimport sync` runs from a venv "
            "with versioned-import installed by pip, with the uv and pip its dependencies pull",
            f"- cases 1 and 2: {runs.rounds} rounds, interleaved, order reversed every round; "
            f"`-c pass` runs {PASS_REPEAT} times per round; wall clock from spawn to exit of "
            "the real binary. Cases 3-6: the runs column; runs interleaved the same way, wall "
            "clock of the whole job; CPU is user + system time of the benchmark and every child",
            "- children get this process's environment without PYTHON*, VIMPORT_* and UV_* "
            "variables, with VIMPORT_STORE, XDG_CACHE_HOME and UV_CACHE_DIR in the work "
            "directory (pip's own configuration is kept)",
            f"- load average (1 min) before / after each case: {loads}"
            + (
                f" -- other processes competed for the {cpus} CPUs: wall-clock medians are "
                "noisy, compare the CPU column"
                if busy
                else ""
            ),
            f"- the whole run took {minutes:.1f} minutes",
        ]
    )


def floor_note(new: Section) -> str:
    """What a new project's first run would cost if computing its plan were free."""
    floor = next(row for row in new.rows if row.role == "info")
    uv = new.peer("uv")
    pip = new.peer("pip")
    assert uv is not None and pip is not None
    return (
        f"case 3: a run whose plan is already computed takes {floor.median:.1f} ms, so even a "
        f"plan computed for free would make a new project {uv.median / floor.median:.1f}x "
        f"faster than uv and {pip.median / floor.median:.0f}x faster than venv + pip; the "
        f"plan now costs {new.rows[0].median - floor.median:.0f} ms of the first run"
    )


def private_copy_note(imports: Section) -> str:
    """What loading a private copy costs, against the same 30 imports without one."""
    split = next(r for r in imports.rows if r.label.startswith(PRIVATE_COPY_ROW))
    plain = next(r for r in imports.rows if r.role == "vimport")
    return (
        f"case 2: the 30 imports plus two small dependents of two versions of one library, one "
        f"of them a private copy, take {split.median:.1f} ms, {split.median - plain.median:+.1f} "
        f"ms against the 30 through the hook ({split.median / plain.median:.3f}x)"
    )


def report(
    setup: Setup,
    runs: Runs,
    sections: Sequence[Section],
    disk: Disk,
    found: Sequence[Goal],
    notes: Sequence[str],
    minutes: float,
) -> str:
    return "\n\n".join(
        [
            "## versioned-import against venv + pip and uv",
            "What each case measures and how to read the tables: `benchmarks/README.md`.",
            environment(setup, runs, sections, minutes),
            "### Time (each figure the median of the runs; ratio = this row over the peer)",
            table(sections),
            f"### Disk for {PROJECTS} projects of {SUBSET} packages each (allocated blocks)",
            disk_table(disk.rows, disk.one_copy),
            "### Goals",
            goals_table(found),
            "\n".join(f"- {note}" for note in notes),
        ]
    )


def chart(setup: Setup, sections: Sequence[Section], disk: Disk, output: Path) -> None:
    """Draw ``output`` with matplotlib, in the tool venv (the project does not need it)."""
    data = {
        "title": "versioned-import against venv + pip and uv (lower is better)",
        "sections": [
            {
                "title": s.title,
                "rows": [{"label": r.label, "role": r.role, "median": r.median} for r in s.rows],
            }
            for s in sections
        ],
        "disk": {
            "title": f"{PROJECTS} projects: disk, each inode once",
            "rows": [
                {"label": label, "role": role, "unique": u.unique} for label, role, u in disk.rows
            ],
        },
    }
    source = setup.work / "results.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    chart_py = str(Path(__file__).resolve().parent / "chart.py")
    run([setup.tool_python, chart_py, str(source), str(output)], env=setup.env)


# -- main --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one or two runs each: a smoke test")
    parser.add_argument("--rounds", type=int, help="rounds of cases 1 and 2 (default 40)")
    parser.add_argument(
        "--wheel-cache",
        type=Path,
        default=default_cache / "versioned-import-bench" / "wheels",
        help="where the 30 downloaded wheels are kept between runs (shared with startup.py)",
    )
    parser.add_argument("--keep", type=Path, help="build in this new directory and keep it")
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS, help="where peers.md and peers.png go"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--cold-sync",
        action="store_true",
        help="case 6 alone, printed with its goals; the results are left as they are",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs = QUICK if args.quick else FULL
    if args.rounds:
        runs = Runs(args.rounds, runs.fast, runs.slow, runs.slowest)
    if args.keep:
        args.keep.mkdir(parents=True)
    work = (args.keep or Path(tempfile.mkdtemp(prefix="vimport-peers-"))).resolve()
    try:
        return _benchmark(work, args.wheel_cache.resolve(), runs, args)
    except BenchmarkError as exc:
        print(f"peers benchmark: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            from versioned_import.store import remove_tree

            remove_tree(str(work))


def _benchmark(work: Path, wheel_cache: Path, runs: Runs, args: argparse.Namespace) -> int:
    started = time.monotonic()
    setup = build(work, wheel_cache)
    if args.cold_sync:
        return _cold_sync_alone(setup, runs, args.check)
    sections = startup_and_imports(setup, runs)
    sections.append(new_project(setup, runs))
    ten, disk = ten_projects(setup, runs)
    sections.append(ten)
    resolved, notes = resolution(setup, runs)
    sections.append(resolved)
    synced, more = cold_sync(setup, runs)
    sections.append(synced)
    found = goals(sections, disk)
    minutes = (time.monotonic() - started) / 60
    notes = [floor_note(sections[2]), private_copy_note(sections[1]), *notes, *more]
    text = report(setup, runs, sections, disk, found, notes, minutes)
    print("\n" + text)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "peers.md").write_text(text + "\n", encoding="utf-8")
    chart(setup, sections, disk, args.output_dir / "peers.png")
    print(f"\nwrote {args.output_dir / 'peers.md'} and {args.output_dir / 'peers.png'}")
    return _verdict(found, args.check)


def _cold_sync_alone(setup: Setup, runs: Runs, check: bool) -> int:
    """Case 6 alone: what a change to the sync is measured with, in minutes rather than the
    whole run's ten."""
    synced, notes = cold_sync(setup, runs)
    print("\n" + table([synced]) + "\n\n" + "\n".join(f"- {note}" for note in notes) + "\n")
    return _verdict(sync_goals(synced), check)


def _verdict(found: Sequence[Goal], check: bool) -> int:
    for goal in found:
        print(f"{'PASS' if goal.passed else 'MISS'}  {goal.text}: {goal.measured}")
    missed = not all(goal.passed for goal in found)
    return 1 if missed and check else 0


if __name__ == "__main__":
    sys.exit(main())
