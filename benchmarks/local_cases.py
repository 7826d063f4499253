"""Cases 1-4 of ``peers.py``: everything the projects need is present locally.

1 and 2 time interpreter starts as ``startup.py`` does; 3 and 4 time making new projects ready
to run, and 4 measures the disk their dependencies take.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    PACKAGES,
    BenchmarkError,
    Case,
    Package,
    expect,
    load_average,
    make_venv,
    measure,
    plan_snapshot,
    prepare,
    run,
    site_packages,
    venv_python,
    vimport,
    write_project,
)
from benchmarks.report import Row, Section, Usage, disk_usage
from benchmarks.workbench import Job, Runs, Setup, first_run, pins, timed_section

__all__ = [
    "PASS_REPEAT",
    "PRIVATE_COPY_ROW",
    "PROJECTS",
    "SUBSET",
    "Disk",
    "new_project",
    "startup_and_imports",
    "subsets",
    "ten_projects",
]

PROJECTS = 10
SUBSET = 25
# `-c pass` takes ~10 ms, so its cases run this many times per round of case 1 and 2.
PASS_REPEAT = 10


def startup_and_imports(setup: Setup, runs: Runs) -> list[Section]:
    """Cases 1 and 2, timed together as ``startup.py`` does: spawn to exit, interleaved.

    The hook goes into both kinds of venv, and each hooked venv is compared with the same kind
    without the hook: a ``python -m venv`` venv carries setuptools, whose ``.pth`` file costs
    about half a millisecond at every start that a ``uv venv`` venv does not pay."""
    names = tuple(p.import_name for p in PACKAGES)
    imports = "import " + ", ".join(names)
    env, project, outside = setup.env, setup.project, setup.outside
    store = os.path.join(setup.store, "")
    pip_site = os.path.join(site_packages(setup.pip_venv, env), "")
    uv_site = os.path.join(site_packages(setup.uv_venv, env), "")
    active = expect(hook=True, project=project, files_under=None)
    inactive = expect(hook=True, project=None, files_under=None)
    plain = expect(hook=False, project=None, files_under=None)
    kinds = (("`python -m venv`", "pip", setup.hooked), ("`uv venv`", "uv", setup.hooked_uv))
    split, split_names = private_copy_project(setup)
    passes: list[tuple[Case, str, tuple[str, ...]]] = []
    imported: list[tuple[Case, str, tuple[str, ...]]] = []
    for kind, peer, python in kinds:
        passes += [
            (Case(f"vimport: hook active, {kind} venv", python, "pass", project, (), active),
             "vimport", (peer,)),
            (Case(f"vimport: hook inactive, {kind} venv", python, "pass", outside, (), inactive),
             "vimport", (peer,)),
        ]  # fmt: skip
        through = expect(hook=True, project=project, files_under=store)
        imported.append(
            (Case(f"vimport: the project through the hook, {kind} venv", python, imports,
                  project, names, through), "vimport", (peer,))
        )  # fmt: skip
    imported.append(
        (Case(f"{PRIVATE_COPY_ROW}, `python -m venv` venv", setup.hooked,
              "import " + ", ".join(split_names), split, split_names,
              expect(hook=True, project=split, files_under=store)), "info", ("pip",))
    )  # fmt: skip
    passes += [
        (Case("venv by `python -m venv`, no hook", setup.pip_venv, "pass", outside, (), plain),
         "pip", ("uv",)),
        (Case("venv by `uv venv`, no hook", setup.uv_venv, "pass", outside, (), plain),
         "uv", ("pip",)),
    ]  # fmt: skip
    imported += [
        (Case("venv + pip", setup.pip_venv, imports, project, names,
              expect(hook=False, project=None, files_under=pip_site)), "pip", ("uv",)),
        (Case("venv + uv", setup.uv_venv, imports, project, names,
              expect(hook=False, project=None, files_under=uv_site)), "uv", ("pip",)),
    ]  # fmt: skip
    cases = [case for case, _role, _compare in [*passes, *imported]]
    print(f"1, 2: warming up and checking {len(cases)} cases", flush=True)
    for case in cases:
        prepare(case, env, warmups=3)
    plans = plan_snapshot(setup.work / "cache")
    print(f"1, 2: timing {runs.rounds} rounds", flush=True)
    before = load_average()
    groups = [([c for c, _, _ in passes], PASS_REPEAT), ([c for c, _, _ in imported], 1)]
    measure(groups, env, runs.rounds)
    load = (before, load_average())
    if plan_snapshot(setup.work / "cache") != plans:
        raise BenchmarkError("a plan was computed during the timed start-up runs")
    return [
        Section(
            title,
            [Row(c.label, role, c.samples, c.cpu, compare) for c, role, compare in rows],
            load,
        )
        for title, rows in (
            ("1. start-up, `python -c pass`", passes),
            ('2. `python -c "import <the 30>"`', imported),
        )
    ]


PRIVATE_COPY_ROW = "vimport: import cost with a private copy"
"""Case 2's row for the 30 and two small dependents of two versions of one library."""

