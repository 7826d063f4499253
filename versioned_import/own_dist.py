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

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from versioned_import import __version__
from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.paths import user_cache_dir
from versioned_import.backend import DEFAULT_SYSTEM, BuildSystem, prepare_metadata
from versioned_import.backend.env import build_envs_dir, restrict
from versioned_import.errors import ManifestError
from versioned_import.progress import Reporter
from versioned_import.project.manifest import load_toml, parse_requirements
from versioned_import.project.pyproject import MANIFEST

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Dist

__all__ = ["EDITABLE_TAG", "Built", "OwnProject", "ensure", "read_own", "script_names"]

EDITABLE_TAG = "editable"
"""The ``tag`` of the project's own distribution in a plan (store entries have wheel tags)."""
_ALWAYS_WATCHED = (MANIFEST, "setup.py", "setup.cfg")


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
        key = hashlib.sha256(self.directory.encode("utf-8", "surrogateescape")).hexdigest()[:20]
        flavour = os.path.basename(build_envs_dir())
        return os.path.join(user_cache_dir(), "projects", flavour, key, "current")


@dataclass(frozen=True)
class Built:
    dist: Dist
    rebuilt: bool
    """True when the backend ran for this call."""


def _table(data: object, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def read_own(project_dir: str) -> OwnProject | None:
    """The project's own distribution, or None when the project is not one (no
    ``[build-system]`` table, or ``tool.uv.package = false``)."""
    path = os.path.join(project_dir, MANIFEST)
    data = load_toml(path)
    package = _table(data, "tool", "uv").get("package")
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
        watched=[
            *(os.path.join(project_dir, name) for name in _ALWAYS_WATCHED),
            *_version_files(project_dir, data),
        ],
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


def _version_files(project_dir: str, data: dict[str, Any]) -> list[str]:
    """The file a backend reads the version from, where the manifest names it: hatch's and
    pdm's ``path``, setuptools' ``version = {attr | file}``. A version from a VCS is not here."""
    names = []
    for table in (_table(data, "tool", "hatch", "version"), _table(data, "tool", "pdm", "version")):
        if isinstance(table.get("path"), str):
            names.append(table["path"])
    setuptools = _table(data, "tool", "setuptools")
    version = _table(setuptools, "dynamic").get("version")
    if isinstance(version, dict):
        files = version.get("file", [])
        files = [files] if isinstance(files, str) else files if isinstance(files, list) else []
        names += [f for f in files if isinstance(f, str)]
        if isinstance(version.get("attr"), str):
            root = _table(setuptools, "package-dir").get("", "")
            names += _module_files(project_dir, version["attr"], root)
    return [os.path.join(project_dir, name) for name in names]


def _module_files(project_dir: str, attr: str, package_root: object) -> list[str]:
    """The files that ``module.attribute`` may be read from, relative to the project."""
    parts = attr.split(".")[:-1]
    if not parts:
        return []
    roots = [package_root] if isinstance(package_root, str) and package_root else ["src", ""]
    candidates = [
        candidate
        for root in roots
        for candidate in (
            os.path.join(root, *parts, "__init__.py"),
            os.path.join(root, *parts[:-1], f"{parts[-1]}.py"),
        )
    ]
    return [c for c in candidates if os.path.isfile(os.path.join(project_dir, c))]


def _inputs_hash(own: OwnProject) -> str:
    digest = hashlib.sha256(json.dumps([__version__, own.system.__dict__]).encode())
    for path in own.watched:
        try:
            with open(path, "rb") as f:
                content = f.read()
        except OSError:
            content = b"\0absent"
        digest.update(f"\0{path}\0{len(content)}\0".encode("utf-8", "surrogateescape"))
        digest.update(content)
    return digest.hexdigest()


def ensure(
    own: OwnProject, reporter: Reporter, *, force: bool = False, offline: bool = False
) -> Built:
    """The project's own distribution, made by its backend unless the current build was made
    from the same inputs (and ``force`` is false); ``offline`` installs no build requirements."""
    import filelock

    make_dirs(os.path.dirname(own.current_file))
    inputs = _inputs_hash(own)
    # Two interpreters starting at once after an edit run the backend once.
    with filelock.FileLock(f"{own.current_file}.lock", mode=0o644):
        current = _read_current(own)
        if current is not None and current["inputs"] == inputs and not force:
            return Built(_dist(own, current), rebuilt=False)
        current = _build(own, inputs, reporter, offline)
    return Built(_dist(own, current), rebuilt=True)


def _read_current(own: OwnProject) -> dict[str, str] | None:
    try:
        with open(own.current_file, encoding="utf-8") as f:
            current: dict[str, str] = json.load(f)
    except (OSError, ValueError):
        return None
    site = os.path.join(os.path.dirname(own.current_file), current.get("build", ""), "site")
    return current if os.path.isdir(os.path.join(site, current.get("dist_info", ""))) else None


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

    from packaging.utils import canonicalize_name

    site = os.path.join(os.path.dirname(own.current_file), current["build"], "site")
    with open(os.path.join(site, current["dist_info"], "METADATA"), encoding="utf-8") as f:
        metadata = HeaderParser().parse(f)
    return {
        "name": metadata["Name"],
        "canonical": canonicalize_name(metadata["Name"]),
        "version": metadata["Version"],
        "tag": EDITABLE_TAG,
        "site": site,
        "dist_info": current["dist_info"],
        "why": f"the project itself, editable (metadata by {own.system.backend})",
    }


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
