"""What the benchmarks share: the 30 pinned packages, their wheel cache, clean child environments,
and interleaved timing of the real interpreter binary with a probe that checks each case.

Every benchmark runs from the repository root as ``python benchmarks/NAME.py`` and times children
started from ``os.path.realpath(sys.executable)``, never a shim such as pyenv's (tens of
milliseconds on every start).
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "BIN",
    "PACKAGES",
    "REPO",
    "BenchmarkError",
    "Case",
    "Check",
    "Package",
    "cached_wheels",
    "clean_env",
    "count_instructions",
    "cpu_model",
    "expect",
    "fetch_wheels",
    "load_average",
    "make_venv",
    "measure",
    "plan_snapshot",
    "prepare",
    "run",
    "site_packages",
    "time_once",
    "venv_python",
    "vimport",
    "write_project",
]


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
    instructions: int | None = None
    """User-space instructions of one run (``count_instructions``); None when not counted."""

    @property
    def argv(self) -> list[str]:
        return [self.python, "-c", self.code]


# -- setup -------------------------------------------------------------------------------------


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without VIMPORT_*, PYTHON* and UV_* variables, plus ``extra``.

    Dropping PYTHONDONTWRITEBYTECODE matters: both sides must run from compiled bytecode.
    """
    dropped = ("VIMPORT_", "PYTHON", "UV_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
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
    return venv_python(directory)


def venv_python(directory: Path) -> str:
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


def write_project(
    directory: Path, packages: Sequence[Package] = PACKAGES, name: str = "startup-bench"
) -> Path:
    """A project whose ``pyproject.toml`` pins ``packages`` and has a [tool.vimport] table."""
    directory.mkdir(parents=True)
    pins = "".join(f'    "{p.distribution}=={p.version}",\n' for p in packages)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0"\ndependencies = [\n{pins}]\n\n[tool.vimport]\n',
        encoding="utf-8",
    )
    return directory


def site_packages(python: str, env: dict[str, str]) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return run([python, "-c", code], env=env).strip()


# -- checking a case ---------------------------------------------------------------------------


def expect(*, hook: bool, project: str | None, files_under: str | None) -> Check:
    """A check that the probe saw the hook run or not, the project, and where modules came
    from, and that every module loaded from source had up-to-date bytecode beside it."""

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


def plan_snapshot(cache_home: Path) -> dict[str, int]:
    """Every plan file under ``cache_home`` with its mtime: unchanged means none was computed."""
    plans = cache_home / "versioned-import" / "plans"
    return {str(p): p.stat().st_mtime_ns for p in plans.rglob("*.plan")}


# -- measuring ---------------------------------------------------------------------------------


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


def measure(groups: Sequence[tuple[Sequence[Case], int]], env: dict[str, str], rounds: int) -> None:
    """Time every case, interleaved: each round runs each group of cases as many times as its
    count says, and every other round runs in reverse order (A B C D C D, then D C D C B A), so
    that drift and cache effects fall on every side of a comparison alike."""
    import gc

    schedule = [case for cases, repeat in groups for _ in range(repeat) for case in cases]
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


def count_instructions(case: Case, env: dict[str, str]) -> int | None:
    """The instructions one run of ``case`` executes in user space, counted by valgrind's
    cachegrind (about fifty times slower than a plain run); None where valgrind is missing.

    Unlike wall clock, which moves by a tenth or more with the host's load, the count repeats to
    within ~0.2 %, so a change of a fraction of a percent shows in one run. It leaves out the
    kernel's share (system calls, page faults), which wall clock includes."""
    import re
    import shutil

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    tool = [valgrind, "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={os.devnull}"]
    done = subprocess.run(
        [*tool, *case.argv], env=env, cwd=case.cwd, capture_output=True, text=True, check=False
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise BenchmarkError(f"{case.label}: valgrind could not count it:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


# -- the machine -------------------------------------------------------------------------------


def load_average() -> float:
    """The 1-minute load average (NaN where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows
        return math.nan


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
