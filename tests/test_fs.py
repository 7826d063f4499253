"""The one atomic write and the one permission rule for every file the tool writes."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from versioned_import._runtime.fs import make_dirs, sha256_hex, write_atomic


@pytest.fixture
def umask_0() -> Iterator[None]:
    """The most permissive umask there is."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_0")
@pytest.mark.parametrize(("asked", "given"), [(0o644, 0o644), (0o755, 0o755), (0o777, 0o755)])
def test_no_write_bit_for_group_or_others_whatever_the_umask(
    tmp_path: Path, asked: int, given: int
) -> None:
    target = tmp_path / "file"
    write_atomic(str(target), b"data", asked)
    assert target.read_bytes() == b"data"
    assert _mode(target) == given


@pytest.mark.usefixtures("umask_0")
def test_a_replaced_file_gets_the_rule_too(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old")
    target.chmod(0o666)
    write_atomic(str(target), b"new")
    assert (target.read_bytes(), _mode(target)) == (b"new", 0o644)


@pytest.mark.usefixtures("umask_0")
def test_made_directories_are_0755_at_every_level(tmp_path: Path) -> None:
    make_dirs(str(tmp_path / "a" / "b" / "c"))
    for level in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert _mode(level) == 0o755


@pytest.mark.parametrize("durable", [False, True])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(str(target), b"new", durable=durable)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file"]


@pytest.mark.parametrize("data", [b"", b"abc", "/projects/é".encode(), bytes(range(256)) * 99])
def test_sha256_hex_is_hashlibs(data: bytes) -> None:
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()
