"""A new project's first run: planned in the process itself when every version is pinned (and
the project's own metadata, when it is a distribution, needs no build)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked, venv_python, vimport
from tests.owndist import backend_calls, backend_wheel, write_backend_project

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


_COSTLY = ("packaging", "re", "json", "tomllib", "hashlib", "email", "typing", "platform")
"""What planning in-process does without: each costs more to import than planning."""
_OWN = (
    "import sys, demo, helper; "
    f"loaded = sorted(set({_COSTLY!r}) & set(sys.modules)); "
    "import importlib.metadata as md; "  # which imports email and re itself
    "print(md.version('demo'), helper.__version__, loaded)"
)


def test_a_packaged_project_is_planned_in_process_once_its_metadata_is_built(
    fill_store: FillStore, run_hooked: RunHooked, hook_env: dict[str, str], tmp_path: Path
) -> None:
    fill_store(("helper", "1.0"))
    project = write_backend_project(tmp_path / "demo", dependencies=["helper==1.0"], in_tree=False)
    log, wheels = tmp_path / "calls.log", tmp_path / "wheels"  # where fill_store's wheels are
    backend_wheel(wheels)
    # Requirements come from a local directory, as pip's configuration might say.
    env = {"DEMO_BACKEND_LOG": str(log), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    synced = vimport("sync", str(project), env={**hook_env, **env})
    assert synced.returncode == 0, synced.stderr
    assert backend_calls(log) == ["prepare_metadata_for_build_editable"]
    env["VIMPORT_DEBUG"] = "1"
    # The first start records the interpreter's tags; the next after a store change is planned
    # in-process, from the metadata sync built.
    assert run_hooked(project, "-c", _OWN, env_extra=env).returncode == 0
    fill_store(("other", "1.0"))

    done = run_hooked(project, "-c", _OWN, env_extra=env)

    assert done.returncode == 0, done.stderr
    assert "in-process: every version is pinned" in done.stderr
    assert done.stdout == "0.3.1 1.0 []\n"
    assert backend_calls(log) == ["prepare_metadata_for_build_editable"]
