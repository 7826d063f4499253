"""``vimport sync`` against the real package index, through this machine's own pip configuration,
and the synced projects run by plain ``python`` with the hook.

Few and coarse on purpose: every sync asks the index. The tests share one store, and each checks
only what its own lock says, so they pass alone and in any order.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock

from tests.conftest import vimport

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = [pytest.mark.e2e, pytest.mark.network]

# Run in the hooked child: the version of each distribution named in argv, as the process sees
# it through importlib.metadata, and where each of a few modules was imported from.
_PROBE = """
import importlib, importlib.metadata as md, json, sys
modules, names = sys.argv[1].split(","), sys.argv[2:]
print(json.dumps({
    "versions": {name: md.version(name) for name in names},
    "files": {m: importlib.import_module(m).__file__ for m in modules},
}))
"""


@pytest.fixture(scope="session")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network") / "store"


@pytest.fixture
def env(shared_store: Path) -> dict[str, str]:
    """This machine's environment, pip settings included, with the shared store."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIMPORT_")}
    return {**clean, "VIMPORT_STORE": str(shared_store)}


def _project(directory: Path, dependencies: list[str], extra: str = "") -> Path:
    directory.mkdir(parents=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{directory.name}"\nversion = "0.1"\ndependencies = [{deps}]\n\n'
        f"[tool.vimport]\n{extra}",
        encoding="utf-8",
    )
    return directory


def _sync(env: dict[str, str], *args: str) -> None:
    done = vimport("sync", *args, env=env)
    assert done.returncode == 0, done.stderr


def _locked(lock: Path) -> dict[str, str]:
    with lock.open("rb") as f:
        pylock = Pylock.from_dict(tomllib.load(f))
    return {p.name: str(p.version) for p in pylock.packages}


def _probe(
    python: Path, cwd: Path, env: dict[str, str], modules: list[str], names: list[str], *main: str
) -> Any:
    """Run the probe (or ``main``, a script that runs it) in a hooked child started in ``cwd``."""
    args = list(main) or ["-c", _PROBE]
    done = subprocess.run(
        [str(python), "-I", *args, ",".join(modules), *names],
        cwd=cwd,
        env={**env, "XDG_CACHE_HOME": str(cwd.parent / "cache")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return json.loads(done.stdout.splitlines()[-1])


def _from_store(files: dict[str, str], store: Path) -> bool:
    return all(f.startswith(str(store) + os.sep) for f in files.values())


def test_two_projects_sync_and_import_their_own_requests_and_its_dependencies(
    tmp_path: Path, env: dict[str, str], shared_store: Path, hooked_python: Path
) -> None:
    for pin in ("2.31.0", "2.32.3"):
        project = _project(tmp_path / f"requests-{pin}", [f"requests=={pin}"])
        _sync(env, str(project))
        locked = _locked(project / "pylock.toml")

        seen = _probe(hooked_python, project, env, ["requests", "urllib3", "idna"], [*locked])

        assert locked["requests"] == pin
        assert {"urllib3", "idna", "certifi", "charset-normalizer"} <= set(locked)
        assert seen["versions"] == locked
        assert _from_store(seen["files"], shared_store), seen["files"]


def test_a_c_extension_loads_from_the_store(
    tmp_path: Path, env: dict[str, str], shared_store: Path, hooked_python: Path
) -> None:
    project = _project(tmp_path / "app", ["markupsafe"])
    _sync(env, str(project))

    seen = _probe(hooked_python, project, env, ["markupsafe._speedups"], ["markupsafe"])

    compiled = seen["files"]["markupsafe._speedups"]
    assert compiled.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), compiled
    assert _from_store(seen["files"], shared_store)
    assert seen["versions"] == _locked(project / "pylock.toml")


def test_a_script_runs_with_the_real_dependency_its_block_names(
    tmp_path: Path, env: dict[str, str], shared_store: Path, hooked_python: Path
) -> None:
    script = tmp_path / "scripts" / "fetch.py"
    script.parent.mkdir()
    script.write_text(f'# /// script\n# dependencies = ["idna"]\n# ///\n{_PROBE}', encoding="utf-8")
    _sync(env, str(script))
    locked = _locked(script.parent / "pylock.fetch.toml")

    seen = _probe(hooked_python, script.parent, env, ["idna"], ["idna"], str(script))

    assert seen["versions"] == locked == {"idna": locked["idna"]}
    assert _from_store(seen["files"], shared_store)


def test_a_dependency_group_of_real_packages_is_synced_and_importable(
    tmp_path: Path, env: dict[str, str], shared_store: Path, hooked_python: Path
) -> None:
    groups = '\n[dependency-groups]\ndev = ["six"]\n'
    project = _project(tmp_path / "app", [], extra=groups)
    _sync(env, "--group", "dev", str(project))

    seen = _probe(hooked_python, project, env, ["six"], ["six"])

    assert seen["versions"] == _locked(project / "pylock.toml")
    assert _from_store(seen["files"], shared_store)


@pytest.fixture(scope="session")
def pip_with_lock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter whose pip has ``pip lock`` (25.1 and later), made once per session."""
    venv = tmp_path_factory.mktemp("pip-lock") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / Path(sys.executable).name
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "pip>=25.1"],
        check=True,
        capture_output=True,
    )
    return python


def test_a_lock_written_by_pip_lock_is_installed_and_pins_the_run(
    tmp_path: Path,
    env: dict[str, str],
    shared_store: Path,
    hooked_python: Path,
    pip_with_lock: Path,
) -> None:
    # The manifest alone would take the newest requests, which the store then holds too.
    installed = vimport("install", "requests==2.32.3", env=env)
    assert installed.returncode == 0, installed.stderr
    project = _project(tmp_path / "app", ["requests"])
    subprocess.run(
        [str(pip_with_lock), "-m", "pip", "lock", "-q", "-o", "pylock.toml", "requests==2.31.0"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    written = (project / "pylock.toml").read_bytes()
    locked = _locked(project / "pylock.toml")
    _sync(env, str(project))

    seen = _probe(hooked_python, project, env, ["requests", "urllib3"], [*locked])

    assert (project / "pylock.toml").read_bytes() == written
    assert locked["requests"] == "2.31.0"
    assert seen["versions"] == locked
    assert _from_store(seen["files"], shared_store)


def _sdist(directory: Path, name: str, version: str) -> Path:
    """A source distribution built with setuptools, which pip fetches from the index to build."""
    files = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n',
        f"{name}/__init__.py": f"__version__ = {version!r}\n",
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_an_sdist_in_a_lock_is_built_into_a_wheel_and_imported(
    tmp_path: Path, env: dict[str, str], shared_store: Path, hooked_python: Path
) -> None:
    project = _project(tmp_path / "app", ["handmade"])
    sdist = _sdist(project / "vendor", "handmade", "0.3")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    (project / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "hand"\n\n[[packages]]\nname = "handmade"\n'
        f'version = "0.3"\nsdist = {{ name = "{sdist.name}", path = "vendor/{sdist.name}", '
        f'hashes = {{ sha256 = "{digest}" }} }}\n',
        encoding="utf-8",
    )
    _sync(env, str(project))

    seen = _probe(hooked_python, project, env, ["handmade"], ["handmade"])

    assert seen["versions"] == {"handmade": "0.3"}
    assert _from_store(seen["files"], shared_store)
