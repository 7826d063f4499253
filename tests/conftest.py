"""Shared fixtures: stores, wheels built on the fly, projects, and interpreters with the hook."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from versioned_import.store import Store
from versioned_import.store.install import install_wheel
from versioned_import.wheelbuild import build_wheel

MakeWheel = Callable[..., Path]
FillStore = Callable[..., Store]
MakeProject = Callable[..., Path]
RunHooked = Callable[..., "subprocess.CompletedProcess[str]"]


def venv_python(directory: Path) -> Path:
    """Create ``python -m venv --without-pip`` at ``directory``; returns its interpreter."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True)
    return directory / ("Scripts" if os.name == "nt" else "bin") / Path(sys.executable).name


def vimport(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "versioned_import", *args],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else None,
        check=False,
    )


def recording_uv(tmp_path: Path, *, first: str = "") -> tuple[str, Path]:
    """A uv that logs each command line (after its pid) into the returned file, then runs
    ``first`` (if given) or the real uv."""
    from versioned_import.engine.uv import find_uv

    real, log = find_uv(), tmp_path / "uv.log"
    assert real is not None
    fake = tmp_path / "recording-uv"
    fake.write_text(
        f'#!/bin/sh\necho "$$ $*" >> {log}\n{first}\nexec {real} "$@"\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    return str(fake), log


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "store"))


@pytest.fixture
def make_wheel(tmp_path: Path) -> MakeWheel:
    """``make_wheel(name, version, files=None, **build_wheel_options)``; files default to a
    package ``{name}`` whose ``__version__`` is the version."""

    def make(
        name: str, version: str, files: dict[str, str | bytes] | None = None, **kw: object
    ) -> Path:
        module = name.replace("-", "_")
        files = (
            files
            if files is not None
            else {f"{module}/__init__.py": f"__version__ = {version!r}\n"}
        )
        return build_wheel(tmp_path / "wheels", name, version, files, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def fill_store(store: Store, make_wheel: MakeWheel) -> FillStore:
    """``fill_store(("name", "1.0"), ("other", "2.0", {files}, {options}), ...)``."""

    def fill(*specs: tuple[object, ...]) -> Store:
        for spec in specs:
            name, version, *rest = spec
            files = rest[0] if rest else None
            options = rest[1] if len(rest) > 1 else {}
            install_wheel(store, str(make_wheel(name, version, files, **options)))  # type: ignore[arg-type]
        return store

    return fill


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """``make_project(name, dependencies, tool="", extra="")`` writes a pyproject.toml with a
    ``[tool.vimport]`` table (``tool`` is its body; ``extra`` is appended to the file)."""

    def make(name: str, dependencies: Sequence[str] = (), tool: str = "", extra: str = "") -> Path:
        directory = tmp_path / name
        directory.mkdir(parents=True, exist_ok=True)
        deps = ", ".join(f'"{d}"' for d in dependencies)
        (directory / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0.1"\ndependencies = [{deps}]\n\n'
            f"[tool.vimport]\n{tool}\n{extra}",
            encoding="utf-8",
        )
        return directory

    return make


@pytest.fixture(scope="session")
def hooked_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh interpreter per session with the hook installed through the CLI.

    Tests that install or remove hooks make their own with ``venv_python``."""
    python = venv_python(tmp_path_factory.mktemp("hooked") / "venv")
    # Its own cache: installing records the interpreter's tags there, not in the user's.
    cache = str(tmp_path_factory.mktemp("hook-install-cache"))
    done = vimport(
        "hook", "install", "--python", str(python), env={**os.environ, "XDG_CACHE_HOME": cache}
    )
    assert done.returncode == 0, done.stderr
    return python


@pytest.fixture
def hook_env(tmp_path: Path, store: Store) -> dict[str, str]:
    """The environment for a hooked child: this test's store and cache, no inherited settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIMPORT_")}
    env.update(VIMPORT_STORE=store.root, XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env


@pytest.fixture
def run_hooked(hooked_python: Path, hook_env: dict[str, str]) -> Iterator[RunHooked]:
    """``run_hooked(cwd, *args, env_extra={})`` runs ``python -I *args`` in ``cwd``."""

    def run(
        cwd: Path, *args: str, env_extra: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(hooked_python), "-I", *args],
            cwd=cwd,
            env={**hook_env, **(env_extra or {})},
            capture_output=True,
            text=True,
            check=False,
        )

    yield run
