"""A real project, synced from the package index as a uv user would, is planned at its first run
in-process, exactly as the child interpreter plans it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import vimport
from versioned_import import planner
from versioned_import._runtime.quickplan import plan_pinned

pytestmark = [pytest.mark.e2e, pytest.mark.network]

# Real metadata with what the in-process planner must read right: markers on the Python version
# and the platform, extras that do not apply, a dev group, a C extension's platform tags.
MANIFEST = """\
[project]
name = "realapp"
version = "0.1"
requires-python = ">=3.10"
dependencies = ["requests>=2.31", "rich>=13", "pyyaml", "attrs"]

[dependency-groups]
dev = ["pytest>=8"]

[tool.vimport]
"""


def test_a_synced_real_project_is_planned_in_process_as_the_child_plans_it(
    tmp_path: Path, hooked_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, cache, project = tmp_path / "store", tmp_path / "cache", tmp_path / "realapp"
    project.mkdir()
    (project / "pyproject.toml").write_text(MANIFEST, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIMPORT_")}
    env = {**clean, "VIMPORT_STORE": str(store), "XDG_CACHE_HOME": str(cache)}
    synced = vimport("sync", str(project), env=env)
    assert synced.returncode == 0, synced.stderr
    for name in ("VIMPORT_STORE", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, env[name])
    planner.record_interpreter()

    quick, why_not = plan_pinned(str(project), str(store))
    assert quick is not None, why_not
    assert quick == planner.compute(str(project), str(store))
    assert {"requests", "rich", "pyyaml", "pytest"} <= {d["canonical"] for d in quick["dists"]}

    def first_run() -> str:
        for plan in (cache / "versioned-import" / "plans").glob("*/*.plan"):
            plan.unlink()
        done = subprocess.run(
            [str(hooked_python), "-c", "import requests, rich, yaml, pytest"],
            cwd=project,
            env={**env, "VIMPORT_DEBUG": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    # This interpreter's tags are recorded by the first plan computed in full for it.
    assert "in a child interpreter (no record of this interpreter" in first_run()
    assert "in-process: every version is pinned" in first_run()
