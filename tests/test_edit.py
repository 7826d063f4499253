"""Editing [project].dependencies in place: only the array changes, in the array's own style."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from versioned_import.errors import ManifestError
from versioned_import.project.edit import (
    add_requirements,
    extra_field,
    group_field,
    remove_requirements,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def _pyproject(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(text.encode("utf-8"))  # bytes: keep CRLF as written
    return path


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _read_back(path: Path) -> list[str]:
    """What any TOML reader sees in the edited file."""
    dependencies: list[str] = tomllib.loads(_text(path))["project"]["dependencies"]
    return dependencies


def _error(path: Path, action: str, args: list[str]) -> ManifestError:
    edit = add_requirements if action == "add" else remove_requirements
    with pytest.raises(ManifestError) as excinfo:
        edit(str(path), args)
    assert excinfo.value.path == str(path)
    return excinfo.value


COMMENTED = """\
[project]
name = "app"
# Runtime dependencies: keep them loose.
dependencies = [
    # the web part
    "alpha>=1",  # not 2: see #12
    "beta",
    # "gamma",  switched off for now
]  # end of dependencies
"""


def test_comments_above_inside_and_after_the_array_survive(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, COMMENTED)
    result = add_requirements(str(path), ["delta<3", "alpha>=1.5"])
    assert result == ["alpha>=1.5", "beta", "delta<3"]
    assert _text(path) == COMMENTED.replace('"alpha>=1"', '"alpha>=1.5"').replace(
        '    "beta",\n', '    "beta",\n    "delta<3",\n'
    )
    assert _read_back(path) == result


def test_a_new_item_goes_after_the_last_item_not_after_closing_comments(tmp_path: Path) -> None:
    # tomlkit alone would append after the comment line, and without the trailing comma.
    path = _pyproject(tmp_path, '[project]\ndependencies = [\n    "a",\n    # "b",\n]\n')
    add_requirements(str(path), ["c"])
    assert _text(path) == '[project]\ndependencies = [\n    "a",\n    "c",\n    # "b",\n]\n'


def test_a_multi_line_array_keeps_its_indentation_and_trailing_comma(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\ndependencies = [\n  "alpha",\n  "beta",\n]\n')
    add_requirements(str(path), ["gamma>=2", "delta"])
    assert _text(path) == (
        '[project]\ndependencies = [\n  "alpha",\n  "beta",\n  "gamma>=2",\n  "delta",\n]\n'
    )


def test_a_multi_line_array_without_a_trailing_comma_keeps_none(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\ndependencies = [\n    "alpha",\n    "beta"\n]\n')
    add_requirements(str(path), ["gamma"])
    assert _text(path) == '[project]\ndependencies = [\n    "alpha",\n    "beta",\n    "gamma"\n]\n'
    remove_requirements(str(path), ["gamma"])
    assert _text(path) == '[project]\ndependencies = [\n    "alpha",\n    "beta"\n]\n'


def test_an_inline_array_stays_inline(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\ndependencies = ["alpha", "beta"]  # short\n')
    assert add_requirements(str(path), ["gamma"]) == ["alpha", "beta", "gamma"]
    assert _text(path) == '[project]\ndependencies = ["alpha", "beta", "gamma"]  # short\n'
    assert remove_requirements(str(path), ["alpha"]) == ["beta", "gamma"]
    assert _text(path) == '[project]\ndependencies = ["beta", "gamma"]  # short\n'


def test_a_listed_name_is_replaced_where_it_stands(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        '[project]\ndependencies = [\n    "first",\n    "Alpha_Lib[fast]>=1",\n    "last",\n]\n',
    )
    result = add_requirements(str(path), ["alpha-lib>=2"])
    assert result == ["first", "alpha-lib>=2", "last"]
    assert _read_back(path) == result


def test_only_the_entry_with_the_same_marker_is_replaced(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        "[project]\ndependencies = [\n"
        "    \"lib<2; python_version < '3.11'\",\n"
        "    \"lib>=2; python_version >= '3.11'\",\n"
        "]\n",
    )
    result = add_requirements(str(path), ["lib>=3; python_version >= '3.11'"])
    assert result == ["lib<2; python_version < '3.11'", "lib>=3; python_version >= '3.11'"]
    # Without a marker the requirement holds everywhere: it takes the place of both.
    assert add_requirements(str(path), ["lib>=3"]) == ["lib>=3"]
    assert _read_back(path) == ["lib>=3"]


def test_new_items_are_quoted_like_the_others(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, "[project]\ndependencies = ['alpha']\n")
    add_requirements(str(path), ["beta>=1", "gamma; python_version < '3.11'"])
    # A literal string cannot hold the marker's quotes: that one falls back to a basic string.
    assert _text(path) == (
        "[project]\ndependencies = ['alpha', 'beta>=1', \"gamma; python_version < '3.11'\"]\n"
    )
    assert _read_back(path) == ["alpha", "beta>=1", "gamma; python_version < '3.11'"]


def test_adding_to_an_empty_array_lays_it_out_one_item_per_line(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\nname = "app"\ndependencies = []\n')
    assert add_requirements(str(path), ["alpha", "beta"]) == ["alpha", "beta"]
    assert (
        _text(path) == '[project]\nname = "app"\ndependencies = [\n    "alpha",\n    "beta",\n]\n'
    )


@pytest.mark.parametrize("text", ["", "[tool.vimport]\n"])
def test_the_project_table_is_created_when_missing(tmp_path: Path, text: str) -> None:
    path = _pyproject(tmp_path, text)
    assert add_requirements(str(path), ["alpha>=1"]) == ["alpha>=1"]
    assert _text(path).startswith(text)
    assert _text(path).endswith('[project]\ndependencies = [\n    "alpha>=1",\n]\n')
    assert _read_back(path) == ["alpha>=1"]


def test_the_dependencies_key_is_created_at_the_end_of_the_project_table(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\nname = "app"\n\n[tool.vimport]\n')
    add_requirements(str(path), ["alpha"])
    assert _text(path) == (
        '[project]\nname = "app"\ndependencies = [\n    "alpha",\n]\n\n[tool.vimport]\n'
    )


OTHER_TABLES = """\
[build-system]
requires = ["hatchling>=1.18"]   # odd spacing, on purpose
build-backend = "hatchling.build"

