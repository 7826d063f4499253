"""What the corpus and the tool tests share: an interpreter that has versioned-import installed
and hooked, as a user's has, and projects synced from the package index into one store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import platformdirs

from tests.conftest import venv_python, vimport
from versioned_import.hook import site_dir_of, tool_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the tool depends on tomli there
    import tomli as tomllib

__all__ = ["isolated_env", "locked_versions", "run", "sync", "tool_venv", "write_project"]

Completed = subprocess.CompletedProcess[str]


def tool_venv(directory: Path) -> Path:
    """A fresh interpreter with the hook, where ``python -m versioned_import`` works too.

    The ``.pth`` file is what installing versioned-import into it amounts to: the tool and its
    dependencies become importable there, outside projects (the hook takes them off
    ``sys.path`` inside one, with the rest of the base site-packages)."""
    python = venv_python(directory)
    done = vimport("hook", "install", "--python", str(python))
    assert done.returncode == 0, done.stderr
    site = Path(site_dir_of(str(python)))
    (site / "versioned-import-tool.pth").write_text("\n".join(tool_paths()) + "\n")
    return python


def isolated_env(store: Path, cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a test's children: its own store and plan cache, no inherited
    ``VIMPORT_`` settings, and pip's own cache kept where it was, so wheels are downloaded once
    (``XDG_CACHE_HOME`` would otherwise move it too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIMPORT_")}
    env.setdefault("PIP_CACHE_DIR", platformdirs.user_cache_dir("pip"))
    env.update(VIMPORT_STORE=str(store), XDG_CACHE_HOME=str(cache), **extra)
    return env


def write_project(
    directory: Path, dependencies: Iterable[str], tool: str = "", extra: str = ""
) -> Path:
    """``directory/pyproject.toml`` with a ``[tool.vimport]`` table (``tool`` is its body)."""
    directory.mkdir(parents=True, exist_ok=True)
    deps = "".join(f"    {json.dumps(d)},\n" for d in dependencies)  # a TOML string too
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{directory.name}"\nversion = "0.1"\ndependencies = [\n{deps}]\n\n'
        f"[tool.vimport]\n{tool}\n{extra}",
        encoding="utf-8",
    )
    return directory


def sync(project: Path, env: Mapping[str, str]) -> Completed:
    """``vimport sync DIR``, as a user runs it (from outside the project)."""
    return vimport("sync", str(project), env=env)


def run(
    command: Iterable[str | Path],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 300,
) -> Completed:
    """``command`` in ``cwd`` with exactly ``env``; output captured as text."""
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def locked_versions(project: Path) -> dict[str, str]:
    """``pylock.toml``'s packages: canonical name -> version."""
    from packaging.utils import canonicalize_name

    with open(project / "pylock.toml", "rb") as f:
        lock = tomllib.load(f)
    return {canonicalize_name(p["name"]): p["version"] for p in lock["packages"]}


# A test module for pytest-timeout: one test passes, one is stopped by its timeout marker.
TIMEOUT_TESTS = """
import time

import pytest


@pytest.mark.timeout(30)
def test_quick():
    assert True


@pytest.mark.timeout(0.5)
def test_slow():
    time.sleep(10)
"""
