"""Local sources, synced and run: path dependencies built by their own backends (offline: a tiny
in-tree backend), editable ones imported from where they are, and a name with a local source
never taken from the index, even where the index has that name.

pip resolves from a find-links directory of fabricated wheels, never from an index; its log
(``PIP_LOG``) shows which files it touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compat.harness import tool_venv
from tests.conftest import MakeProject, RunHooked, vimport
from tests.e2e.test_sync_runtime import _pip_only_from
from tests.localsource import make_source_dir
from versioned_import.store import Store
from versioned_import.wheelbuild import build_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = pytest.mark.e2e

_PROBE = """
import importlib.metadata as md, json, alpha
print(json.dumps({"code": alpha.WHO, "version": md.version("alpha"), "file": alpha.__file__}))
"""


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """A find-links directory that offers ``alpha`` too: taking it would be confusion."""
    directory = tmp_path / "index"
    for name, version in [("alpha", "1.0"), ("alpha", "2.0"), ("beta", "1.0"), ("beta", "2.0")]:
        files = {f"{name}/__init__.py": f"WHO = 'index {version}'\n"}
        build_wheel(directory, name, version, files)
    return directory


@pytest.fixture
def env(hook_env: dict[str, str], index: Path, tmp_path: Path) -> dict[str, str]:
    """The pip engine, whose log shows every file it touched (uv writes none)."""
    pip_log = str(tmp_path / "pip.log")
    return {**_pip_only_from(hook_env, index), "PIP_LOG": pip_log, "VIMPORT_ENGINE": "pip"}


def _sync(env: dict[str, str], project: Path) -> None:
    done = vimport("sync", str(project), env=env)
    assert done.returncode == 0, done.stderr


def _lock(project: Path) -> dict[str, dict[str, object]]:
    with (project / "pylock.toml").open("rb") as f:
        return {p["name"]: p for p in tomllib.load(f)["packages"]}


def _probe(run_hooked: RunHooked, project: Path) -> dict[str, str]:
    done = run_hooked(project, "-c", _PROBE)
    assert done.returncode == 0, done.stderr
    found: dict[str, str] = json.loads(done.stdout)
    return found


def _touched_from_index(log: Path, name: str) -> list[str]:
    """The lines of pip's log that handle a file of ``name`` from the find-links index; pip
    lists every file there as it looks for others, and skips those by name."""
    lines = log.read_text(encoding="utf-8").splitlines()
    return [
        line for line in lines
        if f"/index/{name}-" in line and "wrong project name" not in line
    ]  # fmt: skip


def test_an_editable_path_source_wins_over_the_index_and_shows_edits_without_sync(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], run_hooked: RunHooked,
    store: Store,
) -> None:  # fmt: skip
    source = make_source_dir(
        tmp_path / "alpha", "alpha", "9.0", {"src/alpha/__init__.py": "WHO = 'local'\n"},
        dependencies=["beta<2"],
    )  # fmt: skip
    extra = '[tool.uv.sources]\nalpha = { path = "../alpha", editable = true }\n'
    project = make_project("app", ["alpha"], extra=extra)

    _sync(env, project)

    locked = _lock(project)
    assert locked["alpha"]["directory"] == {"path": "../alpha", "editable": True}
    assert locked["beta"]["version"] == "1.0"  # alpha's own dependency, from the index
    assert _touched_from_index(tmp_path / "pip.log", "alpha") == []
    assert {(e.name, e.version) for e in store.entries()} == {("alpha", "9.0"), ("beta", "1.0")}
    first = _probe(run_hooked, project)
    assert first == {
        "code": "local",
        "version": "9.0",
        "file": str(source / "src" / "alpha" / "__init__.py"),
    }

    (source / "src" / "alpha" / "__init__.py").write_text("WHO = 'edited'\n", encoding="utf-8")

    assert _probe(run_hooked, project)["code"] == "edited"


def test_with_the_uv_engine_too_a_local_source_wins_over_the_index(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], run_hooked: RunHooked,
    store: Store,
) -> None:  # fmt: skip
    make_source_dir(
        tmp_path / "alpha", "alpha", "9.0", {"alpha.py": "WHO = 'local'\n"}, dependencies=["beta<2"]
    )
    project = make_project(
        "app", ["alpha"], extra='[tool.uv.sources]\nalpha = { path = "../alpha" }\n'
    )

    _sync({**env, "VIMPORT_ENGINE": "uv"}, project)

    assert _lock(project)["alpha"]["directory"] == {"path": "../alpha", "editable": False}
    assert {(e.name, e.version) for e in store.entries()} == {("alpha", "9.0"), ("beta", "1.0")}
    assert _probe(run_hooked, project)["code"] == "local"


def test_a_file_url_directory_is_built_into_the_store_and_locked(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], run_hooked: RunHooked
) -> None:
    source = make_source_dir(tmp_path / "alpha", "alpha", "9.0", {"alpha.py": "WHO = 'built'\n"})
    project = make_project("app", [f"alpha @ {source.as_uri()}"])

    _sync(env, project)

    assert _lock(project)["alpha"]["directory"] == {"path": "../alpha", "editable": False}
    assert _touched_from_index(tmp_path / "pip.log", "alpha") == []
    probe = _probe(run_hooked, project)
    assert probe["code"] == "built"
    assert probe["file"].startswith(env["VIMPORT_STORE"])  # a copy: not editable

    (source / "alpha.py").write_text("WHO = 'rebuilt'\n", encoding="utf-8")
    assert _probe(run_hooked, project)["code"] == "built"  # until the next sync
    _sync(env, project)
    assert _probe(run_hooked, project)["code"] == "rebuilt"


def test_requirements_file_path_lines_are_local_sources(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], run_hooked: RunHooked
) -> None:
    make_source_dir(tmp_path / "app" / "libs" / "alpha", "alpha", "9.0", {"alpha.py": "WHO = 1\n"})
    project = make_project("app", [], tool='requirements = "requirements.txt"')
    (project / "requirements.txt").write_text("-e ./libs/alpha\nbeta\n", encoding="utf-8")

    _sync(env, project)

    locked = _lock(project)
    assert locked["alpha"]["directory"] == {"path": "libs/alpha", "editable": True}
    assert locked["beta"]["version"] == "2.0"
    assert _probe(run_hooked, project)["file"] == str(project / "libs" / "alpha" / "alpha.py")


def test_a_source_dependency_of_a_source_is_built_from_its_own_sources(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], run_hooked: RunHooked
) -> None:
    make_source_dir(tmp_path / "beta", "beta", "7.0", {"beta.py": "WHO = 'local beta'\n"})
    make_source_dir(
        tmp_path / "alpha", "alpha", "9.0", {"alpha.py": "import beta\nWHO = beta.WHO\n"},
        dependencies=["beta"], extra='[tool.uv.sources]\nbeta = { path = "../beta" }\n',
    )  # fmt: skip
    project = make_project(
        "app", ["alpha"], extra='[tool.uv.sources]\nalpha = { path = "../alpha" }\n'
    )

    _sync(env, project)

    assert _lock(project)["beta"]["directory"] == {"path": "../beta", "editable": False}
    assert _touched_from_index(tmp_path / "pip.log", "beta") == []
    assert _probe(run_hooked, project)["code"] == "local beta"


@pytest.mark.parametrize(
    ("alpha", "extra", "said"),
    [
        ({}, '[tool.uv.sources]\nalpha = { path = "../nowhere" }\n', "does not exist"),
        ({"fail": "ValueError: bad version"}, '[tool.uv.sources]\nalpha = { path = "../alpha" }\n',
         "its build backend failed: ValueError: ValueError: bad version"),
        ({}, '[tool.uv.sources]\nalpha = { git = "https://example.invalid/a.git" }\n',
         "tool.uv.sources.alpha: git sources are not supported"),
    ],
)  # fmt: skip
def test_a_bad_local_source_is_one_line_and_nothing_changes(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], store: Store,
    alpha: dict[str, str], extra: str, said: str,
) -> None:  # fmt: skip
    make_source_dir(tmp_path / "alpha", "alpha", "9.0", {"alpha.py": ""}, **alpha)  # type: ignore[arg-type]
    project = make_project("app", ["alpha"], extra=extra)
    manifest = (project / "pyproject.toml").read_text(encoding="utf-8")

    done = vimport("sync", str(project), env=env)

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert said in done.stderr
    assert str(project / "pyproject.toml") in done.stderr
    assert not (project / "pylock.toml").exists()
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == manifest
    assert not os.path.isdir(store.root) or store.entries() == []


def test_a_cycle_between_path_dependencies_names_it(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str]
) -> None:
    for name, other in (("alpha", "beta"), ("beta", "alpha")):
        make_source_dir(
            tmp_path / name, name, "9.0", {f"{name}.py": ""}, dependencies=[other],
            extra=f'[tool.uv.sources]\n{other} = {{ path = "../{other}" }}\n',
        )  # fmt: skip
    project = make_project(
        "app", ["alpha"], extra='[tool.uv.sources]\nalpha = { path = "../alpha" }\n'
    )

    done = vimport("sync", str(project), env=env)

    assert done.returncode == 1
    assert "a cycle between path dependencies: alpha" in done.stderr
    assert "-> beta" in done.stderr and done.stderr.count("\n") == 1


# --- workspaces ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tool_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tool_venv(tmp_path_factory.mktemp("tool") / "venv")


def _workspace(root: Path, members: str = '["packages/*"]') -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[tool.uv.workspace]\nmembers = {members}\nexclude = ["packages/old"]\n\n[tool.vimport]\n',
        encoding="utf-8",
    )
    make_source_dir(
        root / "packages" / "alpha", "alpha", "9.0", {"src/alpha/__init__.py": "WHO = 'member'\n"},
        dependencies=["beta<2"],
    )  # fmt: skip
    make_source_dir(
        root / "packages" / "app", "app", "0.1",
        {"app/__init__.py": "", "app/cli.py": "import alpha\ndef main():\n    print(alpha.WHO)\n"},
        dependencies=["alpha"], scripts={"hello": "app.cli:main"},
        extra="[tool.uv.sources]\nalpha = { workspace = true }\n",
    )  # fmt: skip
    (root / "packages" / "old").mkdir()  # excluded: it has no pyproject.toml
    return root


def test_a_workspace_app_runs_its_members_script_from_its_own_directory(
    tmp_path: Path, env: dict[str, str], tool_python: Path
) -> None:
    root = _workspace(tmp_path / "ws")

    _sync(env, root)

    locked = _lock(root)
    assert locked["alpha"]["directory"] == {"path": "packages/alpha", "editable": True}
    assert locked["app"]["directory"] == {"path": "packages/app", "editable": True}
    assert locked["beta"]["version"] == "1.0"
    assert _touched_from_index(tmp_path / "pip.log", "alpha") == []
    app = root / "packages" / "app"
    command = [str(tool_python), "-m", "versioned_import", "run", "hello"]
    done = subprocess.run(command, cwd=app, env=env, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "member\n"), done.stderr

    init = root / "packages" / "alpha" / "src" / "alpha" / "__init__.py"
    init.write_text("WHO = 'edited'\n", encoding="utf-8")
    done = subprocess.run(command, cwd=app, env=env, capture_output=True, text=True, check=False)
    assert done.stdout == "edited\n", done.stderr


def test_a_member_glob_that_matches_nothing_is_one_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    root = _workspace(tmp_path / "ws", '["packages/*", "libs/*"]')

    done = vimport("sync", str(root), env=env)

    assert done.returncode == 1
    assert done.stderr == (
        f"vimport: error: {root / 'pyproject.toml'}: tool.uv.workspace.members: 'libs/*' "
        "matches no directory\n"
    )


@pytest.mark.parametrize("option", ["--frozen", "--locked"])
def test_frozen_and_locked_never_build_and_name_a_missing_build(
    tmp_path: Path, make_project: MakeProject, env: dict[str, str], option: str
) -> None:
    make_source_dir(tmp_path / "alpha", "alpha", "9.0", {"alpha.py": "WHO = 1\n"})
    project = make_project(
        "app", ["alpha"], extra='[tool.uv.sources]\nalpha = { path = "../alpha" }\n'
    )
    _sync(env, project)
    empty = {**env, "VIMPORT_STORE": str(tmp_path / "empty-store")}

    done = vimport("sync", option, str(project), env=empty)

    assert done.returncode == 1
    assert done.stderr.startswith(
        f"vimport: error: {project / 'pylock.toml'}: the store lacks the builds of alpha 9.0 "
        f"({tmp_path / 'alpha'})"
    ), done.stderr
