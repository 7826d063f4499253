"""Planning a pinned project in-process gives the plan the full planner gives, or gives up."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import MakeProject, MakeWheel
from versioned_import import own_dist, planner
from versioned_import._runtime import quickplan
from versioned_import._runtime.plan import interpreter_file
from versioned_import._runtime.roots import root_file
from versioned_import.engine import Artifact, Pick
from versioned_import.progress import Reporter
from versioned_import.project import manifest_for
from versioned_import.project.pylock import write_lock
from versioned_import.store import Store
from versioned_import.store.install import install_wheel

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
# A graph with what the quick planner must get right: markers that apply and that do not, an
# extra's requirement, a name reached at two depths and twice at one depth, a better tag and an
# entry this interpreter cannot use.
GRAPH: list[tuple[str, str, list[str], dict[str, object]]] = [
    ("top", "1.0", ["mid-a==1.0", "Mid_B>=1", 'leaf<3,>=1.5; python_version >= "3"'], {}),
    ("mid-a", "1.0", ["leaf>=1", 'never; python_version < "3"', 'fast; extra == "speed"'], {}),
    ("Mid_B", "1.0", ["leaf!=2.1", "deep~=1.0"], {}),
    ("deep", "1.2", ['leaf; sys_platform != "nonesuch"'], {}),
    ("leaf", "2.0", [], {}),
    ("leaf", "2.0", [], {"tag": f"cp{PY.replace('.', '')}-none-any"}),
    ("leaf", "2.1", [], {}),
    ("other", "1.0", [], {"tag": "py2-none-any"}),
    ("pre", "1.0rc1", [], {}),
]
PINS = ["top==1.0", "mid-a==1.0", "Mid_B==1.0", "deep==1.2", "leaf==2.0"]


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    planner.record_interpreter()
    return cache


@pytest.fixture
def wheels(make_wheel: MakeWheel) -> list[Path]:
    found = []
    for name, version, requires, options in GRAPH:
        found.append(make_wheel(name, version, requires=requires, **options))
    return found


@pytest.fixture
def filled(store: Store, wheels: list[Path]) -> Store:
    for wheel in wheels:
        install_wheel(store, str(wheel))
    return store


def _same(project: Path, store: Store) -> None:
    quick, why_not = quickplan.plan_pinned(str(project), store.root)
    assert quick is not None, why_not
    assert quick == planner.compute(str(project), store.root)


@pytest.mark.parametrize(
    ("dependencies", "tool", "extra"),
    [
        (PINS, "", ""),
        ([*PINS, "pre==1.0rc1"], "system-site-packages = true", ""),
        (["top==1.0", "deep==1.2; python_version >= '3'", *PINS[1:3], "leaf==2.0"], "", ""),
        (["leaf==2.0", "nothing==1; python_version < '3'"], "", ""),
        (PINS[:-1], "", '[dependency-groups]\ndev = ["leaf==2"]\ndocs = ["sphinx"]\n'),
        (["leaf == 2.0.0"], "", "[tool.ruff]\nline-length = 100\n"),
        ([], "", ""),
    ],
)
def test_a_pinned_project_is_planned_as_the_full_planner_plans_it(
    make_project: MakeProject, filled: Store, dependencies: list[str], tool: str, extra: str
) -> None:
    _same(make_project("app", dependencies, tool, extra), filled)


def test_a_src_layout_and_a_nameless_project(tmp_path: Path, filled: Store) -> None:
    project = tmp_path / "nameless"
    (project / "src").mkdir(parents=True)
    manifest = '[project]\ndependencies = ["leaf==2.0"]\n[tool.vimport]\n'
    (project / "pyproject.toml").write_text(manifest)
    _same(project, filled)


def _lock(project: Path, wheels: list[Path], names: dict[str, str]) -> None:
    picks = []
    for wheel in wheels:
        name, version = wheel.name.split("-")[:2]
        if names.get(name) == version and "cp" not in wheel.name:
            sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
            artifact = Artifact(str(wheel), sha256, wheel.stat().st_size, True)
            picks.append(Pick(name, version, artifact))
    write_lock(manifest_for(str(project)), picks)


def test_a_fresh_lock_pins_ranges_and_the_wheels_it_names(
    make_project: MakeProject, filled: Store, wheels: list[Path]
) -> None:
    project = make_project("app", ["top>=0.5", "leaf>=1"])
    chosen = {"top": "1.0", "mid_a": "1.0", "Mid_B": "1.0", "deep": "1.2", "leaf": "2.0"}
    _lock(project, wheels, chosen)
    quick, _ = quickplan.plan_pinned(str(project), filled.root)
    assert quick is not None
    # The lock names the py3 wheel of leaf: its content wins over the better tag.
    assert [d["tag"] for d in quick["dists"] if d["canonical"] == "leaf"] == ["py3-none-any"]
    assert all(d["why"].endswith("[locked in pylock.toml]") for d in quick["dists"])
    _same(project, filled)


@pytest.mark.parametrize(
    ("dependencies", "tool", "extra", "reason"),
    [
        (["leaf>=1"], "", "", "not an exact pin"),
        (["top==1.0"], "", "", "is not pinned"),
        (["deep==1.2"], "", "", "leaf is not pinned"),
        ([*PINS[:-1], "leaf==2.1"], "", "", "not satisfied"),
        (["leaf==9"], "", "", "no single usable entry"),
        (["other==1.0"], "", "", "no single usable entry"),
        (["top[fast]==1.0"], "", "", "extras"),
        (["leaf==2.0", "leaf==2.0.0"], "", "", "required twice"),
        (["leaf @ file:///nowhere"], "", "", "@ file"),
        (["leaf==2.0"], 'private-copies = ["leaf"]', "", "more than pins"),
        (["leaf==2.0"], "", '[tool.uv.sources]\nleaf = { path = "x" }\n', "sources"),
        (["leaf==2.0"], "", '[build-system]\nrequires = ["x"]\n', "own distribution"),
        (["leaf==2.0"], "", '[dependency-groups]\ndev = [{include-group = "x"}]\n', "string"),
        (["leaf==2.0"], "", "[[[\n", "a key expected"),
    ],
)
def test_what_needs_resolving_is_left_to_the_full_planner(
    make_project: MakeProject,
    filled: Store,
    dependencies: list[str],
    tool: str,
    extra: str,
    reason: str,
) -> None:
    project = make_project("app", dependencies, tool, extra)
    quick, why_not = quickplan.plan_pinned(str(project), filled.root)
    assert quick is None
    assert reason in why_not


def test_a_stale_lock_is_left_to_the_full_planner(
    make_project: MakeProject, filled: Store, wheels: list[Path]
) -> None:
    project = make_project("app", ["leaf==2.0"])
    _lock(project, wheels, {"leaf": "2.0"})
    assert quickplan.plan_pinned(str(project), filled.root)[0] is not None
    manifest = project / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace("leaf==2.0", "leaf==2.1"))
    assert quickplan.plan_pinned(str(project), filled.root) == (
        None,
        "the lock is stale, or another tool's",
    )


def test_without_the_interpreter_record_every_plan_is_full(
    make_project: MakeProject, filled: Store
) -> None:
    os.remove(interpreter_file())
    quick, why_not = quickplan.plan_pinned(str(make_project("app", ["leaf==2.0"])), filled.root)
    assert quick is None and "no record of this interpreter" in why_not
    planner.record_interpreter()
    assert quickplan.plan_pinned(str(make_project("app", ["leaf==2.0"])), filled.root)[0]


def test_a_record_of_another_interpreter_is_not_used(
    make_project: MakeProject, filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert quickplan.interpreter_record() is not None
    monkeypatch.setattr(sys, "version", sys.version + " (rebuilt)")
    assert os.path.exists(interpreter_file())  # there is a record, of the interpreter before
    assert quickplan.interpreter_record() is None
    quick, why_not = quickplan.plan_pinned(str(make_project("app", ["leaf==2.0"])), filled.root)
    assert quick is None and "interpreter changed" in why_not


def test_a_quick_plan_remembers_the_project_for_gc(
    make_project: MakeProject, filled: Store
) -> None:
    project = make_project("app", ["leaf==2.0"])
    assert not os.path.exists(root_file(filled.root, str(project)))
    assert quickplan.plan_pinned(str(project), filled.root)[0] is not None
    assert filled.roots() == {root_file(filled.root, str(project)): str(project)}


def test_a_lock_for_another_platform_is_left_to_the_full_planner(
    make_project: MakeProject, filled: Store, wheels: list[Path]
) -> None:
    project = make_project("app", ["leaf==2.0"])
    _lock(project, wheels, {"leaf": "2.0"})
    lock = project / "pylock.toml"
    lock.write_text(lock.read_text().replace(sys.platform, "elsewhere"))
    assert quickplan.plan_pinned(str(project), filled.root)[1] == (
        "the lock was made for another interpreter"
    )


# --- the project's own distribution -------------------------------------------------------------

HATCH = (
    '[build-system]\nrequires = ["hatchling >= 1.26", "tomli; python_version < \'3.11\'"]\n'
    'build-backend = "hatchling.build"\n[tool.hatch.version]\npath = "src/app/__about__.py"\n'
)
SETUPTOOLS = (
    '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
    '[tool.setuptools.dynamic]\nversion = {attr = "app.__version__"}\n'
)
UV_PACKAGE = HATCH + "[tool.uv]\npackage = true\n"
# Much as hatchling writes it: a description body that is not ASCII, headers folded elsewhere.
METADATA = (
    "Metadata-Version: 2.4\nName: App\nVersion: 0.1\nLicense: MIT\n  second line\n"
    "Requires-Dist: leaf==2.0\n\nThe app. Ünïcode.\n\nName: not a header here\n"
)


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The project's backend, as far as ``own_dist.ensure`` sees it: it writes ``METADATA``
    (and says which project it ran for), so no build requirement is installed."""
    ran: list[str] = []

    def prepare(directory: str, system: object, site: str, *args: object, **kw: object) -> str:
        ran.append(directory)
        text = (Path(directory) / "METADATA").read_text(encoding="utf-8")
        dist_info = Path(site, "App-0.1.dist-info")
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(text, encoding="utf-8")
        return dist_info.name

    monkeypatch.setattr(own_dist, "prepare_metadata", prepare)
    return ran


