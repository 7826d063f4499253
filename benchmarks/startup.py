"""Interpreter start-up with the hook, against a plain venv measured in the same run.

Two comparisons, each a hooked interpreter against a peer created the same way
(``python -m venv``, pip included) from the same real interpreter binary:

* active: ``python -c "import <30 packages>"`` in a project whose 30 dependencies come from the
  store through the hook (plan already computed), against a venv with the same 30 wheels
  installed by pip. Goal: median ratio <= 1.05.
* inactive: ``python -c pass`` with the hook installed but no project (the working directory is
  outside any project), against a venv without the hook. Goal: median ratio <= 1.02.

Run from the repository root: ``python benchmarks/startup.py`` (``--quick`` for a smoke run).
The wheels are fetched once with ``pip download`` into a cache outside the repository.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


class Package(NamedTuple):
    distribution: str
    version: str
    import_name: str


# The 30 distributions, pinned. The set is closed under its dependencies (every Requires-Dist
# that applies on Linux names another row), so everything is installed with --no-deps.
# tomli's compiled wheels ship a top-level `<hash>__mypyc` extension module that only C code
# imports: the set keeps it as a check that the store finds such modules.
PACKAGES: tuple[Package, ...] = (
    Package("six", "1.17.0", "six"),
    Package("attrs", "26.1.0", "attrs"),
    Package("idna", "3.20", "idna"),
    Package("certifi", "2026.7.22", "certifi"),
    Package("charset-normalizer", "3.5.2", "charset_normalizer"),
    Package("urllib3", "2.8.0", "urllib3"),
    Package("requests", "2.34.2", "requests"),
    Package("packaging", "26.3", "packaging"),
    Package("pyparsing", "3.3.3", "pyparsing"),
    Package("python-dateutil", "2.9.0.post0", "dateutil"),
    Package("pytz", "2026.4", "pytz"),
    Package("tzdata", "2026.4", "tzdata"),
    Package("click", "8.5.0", "click"),
    Package("itsdangerous", "2.2.0", "itsdangerous"),
    Package("markupsafe", "3.0.3", "markupsafe"),
    Package("jinja2", "3.1.6", "jinja2"),
    Package("werkzeug", "3.1.9", "werkzeug"),
    Package("pyyaml", "6.0.3", "yaml"),
    Package("toml", "0.10.2", "toml"),
    Package("typing-extensions", "4.16.0", "typing_extensions"),
    Package("zipp", "4.1.0", "zipp"),
    Package("more-itertools", "11.1.0", "more_itertools"),
    Package("colorama", "0.4.6", "colorama"),
    Package("pygments", "2.21.0", "pygments"),
    Package("wrapt", "2.5.0", "wrapt"),
    Package("decorator", "5.3.1", "decorator"),
    Package("docutils", "0.23", "docutils"),
    Package("msgpack", "1.2.3", "msgpack"),
    Package("simplejson", "4.1.2", "simplejson"),
    Package("tomli", "2.4.1", "tomli"),
)

ACTIVE_GOAL = 1.05
INACTIVE_GOAL = 1.02
# `-c pass` takes ~10 ms and the goal is 2% of it, so its pair runs this many times per round.
INACTIVE_REPEAT = 10
REPO = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"

# Printed by every child before it exits, after the case's own code: what the benchmark checks
# before it trusts a timing (the hook ran or not, where modules came from, bytecode was used).
_PROBE = """
import json, os, sys


