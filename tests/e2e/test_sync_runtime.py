"""What ``vimport sync`` leaves behind, used by plain ``python``: a fresh lock pins the versions,
a stale one is said at every start, scripts have their own locks, a synced group is importable.

pip resolves from local find-links directories of fabricated wheels, never from an index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import MakeProject, RunHooked, vimport
from tests.e2e.conftest import Imports, missing
from versioned_import.wheelbuild import build_wheel

pytestmark = pytest.mark.e2e

# name, version, Requires-Dist
_WHEELS = [
    ("alpha", "1.0", ["beta<2"]),
    ("alpha", "2.0", ["beta>=2"]),
    ("beta", "1.0", []),
    ("beta", "2.0", []),
    ("delta", "1.0", []),
]


@pytest.fixture(scope="session")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two find-links directories: ``full`` holds every wheel, ``old`` only the 1.0 releases."""
    top = tmp_path_factory.mktemp("sync-indexes")
    for name, version, requires in _WHEELS:
        files = {f"{name}/__init__.py": f"__version__ = {version!r}\n"}
        build_wheel(top / "full", name, version, files, requires=requires)
        if version == "1.0":
            build_wheel(top / "old", name, version, files, requires=requires)
    return {"full": top / "full", "old": top / "old"}


def _pip_only_from(env: dict[str, str], find_links: Path) -> dict[str, str]:
    """``env`` with pip cut off from this machine's configuration and any index."""
    clean = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    return {
        **clean,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(find_links),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def _sync(env: dict[str, str], find_links: Path, *args: str) -> None:
    done = vimport("sync", *args, env=_pip_only_from(env, find_links))
    assert done.returncode == 0, done.stderr


def _store_newer_releases(env: dict[str, str], full: Path) -> None:
    """Install alpha 2.0 and beta 2.0 into the store, outside any lock."""
    wheels = [str(full / f"{n}-2.0-py3-none-any.whl") for n in ("alpha", "beta")]
    done = vimport("install", *wheels, env=env)
    assert done.returncode == 0, done.stderr


_VERSIONS = "import alpha, beta; print(alpha.__version__, beta.__version__)"


def test_a_fresh_lock_pins_versions_older_than_the_stores_best(
    make_project: MakeProject,
    indexes: dict[str, Path],
    hook_env: dict[str, str],
    run_hooked: RunHooked,
) -> None:
    project = make_project("app", ["alpha"])
    _sync(hook_env, indexes["old"], str(project))
    _store_newer_releases(hook_env, indexes["full"])

    done = run_hooked(project, "-c", _VERSIONS)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1.0", "1.0"]
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("changed", "seen"), [(["alpha>=1"], ["1.0", "1.0"]), (["alpha>=2"], ["2.0", "2.0"])]
)
def test_a_stale_lock_is_said_at_every_start_and_its_versions_kept_where_they_fit(
    changed: list[str],
    seen: list[str],
    make_project: MakeProject,
    indexes: dict[str, Path],
    hook_env: dict[str, str],
    run_hooked: RunHooked,
) -> None:
    project = make_project("app", ["alpha"])
    _sync(hook_env, indexes["old"], str(project))
    _store_newer_releases(hook_env, indexes["full"])
    assert run_hooked(project, "-c", _VERSIONS).stdout.split() == ["1.0", "1.0"]
    make_project("app", changed)  # the manifest changes after the lock was written

    # The first start computes the plan, the next ones read it: both say it.
    for _ in range(2):
        done = run_hooked(project, "-c", _VERSIONS)

        assert done.returncode == 0, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"vimport: {project / 'pylock.toml'} is stale"), lines[0]
        assert "vimport sync" in lines[0]
        assert done.stdout.split() == seen

    # The next sync keeps the same versions (lock preference) and ends the notice.
    _sync(hook_env, indexes["full"], str(project))
    done = run_hooked(project, "-c", _VERSIONS)
    assert (done.stderr, done.stdout.split()) == ("", seen)


def _script(path: Path, requirement: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'# /// script\n# dependencies = ["{requirement}"]\n# ///\n{_VERSIONS}\n', encoding="utf-8"
    )
    return path


def test_scripts_inside_and_outside_a_project_each_run_with_their_own_lock(
    tmp_path: Path,
    make_project: MakeProject,
    indexes: dict[str, Path],
    hook_env: dict[str, str],
    run_hooked: RunHooked,
) -> None:
    loose = _script(tmp_path / "loose" / "tool.py", "alpha>=2")
    project = make_project("pinned", ["alpha==2.0"])
    inside = _script(project / "task.py", "alpha<2")
    for target in (loose, inside, project):
        _sync(hook_env, indexes["full"], str(target))

    from_loose = run_hooked(loose.parent, str(loose))
    from_inside = run_hooked(project, str(inside))
    from_project = run_hooked(project, "-c", _VERSIONS)

    for done in (from_loose, from_inside, from_project):
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    assert (project / "pylock.task.toml").exists() and (loose.parent / "pylock.tool.toml").exists()
    assert from_loose.stdout.split() == ["2.0", "2.0"]
    assert from_inside.stdout.split() == ["1.0", "1.0"]
    assert from_project.stdout.split() == ["2.0", "2.0"]


def test_a_group_synced_with_the_flag_is_importable_at_run_time(
    make_project: MakeProject,
    indexes: dict[str, Path],
    hook_env: dict[str, str],
    imports: Imports,
    run_hooked: RunHooked,
) -> None:
    project = make_project("app", ["beta"], extra='[dependency-groups]\ndocs = ["delta"]\n')
    _sync(hook_env, indexes["full"], "--group", "docs", str(project))

    seen = imports(project, "delta", "beta")
    quiet = run_hooked(project, "-c", "import delta")

    assert seen == {"delta": "1.0", "beta": "2.0"}
    assert quiet.stderr == ""


def test_a_group_not_synced_stays_out_of_the_project(
    make_project: MakeProject,
    indexes: dict[str, Path],
    hook_env: dict[str, str],
    imports: Imports,
) -> None:
    # The control of the test above: delta is in the store, but no group was chosen.
    project = make_project("app", ["beta"], extra='[dependency-groups]\ndocs = ["delta"]\n')
    _sync(hook_env, indexes["full"], str(project))
    delta = indexes["full"] / "delta-1.0-py3-none-any.whl"
    installed = vimport("install", str(delta), env=hook_env)
    assert installed.returncode == 0, installed.stderr

    assert missing(imports(project, "delta")["delta"])


def test_dev_is_there_by_default_and_gone_after_sync_no_dev(
    make_project: MakeProject,
    indexes: dict[str, Path],
    hook_env: dict[str, str],
    imports: Imports,
    run_hooked: RunHooked,
) -> None:
    project = make_project("app", ["beta"], extra='[dependency-groups]\ndev = ["delta"]\n')
    _sync(hook_env, indexes["full"], str(project))
    assert imports(project, "delta") == {"delta": "1.0"}

    _sync(hook_env, indexes["full"], "--no-dev", str(project))

    assert missing(imports(project, "delta")["delta"])
    # The lock says how it was made, so the runtime finds it fresh: no stale notice.
    assert run_hooked(project, "-c", "import beta").stderr == ""
