"""The corpus's fixtures: one hooked interpreter, one store, and each project synced into it
once, lazily, with one child run that exercises all of the project's distributions."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.compat.corpus import CASES, requirements_of
from tests.compat.harness import isolated_env, locked_versions, run, sync, tool_venv, write_project

Outcome = dict[str, object]
# Run as the source of `python -c`: it must not be imported here (it reads the child's store).
CHILD = Path(__file__).with_name("child.py")


class Corpus:
    """The corpus's projects in one store; each is synced and run at most once a session."""

    def __init__(self, python: Path, root: Path) -> None:
        self.python = python
        self.root = root
        self.store = root / "store"
        self.env = isolated_env(self.store, root / "cache")
        self._synced: dict[str, subprocess.CompletedProcess[str]] = {}
        self._runs: dict[str, subprocess.CompletedProcess[str]] = {}

    def project(self, name: str) -> Path:
        """The project ``name`` with the table's pins, synced (``vimport sync``)."""
        directory = self.root / "projects" / name
        if name not in self._synced:
            write_project(directory, requirements_of(name))
            self._synced[name] = sync(directory, self.env)
        done = self._synced[name]
        assert done.returncode == 0, f"vimport sync {directory} failed:\n{done.stderr}"
        return directory

    def locked(self, name: str) -> dict[str, str]:
        return locked_versions(self.project(name))

    def outcomes(self, name: str) -> dict[str, Outcome]:
        """Every case of the project, exercised in one hooked ``python -I`` started in it."""
        project = self.project(name)
        results = self.root / f"{name}-outcomes.json"
        if name not in self._runs:
            cases = self.root / f"{name}-cases.json"
            specs = [c.child_spec() for c in CASES if name in c.projects]
            cases.write_text(json.dumps(specs), encoding="utf-8")
            source = CHILD.read_text(encoding="utf-8")
            command: list[str | Path] = [self.python, "-I", "-c", source, cases, results]
            self._runs[name] = run(command, cwd=project, env=self.env)
        done = self._runs[name]
        assert done.returncode == 0, f"the child in {project} failed:\n{done.stderr}"
        outcomes: dict[str, Outcome] = json.loads(results.read_text(encoding="utf-8"))
        return outcomes

    def child_stderr(self, name: str) -> str:
        return self._runs[name].stderr if name in self._runs else ""


@pytest.fixture(scope="session")
def tool_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh interpreter with the hook, and versioned-import importable in it."""
    return tool_venv(tmp_path_factory.mktemp("tool") / "venv")


@pytest.fixture(scope="session")
def corpus(tool_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tool_python, tmp_path_factory.mktemp("corpus"))
