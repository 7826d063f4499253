"""Shims: written beside the store, refreshed by ``sync``, ``add`` and ``remove`` while their
directory exists (never created by them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject
from versioned_import.cli import main
from versioned_import.shims import default_shim_dir
from versioned_import.store import Store

_SCRIPTS = "[console_scripts]\n{name} = {module}:main\n"


def _tool(name: str) -> tuple[object, ...]:
    module = name.replace("-", "_")
    return (
        name,
        "1.0",
        {f"{module}/__init__.py": "def main():\n    print('hi')\n"},
        {"entry_points": _SCRIPTS.format(name=name, module=module)},
    )


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    monkeypatch.setenv("VIMPORT_STORE", store.root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIMPORT_PROJECT", raising=False)


def test_the_default_shim_directory_is_beside_the_store(tmp_path: Path) -> None:
    assert default_shim_dir(str(tmp_path / "data" / "store")) == str(tmp_path / "data" / "shims")


def test_shims_install_writes_beside_vimport_store(fill_store: FillStore, tmp_path: Path) -> None:
    fill_store(_tool("greet"))
    assert main(["shims", "install"]) == 0
    assert sorted(p.name for p in (tmp_path / "shims").iterdir()) == ["greet"]


def test_add_refreshes_the_shims_so_a_new_script_works_at_once(
    fill_store: FillStore, make_project: MakeProject, tmp_path: Path
) -> None:
    fill_store(_tool("greet"))
    project = make_project("app", ["greet"])
    assert main(["shims", "install"]) == 0
    fill_store(_tool("wave"))  # in the store, not yet in a project: as `vimport add` finds it

    assert main(["add", "--offline", "--project", str(project), "wave"]) == 0

    assert sorted(p.name for p in (tmp_path / "shims").iterdir()) == ["greet", "wave"]


def test_sync_creates_no_shim_directory(
    fill_store: FillStore, make_project: MakeProject, tmp_path: Path
) -> None:
    fill_store(_tool("greet"))
    project = make_project("app", ["greet"])
    assert main(["sync", "--offline", str(project)]) == 0
    assert not (tmp_path / "shims").exists()
