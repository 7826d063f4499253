"""The lock: a PEP 751 ``pylock.toml``, read and written with ``packaging.pylock``.

A lock written here records, in ``[tool.vimport]``, a hash of the requirements it was made from,
so the runtime can tell a fresh lock from a stale one. A lock written by another tool (``pip
lock``, ``uv export``, pdm) carries no such hash and is taken as it is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from versioned_import._runtime.fs import write_atomic
from versioned_import._runtime.quickplan import lock_environment
from versioned_import.engine import Artifact, Pick
from versioned_import.engine.lockfile import UnusableLock, picks_from_pylock
from versioned_import.errors import ManifestError
from versioned_import.project.manifest import Manifest, Selection, load_toml

if TYPE_CHECKING:
    from packaging.pylock import Package
    from packaging.utils import NormalizedName
    from packaging.version import Version

__all__ = ["Lock", "PrivateCopy", "read_lock", "write_lock"]


@dataclass(frozen=True)
class PrivateCopy:
    """A second version of a distribution, loaded under a private name for ``seen_by``."""

    pick: Pick
    seen_by: list[str]
    """Canonical names of the dependents it was resolved for."""


@dataclass(frozen=True)
class Lock:
    path: str
    packages: list[Pick]
    """The packages this interpreter installs from the lock, after markers and tags."""
    inputs: str | None
    """The hash of the requirements it was made from; None for a lock another tool wrote."""
    groups: list[str]
    """The dependency groups it was made with (its ``default-groups``)."""
    requirements: list[str] | None = None
    """The requirements it was made from, as written; None when it does not say."""
    requires_python: str | None = None
    selection: Selection | None = None
    """What the sync that wrote it asked for (``--group``, ``--no-dev``...); None when it does
    not say (another tool's lock, or an older one)."""
    private: list[PrivateCopy] = field(default_factory=list)
    """Private copies, from ``[tool.vimport] private-copies`` of the lock."""

    def read_as(self) -> Selection:
        """How to read the manifest as the sync that wrote this lock did. Another tool's lock
        lists its groups; the manifest's defaults are not added to them."""
        if self.selection is not None:
            return self.selection
        return Selection(groups=tuple(self.groups), no_default_groups=self.inputs is None)

    def fresh_for(self, manifest: Manifest) -> bool:
        return self.inputs is None or self.inputs == manifest.inputs_hash()

    def differences(self, manifest: Manifest) -> list[str]:
        """What changed in ``manifest`` since this lock was made from it; empty when fresh."""
        if self.fresh_for(manifest):
            return []
        if self.requirements is None:
            return [f"{manifest.path} changed after the lock was written"]
        now = sorted(str(r) for r in manifest.requirements)
        found = [f"{r} added" for r in now if r not in self.requirements]
        found += [f"{r} removed" for r in self.requirements if r not in now]
        if manifest.requires_python != self.requires_python:
            found.append(
                f"requires-python {self.requires_python!r} is now {manifest.requires_python!r}"
            )
        return found or [f"{manifest.path} changed after the lock was written"]

    def private_pins(self) -> dict[str, str]:
        from packaging.utils import canonicalize_name

        return {canonicalize_name(p.pick.name): p.pick.version for p in self.private}

    def pins(self) -> dict[str, str]:
        from packaging.utils import canonicalize_name

        return {canonicalize_name(p.name): p.version for p in self.packages}

    def hashes(self) -> dict[str, str]:
        """Canonical name to the sha256 of the wheel the store must serve for it, where the
        lock knows that wheel: a wheel file, or the wheel built from a local source. (An sdist
        from an index is built anew by each installer, so no wheel hash can be locked.)"""
        from packaging.utils import canonicalize_name

        found: dict[str, str] = {}
        for pick in self.packages:
            artifact = pick.artifact
            wheel_sha256 = artifact.built_sha256 or (artifact.sha256 if artifact.is_wheel else "")
            if wheel_sha256:
                found[canonicalize_name(pick.name)] = wheel_sha256
        return found

    def local(self) -> list[Pick]:
        """The packages built from local sources."""
        return [p for p in self.packages if p.artifact.built_sha256]


def read_lock(path: str) -> Lock | None:
    """The lock at ``path`` as selected for this interpreter, or None when there is none."""
    if not os.path.exists(path):
        return None  # before importing packaging.pylock: ~6 ms of every plan without a lock
    data = load_toml(path)
    try:
        packages, pylock = picks_from_pylock(data, os.path.dirname(path))
    except UnusableLock as exc:
        raise ManifestError(path, [f"{exc}; write it again"]) from exc
    tool = (pylock.tool or {}).get("vimport", {})
    tool = tool if isinstance(tool, dict) else {}
    requirements = tool.get("requirements")
    return Lock(
        path,
        packages,
        tool.get("inputs"),
        list(pylock.default_groups or []),
        requirements if isinstance(requirements, list) else None,
        tool.get("requires-python"),
        Selection.from_toml(tool.get("selection")),
        _read_private(tool.get("private-copies", []), path),
    )


def _read_private(items: object, path: str) -> list[PrivateCopy]:
    """``[[tool.vimport.private-copies]]``: name, version, seen-by, and one wheel (PEP 751's
    wheel fields)."""
    found = []
    try:
        assert isinstance(items, list)
        for item in items:
            wheel = item["wheel"]
            location = wheel.get("url") or os.path.join(os.path.dirname(path), wheel["path"])
            artifact = Artifact(location, wheel["hashes"]["sha256"], wheel.get("size"), True)
            pick = Pick(str(item["name"]), str(item["version"]), artifact)
            found.append(PrivateCopy(pick, [str(s) for s in item["seen-by"]]))
    except (AssertionError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(
            path, [f"tool.vimport.private-copies is damaged ({exc!r}); delete the lock and sync"]
        ) from exc
    return found


def write_lock(
    manifest: Manifest, packages: list[Pick], private: Sequence[PrivateCopy] = ()
) -> None:
    """Write the lock of ``manifest`` for this interpreter, atomically. ``private`` copies go
    to the ``[tool.vimport]`` table: ``packages`` may hold a name once per environment."""
    import tomli_w
    from packaging.markers import Marker
    from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    entries = []
    for locked in sorted(packages, key=lambda p: canonicalize_name(p.name)):
        artifact = locked.artifact
        name, version = canonicalize_name(locked.name), Version(locked.version)
        if artifact.built_sha256:
            entries.append(_local_package(manifest, name, version, artifact))
            continue
        fields: dict[str, Any] = {"hashes": {"sha256": artifact.sha256}, "size": artifact.size}
        fields["url" if "://" in artifact.location else "path"] = artifact.location
        if artifact.is_wheel:
            wheels = [PackageWheel(name=artifact.filename, **fields)]
            entries.append(Package(name=name, version=version, wheels=wheels))
        else:
            sdist = PackageSdist(name=artifact.filename, **fields)
            entries.append(Package(name=name, version=version, sdist=sdist))
    pylock = Pylock(
        lock_version=Version("1.0"),
        environments=[Marker(lock_environment())],
        requires_python=SpecifierSet(manifest.requires_python)
        if manifest.requires_python
        else None,
        extras=[canonicalize_name(e) for e in manifest.selection.get("extras", [])],
        dependency_groups=manifest.selection.get("groups", []),
        default_groups=manifest.selection.get("groups", []),
        created_by="versioned-import",
        packages=entries,
        tool={"vimport": _made_from(manifest, private)},
    )
    write_atomic(manifest.lock, tomli_w.dumps(pylock.to_dict()).encode(), durable=True)


def _made_from(manifest: Manifest, private: Sequence[PrivateCopy]) -> dict[str, Any]:
    """What the lock records of its inputs: their hash, and the requirements themselves, so a
    stale lock can say what differs; and the private copies."""
    made_from: dict[str, Any] = {
        "inputs": manifest.inputs_hash(),
        "requirements": sorted(str(r) for r in manifest.requirements),
        "selection": manifest.asked.as_toml(),
    }
    if manifest.requires_python is not None:
        made_from["requires-python"] = manifest.requires_python
    if private:
        from packaging.utils import canonicalize_name

        made_from["private-copies"] = [
            {
                "name": canonicalize_name(p.pick.name),
                "version": p.pick.version,
                "seen-by": p.seen_by,
                "wheel": _wheel_table(p.pick.artifact),
            }
            for p in sorted(private, key=lambda p: (canonicalize_name(p.pick.name), p.seen_by))
        ]
    return made_from


def _local_package(
    manifest: Manifest, name: NormalizedName, version: Version, artifact: Artifact
) -> Package:
    """A package built from a local source: a PEP 751 ``directory`` or ``archive``, its path
    relative to the lock, and the sha256 of the wheel built from it in ``[tool.vimport]``."""
    from packaging.pylock import Package, PackageArchive, PackageDirectory

    path = os.path.relpath(artifact.location, os.path.dirname(manifest.lock))
    tool = {"vimport": {"wheel-sha256": artifact.built_sha256}}
    if artifact.directory:
        directory = PackageDirectory(path=path, editable=artifact.editable)
        return Package(name=name, version=version, directory=directory, tool=tool)
    hashes = {"sha256": artifact.sha256}
    archive = PackageArchive(path=path, size=artifact.size, hashes=hashes)
    return Package(name=name, version=version, archive=archive, tool=tool)


def _wheel_table(artifact: Artifact) -> dict[str, Any]:
    where = "url" if "://" in artifact.location else "path"
    table: dict[str, Any] = {"name": artifact.filename, where: artifact.location}
    if artifact.size is not None:
        table["size"] = artifact.size
    table["hashes"] = {"sha256": artifact.sha256}
    return table