_SPLIT_LIB = {
    "splitlib/__init__.py": "from splitlib.core import VERSION\nfrom . import util\n",
    "splitlib/core.py": "VERSION = {version!r}\n",
    "splitlib/util.py": "import splitlib.core\ndef version():\n    return splitlib.core.VERSION\n",
}


def private_copy_project(setup: Setup) -> tuple[str, tuple[str, ...]]:
    """A project of the 30 and two small dependents, ``old_user`` (splitlib<2) and
    ``new_user`` (splitlib>=2): splitlib 1 is a private copy. Returns the project and the
    names the case imports."""
    from versioned_import.wheelbuild import build_wheel

    root = setup.work / "private-copy"
    wheels = root / "wheels"
    built = [
        build_wheel(wheels, "splitlib", v, {k: t.format(version=v) for k, t in _SPLIT_LIB.items()})
        for v in ("1.0", "2.0")
    ]
    for user, wanted in (("old-user", "splitlib<2"), ("new-user", "splitlib>=2")):
        code = "import splitlib, splitlib.util\nVERSION = splitlib.util.version()\n"
        files = {f"{user.replace('-', '_')}/__init__.py": code}
        built.append(build_wheel(wheels, user, "1.0", files, requires=[wanted]))
    vimport("install", *map(str, built), env=setup.env)
    project = root / "project"
    project.mkdir()
    pins = "".join(f'    "{p.distribution}=={p.version}",\n' for p in PACKAGES)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "private-copy-bench"\nversion = "0"\ndependencies = [\n{pins}'
        '    "old-user", "new-user",\n]\n\n[tool.vimport]\nprivate-copies = ["splitlib"]\n',
        encoding="utf-8",
    )
    return str(project), (*(p.import_name for p in PACKAGES), "old_user", "new_user")


def _set_up_jobs(
    setup: Setup, root: Path, projects: Sequence[Sequence[Package]], runs: Runs, pip_runs: int
) -> list[Job]:
    """Make ``projects`` ready to run, each tool its own way: vimport writes the manifest and
    runs ``python -c "import six"`` once (the plan is computed then); the peers create a venv
    and install into it, and run nothing (``_check_set_up`` runs them afterwards, untimed)."""
    env = setup.env
    local = ["--no-index", "--find-links", str(setup.wheels)]

    def with_vimport(index: int) -> None:
        for number, packages in enumerate(projects):
            project = write_project(
                root / f"vimport-{index}" / f"p{number}", packages, f"p{number}"
            )
            first_run(setup.hooked, "import six", project, env)

    def with_pip(index: int) -> None:
        for number, packages in enumerate(projects):
            python = make_venv(setup.base, root / f"pip-{index}" / f"p{number}", env)
            run([python, "-m", "pip", "install", "-q", *local, *pins(packages)], env=env)

    def with_uv(index: int) -> None:
        for number, packages in enumerate(projects):
            python = setup.new_uv_venv(root / f"uv-{index}" / f"p{number}")
            install = [setup.uv, "pip", "install", "-q", "--python", python, *local]
            run([*install, *pins(packages)], env=env)

    return [
        (Row("vimport: write the manifest, first run", "vimport"), runs.fast, with_vimport),
        (Row("`python -m venv`, `pip install`", "pip"), pip_runs, with_pip),
        (Row("`uv venv`, `uv pip install` (warm cache)", "uv"), runs.fast, with_uv),
    ]


def _check_set_up(setup: Setup, root: Path, project_dir: str) -> None:
    """Each tool's first project (untimed now) imports six from where it should."""
    store = os.path.join(setup.store, "")
    project = str(root / "vimport-0" / project_dir)
    checks = [
        (setup.hooked, project, expect(hook=True, project=project, files_under=store)),
    ]
    for tool in ("pip", "uv"):
        python = venv_python(root / f"{tool}-0" / project_dir)
        site = os.path.join(site_packages(python, setup.env), "")
        checks.append((python, str(root), expect(hook=False, project=None, files_under=site)))
    for python, cwd, check in checks:
        prepare(Case(f"{root.name}: {python}", python, "import six", cwd, ("six",), check),
                setup.env, warmups=0)  # fmt: skip


