"""The project's own distribution: when a project is one, which files its metadata is made from,
and that the backend runs only when they change (or ``force``), writing into the cache only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.owndist import backend_calls, watch_version_file, write_backend_project
from versioned_import.backend import DEFAULT_SYSTEM, BuildSystem
from versioned_import.errors import BuildBackendError, ManifestError
from versioned_import.own_dist import OwnProject, ensure, read_own, script_names
from versioned_import.progress import Reporter


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DEMO_BACKEND_LOG", str(tmp_path / "calls.log"))
    return tmp_path / "cache"


def _project(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    directory = tmp_path / "p"
    directory.mkdir(exist_ok=True)
    (directory / "pyproject.toml").write_text(text, encoding="utf-8")
    for name, content in (files or {}).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def _own(directory: Path) -> OwnProject:
    own = read_own(str(directory))
    assert own is not None
    return own


HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


# --- when a project is a distribution ----------------------------------------------------------


def test_a_project_without_a_build_system_is_not_a_distribution(tmp_path: Path) -> None:
    # As uv decides it: such a project is not "packaged".
    assert read_own(str(_project(tmp_path, '[project]\nname = "a"\nversion = "1"\n'))) is None


def test_tool_uv_package_decides_as_in_uv(tmp_path: Path) -> None:
    assert read_own(str(_project(tmp_path, HATCH + "[tool.uv]\npackage = false\n"))) is None
    own = _own(_project(tmp_path, '[project]\nname = "a"\n[tool.uv]\npackage = true\n'))
    assert own.system == DEFAULT_SYSTEM


def test_the_build_system_is_read(tmp_path: Path) -> None:
    own = _own(_project(tmp_path, HATCH + 'backend-path = ["b"]\n'))
    assert own.system == BuildSystem(["hatchling"], "hatchling.build", ["b"])
    assert own.manifest == str(tmp_path / "p" / "pyproject.toml")


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('requires = ["ok", 3]', "build-system.requires[1] must be a string, not int"),
        ('build-backend = "x"', "build-system.requires is missing"),
        ("requires = []\nbuild-backend = 1", "build-system.build-backend must be a string"),
        ('requires = []\nbackend-path = "b"', "build-system.backend-path must be an array"),
    ],
)
def test_a_bad_build_system_names_the_field(tmp_path: Path, table: str, problem: str) -> None:
    directory = _project(tmp_path, f"[build-system]\n{table}\n")
    with pytest.raises(ManifestError) as caught:
        read_own(str(directory))
    assert str(caught.value).startswith(f"{directory / 'pyproject.toml'}: {problem}")


def test_a_static_project_table_is_not_dynamic(tmp_path: Path) -> None:
    static = _own(_project(tmp_path, HATCH + '[project]\nname = "a"\nversion = "1"\n'))
    dynamic = _own(_project(tmp_path, HATCH + '[project]\nname = "a"\ndynamic = ["version"]\n'))
    assert (static.dynamic, dynamic.dynamic) == (False, True)


# --- which files the metadata is made from ------------------------------------------------------


def _extra_watched(directory: Path) -> list[str]:
    always = ["pyproject.toml", "setup.py", "setup.cfg"]
    watched = _own(directory).watched
    assert watched[:3] == [str(directory / name) for name in always]
    return [os.path.relpath(p, directory) for p in watched[3:]]


def test_hatch_and_pdm_version_paths_are_watched(tmp_path: Path) -> None:
    text = HATCH + '[tool.hatch.version]\npath = "src/a/__about__.py"\n'
    assert _extra_watched(_project(tmp_path, text)) == ["src/a/__about__.py"]
    text = HATCH + '[tool.pdm.version]\nsource = "file"\npath = "a/v.py"\n'
    assert _extra_watched(_project(tmp_path, text)) == ["a/v.py"]


@pytest.mark.parametrize(
    ("attr", "files", "watched"),
    [
        ("a.__version__", ["src/a/__init__.py"], ["src/a/__init__.py"]),
        ("a.__version__", ["a/__init__.py"], ["a/__init__.py"]),
        ("a.about.VERSION", ["a/__init__.py", "a/about.py"], ["a/about.py"]),
        ("a.__version__", [], []),
    ],
)
def test_a_setuptools_version_attribute_is_watched(
    tmp_path: Path, attr: str, files: list[str], watched: list[str]
) -> None:
    text = f'{HATCH}[tool.setuptools.dynamic]\nversion = {{attr = "{attr}"}}\n'
    directory = _project(tmp_path, text, dict.fromkeys(files, ""))
    assert _extra_watched(directory) == watched


def test_a_setuptools_version_file_is_watched(tmp_path: Path) -> None:
    text = f'{HATCH}[tool.setuptools.dynamic]\nversion = {{file = "VERSION"}}\n'
    assert _extra_watched(_project(tmp_path, text)) == ["VERSION"]


# --- making the metadata ------------------------------------------------------------------------


def _ensure(directory: Path, force: bool = False) -> tuple[dict[str, str], bool]:
    built = ensure(_own(directory), Reporter(-1), force=force)
    return {key: str(value) for key, value in built.dist.items()}, built.rebuilt


def test_the_metadata_is_made_once_and_kept_in_the_cache(tmp_path: Path, cache: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    before = sorted(p.name for p in project.rglob("*"))
    dist, rebuilt = _ensure(project)
    assert rebuilt
    assert _ensure(project) == (dist, False)
    assert backend_calls(tmp_path / "calls.log") == ["prepare_metadata_for_build_editable"]
    assert {k: v for k, v in dist.items() if k != "site"} == {
        "name": "demo",
        "canonical": "demo",
        "version": "0.3.1",
        "tag": "editable",
        "dist_info": "demo-0.3.1.dist-info",
        "why": "the project itself, editable (metadata by demo_backend)",
    }
    assert Path(dist["site"]).is_relative_to(cache / "versioned-import" / "projects")
    assert sorted(p.name for p in project.rglob("*")) == before  # nothing in the project


def test_an_installer_records_the_project_as_editable(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    dist, _ = _ensure(project)
    dist_info = Path(dist["site"], dist["dist_info"])
    assert json.loads((dist_info / "direct_url.json").read_text()) == {
        "url": project.resolve().as_uri(),
        "dir_info": {"editable": True},
    }
    assert (dist_info / "INSTALLER").read_text() == "versioned-import\n"


def test_console_scripts_get_launchers(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    dist, _ = _ensure(project)
    launcher = Path(dist["site"]).parent / "bin" / "greet"
    text = launcher.read_text()
    assert text.startswith("#!") and "from demo.cli import main" in text
    assert launcher.stat().st_mode & 0o777 == 0o755
    assert script_names() == {"greet"}


def test_a_changed_input_makes_it_again_and_removes_the_old(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    watch_version_file(project)
    old, _ = _ensure(project)
    (project / "VERSION").write_text("0.4.0\n")
    new, rebuilt = _ensure(project)
    assert rebuilt and new["version"] == "0.4.0"
    assert not Path(old["site"]).exists() and Path(new["site"]).exists()


def test_an_unwatched_input_waits_for_force(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p")  # VERSION is not named in pyproject.toml
    _ensure(project)
    (project / "VERSION").write_text("0.4.0\n")
    assert _ensure(project)[0]["version"] == "0.3.1"
    assert _ensure(project, force=True)[0]["version"] == "0.4.0"


def test_a_failed_build_keeps_the_last_good_one(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    watch_version_file(project)
    good, _ = _ensure(project)
    (project / "VERSION").write_text("fail\n")
    with pytest.raises(BuildBackendError, match="VERSION says fail"):
        _ensure(project)
    assert Path(good["site"], good["dist_info"]).is_dir()
    builds = {p.name for p in Path(good["site"]).parent.parent.iterdir()}
    assert builds == {Path(good["site"]).parent.name, "current", "current.lock"}
