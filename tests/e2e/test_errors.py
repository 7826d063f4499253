"""A project that cannot be set up costs one line on stderr, never the interpreter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e

_CODE = """
print(1)
try:
    import projectc
except ImportError as exc:
    print(exc)
"""


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single ``vimport:`` line a run that still worked printed on stderr (prefix removed)."""
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "1"
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("vimport: ")
    return lines[0].removeprefix("vimport: ")


def test_a_broken_manifest_names_file_and_line_and_imports_say_so(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"], tool="this is not toml")
    manifest = project / "pyproject.toml"
    broken_line = manifest.read_text().splitlines().index("this is not toml") + 1

    done = run_hooked(project, "-c", _CODE)

    message = _one_line(done)
    assert str(manifest) in message
    assert f"line {broken_line}" in message
    import_error = done.stdout.splitlines()[1]
    assert import_error.startswith("No module named 'projectc'")
    assert message in import_error


def test_an_unsatisfiable_pin_names_the_requirement_the_store_and_the_fix(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"), ("projectc", "2.0"))
    project = make_project("app", ["projectc==9"])

    message = _one_line(run_hooked(project, "-c", _CODE))

    assert "projectc==9" in message
    assert "1.0" in message
    assert "2.0" in message
    assert "vimport install" in message


def test_a_missing_store_names_it_and_the_fix(
    tmp_path: Path, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    nowhere = tmp_path / "no-store-here"
    project = make_project("app", ["projectc"])

    message = _one_line(run_hooked(project, "-c", _CODE, env_extra={"VIMPORT_STORE": str(nowhere)}))

    assert str(nowhere) in message
    assert "vimport install" in message
