"""A project sees its resolved distributions and nothing else, like a fresh venv would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked
from tests.e2e.conftest import Imports, missing

pytestmark = pytest.mark.e2e

# The shape of a setuptools editable install (``__editable___*_finder.py``): a .pth file that
# appends a finder class, not an instance, to sys.meta_path.
_EDITABLE_FINDER = """
import sys
from importlib.machinery import PathFinder

class _EditableFinder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname == "editable_pkg":
            return PathFinder.find_spec(fullname, [{src!r}])
        return None

def install():
    if not any(finder == _EditableFinder for finder in sys.meta_path):
        sys.meta_path.append(_EditableFinder)
"""


def test_names_outside_the_resolution_are_not_importable(
    tmp_path: Path,
    fill_store: FillStore,
    make_project: MakeProject,
    imports: Imports,
    base_site: Path,
) -> None:
    fill_store(("projectc", "1.0"), ("projectd", "1.0"))
    (base_site / "baseonly.py").write_text("__version__ = 'base'\n")
    # A .pth path line, as editable installs and vendored trees use.
    added = tmp_path / "added-by-pth"
    added.mkdir()
    (added / "pth_added.py").write_text("")
    (base_site / "crowd.pth").write_text(f"{added}\n")
    project = make_project("app", ["projectc"])

    found = imports(project, "projectc", "projectd", "baseonly", "pth_added")

    assert found["projectc"] == "1.0"
    for name in ("projectd", "baseonly", "pth_added"):
        assert missing(found[name]), name


def test_an_editable_install_in_the_base_site_packages_is_hidden(
    tmp_path: Path,
    fill_store: FillStore,
    make_project: MakeProject,
    imports: Imports,
    base_site: Path,
) -> None:
    fill_store(("projectc", "1.0"))
    src = tmp_path / "editable-src"
    (src / "editable_pkg").mkdir(parents=True)
    (src / "editable_pkg" / "__init__.py").write_text("")
    (base_site / "__editable___editable_pkg_finder.py").write_text(
        _EDITABLE_FINDER.format(src=str(src))
    )
    (base_site / "__editable__.editable_pkg-1.0.pth").write_text(
        "import __editable___editable_pkg_finder; __editable___editable_pkg_finder.install()\n"
    )
    project = make_project("app", ["projectc"])
    without_project = tmp_path / "elsewhere"
    without_project.mkdir()

    # The finder works where no project is active, so hiding it below is the hook's doing.
    assert imports(without_project, "editable_pkg")["editable_pkg"] == "imported"
    assert missing(imports(project, "editable_pkg")["editable_pkg"])


def test_isolation_leaves_other_finders_alone(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked, base_site: Path
) -> None:
    # Before the finder that goes, one whose __eq__ fails on instances: finders go by position.
    fill_store(("projectc", "1.0"))
    (base_site / "evicted.py").write_text(
        "import sys\n"
        "class Evicted:\n"
        "    def find_spec(self, *args): return None\n"
        "sys.meta_path.append(Evicted())\n"
    )
    touchy = (
        "class Touchy:\n"
        "    def find_spec(self, *args): return None\n"
        "    def __eq__(self, other):\n"
        "        if isinstance(other, type): return NotImplemented\n"
        "        raise RuntimeError('compared')\n"
        "sys.meta_path.insert(0, Touchy())\n"
    )
    (base_site / "evicted.pth").write_text(f"import evicted\nimport sys; exec({touchy!r})\n")
    project = make_project("app", ["projectc"])
    code = "import sys; print([type(f).__name__ for f in sys.meta_path])"

    done = run_hooked(project, "-c", code)

    assert (done.returncode, done.stderr) == (0, "")
    assert "Touchy" in done.stdout
    assert "Evicted" not in done.stdout


def test_the_missing_module_error_names_the_manifest_and_the_fix(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", [])

    message = imports(project, "projectc")["projectc"]

    assert message.startswith("ModuleNotFoundError: No module named 'projectc'")
    assert str(project / "pyproject.toml") in message
    assert "add the distribution that provides it to [project].dependencies" in message


def test_find_spec_still_returns_none_for_a_missing_module(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked, base_site: Path
) -> None:
    # Libraries probe optional dependencies with find_spec and expect None, not an exception.
    fill_store(("projectc", "1.0"), ("projectd", "1.0"))
    (base_site / "baseonly.py").write_text("")
    project = make_project("app", ["projectc"])
    code = (
        "import importlib.util, json; "
        "print(json.dumps([importlib.util.find_spec(n) is None "
        "for n in ('projectc', 'projectd', 'baseonly', 'nowhere')]))"
    )

    done = run_hooked(project, "-c", code)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, True, True, True]


def test_system_site_packages_shows_the_base_with_the_store_winning(
    fill_store: FillStore, make_project: MakeProject, imports: Imports, base_site: Path
) -> None:
    fill_store(("projectc", "1.0"))
    (base_site / "baseonly.py").write_text("__version__ = 'base'\n")
    (base_site / "projectc").mkdir()
    (base_site / "projectc" / "__init__.py").write_text("__version__ = 'base'\n")
    project = make_project("app", ["projectc"], tool="system-site-packages = true")

    assert imports(project, "projectc", "baseonly") == {"projectc": "1.0", "baseonly": "base"}
