"""Local sources, built: every local source a project reaches, as a wheel, before any index is
asked.

A source directory or sdist is built by its own build backend (``Engine.build``); a wheel file is
taken as it is. The built wheel's ``Requires-Dist`` leads on: a name with a local source (the
project's, or one the source directory's own ``[tool.uv.sources]`` or a ``file:`` reference
names) is built too, so that the index is only ever asked for the names left over. A cycle
between path dependencies is an error that names it.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from versioned_import._runtime.fs import file_digest
from versioned_import.engine import Artifact, Engine, Pick
from versioned_import.errors import LocalSourceError, ManifestError, VersionedImportError
from versioned_import.progress import Reporter, count
from versioned_import.project import Manifest
from versioned_import.project.manifest import load_toml
from versioned_import.project.sources import LocalSource, read_uv_sources, take_file_references

__all__ = ["Built", "build_local_sources"]


@dataclass(frozen=True)
class Built:
    source: LocalSource
    wheel: str
    """The wheel built from it (or the source itself, for a wheel file)."""
    name: str
    """As the wheel's METADATA spells it."""
    version: str
    requires: list[Requirement]

    def pick(self) -> Pick:
        """The pick a lock records: the source, and the wheel's sha256 the store must serve."""
        path = self.source.path
        directory = os.path.isdir(path)
        sha256 = "" if directory else file_digest(path).hex()
        size = None if directory else os.path.getsize(path)
        built = file_digest(self.wheel).hex()
        editable = self.source.editable
        artifact = Artifact(path, sha256, size, path.endswith(".whl"), built, directory, editable)
        return Pick(self.name, self.version, artifact)


def build_local_sources(
    manifest: Manifest, engine: Engine, directory: str, reporter: Reporter
) -> dict[str, Built]:
    """Build every local source ``manifest`` reaches into ``directory``; by canonical name. For
    a manifest with local sources: sync imports this module (zipfile, email, packaging's parser)
    for those alone."""
    reporter.step(f"Building {count(len(manifest.local), 'local source')}")
    builder = _Builder(manifest.local, engine, directory, reporter)
    for requirement in manifest.requirements:
        source = manifest.local.get(canonicalize_name(requirement.name))
        if source is not None and _applies(requirement, requirement.extras):
            builder.visit(source, [])
    for name, built in builder.built.items():
        _check_specifiers(manifest, name, built)
    reporter.done(f"Built {count(len(builder.built), 'local source')}")
    return builder.built


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""})


class _Builder:
    def __init__(
        self, roots: dict[str, LocalSource], engine: Engine, directory: str, reporter: Reporter
    ) -> None:
        self.roots = roots
        self.engine = engine
        self.directory = directory
        self.reporter = reporter
        self.built: dict[str, Built] = {}

    def visit(self, source: LocalSource, stack: list[LocalSource]) -> None:
        names = [s.name for s in stack]
        if source.name in names:
            cycle = " -> ".join(f"{s.name} ({s.path})" for s in stack[names.index(source.name) :])
            raise LocalSourceError(
                f"{source.where}: a cycle between path dependencies: {cycle} -> {source.name}; "
                "one of them must stop depending on the other"
            )
        if source.name in self.built:
            return
        built = self._build(source)
        own = self._own_sources(source)
        for requirement in built.requires:
            name = canonicalize_name(requirement.name)
            # The project's own sources win over those of a dependency, as in uv.
            dependency = self.roots.get(name) or own.get(name)
            if dependency is not None and _applies(requirement, set()):
                self.visit(dependency, [*stack, source])
        self.built[source.name] = built

    def _build(self, source: LocalSource) -> Built:
        wheel = source.path
        if not wheel.endswith(".whl"):
            out = tempfile.mkdtemp(prefix=f"{source.name}-", dir=self.directory)
            try:
                wheel = self.engine.build(source.path, out, self.reporter)
            except VersionedImportError as exc:
                raise LocalSourceError(f"{source.where}: {exc}") from exc
        name, version, requires = _metadata(wheel, source)
        if canonicalize_name(name) != source.name:
            raise LocalSourceError(
                f"{source.where}: {source.path} is the distribution {name}, not {source.name}; "
                "name the source after the distribution it builds"
            )
        return Built(source, wheel, name, version, requires)

    def _own_sources(self, source: LocalSource) -> dict[str, LocalSource]:
        """The sources a source directory's own ``pyproject.toml`` names, from its directory:
        its ``[tool.uv.sources]`` and the ``file:`` references among its dependencies."""
        manifest = os.path.join(source.path, "pyproject.toml")
        if not os.path.isfile(manifest):
            return {}
        data = load_toml(manifest)
        problems: list[str] = []
        found = read_uv_sources(data, manifest, problems, self.roots)
        project = data.get("project", {})
        listed = project.get("dependencies", []) if isinstance(project, dict) else []
        strings = [d for d in listed if isinstance(d, str)] if isinstance(listed, list) else []
        references = [Requirement(d) for d in strings if "@" in d and "file:" in d]
        take_file_references(references, manifest, "requirement", found, problems)
        if problems:
            raise ManifestError(manifest, problems)
        return found


def _metadata(wheel: str, source: LocalSource) -> tuple[str, str, list[Requirement]]:
    """Name, version and requirements from the METADATA of ``wheel``."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            found = [n for n in archive.namelist() if n.count("/") == 1
                     and n.endswith(".dist-info/METADATA")]  # fmt: skip
            text = archive.read(found[0]).decode("utf-8") if len(found) == 1 else ""
        metadata = HeaderParser().parsestr(text)
        requires = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, ValueError) as exc:
        raise LocalSourceError(f"{source.where}: {wheel} is not a readable wheel ({exc})") from exc
    if not metadata["Name"] or not metadata["Version"]:
        raise LocalSourceError(f"{source.where}: {wheel} has no METADATA with Name and Version")
    return metadata["Name"], metadata["Version"], requires


def _check_specifiers(manifest: Manifest, name: str, built: Built) -> None:
    """A version the project asks for must be the version its local source builds."""
    for requirement in manifest.requirements:
        if canonicalize_name(requirement.name) == name and not requirement.specifier.contains(
            built.version, prereleases=True
        ):
            raise LocalSourceError(
                f"{built.source.where}: {built.source.path} builds {name} {built.version}, but "
                f"{manifest.path} requires {requirement}"
            )
