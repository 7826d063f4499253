"""``vimport venv``: a project's view as a venv, kept current by every ``sync`` while it exists.

Its ``bin/python`` is started here as an editor starts it (jedi, mypy ``--python-executable``);
Pyright reads its ``.pth`` file without starting it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject
from versioned_import.cli import main
from versioned_import.store import Key, Store
from versioned_import.view import PTH_FILE, views_of

Capture = pytest.CaptureFixture[str]

_PROBE = "import sys, projectc; print(sys.prefix, projectc.__version__)"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    monkeypatch.setenv("VIMPORT_STORE", store.root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIMPORT_PROJECT", raising=False)


def _site(store: Store, name: str, version: str) -> str:
    return os.path.join(store.entry_dir(Key(name, version, "py3-none-any")), "site")


def _python(view: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIMPORT_", "PYTHON"))}
    return subprocess.run(
        [str(view / "bin" / "python"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=view.parent,
        check=False,
    )


def test_a_view_is_a_venv_of_exactly_the_resolved_set(
    fill_store: FillStore, make_project: MakeProject, capsys: Capture
) -> None:
    store = fill_store(("projectc", "1.0"), ("projectc", "2.0"), ("projectd", "1.0"))
    project = make_project("app", ["projectc<2"])
    (project / "src").mkdir()

    assert main(["venv", "--project", str(project)]) == 0

    view = project / ".venv"
    assert capsys.readouterr().out == f"wrote the view of {project} at {view}\n"
    (pth,) = view.glob(f"lib/python*/site-packages/{PTH_FILE}")
    assert pth.read_text() == f"{project / 'src'}\n{_site(store, 'projectc', '1.0')}\n"
    assert f"versioned-import-project = {project}\n" in (view / "pyvenv.cfg").read_text()
    done = _python(view, "-c", _PROBE)
    assert (done.returncode, done.stdout) == (0, f"{view} 1.0\n"), done.stderr
    undeclared = _python(view, "-c", "import projectd")
    assert "No module named 'projectd'" in undeclared.stderr
    # A few KB: nothing is copied.
    assert sum(p.lstat().st_size for p in view.rglob("*") if not p.is_dir()) < 4096


def test_sync_rewrites_a_view_and_forgets_a_deleted_one(
    fill_store: FillStore, make_project: MakeProject, tmp_path: Path, capsys: Capture
) -> None:
    fill_store(("projectc", "1.0"), ("projectc", "2.0"))
    project = make_project("app", ["projectc<2"])
    elsewhere = tmp_path / "views" / "app"
    assert main(["venv", "--project", str(project)]) == 0
    assert main(["venv", "--project", str(project), str(elsewhere)]) == 0
    manifest = project / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace("projectc<2", "projectc>=2"))
    capsys.readouterr()

    assert main(["sync", "--offline", str(project)]) == 0

    assert f"Rewrote the view {project / '.venv'}" in capsys.readouterr().err
    for view in (project / ".venv", elsewhere):
        assert _python(view, "-c", _PROBE).stdout == f"{view} 2.0\n"
    (project / ".venv" / "pyvenv.cfg").unlink()
    assert main(["sync", "--offline", str(project)]) == 0
    err = capsys.readouterr().err
    assert f"Rewrote the view {elsewhere}" in err
    assert f"Rewrote the view {project / '.venv'}" not in err
    assert views_of(str(project)) == [str(elsewhere)]


def test_sync_creates_no_view(fill_store: FillStore, make_project: MakeProject) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])
    assert main(["sync", "--offline", str(project)]) == 0
    assert not (project / ".venv").exists()


def test_a_directory_that_is_no_view_is_left_alone(
    fill_store: FillStore, make_project: MakeProject, capsys: Capture
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])
    (project / ".venv").mkdir()
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")

    assert main(["venv", "--project", str(project)]) == 1

    err = capsys.readouterr().err
    assert "is not a view written by `vimport venv`" in err and str(project / ".venv") in err
    assert (project / ".venv" / "pyvenv.cfg").read_text() == "home = /usr/bin\n"
