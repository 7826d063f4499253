"""Child processes belong to their parent's project, wherever they start."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e

_SUBPROCESS = """
import subprocess, sys
child = subprocess.run(
    [sys.executable, "-c", "import projectc; print(projectc.__version__)"],
    cwd=sys.argv[1], capture_output=True, text=True,
)
print(child.stdout.strip(), child.stderr.strip())
"""

_SPAWN = """
import multiprocessing


def projectc_version(_):
    import projectc
    return projectc.__version__


if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        print(pool.map(projectc_version, [0])[0])
"""


def test_a_subprocess_started_outside_the_project_inherits_it(
    tmp_path: Path, fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc==1.0"])
    outside = tmp_path / "outside"
    outside.mkdir()

    done = run_hooked(project, "-c", _SUBPROCESS, str(outside))

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.0"


def test_multiprocessing_spawn_workers_see_the_project(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"), ("projectc", "2.0"))
    project = make_project("app", ["projectc==1.0"])
    (project / "main.py").write_text(_SPAWN)

    done = run_hooked(project, "main.py")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.0"
