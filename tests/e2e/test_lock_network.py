"""The lock workflow of issue 12 against the real package index, through this machine's pip
configuration: lock preference, targeted upgrades, ``--locked``, ``--frozen``, ``--offline``,
edits that fail, the dev group and the tree.

Few and coarse on purpose: every step asks the index. The offline find-links tests in
tests/test_sync.py prove each behaviour in detail; these prove it holds with real packages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.pylock import Pylock
from packaging.version import Version

from tests.conftest import vimport

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = [pytest.mark.e2e, pytest.mark.network]


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lock-network") / "store"


@pytest.fixture
def env(shared_store: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIMPORT_")}
    return {**clean, "VIMPORT_STORE": str(shared_store)}


def _project(directory: Path, dependencies: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{directory.name}"\nversion = "0.1"\ndependencies = [{deps}]\n\n'
        "[tool.vimport]\n",
        encoding="utf-8",
    )
    return directory


def _ok(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = vimport(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done


def _locked(project: Path) -> dict[str, str]:
    with (project / "pylock.toml").open("rb") as f:
        pylock = Pylock.from_dict(tomllib.load(f))
    return {p.name: str(p.version) for p in pylock.packages}


def test_locked_versions_survive_a_relaxed_pin_and_an_add_until_upgraded_one_by_one(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project = _project(tmp_path / "app", ["idna==3.4", "certifi==2023.7.22"])
    _ok(env, "lock", str(project))
    assert _locked(project) == {"idna": "3.4", "certifi": "2023.7.22"}
    _project(project, ["idna>=3", "certifi"])  # relaxed: newer versions would now satisfy

    _ok(env, "add", "--project", str(project), "six")

    after_add = _locked(project)
    assert {k: after_add[k] for k in ("idna", "certifi")} == {"idna": "3.4", "certifi": "2023.7.22"}
    assert "six" in after_add

    _ok(env, "lock", "--upgrade-package", "idna", str(project))

    upgraded = _locked(project)
    assert Version(upgraded["idna"]) > Version("3.4")
    assert upgraded["certifi"] == "2023.7.22" and upgraded["six"] == after_add["six"]


def test_ci_flags_locked_frozen_and_offline(tmp_path: Path, env: dict[str, str]) -> None:
    project = _project(tmp_path / "app", ["six"])
    _ok(env, "lock", str(project))
    empty = {**env, "VIMPORT_STORE": str(tmp_path / "empty-store")}

    offline = vimport("sync", "--offline", str(project), env=empty)

    assert offline.returncode == 1
    assert offline.stderr.startswith("vimport: error: --offline: the store"), offline.stderr
    assert "six" in offline.stderr and offline.stderr.count("\n") == 1
    assert not (tmp_path / "empty-store" / "entries").exists()

    _ok(empty, "sync", "--frozen", str(project))
    assert [p.name for p in (tmp_path / "empty-store" / "entries").iterdir()] == ["six"]

    lock_before = (project / "pylock.toml").read_bytes()
    _project(project, ["six", "idna"])
    stale = vimport("sync", "--locked", str(project), env=env)
    assert stale.returncode == 1
    assert "--locked: the lock does not match" in stale.stderr and "idna added" in stale.stderr
    assert (project / "pylock.toml").read_bytes() == lock_before


def test_a_failed_add_puts_the_manifest_back_byte_for_byte(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project = _project(tmp_path / "app", ["six"])
    _ok(env, "sync", str(project))
    manifest, lock = (
        (project / "pyproject.toml").read_bytes(),
        (project / "pylock.toml").read_bytes(),
    )

    done = vimport("add", "--project", str(project), "requests==0.0.0.1", env=env)

    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert (project / "pyproject.toml").read_bytes() == manifest
    assert (project / "pylock.toml").read_bytes() == lock


def test_add_dev_survives_a_plain_sync_and_the_tree_shows_the_graph(
    tmp_path: Path, env: dict[str, str], hooked_python: Path
) -> None:
    project = _project(tmp_path / "app", ["requests==2.31.0"])
    _ok(env, "add", "--project", str(project), "--dev", "six")

    plain = _ok(env, "sync", str(project))

    assert plain.stderr.startswith("Up to date"), plain.stderr
    ran = subprocess.run(
        [str(hooked_python), "-I", "-c", "import six, requests; print(requests.__version__)"],
        cwd=project,
        env={**env, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "2.31.0\n", "")
    tree = _ok(env, "tree", str(project)).stdout.splitlines()
    assert tree[:2] == ["app v0.1", "├── requests v2.31.0"]
    children = {re.sub(r" v\S+$", "", line[8:]) for line in tree[2:6]}
    assert children == {"certifi", "charset-normalizer", "idna", "urllib3"}
    assert tree[-1].startswith("└── six v")
