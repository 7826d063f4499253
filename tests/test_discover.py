"""Which project a process belongs to: its main script's directory, or the current one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import MakeProject
from versioned_import._runtime.discover import (
    find_project,
    is_tool_process,
    project_for_process,
    start_directory,
    stranded_project,
)


@pytest.fixture(autouse=True)
def no_forced_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """A VIMPORT_PROJECT set around the test run would decide every answer here."""
    monkeypatch.delenv("VIMPORT_PROJECT", raising=False)


def _argv(monkeypatch: pytest.MonkeyPatch, argv: list[str], orig: list[str] | None = None) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(sys, "orig_argv", orig if orig is not None else ["python", *argv])


# --- start_directory ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["-c"], ["-m", "arg"], [""], ["-"], []], ids=["-c", "-m", "repl", "stdin", "empty"]
)
def test_without_a_script_the_search_starts_in_the_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _argv(monkeypatch, argv)
    assert start_directory() == str(tmp_path)


def test_a_script_starts_the_search_in_its_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "tools" / "run.py"
    script.parent.mkdir()
    script.write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _argv(monkeypatch, ["tools/run.py"])
    assert start_directory() == str(script.parent)


def test_a_symlinked_script_starts_where_it_really_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As for sys.path[0]: the directory of the file the link points to.
    real = tmp_path / "project" / "main.py"
    real.parent.mkdir()
    real.write_text("", encoding="utf-8")
    link = tmp_path / "bin" / "main"
    link.parent.mkdir()
    link.symlink_to(real)
    _argv(monkeypatch, [str(link)])
    assert start_directory() == str(real.parent)


def test_a_directory_run_as_main_is_its_own_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _argv(monkeypatch, [str(tmp_path)])
    assert start_directory() == str(tmp_path)


# --- is_tool_process ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "orig"),
    [
        pytest.param(["/usr/local/bin/vimport", "list"], None, id="console-script"),
        pytest.param(["-m", "list"], ["python", "-m", "versioned_import", "list"], id="-m"),
        pytest.param(["-m"], ["python", "-I", "-mversioned_import.cli"], id="-m-joined"),
        pytest.param(["-m", "x"], ["python", "-Im", "versioned_import", "x"], id="-Im"),
    ],
)
def test_the_tool_itself_is_recognized(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], orig: list[str] | None
) -> None:
    _argv(monkeypatch, argv, orig)
    assert is_tool_process()


@pytest.mark.parametrize(
    ("argv", "orig"),
    [
        pytest.param(["app.py"], None, id="script"),
        pytest.param(["/home/me/vimport.py"], None, id="a-script-named-like-the-tool"),
        pytest.param(["-c"], ["python", "-c", "import vimport"], id="-c"),
        pytest.param(["-m", "list"], ["python", "-m", "pip", "list"], id="-m-other"),
        pytest.param(["-m"], ["python", "-m", "versioned_import_extra"], id="-m-lookalike"),
        pytest.param([], [], id="no-argv"),
    ],
)
def test_other_processes_are_not_the_tool(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], orig: list[str] | None
) -> None:
    _argv(monkeypatch, argv, orig)
    assert not is_tool_process()


# --- find_project ---------------------------------------------------------------------------


def test_a_project_is_found_from_a_subdirectory(make_project: MakeProject) -> None:
    project = make_project("app")
    deep = project / "pkg" / "sub"
    deep.mkdir(parents=True)
    assert find_project(str(deep)) == str(project)


def test_the_nearest_pyproject_without_the_table_ends_the_search(
    make_project: MakeProject,
) -> None:
    # A library checked out inside a project is its own, unmanaged, project.
    outer = make_project("app")
    inner = outer / "vendor" / "lib"
    inner.mkdir(parents=True)
    (inner / "pyproject.toml").write_text('[project]\nname = "lib"\n', encoding="utf-8")
    assert find_project(str(inner)) is None


@pytest.mark.parametrize("root_opts_in", [True, False])
def test_a_workspace_member_belongs_to_the_workspace_root_above_it(
    tmp_path: Path, root_opts_in: bool
) -> None:
    root = tmp_path / "ws"
    member = root / "packages" / "app" / "src"
    member.mkdir(parents=True)
    table = "\n[tool.vimport]\n" if root_opts_in else ""
    (root / "pyproject.toml").write_text(
        f'[tool.uv.workspace]\nmembers = ["packages/*"]\n{table}', encoding="utf-8"
    )
    (root / "packages" / "app" / "pyproject.toml").write_text(
        '[project]\nname = "app"\n', encoding="utf-8"
    )
    # Between member and root, a pyproject.toml of neither kind is passed over, as in uv.
    (root / "packages" / "pyproject.toml").write_text("[tool.ruff]\n", encoding="utf-8")

    assert find_project(str(member)) == (str(root) if root_opts_in else None)


def test_no_pyproject_anywhere_is_no_project(tmp_path: Path) -> None:
    assert find_project(str(tmp_path)) is None


@pytest.mark.parametrize(
    "text",
    [
        "[tool.vimport]\n",
        '[project]\nname = "x"\n\n[ tool.vimport ]\n',
        "[project]\r\n[tool.vimport]\r\n",
        "[tool.vimport.options]\nx = 1\n",
        "[build-system]\n\t[tool.vimport]\n",
    ],
    ids=["first-line", "spaces", "crlf", "sub-table", "indented"],
)
def test_the_table_is_recognized_however_it_is_spelled(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8", newline="")
    assert find_project(str(tmp_path)) == str(tmp_path)


@pytest.mark.parametrize(
    "text",
    ["# see [tool.vimport]\n", "[tool.vimportx]\n", "[tool.other]\nvimport = 1\n"],
    ids=["comment", "longer-name", "key"],
)
def test_similar_text_is_not_the_table(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    assert find_project(str(tmp_path)) is None


# --- project_for_process --------------------------------------------------------------------


def test_the_main_script_decides_the_project(
    monkeypatch: pytest.MonkeyPatch, make_project: MakeProject, tmp_path: Path
) -> None:
    project = make_project("app")
    (project / "main.py").write_text("", encoding="utf-8")
    # The cwd is elsewhere: the script's directory wins.
    monkeypatch.chdir(tmp_path)
    _argv(monkeypatch, [str(project / "main.py")])
    assert project_for_process() == str(project)


def test_the_cwd_decides_for_dash_c(
    monkeypatch: pytest.MonkeyPatch, make_project: MakeProject
) -> None:
    project = make_project("app")
    monkeypatch.chdir(project)
    _argv(monkeypatch, ["-c"])
    assert project_for_process() == str(project)


def test_vimport_project_overrides_the_start_directory(
    monkeypatch: pytest.MonkeyPatch, make_project: MakeProject, tmp_path: Path
) -> None:
    project = make_project("app")
    (project / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    _argv(monkeypatch, ["-c"])
    monkeypatch.setenv("VIMPORT_PROJECT", str(project / "sub"))
    assert project_for_process() == str(project)


def test_vimport_project_without_a_manifest_is_still_the_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Forced on purpose: the plan then reports the missing manifest instead of silence.
    monkeypatch.chdir(tmp_path)
    _argv(monkeypatch, ["-c"])
    monkeypatch.setenv("VIMPORT_PROJECT", "somewhere")
    assert project_for_process() == str(tmp_path / "somewhere")


def test_the_tool_process_has_no_project(
    monkeypatch: pytest.MonkeyPatch, make_project: MakeProject
) -> None:
    project = make_project("app")
    monkeypatch.chdir(project)
    monkeypatch.setenv("VIMPORT_PROJECT", str(project))
    _argv(monkeypatch, ["-m", "list"], ["python", "-m", "versioned_import", "list"])
    assert project_for_process() is None


# --- stranded_project -----------------------------------------------------------------------


def test_a_helper_script_started_from_a_project_is_stranded(
    monkeypatch: pytest.MonkeyPatch, make_project: MakeProject, tmp_path: Path
) -> None:
    project = make_project("app")
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    _argv(monkeypatch, [str(tmp_path / "tool" / "pyinfo.py")])
    assert stranded_project() == str(project)
    # The interpreter's own commands, `-c` and the tool itself are never stranded.
    for argv in ([str(tmp_path / "bin" / "pip")], ["-c"], [str(tmp_path / "bin2" / "vimport")]):
        _argv(monkeypatch, argv)
        assert stranded_project() is None, argv
