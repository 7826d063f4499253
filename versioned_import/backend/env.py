"""Isolated build environments: a backend's requirements installed with pip into a directory of
the user's cache, keyed by those requirements and the interpreter kind, made once and reused.

Why a cache directory and not the store: the store holds what projects import, kept alive by
their plans as gc roots, one entry per wheel; a backend's requirements are the tool's own
business, resolved by pip as one consistent set that no project lock records, so entries for
them would be garbage to gc the moment they were made. A directory per requirement set is what
``build`` makes for each build; keeping it makes every later metadata build start at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence

from versioned_import._runtime.fs import make_dirs
from versioned_import._runtime.paths import build_flavour, user_cache_dir
from versioned_import.errors import PackageIndexError
from versioned_import.flock import FileLock
from versioned_import.progress import Reporter

__all__ = ["build_env", "build_envs_dir", "restrict"]


def build_envs_dir() -> str:
    """Where build environments live, one directory per interpreter kind."""
    return os.path.join(user_cache_dir(), "build-envs", build_flavour())


def _key(requirements: Sequence[str]) -> str:
    from packaging.requirements import Requirement

    # Spelled as packaging normalises them, so `hatchling>=1` and `hatchling >= 1` share one.
    normal = sorted({str(Requirement(r)) for r in requirements})
    return hashlib.sha256(json.dumps(normal).encode()).hexdigest()[:20]


def build_env(requirements: Sequence[str], reporter: Reporter, *, offline: bool = False) -> str:
    """The directory holding ``requirements`` installed, for a backend's ``sys.path``;
    ``offline``, only one made before."""
    directory = os.path.join(build_envs_dir(), _key(requirements))
    if os.path.isdir(directory):
        return directory
    if offline and requirements:
        raise PackageIndexError(
            f"the build requirements ({', '.join(requirements)}) are not installed yet, and "
            "--offline fetches nothing; run `vimport sync` once without --offline"
        )
    make_dirs(build_envs_dir())
    # Double-checked: the existence check and the rename happen under the key's lock, so two
    # interpreters starting at once install the requirements once.
    with FileLock(f"{directory}.lock"):
        if os.path.isdir(directory):
            return directory
        staging = f"{directory}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        make_dirs(staging)
        try:
            if requirements:  # an in-tree backend (backend-path) may need nothing
                reporter.step(f"Installing the build requirements {', '.join(requirements)}")
                # Imported here: the planner imports this module for every project with a build
                # system, and pip's engine brings urllib, ssl and http (~25 ms) it rarely needs.
                from versioned_import.engine.pip import install_into

                install_into(requirements, staging, reporter)
                reporter.done(f"Installed the build requirements {', '.join(requirements)}")
            restrict(staging)
            os.rename(staging, directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return directory


def restrict(top: str) -> None:
    """Take group and world write off everything under ``top``, whatever the umask was when pip
    or a backend wrote it: what a backend runs must not be changeable by other users."""
    for directory, _dirs, files in os.walk(top):
        for name in [*files, ""]:
            path = os.path.join(directory, name) if name else directory
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & ~0o022)