def new_project(setup: Setup, runs: Runs) -> Section:
    """Case 3: one new project whose 30 packages are all present locally."""
    root = setup.work / "case3"
    print("3: a new project, packages present locally", flush=True)
    plans = len(plan_snapshot(setup.work / "cache"))

    def warm_run(_index: int) -> None:
        first_run(setup.hooked, "import six", Path(setup.project), setup.env)

    floor = Row("vimport: the same run, plan already computed (no set-up)", "info")
    section = timed_section(
        "3. a new project ready to run (warm store, warm caches)",
        [*_set_up_jobs(setup, root, [PACKAGES], runs, runs.slow), (floor, runs.fast, warm_run)],
    )
    if len(plan_snapshot(setup.work / "cache")) != plans + runs.fast:
        raise BenchmarkError("case 3: the first run of a new project wrote no plan")
    _check_set_up(setup, root, "p0")
    return section


def subsets(wheels: Path) -> list[list[Package]]:
    """PROJECTS different sets of SUBSET packages, each closed under its dependencies: only
    packages that no other package of the 30 requires are left out."""
    import zipfile
    from email.parser import HeaderParser

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from benchmarks.common import cached_wheels

    required = set()
    for wheel in cached_wheels(wheels).values():
        with zipfile.ZipFile(wheel) as archive:
            metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            headers = HeaderParser().parsestr(archive.read(metadata).decode("utf-8"))
        for text in headers.get_all("Requires-Dist") or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                required.add(canonicalize_name(requirement.name))
    leaves = [p for p in PACKAGES if canonicalize_name(p.distribution) not in required]
    left_out = len(PACKAGES) - SUBSET
    if len(leaves) < left_out * 2:
        raise BenchmarkError(f"only {len(leaves)} of the packages can be left out alone")
    found = []
    for number in range(PROJECTS):
        dropped = {leaves[(number * left_out + i) % len(leaves)] for i in range(left_out)}
        found.append([p for p in PACKAGES if p not in dropped])
    if set().union(*found) != set(PACKAGES):
        raise BenchmarkError("the subsets leave some package out: one copy would be wrong")
    return found


@dataclass(frozen=True)
class Disk:
    rows: list[tuple[str, str, Usage]]
    one_copy: Usage


def _plans_of(cache_home: Path, under: Path) -> list[Path]:
    """The plan files computed for projects under ``under``."""
    found = []
    for path in (cache_home / "versioned-import" / "plans").rglob("*.plan"):
        plan = marshal.loads(path.read_bytes())
        if str(plan.get("project", "")).startswith(str(under)):
            found.append(path)
    return found


def ten_projects(setup: Setup, runs: Runs) -> tuple[Section, Disk]:
    """Case 4: PROJECTS new projects of SUBSET packages each, and the disk they take."""
    root = setup.work / "case4"
    print(f"4: {PROJECTS} new projects of {SUBSET} packages each", flush=True)
    projects = subsets(setup.wheels)
    section = timed_section(
        f"4. {PROJECTS} new projects, {SUBSET} of the 30 packages each (total)",
        _set_up_jobs(setup, root, projects, runs, runs.slowest),
    )
    _check_set_up(setup, root, f"p{PROJECTS - 1}")
    one_copy = root / "one-copy"
    local = ["--no-index", "--find-links", str(setup.wheels), *pins(PACKAGES)]
    run(
        [setup.base, "-m", "pip", "install", "-q", "--target", str(one_copy), *local], env=setup.env
    )
    plans = _plans_of(setup.work / "cache", root / "vimport-0")
    if len(plans) != PROJECTS:
        raise BenchmarkError(f"case 4: {len(plans)} plans for the {PROJECTS} projects of run 1")
    venvs = [root / f"{tool}-0" / f"p{n}" for tool in ("pip", "uv") for n in range(PROJECTS)]
    rows = [
        ("vimport: the store + the 10 plans", "vimport", disk_usage([Path(setup.store), *plans])),
        ("10 venvs, pip", "pip", disk_usage(venvs[:PROJECTS])),
        ("10 venvs, uv (hard links into its cache)", "uv", disk_usage(venvs[PROJECTS:])),
        (
            "10 venvs, uv, and the uv cache",
            "info",
            disk_usage([*venvs[PROJECTS:], Path(setup.env["UV_CACHE_DIR"])]),
        ),
        ("one copy of the 30 (`pip install --target`)", "info", disk_usage([one_copy])),
    ]
    return section, Disk(rows, rows[-1][2])
