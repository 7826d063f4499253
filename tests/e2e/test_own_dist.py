"""The project's own distribution under a hooked interpreter, offline: an in-tree backend
(``tests/owndist.py``) makes its metadata. Its version and entry points are seen, source edits
show without any command, the backend runs at start-up only after its inputs changed (and says
so once), and a failing backend is one line while the interpreter keeps running.

The real backends (hatchling, setuptools) are in ``test_own_dist_network.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.harness import isolated_env, run, tool_venv
from tests.conftest import FillStore, RunHooked, vimport
from tests.owndist import backend_calls, watch_version_file, write_backend_project
from versioned_import.store import Store

pytestmark = pytest.mark.e2e

_PROBE = (
    "import importlib.metadata as md, demo.plugin; "
    "(hello,) = md.entry_points(group='demo.plugins'); "
    "print(md.version('demo'), hello.load()())"
)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "calls.log"


@pytest.fixture
def demo(tmp_path: Path, fill_store: FillStore) -> Path:
    fill_store(("alpha", "1.0"))
    project = write_backend_project(tmp_path / "demo", dependencies=["alpha"])
    watch_version_file(project)
    return project


@pytest.fixture
def env_extra(log: Path) -> dict[str, str]:
    return {"DEMO_BACKEND_LOG": str(log)}


def test_own_version_and_entry_points_are_seen(
    run_hooked: RunHooked, demo: Path, env_extra: dict[str, str], log: Path
) -> None:
    first = run_hooked(demo, "-c", _PROBE, env_extra=env_extra)
    second = run_hooked(demo, "-c", _PROBE, env_extra=env_extra)

    assert first.stdout == second.stdout == "0.3.1 plugin says hello\n", first.stderr
    assert first.stderr == (
        "vimport: built the metadata of demo 0.3.1 with demo_backend: its inputs changed since "
        "the last build (or there was none)\n"
    )
    assert second.stderr == ""  # said once; and no backend ran at the second start
    assert backend_calls(log) == ["prepare_metadata_for_build_editable"]


def test_a_source_edit_shows_without_any_command(
    run_hooked: RunHooked, demo: Path, env_extra: dict[str, str], log: Path
) -> None:
    run_hooked(demo, "-c", _PROBE, env_extra=env_extra)
    (demo / "src" / "demo" / "plugin.py").write_text("def hello():\n    return 'edited'\n")

    done = run_hooked(demo, "-c", _PROBE, env_extra=env_extra)

    assert (done.stdout, done.stderr) == ("0.3.1 edited\n", "")
    assert len(backend_calls(log)) == 1


def test_a_version_bump_shows_at_the_next_start(
    run_hooked: RunHooked, demo: Path, env_extra: dict[str, str], log: Path
) -> None:
    run_hooked(demo, "-c", _PROBE, env_extra=env_extra)
    (demo / "VERSION").write_text("0.4.0\n")

    done = run_hooked(demo, "-c", _PROBE, env_extra=env_extra)

    assert done.stdout == "0.4.0 plugin says hello\n"
    assert "built the metadata of demo 0.4.0" in done.stderr
    assert len(backend_calls(log)) == 2


def test_a_failing_backend_is_one_line_and_python_runs_on(
    run_hooked: RunHooked, demo: Path, env_extra: dict[str, str]
) -> None:
    (demo / "VERSION").write_text("fail\n")

    done = run_hooked(demo, "-c", "import alpha; print(alpha.__version__)", env_extra=env_extra)

    assert done.returncode == 0
    assert done.stdout == "1.0\n"
    assert done.stderr == (
        f"vimport: {demo / 'pyproject.toml'}: the build backend demo_backend failed in "
        "prepare_metadata_for_build_editable: RuntimeError: VERSION says fail, so this backend "
        "fails; the project's own distribution is left out\n"
    )


def test_sync_builds_it_and_fails_with_the_backends_line(
    demo: Path, store: Store, tmp_path: Path, log: Path
) -> None:
    env = isolated_env(Path(store.root), tmp_path / "cache", DEMO_BACKEND_LOG=str(log))
    done = vimport("sync", "--offline", str(demo), env=env)
    assert done.returncode == 0, done.stderr
    assert "Prepared the metadata of demo-0.3.1 (editable)" in done.stderr

    (demo / "VERSION").write_text("fail\n")
    failed = vimport("sync", "--offline", str(demo), env=env)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == (
        f"vimport: error: {demo / 'pyproject.toml'}: the build backend demo_backend failed in "
        "prepare_metadata_for_build_editable: RuntimeError: VERSION says fail, so this backend "
        "fails"
    )


def test_its_console_script_runs_with_vimport_run_and_a_shim(
    demo: Path, store: Store, tmp_path: Path, log: Path
) -> None:
    python = tool_venv(tmp_path / "tool")
    env = isolated_env(Path(store.root), tmp_path / "cache", DEMO_BACKEND_LOG=str(log))
    shims = tmp_path / "shims"

    cli: list[str | Path] = [python, "-m", "versioned_import"]
    ran = run([*cli, "run", "greet", "a"], cwd=demo, env=env)
    installed = run([*cli, "shims", "install", "--dir", shims], cwd=demo, env=env)
    shimmed = run([shims / "greet", "b"], cwd=demo / "src", env=env)

    assert (ran.returncode, ran.stdout) == (0, "hello ['a']\n"), ran.stderr
    assert installed.returncode == 0, installed.stderr
    assert (shimmed.returncode, shimmed.stdout) == (0, "hello ['b']\n"), shimmed.stderr


def test_tree_and_show_take_the_own_distribution_for_the_project_itself(
    demo: Path, hook_env: dict[str, str], env_extra: dict[str, str]
) -> None:
    env = {**hook_env, **env_extra}

    tree = vimport("tree", str(demo), env=env)
    show = vimport("show", str(demo), env=env)

    assert tree.returncode == 0, tree.stderr
    assert tree.stdout.splitlines()[0].startswith("demo")
    assert tree.stdout.splitlines()[1:] == ["└── alpha v1.0"]
    assert show.returncode == 0, show.stderr
    assert "demo requires alpha" in show.stdout