[project]
name = "app"
dependencies = ["alpha"]
requires-python=">=3.10"

[tool.ruff]
line-length   = 100
select = [ "E",
  "F" ]
"""


def test_other_tables_and_keys_are_untouched(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, OTHER_TABLES)
    add_requirements(str(path), ["beta"])
    assert _text(path) == OTHER_TABLES.replace('["alpha"]', '["alpha", "beta"]')
    data = tomllib.loads(_text(path))
    assert data["tool"]["ruff"] == {"line-length": 100, "select": ["E", "F"]}
    assert data["project"]["dependencies"] == ["alpha", "beta"]


def test_crlf_line_endings_survive(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\r\nname = "app"\r\n\r\n[tool.vimport]\r\n')
    add_requirements(str(path), ["alpha"])
    assert _text(path) == (
        '[project]\r\nname = "app"\r\n'
        'dependencies = [\r\n    "alpha",\r\n]\r\n'
        "\r\n[tool.vimport]\r\n"
    )
    add_requirements(str(path), ["beta"])
    remove_requirements(str(path), ["alpha"])
    assert "\n" not in _text(path).replace("\r\n", "")
    assert _read_back(path) == ["beta"]


def test_an_invalid_requirement_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, COMMENTED)
    error = _error(path, "add", ["delta", "beta>>=2", "gamma["])
    assert "'beta>>=2' is not a valid requirement" in str(error)
    assert "'gamma[' is not a valid requirement" in str(error)  # every problem, at once
    assert _text(path) == COMMENTED


def test_an_equal_requirement_does_not_rewrite_the_file(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\ndependencies = ["alpha>=1,<2"]\n')
    before = path.stat()
    # The same requirement, spelled differently: the listed spelling stays.
    assert add_requirements(str(path), ["Alpha <2, >=1"]) == ["alpha>=1,<2"]
    assert path.stat().st_ino == before.st_ino
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def test_the_file_is_replaced_whole_with_its_mode_and_through_a_symlink(tmp_path: Path) -> None:
    real = _pyproject(tmp_path, '[project]\ndependencies = ["alpha"]\n')
    real.chmod(0o644)
    link = tmp_path / "link" / "pyproject.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    inode = real.stat().st_ino
    add_requirements(str(link), ["beta"])
    assert link.is_symlink()
    assert real.stat().st_ino != inode  # a new file renamed over the old one, not rewritten
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert _read_back(real) == ["alpha", "beta"]
    assert sorted(os.listdir(tmp_path)) == ["link", "pyproject.toml"]  # no temporary left


def test_removing_drops_every_entry_of_the_name(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        "[project]\ndependencies = [\n"
        '    "alpha",\n'
        "    \"Beta.Lib[x]>=1; python_version < '3.11'\",  # old pythons\n"
        '    "beta_lib>=2",\n'
        '    "gamma",\n'
        "]\n",
    )
    assert remove_requirements(str(path), ["beta-lib"]) == ["alpha", "gamma"]
    assert _text(path) == '[project]\ndependencies = [\n    "alpha",\n    "gamma",\n]\n'


def test_removing_the_last_item_leaves_an_empty_array(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\ndependencies = [\n    "alpha",\n]\nname = "app"\n')
    assert remove_requirements(str(path), ["alpha"]) == []
    assert _text(path) == '[project]\ndependencies = []\nname = "app"\n'
    assert _read_back(path) == []


def test_removing_an_unlisted_name_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, COMMENTED)
    error = _error(path, "remove", ["beta", "zeta"])
    assert error.problems == ["project.dependencies: 'zeta' is not listed; listed: alpha, beta"]
    assert _text(path) == COMMENTED


def test_removing_from_a_file_without_dependencies_is_an_error(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, "[tool.vimport]\n")
    error = _error(path, "remove", ["alpha"])
    assert error.problems == ["project.dependencies: 'alpha' is not listed; listed: nothing"]


def test_a_name_with_a_version_is_not_a_name_to_remove(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, COMMENTED)
    error = _error(path, "remove", ["alpha>=1"])
    assert "'alpha>=1' is not a project name" in str(error)
    assert _text(path) == COMMENTED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[project]\nname = "app"\ndependencies = [\n', "invalid TOML: "),
        ('project = "app"\n', "project must be a table, not a string"),
        ('[project]\ndependencies = "alpha"\n', "project.dependencies must be an array"),
        ('[project]\ndependencies = ["alpha", 2]\n', "project.dependencies[1] must be a string"),
        (
            '[build-system]\nbuild-backend = "hatchling.build"\n'
            '[project]\ndynamic = ["version", "dependencies"]\n',
            "project.dependencies is listed in project.dynamic, so the build backend "
            "(hatchling.build) computes them",
        ),
    ],
)
@pytest.mark.parametrize("action", ["add", "remove"])
def test_a_file_that_cannot_be_edited_is_named_and_left_alone(
    tmp_path: Path, text: str, expected: str, action: str
) -> None:
    path = _pyproject(tmp_path, text)
    error = _error(path, action, ["alpha"])
    assert expected in str(error)
    assert _text(path) == text


def test_invalid_toml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\nname = "app"\nname = "again"\n')
    assert "at line 3" in str(_error(path, "add", ["alpha"]))


@pytest.mark.parametrize("action", ["add", "remove"])
def test_a_missing_file_is_named(tmp_path: Path, action: str) -> None:
    error = _error(tmp_path / "pyproject.toml", action, ["alpha"])
    assert error.problems == ["file not found; create it with a [tool.vimport] table"]
    assert not (tmp_path / "pyproject.toml").exists()


# --- other arrays: dependency groups and extras ----------------------------------------------


def test_adding_to_a_new_group_creates_the_table_and_the_array(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\nname = "app"\ndependencies = ["alpha"]\n')

    assert add_requirements(str(path), ["beta>=2"], group_field("dev")) == ["beta>=2"]

    assert tomllib.loads(_text(path))["dependency-groups"] == {"dev": ["beta>=2"]}
    assert _read_back(path) == ["alpha"]


def test_a_group_keeps_its_include_group_items(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        '[project]\nname = "app"\n\n[dependency-groups]\ntest = ["pytest"]\n'
        'dev = [\n    { include-group = "test" },\n    "ruff",\n]\n',
    )

    add_requirements(str(path), ["mypy"], group_field("dev"))
    remove_requirements(str(path), ["ruff"], group_field("dev"))

    assert tomllib.loads(_text(path))["dependency-groups"]["dev"] == [
        {"include-group": "test"},
        "mypy",
    ]


def test_adding_an_extra_creates_project_optional_dependencies(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\nname = "app"\ndependencies = []\n')

    add_requirements(str(path), ["orjson"], extra_field("fast"))

    assert tomllib.loads(_text(path))["project"] == {
        "name": "app",
        "dependencies": [],
        "optional-dependencies": {"fast": ["orjson"]},
    }


def test_removing_from_a_group_that_lacks_the_name_names_the_group(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[project]\nname = "app"\n\n[dependency-groups]\ndev = ["ruff"]\n')

    before = path.read_bytes()

    with pytest.raises(
        ManifestError, match=re.escape("dependency-groups.dev: 'mypy' is not listed; listed: ruff")
    ):
        remove_requirements(str(path), ["mypy"], group_field("dev"))

    assert path.read_bytes() == before