def _packaged(make_project: MakeProject, build: str, dependencies: list[str]) -> Path:
    project = make_project("app", dependencies, "", build)
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("__version__ = '0.1'\n")
    (project / "src" / "app" / "__about__.py").write_text("__version__ = '0.1'\n")
    (project / "METADATA").write_text(METADATA, encoding="utf-8")
    return project


def _built(project: Path) -> own_dist.OwnProject:
    own = own_dist.read_own(str(project))
    assert own is not None
    own_dist.ensure(own, Reporter(-1))
    return own


@pytest.mark.parametrize(
    ("build", "watched"),
    [(HATCH, "src/app/__about__.py"), (SETUPTOOLS, "src/app/__init__.py"), (UV_PACKAGE, "")],
)
@pytest.mark.parametrize("locked", [False, True])
def test_a_packaged_project_with_its_metadata_built_is_planned_in_full(
    make_project: MakeProject,
    filled: Store,
    wheels: list[Path],
    backend: list[str],
    build: str,
    watched: str,
    locked: bool,
) -> None:
    project = _packaged(make_project, build, ["leaf>=2" if locked else "leaf==2.0"])
    if locked:
        _lock(project, wheels, {"leaf": "2.0"})
    own = _built(project)
    _same(project, filled)
    assert backend == [str(project)]  # built once, by the ensure above: no plan built again
    quick, _ = quickplan.plan_pinned(str(project), filled.root)
    assert quick is not None
    assert quick["dists"][-1]["name"] == "App" and quick["dists"][-1]["canonical"] == "app"
    inputs = [i[0] for i in quick["inputs"]]
    assert inputs[-1] == own.current_file
    if watched:
        assert str(project / watched) in inputs


