"""Tools that search for packages instead of importing them (mypy, pylint, jedi, pip, coverage)
see a project's resolved distributions where they see a venv's: on ``sys.path``, in
``site.getsitepackages()`` and through ``importlib.metadata``; and nothing else."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked
from versioned_import.store import Key, Store

pytestmark = pytest.mark.e2e

_SEARCH_PATHS = """
import json, pkgutil, site, sys
from importlib import metadata
print(json.dumps({
    "sys_path": sys.path,
    "site_packages": site.getsitepackages(),
    "user_site": site.ENABLE_USER_SITE,
    "modules": sorted(m.name for m in pkgutil.iter_modules() if m.name.startswith("project")),
    "distributions": sorted(d.metadata["Name"] for d in metadata.distributions()),
}))
"""


def _site(store: Store, name: str, version: str) -> str:
    return os.path.join(store.entry_dir(Key(name, version, "py3-none-any")), "site")


def _search_paths(run_hooked: RunHooked, project: Path) -> Any:
    done = run_hooked(project, "-c", _SEARCH_PATHS)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_resolved_sites_follow_the_projects_roots_on_sys_path(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked, hooked_site: Path
) -> None:
    store = fill_store(("projectc", "1.0"), ("projectc", "2.0"), ("projectd", "1.0"))
    project = make_project("app", ["projectc==1.0"])
    (project / "src").mkdir()

    seen = _search_paths(run_hooked, project)

    assert seen["sys_path"][-2:] == [str(project / "src"), _site(store, "projectc", "1.0")]
    assert str(hooked_site) not in seen["sys_path"]
    assert seen["site_packages"] == [_site(store, "projectc", "1.0")]
    assert seen["user_site"] is False
    # What pylint and jedi list, and what pip and pipdeptree count: the resolved set alone.
    assert seen["modules"] == ["projectc"]
    assert seen["distributions"] == ["projectc"]


def test_with_system_site_packages_the_base_site_packages_comes_after_the_store(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked, hooked_site: Path
) -> None:
    store = fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"], tool="system-site-packages = true")

    seen = _search_paths(run_hooked, project)

    assert seen["site_packages"][0] == _site(store, "projectc", "1.0")
    assert str(hooked_site) in seen["site_packages"][1:]


def test_outside_a_project_nothing_changes(
    fill_store: FillStore, run_hooked: RunHooked, hooked_site: Path, tmp_path: Path
) -> None:
    fill_store(("projectc", "1.0"))
    outside = tmp_path / "outside"
    outside.mkdir()

    seen = _search_paths(run_hooked, outside)

    assert str(hooked_site) in seen["site_packages"]
    assert not any(p.startswith(str(tmp_path / "store")) for p in seen["sys_path"])
