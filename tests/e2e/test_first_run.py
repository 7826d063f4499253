"""A new project's first run: planned in the process itself when every version is pinned."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked, venv_python, vimport

pytestmark = pytest.mark.e2e

_CODE = (
    "import sys, projectc, helper; "
    "print(projectc.__version__, helper.__version__, 'packaging' in sys.modules)"
)


def _first_run(run_hooked: RunHooked, project: Path, cache: Path) -> tuple[str, str]:
    env = {"VIMPORT_DEBUG": "1", "XDG_CACHE_HOME": str(cache)}
    done = run_hooked(project, "-c", _CODE, env_extra=env)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_a_pinned_project_is_planned_without_a_child(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked, tmp_path: Path
) -> None:
    fill_store(
        ("projectc", "1.0", None, {"requires": ["helper>=1"]}),
        ("projectc", "2.0", None, {"requires": ["helper>=2"]}),
        ("helper", "1.0"),
        ("helper", "2.5"),
    )
    cache = tmp_path / "cache"
    ranged = make_project("ranged", ["projectc>=2"])
    pinned = make_project("pinned", ["projectc==1.0", "helper==1.0"])

    # The interpreter's tags are recorded by the first plan computed in full.
    stdout, stderr = _first_run(run_hooked, pinned, cache)
    assert "in a child interpreter (no record of this interpreter's tags" in stderr
    assert stdout == "1.0 1.0 False\n"
    stdout, stderr = _first_run(run_hooked, ranged, cache)
    assert "in a child interpreter (projectc>=2 is not an exact pin)" in stderr
    assert stdout == "2.0 2.5 False\n"

    again = make_project("again", ["projectc==1.0", "helper==1.0"])
    stdout, stderr = _first_run(run_hooked, again, cache)
    assert "in-process: every version is pinned" in stderr
    assert "(again requires projectc==1.0)" in stderr
    assert stdout == "1.0 1.0 False\n"


def test_after_hook_install_even_the_first_pinned_project_is_planned_in_process(
    fill_store: FillStore, make_project: MakeProject, hook_env: dict[str, str], tmp_path: Path
) -> None:
    fill_store(("projectc", "1.0"), ("helper", "1.0"))
    python = venv_python(tmp_path / "venv")
    installed = vimport("hook", "install", "--python", str(python), env=hook_env)
    assert installed.returncode == 0, installed.stderr
    project = make_project("pinned", ["projectc==1.0", "helper==1.0"])
    done = subprocess.run(
        [str(python), "-I", "-c", _CODE],
        cwd=project,
        env={**hook_env, "VIMPORT_DEBUG": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "in-process: every version is pinned" in done.stderr
    assert done.stdout == "1.0 1.0 False\n"
