"""``[tool.uv.sources]``: each entry honoured or refused by name, never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from versioned_import.project.sources import LocalSource, read_uv_sources


def _read(tmp_path: Path, sources: dict[str, object]) -> tuple[dict[str, LocalSource], list[str]]:
    problems: list[str] = []
    data = {"tool": {"uv": {"sources": sources}}}
    found = read_uv_sources(data, str(tmp_path / "pyproject.toml"), problems)
    return found, problems


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ({"git": "https://example.invalid/x.git"}, "git sources are not supported"),
        ({"url": "https://example.invalid/x.whl"}, "url sources are not supported"),
        ({"index": "private"}, "index pinning are not supported"),
        ({"path": "x", "marker": "sys_platform == 'linux'"}, "sources with markers"),
        ({"colour": "blue"}, "unknown key colour"),
        ([{"path": "a"}, {"path": "b"}], "several sources chosen by markers"),
        ("../x", "must be a table"),
    ],
)
def test_a_source_it_cannot_honour_is_a_problem_naming_the_entry(
    tmp_path: Path, spec: object, said: str
) -> None:
    found, problems = _read(tmp_path, {"My_Lib": spec})
    assert found == {}
    assert len(problems) == 1
    assert problems[0].startswith("tool.uv.sources.My_Lib: ")
    assert said in problems[0]


def test_a_path_that_does_not_exist_names_the_entry_and_the_path(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, {"mylib": {"path": "../nowhere"}})
    assert problems == [
        f"tool.uv.sources.mylib: the path {tmp_path.parent / 'nowhere'} does not exist"
    ]


def test_an_editable_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mylib-1.0-py3-none-any.whl").write_bytes(b"")
    _, problems = _read(
        tmp_path, {"mylib": {"path": "mylib-1.0-py3-none-any.whl", "editable": True}}
    )
    assert problems and "editable = true needs a source directory" in problems[0]


def test_a_sources_table_of_the_wrong_type_is_a_problem(tmp_path: Path) -> None:
    problems: list[str] = []
    data = {"tool": {"uv": {"sources": ["mylib"]}}}
    assert read_uv_sources(data, str(tmp_path / "pyproject.toml"), problems) == {}
    assert problems == ["tool.uv.sources must be a table"]
