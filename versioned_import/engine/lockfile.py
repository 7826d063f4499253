"""Picks from a PEP 751 lock: the one reading of ``pylock.toml`` data shared by the project's lock
and by the engines, whose resolvers (``uv pip compile``, ``pip lock``) answer with one."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from versioned_import.engine import Artifact, Pick
from versioned_import.errors import PackageIndexError

if TYPE_CHECKING:
    from packaging.pylock import Pylock

__all__ = ["UnusableLock", "picks_from_pylock", "resolved_picks"]


class UnusableLock(ValueError):
    """The lock is not valid PEP 751, does not fit this interpreter, or names a file that cannot
    be installed exactly (no version, no sha256, neither wheel nor sdist)."""


def picks_from_pylock(data: dict[str, Any], directory: str) -> tuple[list[Pick], Pylock]:
    """What this interpreter installs from the lock ``data`` (its markers and wheel tags
    applied by ``packaging``), and the parsed ``Pylock``; relative paths are under
    ``directory``."""
    from packaging.pylock import (
        PackageSdist,
        PackageWheel,
        Pylock,
        PylockUnsupportedVersionError,
        PylockValidationError,
    )

    try:
        pylock = Pylock.from_dict(data)
        selected = list(pylock.select())
    except (PylockValidationError, PylockUnsupportedVersionError) as exc:
        raise UnusableLock(f"not a valid PEP 751 lock: {exc}") from exc
    except Exception as exc:  # PylockSelectError is not public in every packaging release
        raise UnusableLock(f"does not fit this interpreter: {exc}") from exc
    picks = []
    for package, chosen in selected:
        if not isinstance(chosen, (PackageWheel, PackageSdist)) or package.version is None:
            raise UnusableLock(
                f"package {package.name}: only wheels and sdists of a version are supported"
            )
        if "sha256" not in chosen.hashes:
            raise UnusableLock(
                f"package {package.name}: {chosen.filename} has no sha256 hash to check"
            )
        location = chosen.url or os.path.join(directory, chosen.path or "")
        artifact = Artifact(location, chosen.hashes["sha256"], chosen.size,
                            isinstance(chosen, PackageWheel))  # fmt: skip
        picks.append(Pick(package.name, str(package.version), artifact))
    return picks, pylock


def resolved_picks(text: str, resolver: str) -> list[Pick]:
    """The picks of the lock ``resolver`` just wrote (``text``), for this interpreter; a lock
    that cannot be used is the resolver's failure, a ``PackageIndexError``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    try:
        picks, _ = picks_from_pylock(tomllib.loads(text), os.getcwd())
    except (tomllib.TOMLDecodeError, UnusableLock) as exc:
        raise PackageIndexError(
            f"{resolver} wrote a lock versioned-import cannot use: {exc}"
        ) from exc
    return picks
