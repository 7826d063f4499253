"""Files put back as they were when a command fails part-way: ``vimport add`` writes the
manifest before it syncs, as ``uv add`` does, and a sync that then fails must leave the manifest
and the lock byte for byte as they were."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from versioned_import._runtime.fs import write_atomic

__all__ = ["restored_on_failure"]


@contextmanager
def restored_on_failure(paths: Sequence[str]) -> Iterator[None]:
    """Run the block; if it raises, put each of ``paths`` back (contents and mode), or remove
    it when it did not exist before."""
    # Through symlinks to the files they point at, as the editor writes them.
    saved = {os.path.realpath(path): _read(path) for path in paths}
    try:
        yield
    except BaseException:
        for path, before in saved.items():
            _put_back(path, before)
        raise


def _read(path: str) -> tuple[bytes, int] | None:
    try:
        with open(path, "rb") as f:
            return f.read(), stat.S_IMODE(os.fstat(f.fileno()).st_mode)
    except FileNotFoundError:
        return None


def _put_back(path: str, before: tuple[bytes, int] | None) -> None:
    if before is None:
        if os.path.lexists(path):
            os.unlink(path)
        return
    if _read(path) != before:
        write_atomic(path, before[0], before[1], durable=True)
