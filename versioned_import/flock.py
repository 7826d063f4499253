"""An exclusive lock on a file, for what processes must not do at once in one place: publish
entries of one distribution, build a project's own distribution, make a build environment.

Not part of the runtime (``_runtime``): an interpreter's start locks nothing.
"""

from __future__ import annotations

import fcntl
import os

from versioned_import._runtime.fs import FILE_MODE

__all__ = ["FileLock"]


class FileLock:
    """The exclusive lock of the file at ``path`` (made with ``FILE_MODE`` when missing), held
    in a ``with`` block.

    ``flock``, blocking: a waiter wakes as soon as the holder is done, and the lock goes with
    the holder's open file, so a holder that dies releases it (the file stays; by itself it
    means nothing). Opened for writing, as NFS's emulation of ``flock`` needs for an exclusive
    lock; never through a link. Not re-entrant: a second hold of one path in one process waits
    for ever."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.path, flags, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # which releases the lock
