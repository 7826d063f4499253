"""The manifest: [project] and [tool.vimport] of a pyproject.toml, every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakeProject
from versioned_import.errors import ManifestError
from versioned_import.project.pyproject import import_roots, read_manifest


def _write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(text, encoding="utf-8")
    return directory


def _problems(directory: Path) -> ManifestError:
    with pytest.raises(ManifestError) as excinfo:
        read_manifest(str(directory))
    return excinfo.value


def test_a_valid_manifest_is_read(make_project: MakeProject) -> None:
    project = make_project(
        "app",
        ["alpha>=1", "beta[fast]==2.0; python_version >= '3'"],
        tool="system-site-packages = true",
    )
    manifest = read_manifest(str(project))
    assert manifest.active
    assert manifest.name == "app"
    assert manifest.path == str(project / "pyproject.toml")
    assert manifest.root == str(project)
    assert [str(r) for r in manifest.requirements] == [
        "alpha>=1",
        'beta[fast]==2.0; python_version >= "3"',
    ]
    assert manifest.system_site_packages is True


def test_an_empty_tool_table_is_active_with_defaults(make_project: MakeProject) -> None:
    manifest = read_manifest(str(make_project("app")))
    assert manifest.active
    assert manifest.requirements == []
    assert manifest.system_site_packages is False


def test_a_manifest_without_the_tool_table_is_inactive(tmp_path: Path) -> None:
    # Such a project is left alone, even when the rest of the file would be wrong for us.
    project = _write(tmp_path / "other", '[project]\nname = "other"\ndependencies = "x"\n')
    manifest = read_manifest(str(project))
    assert not manifest.active
    assert manifest.requirements == []


def test_the_directory_names_a_project_without_a_name(tmp_path: Path) -> None:
    project = _write(tmp_path / "nameless", "[tool.vimport]\n")
    assert read_manifest(str(project)).name == "nameless"


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    project = _write(tmp_path / "broken", '[project]\nname = "broken"\ndependencies = [\n= 1\n')
    error = _problems(project)
    assert error.path == str(project / "pyproject.toml")
    assert str(error).startswith(f"{project / 'pyproject.toml'}: invalid TOML")
    assert "line 4" in str(error)


def test_a_missing_manifest_says_how_to_create_it(tmp_path: Path) -> None:
    error = _problems(tmp_path)
    assert error.problems == ["file not found; create it with a [tool.vimport] table"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    project = _write(
        tmp_path / "bad",
        "[project]\n"
        'name = "bad"\n'
        'requires-python = ">=4"\n'
        'dependencies = ["good>=1", 42, "not a requirement!!"]\n'
        "\n"
        "[tool.vimport]\n"
        'system-site-packages = "yes"\n'
        "colour = 1\n",
    )
    error = _problems(project)
    message = str(error)
    assert message.startswith(str(project / "pyproject.toml"))
    assert len(error.problems) == 5
    # Each problem names its field.
    for field in (
        "project.dependencies[1] must be a string, not int",
        "project.dependencies[2]: 'not a requirement!!' is not a valid requirement",
        "project.requires-python is '>=4'",
        "tool.vimport.colour: unknown key (known: default-groups, extras, groups, private-copies, "
        "requirements, system-site-packages)",
        "tool.vimport.system-site-packages must be true or false",
    ):
        assert field in message


def test_dependencies_must_be_a_list(tmp_path: Path) -> None:
    project = _write(tmp_path / "bad", '[project]\ndependencies = "alpha"\n[tool.vimport]\n')
    assert _problems(project).problems == [
        "project.dependencies must be an array of PEP 508 strings"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            'project = "x"\n[tool.vimport]\n', "[project] must be a table", id="project-not-table"
        ),
        pytest.param("[tool]\nvimport = 1\n", "tool.vimport must be a table", id="tool-not-table"),
        pytest.param(
            "[project]\nrequires-python = 3\n[tool.vimport]\n",
            "project.requires-python must be a string",
            id="requires-python-type",
        ),
        pytest.param(
            '[project]\nrequires-python = "3.x"\n[tool.vimport]\n',
            "project.requires-python: ",
            id="requires-python-syntax",
        ),
    ],
)
def test_wrong_types_name_the_field(tmp_path: Path, text: str, problem: str) -> None:
    error = _problems(_write(tmp_path / "bad", text))
    assert len(error.problems) == 1
    assert error.problems[0].startswith(problem)


def test_a_satisfied_requires_python_is_accepted(tmp_path: Path) -> None:
    project = _write(tmp_path / "app", '[project]\nrequires-python = ">=3.8"\n[tool.vimport]\n')
    assert read_manifest(str(project)).active


def test_import_roots_of_a_flat_project_is_its_directory(tmp_path: Path) -> None:
    assert import_roots(str(tmp_path)) == [str(tmp_path)]


def test_import_roots_of_a_src_layout_is_src(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert import_roots(str(tmp_path)) == [str(tmp_path / "src")]


def test_a_file_named_src_is_not_a_src_layout(tmp_path: Path) -> None:
    (tmp_path / "src").write_text("", encoding="utf-8")
    assert import_roots(str(tmp_path)) == [str(tmp_path)]


def test_a_git_source_is_an_error_not_an_index_lookup(tmp_path: Path) -> None:
    project = _write(
        tmp_path / "p",
        '[project]\nname = "p"\ndependencies = ["mylib"]\n[tool.vimport]\n'
        '[tool.uv.sources]\nmylib = { git = "https://example.invalid/mylib.git" }\n',
    )
    error = _problems(project)
    assert error.path == str(project / "pyproject.toml")
    assert error.problems[0].startswith("tool.uv.sources.mylib: git sources are not supported")


def test_path_lines_of_a_requirements_file_are_local_sources(tmp_path: Path) -> None:
    _write(tmp_path / "p" / "libs" / "a", '[project]\nname = "Lib-A"\n')
    (tmp_path / "p" / "dist").mkdir()
    (tmp_path / "p" / "dist" / "b-1.0-py3-none-any.whl").write_bytes(b"")
    project = _write(
        tmp_path / "p",
        '[project]\nname = "p"\n[tool.vimport]\nrequirements = "req.txt"\n',
    )
    (project / "req.txt").write_text(
        "-e ./libs/a\n./dist/b-1.0-py3-none-any.whl\nc @ file:dist/b-1.0-py3-none-any.whl\n",
        encoding="utf-8",
    )

    manifest = read_manifest(str(project))

    assert [str(r) for r in manifest.requirements] == ["Lib-A", "b", "c"]
    found = {n: (s.path, s.editable) for n, s in manifest.local.items()}
    wheel = str(project / "dist" / "b-1.0-py3-none-any.whl")
    assert found == {"lib-a": (str(project / "libs" / "a"), True), "b": (wheel, False),
                     "c": (wheel, False)}  # fmt: skip
    assert manifest.local["lib-a"].where == f"{project / 'req.txt'}:1"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("-e ./nowhere", "the path {p}/nowhere does not exist"),
        ("./nameless", "cannot tell the distribution name of {p}/nameless"),
        ("x @ file:///nowhere/x", "x @ file:///nowhere/x: the path /nowhere/x does not exist"),
    ],
)
def test_a_bad_path_line_names_the_file_and_line(tmp_path: Path, line: str, said: str) -> None:
    project = _write(
        tmp_path / "p", '[project]\nname = "p"\n[tool.vimport]\nrequirements = "req.txt"\n'
    )
    (project / "nameless").mkdir()
    (project / "req.txt").write_text(f"{line}\n", encoding="utf-8")

    error = _problems(project)

    assert error.problems[0].startswith(f"{project / 'req.txt'}:1: "), error.problems
    assert said.format(p=project) in error.problems[0]


def test_two_sources_for_one_name_are_a_problem(tmp_path: Path) -> None:
    (tmp_path / "a1").mkdir()
    (tmp_path / "a2").mkdir()
    project = _write(
        tmp_path / "p",
        f'[project]\nname = "p"\ndependencies = ["a @ {(tmp_path / "a2").as_uri()}"]\n'
        '[tool.vimport]\n[tool.uv.sources]\na = { path = "../a1" }\n',
    )

    error = _problems(project)

    assert "a already comes from" in error.problems[0]