def _fresh(source, cached):
    # The pyc header as importlib checks it: flags, then source mtime and size (PEP 552).
    try:
        with open(cached, "rb") as f:
            header = f.read(16)
        st = os.stat(source)
    except OSError:
        return False
    if int.from_bytes(header[4:8], "little") & 1:
        return True
    return header[8:16] == (
        (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    )


_specs = [getattr(m, "__spec__", None) for m in list(sys.modules.values())]
print(json.dumps({
    "hook": hasattr(
        sys.modules.get("_vimport_hook") or sys.modules.get("sitecustomize"), "_vimport_start"
    ),
    "project": os.environ.get("VIMPORT_PROJECT"),
    "files": {n: getattr(sys.modules[n], "__file__", None) for n in NAMES},
    "no_bytecode": sorted(
        s.origin for s in _specs
        if s is not None and s.cached and s.origin and s.origin.endswith(".py")
        and not _fresh(s.origin, s.cached)
    ),
}))
"""


class BenchmarkError(Exception):
    """A setup step failed or a case did not run as intended; the message says which."""


Check = Callable[[dict[str, object]], str | None]


@dataclass
class Case:
    label: str
    python: str
    code: str
    cwd: str
    names: tuple[str, ...]
    check: Check
    """Returns what is wrong with the probe's report, or None."""
    samples: list[float] = field(default_factory=list)
    """Wall-clock milliseconds, one per timed run."""
    cpu: list[float] = field(default_factory=list)
    """The child's user + system CPU milliseconds, one per timed run (NaN where unknown)."""

    @property
    def argv(self) -> list[str]:
        return [self.python, "-c", self.code]


@dataclass(frozen=True)
class Comparison:
    subject: Case
    peer: Case
    goal: float
    goal_text: str
    repeat: int = 1
    """Runs of this pair per round: a cheap case gets more, so its median is as tight."""


# -- setup -------------------------------------------------------------------------------------


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without VIMPORT_* and PYTHON* variables, plus ``extra``.

    Dropping PYTHONDONTWRITEBYTECODE matters: both sides must run from compiled bytecode.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIMPORT_", "PYTHON"))}
    env.update(extra)
    return env


def run(argv: Sequence[str], *, env: dict[str, str], cwd: Path | None = None) -> str:
    """Run a setup command; its output only matters when it fails."""
    done = subprocess.run(list(argv), capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if done.returncode != 0:
        raise BenchmarkError(
            f"`{' '.join(argv)}` failed with exit code {done.returncode}:\n"
            f"{done.stdout}{done.stderr}".rstrip()
        )
    return done.stdout


def make_venv(base_python: str, directory: Path, env: dict[str, str]) -> str:
    """``python -m venv`` with pip, from the real interpreter; returns the venv's python."""
    run([base_python, "-m", "venv", str(directory)], env=env)
    return str(directory / BIN / ("python.exe" if os.name == "nt" else "python"))


def cached_wheels(cache: Path) -> dict[Package, Path]:
    """Wheels in ``cache`` that this interpreter can install, by the package they provide."""
    from packaging.tags import sys_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename
    from packaging.version import Version

    supported = set(sys_tags())
    wanted = {(canonicalize_name(p.distribution), Version(p.version)): p for p in PACKAGES}
    found: dict[Package, Path] = {}
    for wheel in sorted(cache.glob("*.whl")) if cache.is_dir() else []:
        name, version, _build, tags = parse_wheel_filename(wheel.name)
        package = wanted.get((name, version))
        if package is not None and tags & supported:
            found[package] = wheel
    return found


def fetch_wheels(pip_python: str, cache: Path, env: dict[str, str]) -> list[Path]:
    """The 30 wheels, downloading into ``cache`` only those it does not hold yet."""
    missing = [p for p in PACKAGES if p not in cached_wheels(cache)]
    if missing:
        print(f"downloading {len(missing)} wheels into {cache}", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        pins = [f"{p.distribution}=={p.version}" for p in missing]
        download = [pip_python, "-m", "pip", "download", "--only-binary=:all:", "--no-deps"]
        run([*download, "--dest", str(cache), *pins], env=env)
    found = cached_wheels(cache)
    still = [p.distribution for p in PACKAGES if p not in found]
    if still:
        raise BenchmarkError(f"{cache}: no installable wheel for {', '.join(still)} after pip")
    return [found[p] for p in PACKAGES]


def vimport(*args: str, env: dict[str, str]) -> str:
    """The CLI of this checkout, run by the interpreter running the benchmark."""
    return run([sys.executable, "-m", "versioned_import", *args], env=env, cwd=REPO)


def write_project(directory: Path) -> Path:
    directory.mkdir(parents=True)
    pins = "".join(f'    "{p.distribution}=={p.version}",\n' for p in PACKAGES)
    (directory / "pyproject.toml").write_text(
        '[project]\nname = "startup-bench"\nversion = "0"\n'
        f"dependencies = [\n{pins}]\n\n[tool.vimport]\n",
        encoding="utf-8",
    )
    return directory


# -- the cases ---------------------------------------------------------------------------------


def _expect(*, hook: bool, project: str | None, files_under: str | None) -> Check:
    def check(report: dict[str, object]) -> str | None:
        if report["hook"] is not hook:
            return "the hook ran" if report["hook"] else "the hook did not run"
        if report["project"] != project:
            return f"VIMPORT_PROJECT is {report['project']!r}, expected {project!r}"
        files = report["files"]
        assert isinstance(files, dict)
        strays = [n for n, f in files.items() if not str(f).startswith(str(files_under))]
        if strays:
            return f"imported from elsewhere than {files_under}: {strays}"
        if report["no_bytecode"]:
            return f"modules loaded without bytecode: {report['no_bytecode']}"
        return None

    return check


def site_packages(python: str, env: dict[str, str]) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return run([python, "-c", code], env=env).strip()


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
    from versioned_import.discover import find_project

    if find_project(str(outside)) is not None:
        raise BenchmarkError(f"{outside} lies inside a project; pass --keep DIR outside any")
    return Setup(hooked, with_pip, bare, project, str(outside), env["VIMPORT_STORE"])


def comparisons(setup: Setup, env: dict[str, str]) -> tuple[Comparison, Comparison]:
    """The active and the inactive comparison, each case with the check of its probe."""
    names = tuple(p.import_name for p in PACKAGES)
    imports = "import " + ", ".join(names)
    store = os.path.join(setup.store, "")
    pip_site = os.path.join(site_packages(setup.with_pip, env), "")
    hooked_project = _expect(hook=True, project=setup.project, files_under=store)
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
            _expect(hook=False, project=None, files_under=pip_site),
        ),
        ACTIVE_GOAL,
        f"≤ {ACTIVE_GOAL:.2f} (within 5% of the venv)",
    )
    inactive = Comparison(
        Case(
            "`-c pass`: hook, no project",
            setup.hooked,
            "pass",
            setup.outside,
            (),
            _expect(hook=True, project=None, files_under=None),
        ),
        Case(
            "`-c pass`: venv, no hook",
            setup.bare,
            "pass",
            setup.outside,
            (),
            _expect(hook=False, project=None, files_under=None),
        ),
        INACTIVE_GOAL,
        f"≤ {INACTIVE_GOAL:.2f} (within 2% of bare)",
        repeat=INACTIVE_REPEAT,
    )
    return active, inactive


# -- measuring ---------------------------------------------------------------------------------


def prepare(case: Case, env: dict[str, str], warmups: int) -> None:
    """Run ``case`` untimed (writing any bytecode, computing the plan), then check its probe."""
    for _ in range(warmups):
        done = subprocess.run(
            case.argv, capture_output=True, text=True, env=env, cwd=case.cwd, check=False
        )
        if done.returncode != 0 or done.stderr:
            raise BenchmarkError(
                f"{case.label}: `{case.python} -c ...` in {case.cwd} exited with "
                f"{done.returncode}:\n{done.stderr}".rstrip()
            )
    probe = f"{case.code}\nNAMES = {case.names!r}\n{_PROBE}"
    report = json.loads(run([case.python, "-c", probe], env=env, cwd=Path(case.cwd)))
    problem = case.check(report)
    if problem:
        raise BenchmarkError(f"{case.label}: {problem}")


def time_once(case: Case, env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock milliseconds from spawning ``case`` to reaping it (output to /dev/null), and
    the CPU milliseconds the child used, which other load on the machine barely changes."""
    cpu = math.nan
    if sys.platform == "win32":  # no posix_spawn; subprocess adds a constant to both sides
        start = time.perf_counter_ns()
        code = subprocess.call(
            case.argv, env=env, cwd=case.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        elapsed = time.perf_counter_ns() - start
    else:
        # posix_spawn (vfork-like) keeps the launcher's own cost small and constant; it has no
        # working-directory action before Python 3.13, so the launcher moves there first.
        os.chdir(case.cwd)
        actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
        start = time.perf_counter_ns()
        pid = os.posix_spawn(case.python, case.argv, env, file_actions=actions)
        _pid, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter_ns() - start
        code = os.waitstatus_to_exitcode(status)
        cpu = (usage.ru_utime + usage.ru_stime) * 1e3
    if code != 0:
        raise BenchmarkError(f"{case.label}: exited with {code} during the timed runs")
    return elapsed / 1e6, cpu


def measure(pairs: Sequence[Comparison], env: dict[str, str], rounds: int) -> None:
    """Time every case, interleaved: each round runs each pair ``repeat`` times, and every other
    round runs in reverse order (A B C D C D, then D C D C B A), so that drift and cache
    effects fall on both sides of a comparison alike."""
    import gc

    schedule = [case for c in pairs for _ in range(c.repeat) for case in (c.subject, c.peer)]
    here = os.getcwd()
    gc.disable()
    try:
        for index in range(rounds):
            for case in schedule if index % 2 == 0 else reversed(schedule):
                wall, cpu = time_once(case, env)
                case.samples.append(wall)
                case.cpu.append(cpu)
    finally:
        gc.enable()
        os.chdir(here)


def plan_snapshot(cache_home: Path) -> dict[str, int]:
    plans = cache_home / "versioned-import" / "plans"
    return {str(p): p.stat().st_mtime_ns for p in plans.rglob("*.plan")}


# -- reporting ---------------------------------------------------------------------------------


def table(pairs: Sequence[Comparison]) -> str:
    lines = [
        "| case | median ms | min ms | CPU ms | runs | ratio to peer | goal | result |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for comparison in pairs:
        subject, peer = comparison.subject, comparison.peer
        ratio = statistics.median(subject.samples) / statistics.median(peer.samples)
        verdict = "PASS" if ratio <= comparison.goal else "MISS"
        for case, cells in (
            (subject, [f"{ratio:.4f}", comparison.goal_text, verdict]),
            (peer, ["1 (peer)", "", ""]),
        ):
            row = [
                case.label,
                f"{statistics.median(case.samples):.2f}",
                f"{min(case.samples):.2f}",
                f"{statistics.median(case.cpu):.2f}",
                str(len(case.samples)),
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
            f"- machine: {platform.platform()}, {os.cpu_count()} CPUs, {_cpu_model()}",
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


def _load_average() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows
        return math.nan


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


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
    if str(REPO) not in sys.path:
        # `python benchmarks/startup.py` puts benchmarks/ first, not the checkout it measures.
        sys.path.insert(0, str(REPO))
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
    print(f"timing {runs} rounds", flush=True)
    load_before = _load_average()
    measure(pairs, env, runs)
    load = (load_before, _load_average())
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
