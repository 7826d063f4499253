"""The project's own distribution, editable, as ``pip install -e .`` and ``uv sync`` give it.

A project with a ``[build-system]`` table (or ``tool.uv.package = true``, as uv decides it) is a
distribution itself. Its metadata (name, version, dependencies, entry points) is made by its own
build backend (``backend.prepare_metadata``); its code imports from its import roots, which the
hook puts on ``sys.path`` anyway, so an edit shows at once. Nothing is written into the project
(unless its backend writes there); the metadata lives in the user's cache:

    CACHE/projects/FLAVOUR/KEY/current              the current build and what it was made from
    CACHE/projects/FLAVOUR/KEY/BUILD/site/NAME-VERSION.dist-info
    CACHE/projects/FLAVOUR/KEY/BUILD/bin/SCRIPT     launchers for its console and GUI scripts

A build directory never changes once made (plans point into it): a new build gets a new one, and
``current`` is replaced atomically, which makes every cached plan of the project stale, since
``current`` is one of the plan's inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.ownrecord import (
    EDITABLE_TAG,
    editable_dist,
    inputs_hash,
    metadata_file,
    read_record,
    record_file,
    table_at,
    watched_files,
)
from versioned_import._runtime.paths import user_cache_dir
from versioned_import.backend import DEFAULT_SYSTEM, BuildSystem, prepare_metadata
from versioned_import.backend.env import restrict
from versioned_import.errors import ManifestError
from versioned_import.flock import FileLock
from versioned_import.progress import Reporter
from versioned_import.project.manifest import load_toml, parse_requirements
from versioned_import.project.pyproject import MANIFEST

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Dist

__all__ = ["EDITABLE_TAG", "Built", "OwnProject", "ensure", "read_own", "script_names"]


@dataclass(frozen=True)
class OwnProject:
    """A project that is a distribution: what builds its metadata, and from which files."""

    directory: str
    manifest: str
    system: BuildSystem
    dynamic: bool
    """The backend computes some of the metadata (``project.dynamic``, or no ``[project]``), from
    inputs that may not all be watched (a VCS): ``vimport sync`` always makes it again."""
    watched: list[str]
    """The files the metadata is made from, as far as they can be named: a change to one makes
    it again at the next start."""

    @property
    def current_file(self) -> str:
        return record_file(self.directory)


@dataclass(frozen=True)
class Built:
    dist: Dist
    rebuilt: bool
    """True when the backend ran for this call."""


def read_own(project_dir: str) -> OwnProject | None:
    """The project's own distribution, or None when the project is not one (no
    ``[build-system]`` table, or ``tool.uv.package = false``)."""
    path = os.path.join(project_dir, MANIFEST)
    data = load_toml(path)
    package = table_at(data, "tool", "uv").get("package")
    if package is not None and not isinstance(package, bool):
        raise ManifestError(path, ["tool.uv.package must be true or false"])
    table = data.get("build-system")
    if package is False or (table is None and not package):
        return None
    system = DEFAULT_SYSTEM if table is None else _build_system(path, table)
    project = data.get("project")
    return OwnProject(
        project_dir,
        path,
        system,
        dynamic=not isinstance(project, dict) or bool(project.get("dynamic")),
        watched=watched_files(project_dir, data),
    )


def _build_system(path: str, table: object) -> BuildSystem:
    problems: list[str] = []
    if not isinstance(table, dict):
        raise ManifestError(path, ["[build-system] must be a table"])
    if "requires" not in table:
        problems.append("build-system.requires is missing: list the backend's requirements")
    requires = parse_requirements(table.get("requires", []), "build-system.requires", problems)
    backend = table.get("build-backend", DEFAULT_SYSTEM.backend)
    if not isinstance(backend, str) or not backend:
        problems.append("build-system.build-backend must be a string (module:object)")
    backend_path = table.get("backend-path")
    if backend_path is not None and (
        not isinstance(backend_path, list) or not all(isinstance(p, str) for p in backend_path)
    ):
        problems.append("build-system.backend-path must be an array of strings")
    if problems:
        raise ManifestError(path, problems)
    return BuildSystem([str(r) for r in requires], backend, backend_path)


def ensure(
    own: OwnProject, reporter: Reporter, *, force: bool = False, offline: bool = False
) -> Built:
    """The project's own distribution, made by its backend unless the current build was made
    from the same inputs (and ``force`` is false); ``offline`` installs no build requirements."""
    make_dirs(os.path.dirname(own.current_file))
    inputs = inputs_hash(own.system.__dict__, own.watched)
    # Two interpreters starting at once after an edit run the backend once.
    with FileLock(f"{own.current_file}.lock"):
        current = read_record(own.current_file)
        if current is not None and current["inputs"] == inputs and not force:
            return Built(_dist(own, current), rebuilt=False)
        current = _build(own, inputs, reporter, offline)
    return Built(_dist(own, current), rebuilt=True)


def _build(own: OwnProject, inputs: str, reporter: Reporter, offline: bool) -> dict[str, str]:
    top = os.path.dirname(own.current_file)
    build = f"{os.getpid()}-{os.urandom(4).hex()}"
    site = os.path.join(top, build, "site")
    make_dirs(site)
    try:
        reporter.step(f"Preparing the metadata of {own.directory} with {own.system.backend}")
        dist_info = prepare_metadata(
            own.directory, own.system, site, reporter, own.manifest, offline=offline
        )
        _complete(own, os.path.join(site, dist_info))
        _write_launchers(os.path.join(site, dist_info), os.path.join(top, build, "bin"))
        restrict(os.path.join(top, build))
    except BaseException:
        shutil.rmtree(os.path.join(top, build), ignore_errors=True)
        raise
    current = {"inputs": inputs, "build": build, "dist_info": dist_info}
    write_atomic(own.current_file, json.dumps(current).encode())
    for name in os.listdir(top):
        if name != build and not name.startswith("current"):
            shutil.rmtree(os.path.join(top, name), ignore_errors=True)
    reporter.done(f"Prepared the metadata of {dist_info.removesuffix('.dist-info')} (editable)")
    return current


def _complete(own: OwnProject, dist_info: str) -> None:
    """What an installer adds to a backend's metadata: INSTALLER, and PEP 610's
    ``direct_url.json`` saying it is the project's directory, editable, as pip writes it."""
    from pathlib import Path

    url = Path(own.directory).resolve().as_uri()
    direct_url = {"url": url, "dir_info": {"editable": True}}
    write_atomic(os.path.join(dist_info, "INSTALLER"), b"versioned-import\n")
    write_atomic(os.path.join(dist_info, "direct_url.json"), json.dumps(direct_url).encode())