def test_a_project_that_says_it_is_no_package_is_planned_without_itself(
    make_project: MakeProject, filled: Store, backend: list[str]
) -> None:
    project = _packaged(make_project, HATCH + "[tool.uv]\npackage = false\n", ["leaf==2.0"])
    _same(project, filled)
    assert backend == []


def _why_not(project: Path, store: Store) -> str:
    quick, why_not = quickplan.plan_pinned(str(project), store.root)
    assert quick is None
    return why_not


def test_metadata_to_build_is_left_to_the_full_planner(
    make_project: MakeProject, filled: Store, backend: list[str]
) -> None:
    project = _packaged(make_project, HATCH, ["leaf==2.0"])
    assert "own metadata is not built" in _why_not(project, filled)
    own = _built(project)
    (project / "src" / "app" / "__about__.py").write_text("__version__ = '0.2'\n")
    assert "own metadata is stale" in _why_not(project, filled)
    own_dist.ensure(own, Reporter(-1))
    assert quickplan.plan_pinned(str(project), filled.root)[0] is not None
    build = Path(own.current_file).parent / json.loads(Path(own.current_file).read_text())["build"]
    shutil.rmtree(build)
    assert "own metadata is not built (or its build is gone)" in _why_not(project, filled)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        ("[tool.uv]\npackage = true\n", "without a build-backend"),
        ("[build-system]\nrequires = []\n", "without a build-backend"),
        (HATCH.replace("[tool.hatch", 'backend-path = ["b"]\n[tool.hatch'), "backend-path"),
        (HATCH + '[tool.uv]\npackage = "yes"\n', "tool.uv.package is not a boolean"),
        (HATCH + "[tool.uv]\nmanaged = false\n", "tool.uv holds"),
        (HATCH.replace('"hatchling >= 1.26"', "1"), "not an array of strings"),
        (HATCH.replace('"hatchling >= 1.26"', '"x @ file:///b"'), "@ file"),
        (HATCH.replace('"hatchling.build"', '""'), "build-backend is not a string"),
    ],
)
def test_a_build_system_the_full_planner_reads_is_left_to_it(
    make_project: MakeProject, filled: Store, build: str, reason: str
) -> None:
    assert reason in _why_not(_packaged(make_project, build, ["leaf==2.0"]), filled)


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ("Name: App\nVersion:\n 0.1\n\n", "a folded version header"),
        ("Name: App\nName: App\nVersion: 0.1\n", "Name and Version, once each"),
        ("Name: App\n", "Name and Version, once each"),
        ("Name: Äpp\nVersion: 0.1\n", "not in ASCII"),
        ("Name: App\nnot a header\nVersion: 0.1\n", "not a header"),
    ],
)
def test_metadata_headers_out_of_the_ordinary_are_left_to_the_full_planner(
    make_project: MakeProject, filled: Store, backend: list[str], metadata: str, reason: str
) -> None:
    project = _packaged(make_project, HATCH, ["leaf==2.0"])
    (project / "METADATA").write_text(metadata, encoding="utf-8", newline="")
    _built(project)
    assert reason in _why_not(project, filled)


