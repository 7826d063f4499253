"""The plan is computed once, and again exactly when the manifest or the store changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e

_COMPUTED = "computed the plan"
_CODE = "import projectc; print(projectc.__version__)"


def _run(run_hooked: RunHooked, project: Path) -> subprocess.CompletedProcess[str]:
    done = run_hooked(project, "-c", _CODE, env_extra={"VIMPORT_DEBUG": "1"})
    assert done.returncode == 0, done.stderr
    return done


def test_a_second_run_reuses_the_plan(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])

    first, second = _run(run_hooked, project), _run(run_hooked, project)

    assert _COMPUTED in first.stderr
    assert _COMPUTED not in second.stderr
    assert first.stdout == second.stdout == "1.0\n"


def test_editing_the_manifest_recomputes(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"), ("projectc", "2.0"))
    project = make_project("app", ["projectc==1.0"])
    assert _run(run_hooked, project).stdout == "1.0\n"

    # Same length as before: the edit must be noticed by more than the file's size.
    make_project("app", ["projectc==2.0"])
    after = _run(run_hooked, project)

    assert _COMPUTED in after.stderr
    assert after.stdout == "2.0\n"


def test_installing_into_the_store_recomputes(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])
    assert _run(run_hooked, project).stdout == "1.0\n"

    fill_store(("projectc", "3.0"))
    after = _run(run_hooked, project)

    assert _COMPUTED in after.stderr
    assert after.stdout == "3.0\n"
