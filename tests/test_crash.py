"""Installers killed with SIGKILL at every stage leave no partial entry, only debris in
``staging/`` that the next install removes.

Nothing in the product is instrumented: the tests watch the killed installer's staging
directory, which tells how far it got (the .dist-info unpacked; RECORD written and the other
files being unpacked and compiled; entry.json written and waiting for the lock), or kill after
spread-out delays and read the stage from what is left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import vimport
from tests.storecheck import assert_entry_holds_wheel, assert_store_sound, staging_leftovers
from versioned_import.flock import FileLock
from versioned_import.store import Key, Store, layout
from versioned_import.wheelbuild import build_wheel

_NAME, _VERSION, _TAG = "bigpkg", "1.0", "py3-none-any"
_DIST_INFO = f"{_NAME}-{_VERSION}.dist-info"


@pytest.fixture(scope="module")
def big_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four hundred modules and a 4 MiB blob: about a second to install, spread over
    unpacking (~a quarter), compiling (~half) and making it read-only."""
    body = "".join(f"def f{j}(x):\n    return x * {j} + len(str(x))\n" for j in range(10))
    files: dict[str, str | bytes] = {f"{_NAME}/m{i:03}.py": body for i in range(400)}
    files[f"{_NAME}/__init__.py"] = f"__version__ = {_VERSION!r}\n"
    files[f"{_NAME}/blob.bin"] = random.Random(0).randbytes(4 << 20)
    return build_wheel(tmp_path_factory.mktemp("big"), _NAME, _VERSION, files)


def _start(store: Store, wheel: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "versioned_import", "--store", store.root, "install", str(wheel)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _staged(store: Store, pid: int) -> Path | None:
    """The staging directory of installer ``pid``, if it has made one."""
    mine = [n for n in staging_leftovers(store) if f"@{pid}-" in n]
    return Path(layout.staging_dir(store.root), mine[0]) if mine else None


def _phase(store: Store, pid: int) -> str:
    """How far the (dead) installer ``pid`` got, read from what it left."""
    staged = _staged(store, pid)
    if staged is None:
        published = os.path.isdir(store.entry_dir(Key(_NAME, _VERSION, _TAG)))
        return "published" if published else "before staging"
    if (staged / layout.ENTRY_FILE).exists():
        return "before publish"
    if (staged / "site" / _DIST_INFO / "RECORD").exists():
        return "unpacking and compiling"
    if (staged / "site").exists():
        return "unpacking the .dist-info"
    return "validating"


def _kill_when(store: Store, child: subprocess.Popen[bytes], ready: Callable[[Path], bool]) -> str:
    """SIGKILL ``child`` as soon as ``ready(its staging directory)``; returns the phase hit."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        staged = _staged(store, child.pid)
        if staged is not None and ready(staged):
            child.send_signal(signal.SIGKILL)
            child.wait()
            return _phase(store, child.pid)
        assert child.poll() is None, "the install ended before the moment to kill it came"
        time.sleep(0.001)
    raise AssertionError("the installer never got there")


def _assert_recovers(store: Store, wheel: Path) -> None:
    """The next install of the same wheel works and sweeps the killed installer's debris."""
    done = vimport("--store", store.root, "install", str(wheel))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"installed: {_NAME} {_VERSION} [{_TAG}]\n"
    [entry] = assert_store_sound(store)
    assert_entry_holds_wheel(entry, wheel)
    assert staging_leftovers(store) == []


def _unpacking(staged: Path) -> bool:
    return (staged / "site" / _NAME).is_dir()  # the first of the files left to the compilers


def _compiling(staged: Path) -> bool:
    return (staged / "site" / _NAME / "__pycache__").is_dir()


@pytest.mark.parametrize(
    ("ready", "expected"),
    [
        pytest.param(_unpacking, "unpacking and compiling", id="unpacking"),
        pytest.param(_compiling, "unpacking and compiling", id="compiling"),
    ],
)
def test_an_installer_killed_while_installing_leaves_no_entry(
    store: Store, big_wheel: Path, ready: Callable[[Path], bool], expected: str
) -> None:
    child = _start(store, big_wheel)

    assert _kill_when(store, child, ready) == expected

    # Half a directory exists in staging/, nothing under entries/.
    assert not os.path.exists(store.entry_dir(Key(_NAME, _VERSION, _TAG)))
    assert assert_store_sound(store) == []
    assert len(staging_leftovers(store)) == 1
    _assert_recovers(store, big_wheel)


def test_an_installer_killed_while_waiting_to_publish_leaves_no_entry(
    store: Store, big_wheel: Path
) -> None:
    # The whole entry is staged and read-only (its top directory is made so last); only the
    # rename is missing, which waits for the lock that this test holds as another installer
    # publishing the same distribution would.
    def waiting_for_the_lock(staged: Path) -> bool:
        done = (staged / layout.ENTRY_FILE).exists()
        return done and staged.stat().st_mode & 0o777 == 0o555

    os.makedirs(layout.mutex_dir(store.root), exist_ok=True)
    with FileLock(os.path.join(layout.mutex_dir(store.root), f"{_NAME}.lock")):
        child = _start(store, big_wheel)

        assert _kill_when(store, child, waiting_for_the_lock) == "before publish"

    assert not os.path.exists(store.entry_dir(Key(_NAME, _VERSION, _TAG)))
    assert assert_store_sound(store) == []
    assert len(staging_leftovers(store)) == 1
    _assert_recovers(store, big_wheel)


def test_installers_killed_after_spread_out_delays_never_leave_a_partial_entry(
    store: Store, big_wheel: Path, tmp_path: Path
) -> None:
    # Delays are fractions of an uninterrupted install measured here, so a slow machine still
    # gets its kills spread over every stage.
    started = time.monotonic()
    assert vimport("--store", str(tmp_path / "timing"), "install", str(big_wheel)).returncode == 0
    duration = time.monotonic() - started
    phases = []
    for fraction in (0.0, 0.15, 0.25, 0.35, 0.5, 0.65, 0.8, 0.95, 1.1):
        child = _start(store, big_wheel)
        time.sleep(duration * fraction)
        child.send_signal(signal.SIGKILL)
        child.wait()
        phases.append(_phase(store, child.pid))
        # Whatever the moment: no partial entry, and an installer that got as far as staging
        # first removed the debris of the ones killed before it.
        assert_store_sound(store)
        own = _staged(store, child.pid)
        if own is not None:
            assert staging_leftovers(store) == [own.name]
    # At least one kill landed inside an install, or the test proved nothing; which stages
    # were hit varies with the machine's load (the tests above hit each one on purpose).
    assert set(phases) - {"before staging", "published"}, phases

    done = vimport("--store", store.root, "install", str(big_wheel))
    assert done.returncode == 0, done.stderr
    [entry] = assert_store_sound(store)
    assert_entry_holds_wheel(entry, big_wheel)
    assert staging_leftovers(store) == []