def test_metadata_with_other_line_ends_is_read_as_email_reads_it(
    make_project: MakeProject, filled: Store, backend: list[str]
) -> None:
    project = _packaged(make_project, HATCH, ["leaf==2.0"])
    (project / "METADATA").write_text(METADATA.replace("\n", "\r\n"), "utf-8", newline="")
    _built(project)
    _same(project, filled)


def test_a_plain_projects_requirement_lines_are_read_for_a_first_syncs_head_start(
    make_project: MakeProject,
) -> None:
    dev = '[dependency-groups]\ndev = ["leaf==2"]\n'
    project = make_project("app", ["top>=1", "mid-a; python_version >= '3'"], extra=dev)
    lines = ["top>=1", "mid-a; python_version >= '3'", "leaf==2"]

    assert quickplan.plain_requirements(str(project)) == lines
    assert [str(r) for r in manifest_for(str(project)).requirements] == [
        "top>=1",
        'mid-a; python_version >= "3"',
        "leaf==2",
    ]


@pytest.mark.parametrize(
    ("dependencies", "tool", "extra"),
    [
        (["top"], "", '[tool.uv.sources]\ntop = { path = "../top" }\n'),
        (["top @ file:///somewhere/top"], "", ""),
        (["top"], 'private = ["top"]', ""),
        (["top"], "", "[dependency-groups]\ndocs = []\nDev = []\n"),
        (["top >"], "", ""),
    ],
    ids=["sources", "direct-reference", "more-than-pins", "dev-spelled-otherwise", "unreadable"],
)
def test_no_head_start_for_what_sync_reads_otherwise(
    make_project: MakeProject, dependencies: list[str], tool: str, extra: str
) -> None:
    project = make_project("app", dependencies, tool=tool, extra=extra)

    assert quickplan.plain_requirements(str(project)) is None


def test_no_head_start_once_there_is_a_lock_or_for_a_script(
    make_project: MakeProject, tmp_path: Path
) -> None:
    project = make_project("app", ["top"])
    (project / "pylock.toml").write_text("", encoding="utf-8")
    script = tmp_path / "script.py"
    script.write_text("# /// script\n# dependencies = []\n# ///\n", encoding="utf-8")

    assert quickplan.plain_requirements(str(project)) is None
    assert quickplan.plain_requirements(str(script)) is None
