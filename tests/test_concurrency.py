"""Many installers at once: one whole entry per wheel, readers never disturbed, nothing replaced.

Every process here is a real child running the CLI's ``main``; the children wait on a start
file after importing, so their installs overlap instead of running one after the other.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import MakeProject, MakeWheel, vimport
from tests.storecheck import (
    assert_entry_holds_wheel,
    assert_store_sound,
    snapshot,
    staging_leftovers,
)
from versioned_import.store import Key, Store

# Imports first (they take longer than an install of a small wheel), then the start signal.
_INSTALLER = """
import os, sys, time
from versioned_import import cli  # noqa: F401
from versioned_import.store import install  # noqa: F401
import installer.destinations, packaging.tags  # noqa: F401
go = sys.argv[1]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
sys.exit(cli.main(sys.argv[2:]))
"""


def _wheel(make_wheel: MakeWheel, name: str, version: str) -> Path:
    # A hundred modules: an install takes long enough for the others to run into it.
    module = name.replace("-", "_")
    files: dict[str, str | bytes] = {f"{module}/__init__.py": f"__version__ = {version!r}\n"}
    files.update({f"{module}/m{i:03}.py": f"VALUE = {i}\n" * 20 for i in range(100)})
    return make_wheel(name, version, files)


def _start_installers(
    store: Store, go: Path, jobs: Sequence[Sequence[Path]]
) -> list[subprocess.Popen[str]]:
    """One installer per job, each ready and waiting for ``go`` to exist when this returns."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _INSTALLER, str(go), "--store", store.root, "install"]
            + [str(w) for w in wheels],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for wheels in jobs
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return children


def _finish(children: list[subprocess.Popen[str]]) -> list[str]:
    """Their stdout, once each has exited 0 and said nothing on stderr."""
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert (child.returncode, err) == (0, ""), err
        outputs.append(out)
    return outputs


def _install_at_once(store: Store, go: Path, jobs: Sequence[Sequence[Path]]) -> list[str]:
    children = _start_installers(store, go, jobs)
    go.touch()
    return _finish(children)


def test_eight_installers_of_the_same_and_overlapping_wheels_publish_each_once(
    store: Store, make_wheel: MakeWheel, tmp_path: Path
) -> None:
    shared = _wheel(make_wheel, "shared", "1.0")
    versions = [_wheel(make_wheel, "lib", f"{v}.0") for v in range(1, 5)]
    # Every child installs the shared wheel and two lib versions; each version is wanted by four.
    jobs = [[shared, versions[i % 4], versions[(i + 1) % 4]] for i in range(8)]

    outputs = _install_at_once(store, tmp_path / "go", jobs)

    lines = [line for out in outputs for line in out.splitlines()]
    installed = Counter(line for line in lines if line.startswith("installed: "))
    # Exactly one child published each wheel; all the others found it there.
    assert installed == {
        "installed: shared 1.0 [py3-none-any]": 1,
        **{f"installed: lib {v}.0 [py3-none-any]": 1 for v in range(1, 5)},
    }
    assert len(lines) == sum(len(job) for job in jobs)
    entries = assert_store_sound(store)
    assert [(e.name, e.version) for e in entries] == [
        *[("lib", f"{v}.0") for v in range(1, 5)],
        ("shared", "1.0"),
    ]
    for entry in entries:
        assert_entry_holds_wheel(entry, tmp_path / "wheels" / entry.wheel)
    assert staging_leftovers(store) == []


def test_installing_a_published_wheel_again_touches_nothing(
    store: Store, make_wheel: MakeWheel, tmp_path: Path
) -> None:
    wheel = _wheel(make_wheel, "lib", "1.0")
    assert vimport("--store", store.root, "install", str(wheel)).returncode == 0
    entry = assert_store_sound(store)[0]
    before = snapshot(entry.path)
    # The same file, four times at once, then a wheel of the same name, version and tag whose
    # bytes differ: a published entry is never replaced, not even by "the same" content.
    _install_at_once(store, tmp_path / "go", [[wheel]] * 4)
    wheel.unlink()
    other = make_wheel("lib", "1.0", {"lib/__init__.py": "__version__ = 'impostor'\n"})
    again = vimport("--store", store.root, "install", str(other))

    assert again.stdout == "already present: lib 1.0 [py3-none-any]\n"
    assert snapshot(entry.path) == before
    assert staging_leftovers(store) == []


# Reloads the package (and reads its metadata) until told to stop, recording what it saw.
_READER = """
import importlib, importlib.metadata, json, os, sys
stop, seen, rounds = sys.argv[1], set(), 0
print("ready", flush=True)
while rounds < 20 or not os.path.exists(stop):
    for name in [m for m in sys.modules if m == "lib" or m.startswith("lib.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    lib, sub = importlib.import_module("lib"), importlib.import_module("lib.m042")
    seen.add((lib.__version__, sub.VALUE, lib.__file__, importlib.metadata.version("lib")))
    rounds += 1
print(json.dumps({"rounds": rounds, "seen": sorted(seen)}))
"""


@pytest.mark.e2e
def test_a_running_project_is_not_disturbed_by_installs_of_new_versions(
    store: Store,
    make_wheel: MakeWheel,
    make_project: MakeProject,
    hooked_python: Path,
    hook_env: dict[str, str],
    tmp_path: Path,
) -> None:
    first = _wheel(make_wheel, "lib", "1.0")
    assert vimport("--store", store.root, "install", str(first)).returncode == 0
    # lib>=1: the newer versions installed meanwhile would satisfy it too, yet a running
    # process keeps the version it started with.
    project = make_project("app", ["lib>=1"])
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [str(hooked_python), "-I", "-c", _READER, str(stop)],
        cwd=project,
        env=hook_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None
    assert reader.stdout.readline() == "ready\n"
    newer = [_wheel(make_wheel, "lib", f"{v}.0") for v in range(2, 6)]
    others = [_wheel(make_wheel, "other", f"{v}.0") for v in range(1, 3)]

    installers = _start_installers(store, tmp_path / "go", [[w, *others] for w in newer])
    (tmp_path / "go").touch()
    # Meanwhile new processes of a pinned project start; the store changes under them, so each
    # computes its plan again, racing the publications.
    pinned = make_project("pinned", ["lib==1.0"])
    started: list[tuple[int, str, str]] = []
    while len(started) < 2 or any(child.poll() is None for child in installers):
        done = subprocess.run(
            [str(hooked_python), "-I", "-c", "import lib; print(lib.__version__)"],
            cwd=pinned,
            env=hook_env,
            capture_output=True,
            text=True,
            check=False,
        )
        started.append((done.returncode, done.stdout, done.stderr))
    _finish(installers)
    stop.touch()
    out, err = reader.communicate(timeout=60)

    assert (reader.returncode, err) == (0, "")
    result = json.loads(out)
    assert result["rounds"] >= 20
    [(version, value, origin, metadata)] = result["seen"]
    assert (version, value, metadata) == ("1.0", 42, "1.0")
    assert origin.startswith(store.entry_dir(Key("lib", "1.0", "py3-none-any")))
    assert set(started) == {(0, "1.0\n", "")}
    assert len(assert_store_sound(store)) == 7
