"""Calling a build backend's hooks: the PEP 660 / PEP 517 order pip and ``build`` follow, the
editable wheel's metadata when the prepared one is incomplete, and failures as one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.owndist import backend_calls, write_backend_project
from versioned_import.backend import BuildSystem, prepare_metadata
from versioned_import.backend.env import build_env, build_envs_dir
from versioned_import.errors import BuildBackendError, PackageIndexError
from versioned_import.progress import Reporter

SYSTEM = BuildSystem([], "demo_backend", ["_backend"])


@pytest.fixture(autouse=True)
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DEMO_BACKEND_LOG", str(tmp_path / "calls.log"))
    return tmp_path / "calls.log"


def _prepare(project: Path, into: Path, system: BuildSystem = SYSTEM) -> str:
    into.mkdir(exist_ok=True)
    return prepare_metadata(str(project), system, str(into), Reporter(-1), "pyproject.toml")


def _files(dist_info: Path) -> set[str]:
    return {p.name for p in dist_info.iterdir()}


def test_complete_prepared_metadata_is_all_it_takes(tmp_path: Path, log: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    name = _prepare(project, tmp_path / "out")
    assert name == "demo-0.3.1.dist-info"
    assert backend_calls(log) == ["prepare_metadata_for_build_editable"]
    assert _files(tmp_path / "out" / name) == {"METADATA", "entry_points.txt"}


def test_metadata_without_entry_points_is_taken_from_the_editable_wheel(
    tmp_path: Path, log: Path
) -> None:
    # hatchling prepares METADATA alone: the entry points are only in its wheel.
    project = write_backend_project(tmp_path / "p", prepared_entry_points=False)
    name = _prepare(project, tmp_path / "out")
    assert backend_calls(log) == ["prepare_metadata_for_build_editable", "build_editable"]
    # RECORD lists the wheel's files, which are not installed: it is left out.
    assert _files(tmp_path / "out" / name) == {"METADATA", "entry_points.txt", "WHEEL"}
    assert not (tmp_path / "out" / "_demo_editable.pth").exists()


def test_without_the_editable_hook_the_wheel_hook_prepares(tmp_path: Path, log: Path) -> None:
    hooks = ["prepare_metadata_for_build_wheel", "build_editable"]
    project = write_backend_project(tmp_path / "p", hooks=hooks)
    _prepare(project, tmp_path / "out")
    assert backend_calls(log) == ["prepare_metadata_for_build_wheel"]


def test_without_prepare_hooks_the_editable_wheel_is_built(tmp_path: Path, log: Path) -> None:
    project = write_backend_project(tmp_path / "p", hooks=["build_editable"])
    name = _prepare(project, tmp_path / "out")
    assert backend_calls(log) == ["build_editable"]
    assert "entry_points.txt" in _files(tmp_path / "out" / name)


def test_a_backend_without_pep_660_is_named(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p", hooks=[])
    with pytest.raises(BuildBackendError) as caught:
        _prepare(project, tmp_path / "out")
    assert str(caught.value) == (
        "pyproject.toml: the build backend demo_backend has no build_editable hook (PEP 660), "
        "so the project cannot be used editable; use a backend that has it"
    )


def test_a_failing_backend_shows_its_last_error_line(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p", version="fail")
    with pytest.raises(BuildBackendError) as caught:
        _prepare(project, tmp_path / "out")
    assert str(caught.value) == (
        "pyproject.toml: the build backend demo_backend failed in "
        "prepare_metadata_for_build_editable: RuntimeError: VERSION says fail, so this backend "
        "fails"
    )


def test_a_backend_that_cannot_be_imported_is_named(tmp_path: Path) -> None:
    project = write_backend_project(tmp_path / "p")
    with pytest.raises(BuildBackendError) as caught:
        _prepare(project, tmp_path / "out", BuildSystem([], "no_such_backend", None))
    message = str(caught.value)
    assert message.startswith(
        "pyproject.toml: the build backend no_such_backend failed in "
        "get_requires_for_build_editable: cannot import it"
    )
    assert "No module named 'no_such_backend'" in message


def test_the_backend_sees_neither_site_packages_nor_the_tool(tmp_path: Path, log: Path) -> None:
    # As `build` isolates it: only the standard library and its own environment.
    project = write_backend_project(tmp_path / "p")
    backend = project / "_backend" / "demo_backend.py"
    backend.write_text(
        backend.read_text()
        + "\nimport importlib.util, sys\n"
        + "_log(','.join(str(importlib.util.find_spec(n)) for n in ('pytest', 'packaging')))\n"
        + "_log(f'no_site={sys.flags.no_site}')\n"
    )
    _prepare(project, tmp_path / "out")
    assert backend_calls(log)[:2] == ["None,None", "no_site=1"]


def test_a_build_environment_is_made_once_per_requirement_set(tmp_path: Path) -> None:
    first = build_env([], Reporter(-1))
    assert build_env([], Reporter(-1)) == first
    assert Path(first).parent == Path(build_envs_dir())
    assert Path(first).is_dir()


def test_offline_a_missing_build_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PackageIndexError) as caught:
        build_env(["hatchling"], Reporter(-1), offline=True)
    assert str(caught.value) == (
        "the build requirements (hatchling) are not installed yet, and --offline fetches "
        "nothing; run `vimport sync` once without --offline"
    )
    assert not Path(build_envs_dir()).exists() or not any(Path(build_envs_dir()).iterdir())
