"""Local sources built by real build backends from the index (hatchling, setuptools), under
names the index has too: the index's distribution is never looked up, the local one runs.

pip's log (``PIP_LOG``) shows every page and file pip asked for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import RunHooked, vimport

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = [pytest.mark.e2e, pytest.mark.network]

_PROBE = """
import importlib, importlib.metadata as md, json, sys
module = importlib.import_module(sys.argv[1])
print(json.dumps({"who": module.WHO, "version": md.version(sys.argv[1]), "file": module.__file__}))
"""


@pytest.fixture
def env(hook_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """This machine's pip settings, this test's store and cache, and the pip engine, whose log
    shows every page and file it asked for (uv writes none)."""
    return {**hook_env, "PIP_LOG": str(tmp_path / "pip.log"), "VIMPORT_ENGINE": "pip"}


def _write(directory: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(text, encoding="utf-8")
    return directory


def _app(directory: Path, dependencies: list[str], extra: str = "") -> Path:
    deps = ", ".join(json.dumps(d) for d in dependencies)
    text = f'[project]\nname = "app"\nversion = "0.1"\ndependencies = [{deps}]\n\n'
    return _write(directory, {"pyproject.toml": f"{text}[tool.vimport]\n{extra}"})


def _sync(env: dict[str, str], project: Path) -> None:
    done = vimport("sync", str(project), env=env)
    assert done.returncode == 0, done.stderr


def _probe(run_hooked: RunHooked, project: Path, module: str) -> dict[str, str]:
    done = run_hooked(project, "-c", _PROBE, module)
    assert done.returncode == 0, done.stderr
    found: dict[str, str] = json.loads(done.stdout)
    return found


def _asked_the_index_for(log: Path, name: str) -> list[str]:
    """The lines of pip's log where it looked ``name`` up on an index or fetched one of its
    files (an index page is ``…/simple/NAME/``, a file ``…/NAME-VERSION…``), leaving out the
    wheel built from the local source (in a ``vimport-build-`` directory) and the files pip
    skips by name while it looks for others."""
    lines = log.read_text(encoding="utf-8").splitlines()
    return [
        line for line in lines
        if (f"/{name}/" in line or f"/{name}-" in line)
        and "/vimport-build-" not in line and "wrong project name" not in line
    ]  # fmt: skip


def _locked(project: Path, name: str) -> dict[str, object]:
    with (project / "pylock.toml").open("rb") as f:
        packages = tomllib.load(f)["packages"]
    [package] = [p for p in packages if p["name"] == name]
    return dict(package)


def test_an_editable_hatchling_six_with_a_dynamic_version_wins_over_the_index_six(
    tmp_path: Path, env: dict[str, str], run_hooked: RunHooked
) -> None:
    source = _write(
        tmp_path / "six",
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n\n[project]\nname = "six"\n'
            'dynamic = ["version"]\n\n[tool.hatch.version]\npath = "src/six/__init__.py"\n',
            "src/six/__init__.py": '__version__ = "99.1"\nWHO = "local"\n',
        },
    )
    project = _app(
        tmp_path / "app", ["six"], '[tool.uv.sources]\nsix = { path = "../six", editable = true }\n'
    )

    _sync(env, project)

    assert _asked_the_index_for(tmp_path / "pip.log", "six") == []
    assert _locked(project, "six")["directory"] == {"path": "../six", "editable": True}
    init = source / "src" / "six" / "__init__.py"
    assert _probe(run_hooked, project, "six") == {
        "who": "local", "version": "99.1", "file": str(init)
    }  # fmt: skip
    init.write_text('__version__ = "99.1"\nWHO = "edited"\n', encoding="utf-8")
    assert _probe(run_hooked, project, "six")["who"] == "edited"


def test_a_file_url_setuptools_directory_named_as_an_index_distribution(
    tmp_path: Path, env: dict[str, str], run_hooked: RunHooked
) -> None:
    source = _write(
        tmp_path / "attrs",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "attrs"\n'
            'version = "99.0"\n\n[tool.setuptools]\npackages = ["attrs"]\n',
            "attrs/__init__.py": 'WHO = "local setuptools"\n',
        },
    )
    project = _app(tmp_path / "app", [f"attrs @ {source.as_uri()}"])

    _sync(env, project)

    assert _asked_the_index_for(tmp_path / "pip.log", "attrs") == []
    assert _locked(project, "attrs")["directory"] == {"path": "../attrs", "editable": False}
    probe = _probe(run_hooked, project, "attrs")
    assert (probe["who"], probe["version"]) == ("local setuptools", "99.0")
    assert probe["file"].startswith(env["VIMPORT_STORE"])


def test_a_failing_real_backend_shows_its_last_error_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    _write(
        tmp_path / "broken",
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n\n[project]\nname = "broken"\n'
            'dynamic = ["version"]\n\n[tool.hatch.version]\npath = "broken/__init__.py"\n',
            "broken/__init__.py": "WHO = 1\n",  # no __version__ for hatch to read
        },
    )
    project = _app(
        tmp_path / "app", ["broken"], '[tool.uv.sources]\nbroken = { path = "../broken" }\n'
    )

    done = vimport("sync", str(project), env=env)

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "tool.uv.sources.broken: pip could not build" in done.stderr
    assert (
        "its build backend failed: ValueError: Error getting the version from source" in done.stderr
    )
    assert done.stderr.endswith("unable to parse the version from the file: broken/__init__.py\n")
    assert not (project / "pylock.toml").exists()
