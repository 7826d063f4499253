"""The project's own package imports without being installed."""

from __future__ import annotations

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e

_SCRIPT = "import app_pkg, projectc\nprint(app_pkg.WHERE, projectc.__version__)\n"


def test_flat_layout_from_a_script_in_a_subdirectory(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])
    (project / "app_pkg").mkdir()
    (project / "app_pkg" / "__init__.py").write_text("WHERE = 'flat'\n")
    (project / "scripts").mkdir()
    (project / "scripts" / "run.py").write_text(_SCRIPT)

    # -I keeps scripts/ itself off sys.path, so only the project root can provide app_pkg.
    done = run_hooked(project / "scripts", "run.py")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "flat 1.0"


def test_src_layout(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])
    (project / "src" / "app_pkg").mkdir(parents=True)
    (project / "src" / "app_pkg" / "__init__.py").write_text("WHERE = 'src'\n")

    done = run_hooked(project, "-c", _SCRIPT)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "src 1.0"
