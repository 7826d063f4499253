"""Picks from a PEP 751 lock: the one reading of ``pylock.toml`` data shared by the project's lock
and by the engines, whose resolvers (``uv pip compile``, ``pip lock``) answer with one."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from versioned_import.engine import Artifact, Pick
from versioned_import.errors import PackageIndexError

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

__all__ = ["UnusableLock", "picks_from_pylock", "resolved_picks"]


class UnusableLock(ValueError):
    """The lock is not valid PEP 751, does not fit this interpreter, or names a file that cannot
    be installed exactly (no version, no sha256, neither wheel nor sdist)."""


def picks_from_pylock(data: dict[str, Any], directory: str) -> tuple[list[Pick], Pylock]:
    """What this interpreter installs from the lock ``data`` (its markers and wheel tags
    applied by ``packaging``), and the parsed ``Pylock``; relative paths are under
    ``directory``."""
    from packaging.pylock import (
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
    return [_pick(directory, package, chosen) for package, chosen in selected], pylock


def _pick(directory: str, package: Package, chosen: object) -> Pick:
    """One selected package as a pick; ``chosen`` is what ``Pylock.select`` chose to install it
    from. A ``directory`` or ``archive`` is a local source (or a direct reference): the store
    serves the wheel built from it, whose sha256 ``[packages.tool.vimport] wheel-sha256``
    records (an archive that is a wheel is that wheel)."""
    from packaging.pylock import PackageArchive, PackageDirectory, PackageSdist, PackageWheel

    where = f"package {package.name}"
    version = _version(package, chosen)
    if version is None or not isinstance(
        chosen, (PackageWheel, PackageSdist, PackageArchive, PackageDirectory)
    ):
        raise UnusableLock(f"{where}: only wheels, sdists, archives and directories of a "
                           "version are supported")  # fmt: skip
    tool = (package.tool or {}).get("vimport", {})
    built = tool.get("wheel-sha256", "") if isinstance(tool, dict) else ""
    local = os.path.normpath(os.path.join(directory, chosen.path or ""))
    if isinstance(chosen, PackageDirectory):
        if not built:
            raise UnusableLock(f"{where}: a directory needs [packages.tool.vimport] wheel-sha256; "
                               "lock it with `vimport sync`")  # fmt: skip
        artifact = Artifact(local, "", None, False, built, True, bool(chosen.editable))
        return Pick(package.name, version, artifact)
    if "sha256" not in chosen.hashes:
        raise UnusableLock(f"{where}: {chosen.path or chosen.url} has no sha256 hash to check")
    location = chosen.url or local
    is_wheel = location.endswith(".whl")
    if isinstance(chosen, PackageArchive) and not built:
        if not is_wheel:
            raise UnusableLock(f"{where}: an sdist archive needs [packages.tool.vimport] "
                               "wheel-sha256; lock it with `vimport sync`")  # fmt: skip
        built = chosen.hashes["sha256"]
    artifact = Artifact(location, chosen.hashes["sha256"], chosen.size, is_wheel, built)
    return Pick(package.name, version, artifact)


def _version(package: Package, chosen: object) -> str | None:
    """The package's version; a resolver may leave it out for a direct reference to an archive
    (PEP 751 allows that), whose file name says it."""
    from packaging.pylock import PackageArchive
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    if package.version is not None:
        return str(package.version)
    if isinstance(chosen, PackageArchive):
        name = (chosen.url or chosen.path or "").rstrip("/").rsplit("/", 1)[-1]
        try:
            return str(parse_wheel_filename(name)[1])
        except InvalidWheelFilename:
            return None
    return None


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
