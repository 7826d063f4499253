"""Files put back byte for byte, with their mode, when the block that changed them fails."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from versioned_import.project.undo import restored_on_failure


def test_a_failing_block_puts_files_back_and_removes_new_ones(tmp_path: Path) -> None:
    kept, new = tmp_path / "pyproject.toml", tmp_path / "pylock.toml"
    kept.write_bytes(b"[project]\r\nname = 'x'\r\n")
    os.chmod(kept, 0o600)

    with pytest.raises(KeyError), restored_on_failure([str(kept), str(new)]):
        kept.write_bytes(b"changed")
        new.write_bytes(b"written")
        raise KeyError("the sync failed")

    assert kept.read_bytes() == b"[project]\r\nname = 'x'\r\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert not new.exists()


def test_a_block_that_succeeds_keeps_its_changes(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"before")

    with restored_on_failure([str(path)]):
        path.write_bytes(b"after")

    assert path.read_bytes() == b"after"


def test_a_symlinked_manifest_is_restored_through_the_link(tmp_path: Path) -> None:
    real, link = tmp_path / "real.toml", tmp_path / "pyproject.toml"
    real.write_bytes(b"before")
    link.symlink_to(real)

    with pytest.raises(RuntimeError), restored_on_failure([str(link)]):
        real.write_bytes(b"after")
        raise RuntimeError

    assert link.is_symlink() and real.read_bytes() == b"before"