def _write_launchers(dist_info: str, bin_dir: str) -> None:
    """A launcher per console and GUI script, as installer writes them for the store's wheels,
    so ``vimport run`` and the shims find them alike."""
    from importlib.metadata import PathDistribution
    from pathlib import Path

    from installer.scripts import Script

    make_dirs(bin_dir)
    for entry in PathDistribution(Path(dist_info)).entry_points:
        if entry.group not in ("console_scripts", "gui_scripts"):
            continue
        section = "console" if entry.group == "console_scripts" else "gui"
        script = Script(entry.name, entry.module, entry.attr, section)  # type: ignore[arg-type]
        name, data = script.generate(sys.executable, "posix")
        write_atomic(os.path.join(bin_dir, name), data, 0o755)


def _dist(own: OwnProject, current: dict[str, str]) -> Dist:
    from email.parser import HeaderParser

    with open(metadata_file(own.current_file, current), encoding="utf-8") as f:
        metadata = HeaderParser().parse(f)
    name, version = metadata["Name"], metadata["Version"]
    return editable_dist(own.current_file, current, name, version, own.system.backend)


def script_names() -> set[str]:
    """The scripts of every project's own distribution this user's interpreters have seen."""
    top = os.path.join(user_cache_dir(), "projects")
    found: set[str] = set()
    for flavour in _names(top):
        for key in _names(os.path.join(top, flavour)):
            for build in _names(os.path.join(top, flavour, key)):
                found.update(_names(os.path.join(top, flavour, key, build, "bin")))
    return found


def _names(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except (NotADirectoryError, FileNotFoundError):
        return []
