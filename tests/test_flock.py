"""The lock that keeps processes from doing one thing at once in one place."""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from versioned_import.flock import FileLock

_HOLDER = """
import sys, time
from versioned_import.flock import FileLock
print("waiting", flush=True)
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(path: Path, hold: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(hold)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "waiting\n"
    return child


def _is_held(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_lock_keeps_another_process_out_until_released(tmp_path: Path) -> None:
    path = tmp_path / "name.lock"
    with FileLock(str(path)):
        child = _holder(path, 0)
        time.sleep(0.3)
        assert child.poll() is None  # still waiting
    out, _ = child.communicate(timeout=30)
    assert (out, child.returncode) == ("held\n", 0)


def test_a_holder_that_dies_releases_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "name.lock"
    child = _holder(path, 60)
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    assert _is_held(path)
    child.kill()
    child.communicate()
    assert not _is_held(path)
    with FileLock(str(path)):
        assert _is_held(path)
    assert not _is_held(path)


def test_a_lock_file_is_not_writable_by_others_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "name.lock"
    old = os.umask(0)
    try:
        with FileLock(str(path)):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_lock_is_never_taken_through_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "name.lock").symlink_to(elsewhere)
    with pytest.raises(OSError), FileLock(str(tmp_path / "name.lock")):
        pass
    assert not elsewhere.exists()
