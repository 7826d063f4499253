"""The store's roots: the projects that resolved against it, whose entries gc keeps."""

import os

from versioned_import._runtime.fs import make_dirs, sha256_hex, write_atomic
from versioned_import._runtime.storelayout import roots_dir

__all__ = ["add_root", "root_file"]


def root_file(store: str, project: str) -> str:
    return os.path.join(roots_dir(store), sha256_hex(project.encode())[:32])


def add_root(store: str, project: str) -> None:
    """Remember ``project`` as a user of ``store``. A store that cannot be written (a read-only
    mount) has no roots to keep."""
    path = root_file(store, project)
    try:
        if not os.path.exists(path):
            make_dirs(os.path.dirname(path))
            write_atomic(path, f"{project}\n".encode())
    except OSError:
        pass
