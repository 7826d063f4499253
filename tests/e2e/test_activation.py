"""Which processes the hook activates a project in, and which it leaves alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked
from tests.e2e.conftest import Imports, missing

pytestmark = pytest.mark.e2e

# What a process can tell of its import system; a process the hook leaves alone prints the same
# with the hook as with VIMPORT_DISABLE=1.
_OBSERVE = """
import json, os, sys
def importable(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True
print(json.dumps({
    "sys.path": sys.path,
    "meta_path": [repr(type(f)) for f in sys.meta_path],
    "modules": sorted(m for m in sys.modules if "vimport" in m),
    "VIMPORT_PROJECT": os.environ.get("VIMPORT_PROJECT"),
    "projectc": importable("projectc"),
    "baseonly": importable("baseonly"),
}, indent=1))
"""


def _untouched(run_hooked: RunHooked, cwd: Path, *args: str) -> None:
    """Assert that ``python -I *args`` in ``cwd`` runs as if the hook were not installed."""
    hooked = run_hooked(cwd, *args)
    unhooked = run_hooked(cwd, *args, env_extra={"VIMPORT_DISABLE": "1"})
    assert (hooked.returncode, hooked.stderr) == (0, "")
    assert hooked.stdout == unhooked.stdout
    # The comparison above means something only if the base site-packages is visible.
    assert '"baseonly": true' in hooked.stdout


@pytest.fixture
def project(fill_store: FillStore, make_project: MakeProject, base_site: Path) -> Path:
    """A project with projectc, run by an interpreter whose base site-packages has baseonly."""
    fill_store(("projectc", "1.0"))
    (base_site / "baseonly.py").write_text("")
    return make_project("app", ["projectc"])


@pytest.fixture
def outside_script(tmp_path: Path) -> Path:
    """``_OBSERVE`` as a script outside any project."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "observe.py").write_text(_OBSERVE)
    return outside / "observe.py"


def test_a_script_outside_any_project_is_left_alone(
    outside_script: Path, project: Path, run_hooked: RunHooked
) -> None:
    _untouched(run_hooked, outside_script.parent, str(outside_script))


def test_a_script_outside_the_project_of_the_cwd_runs_without_it_and_is_told_so(
    outside_script: Path, project: Path, run_hooked: RunHooked
) -> None:
    # mypy --python-executable and jedi start their helper scripts this way.
    script = str(outside_script)

    hooked = run_hooked(project, script)
    unhooked = run_hooked(project, script, env_extra={"VIMPORT_DISABLE": "1"})
    forced = run_hooked(project, script, env_extra={"VIMPORT_PROJECT": str(project)})

    assert hooked.returncode == 0 and hooked.stdout == unhooked.stdout
    assert hooked.stderr == (
        f"vimport: {script} is outside the project {project}, so it runs without the project's "
        f"versions; to run it in the project, set VIMPORT_PROJECT={project}, or give the tool "
        "the project's view (`vimport venv`: .venv/bin/python)\n"
    )
    assert (forced.stderr, '"projectc": true' in forced.stdout) == ("", True)


@pytest.mark.parametrize(
    "pyproject",
    [
        '[project]\nname = "plain"\n\n[tool.other]\nkey = 1\n',
        # The table's name at the start of a line, but inside a string.
        '[project]\nname = "plain"\ndescription = """\n[tool.vimport]\n"""\n',
    ],
    ids=["no-table", "table-name-in-a-string"],
)
def test_a_pyproject_without_a_vimport_table_activates_nothing(
    project: Path, run_hooked: RunHooked, pyproject: str
) -> None:
    # Nested inside the project, so the search must stop at the first pyproject.toml.
    plain = project / "plain"
    plain.mkdir()
    (plain / "pyproject.toml").write_text(pyproject)

    _untouched(run_hooked, plain, "-c", _OBSERVE)


def test_vimport_disable_turns_the_hook_off(project: Path, imports: Imports) -> None:
    hooked = imports(project, "projectc", "baseonly")
    disabled = imports(project, "projectc", "baseonly", env_extra={"VIMPORT_DISABLE": "1"})

    assert hooked["projectc"] == "1.0"
    assert missing(hooked["baseonly"])
    assert missing(disabled["projectc"])
    assert disabled["baseonly"] == "imported"


def test_vimport_project_selects_the_project_whatever_the_cwd(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(("projectc", "1.0"), ("projectc", "2.0"))
    wanted = make_project("wanted", ["projectc==1.0"])
    other = make_project("other", ["projectc==2.0"])

    found = imports(other, "projectc", env_extra={"VIMPORT_PROJECT": str(wanted)})

    assert found["projectc"] == "1.0"


# Registered by a .pth file in the base site-packages, before the hook runs, so it runs after
# the hook's own exit handler.
_EXIT_PROBE = """
import atexit, json, sys

def report():
    import projectc
    hooks = [repr(h) for h in [*sys.meta_path, *sys.path_hooks]]
    print(json.dumps({"hook's": [h for h in hooks if "namespace" in h or "vimport" in h],
                      "projectc": projectc.__version__}))

atexit.register(report)
"""


def test_at_exit_the_finders_leave_and_the_plan_still_imports(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked, base_site: Path
) -> None:
    # Held through the interpreter's teardown, the finders kept the runtime alive past its
    # collection; what imports after they leave still gets the plan's version from sys.path.
    fill_store(("projectc", "1.0"), ("projectc", "2.0"))
    (base_site / "exitprobe.py").write_text(_EXIT_PROBE)
    (base_site / "exitprobe.pth").write_text("import exitprobe\n")
    project = make_project("app", ["projectc==1.0"])
    during = "import sys; print(sum('namespace' in repr(f) for f in sys.meta_path))"

    done = run_hooked(project, "-c", during)

    assert done.returncode == 0, done.stderr
    running, at_exit = done.stdout.splitlines()
    assert running == "2"  # the project finder and the last one
    assert json.loads(at_exit) == {"hook's": [], "projectc": "1.0"}


def test_the_exit_handler_leaves_other_finders_alone(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # A finder the program added, whose __eq__ fails: the hook's finders leave by identity.
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])
    code = (
        "import sys\n"
        "class Finder:\n"
        "    def find_spec(self, *args): return None\n"
        "    def __eq__(self, other): raise RuntimeError('compared')\n"
        "sys.meta_path.insert(0, Finder())\n"
    )

    done = run_hooked(project, "-c", code)

    assert (done.returncode, done.stderr) == (0, "")
