"""Planning a pinned project in its own process, with the standard library alone.

A new project's first run used to start a child interpreter to plan it (~100-200 ms: the child
imports TOML, ``packaging`` and the resolver). When every version is already decided — each
requirement is an exact pin (``name==1.2``), or the project's ``pylock.toml`` is fresh — there
is nothing to resolve: the plan is the pinned entries, read from the store. This module builds
that plan here, and gives up (``None``) on anything it cannot answer exactly as the full planner
(``versioned_import.planner``) would: sources, workspaces, private copies, extras, a stale or
foreign lock, a name the pins leave open, a requirement the pins do not satisfy (the full planner
words the error), a marker or version outside ``pep508``'s subset, a project that is its own
distribution whose metadata must be built first (``ownrecord``: most packaged projects have it
built already, by ``vimport sync`` or an earlier start).

The interpreter's wheel tags and marker environment come from ``packaging`` through a record
(``plan.interpreter_file``) that ``vimport hook install`` and the full planner write: without
one, every plan is computed in full. Nothing here imports more than ``os``, ``sys`` and
``marshal`` (and ``sysconfig``, ~0.4 ms, for a project that is its own distribution): ``re``,
``json``, ``tomllib`` and ``hashlib`` cost more to import here (~25 ms) than the planning itself.
"""

import marshal
import os
import sys

from versioned_import import __version__
from versioned_import._runtime.fs import sha256_hex
from versioned_import._runtime.minijson import loads, quote
from versioned_import._runtime.minitoml import loads as loads_toml
from versioned_import._runtime.ownrecord import (
    fresh_dist,
    quick_system,
    record_file,
    watched_files,
)
from versioned_import._runtime.paths import LOCK, MANIFEST, import_roots
from versioned_import._runtime.pep508 import (
    Unsure,
    canonical_name,
    contains,
    evaluate,
    parse_requirement,
    version_key,
)
from versioned_import._runtime.plan import FORMAT, interpreter_file, signature
from versioned_import._runtime.roots import add_root
from versioned_import._runtime.storelayout import (
    ENTRY_FILE,
    SITE_DIR,
    generation_file,
    name_entry_dirs,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from versioned_import._runtime.pep508 import Requirement
    from versioned_import._runtime.plan import Dist, Plan

__all__ = [
    "interpreter_key",
    "interpreter_record",
    "lock_environment",
    "plain_requirements",
    "plan_pinned",
]

_TOOL_KEYS = {"system-site-packages"}
"""The ``[tool.vimport]`` keys planned here; any other sends the project to the full planner."""


def plan_pinned(project: str, store: str) -> "tuple[Plan | None, str]":
    """The plan of ``project`` when its versions are all pinned, and the project remembered as
    a root of the store; else None and why not."""
    try:
        plan = _plan(project, store)
    except Unsure as exc:
        return None, str(exc)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ImportError) as exc:
        return None, repr(exc)
    add_root(store, project)
    return plan, ""


def plain_requirements(project: str) -> "list[str] | None":
    """The requirement lines of ``project`` when it has no lock yet and a manifest as plain as
    planned here (no sources, workspace, direct references, or groups but ``dev``); None
    otherwise, and for a script. What a first ``vimport sync`` starts resolving before it reads
    the manifest in full, which then decides whether the answer is the one it needs."""
    if not os.path.isdir(project) or os.path.exists(os.path.join(project, LOCK)):
        return None
    try:
        data = _read_toml(os.path.join(project, MANIFEST))
        _vimport_table(data)
        lines = _requirement_lines(data, data.get("project", {}))
        for line in lines:  # a line it cannot read is left to sync to word
            parse_requirement(line)
    except (Unsure, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    # A direct reference may be a local source, which sync builds before asking the index.
    return None if any("@" in line for line in lines) else lines


def lock_environment() -> str:
    """The ``environments`` marker of a lock written here: same Python, same platform."""
    version = ".".join(map(str, sys.version_info[:2]))
    return (
        f'implementation_name == "{sys.implementation.name}" and python_version == "{version}" '
        f'and sys_platform == "{sys.platform}" and platform_machine == "{_machine()}"'
    )


def _machine() -> str:
    """``platform.machine()``, which is ``os.uname().machine`` where there is one: ``platform``
    imports ``re``."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def _plan(project: str, store: str) -> "Plan":
    if not os.path.isdir(project):
        raise Unsure("a script")
    manifest, lock = os.path.join(project, MANIFEST), os.path.join(project, LOCK)
    # Taken first, as the full planner does: a change made meanwhile leaves the plan stale.
    inputs = signature([manifest, lock, os.path.join(project, "src"), generation_file(store)])
    data = _read_toml(manifest)
    table = _vimport_table(data)
    meta = data.get("project", {})
    name = meta["name"] if isinstance(meta.get("name"), str) else os.path.basename(project)
    requirements = [parse_requirement(text) for text in _requirement_lines(data, meta)]
    requires_python = meta.get("requires-python")
    if requires_python is not None and not _python_ok(requires_python):
        raise Unsure("requires-python excludes this interpreter")
    record = interpreter_record()
    if record is None:
        raise Unsure("no record of this interpreter's tags yet (or the interpreter changed since)")
    environment = record["environment"]
    wanted = [r for r in requirements if r.marker is None or evaluate(r.marker, environment)]
    if os.path.exists(lock):
        pins, hashes = _read_lock(lock, _inputs_hash(requirements, requires_python))
        locked = f" [locked in {LOCK}]"
    else:
        pins, hashes, locked = _exact_pins(wanted), {}, ""
    graph = _Graph(store, pins, hashes if locked else None, record["tags"], environment)
    graph.walk(wanted)
    plan: Plan = {
        "format": FORMAT,
        "tool": __version__,
        "project": project,
        "store": store,
        "inputs": inputs,
        "active": True,
        "error": None,
        "notices": [],
        "warnings": [],
        "manifest": manifest,
        "system_site": table.get("system-site-packages", False),
        "paths": import_roots(project),
        "dists": [],
        "modules": {},
        "pth": [],
        "private": [],
    }
    for index, canonical in enumerate(sorted(graph.entries)):
        entry = graph.entries[canonical]
        plan["dists"].append(_dist(entry, graph.why(canonical, name) + locked))
        for top in entry["top_level"]:
            plan["modules"].setdefault(top, []).append(index)
        plan["pth"].extend((entry["site"], pth) for pth in entry["pth_files"])
    _add_own(plan, project, data)
    return plan


def _add_own(plan: "Plan", project: str, data: "dict[str, Any]") -> None:
    """The project's own distribution, as ``planner._add_own`` adds it when its metadata needs
    no build; ``Unsure`` when it does (the full planner runs the backend)."""
    system = quick_system(data)
    if system is None:
        return
    watched = watched_files(project, data)
    known = {i[0] for i in plan["inputs"]}
    record = record_file(project)
    # Taken before the files are hashed and the record read: a change meanwhile leaves the plan
    # stale, so the next start plans again.
    inputs = [*signature([p for p in watched if p not in known]), *signature([record])]
    plan["dists"].append(fresh_dist(record, system, watched))
    plan["inputs"] += inputs


def _read_toml(path: str) -> "dict[str, Any]":
    with open(path, encoding="utf-8") as f:
        return loads_toml(f.read())


def _vimport_table(data: "dict[str, Any]") -> "dict[str, Any]":
    """``[tool.vimport]``, when nothing in the manifest asks for more than pins."""
    tool = data.get("tool", {})
    table = tool.get("vimport")
    if not isinstance(table, dict) or set(table) - _TOOL_KEYS:
        raise Unsure("tool.vimport asks for more than pins")
    if not isinstance(table.get("system-site-packages", False), bool):
        raise Unsure("tool.vimport.system-site-packages is not a boolean")
    # uv's table holds sources or a workspace, which need the full planner; `package` is read
    # with the build system (`_add_own`).
    uv = tool.get("uv", {})
    if not isinstance(uv, dict) or set(uv) - {"package"}:
        raise Unsure("tool.uv holds sources, a workspace or other settings")
    return table


def _requirement_lines(data: "dict[str, Any]", meta: "dict[str, Any]") -> "list[str]":
    """``project.dependencies``, then the ``dev`` group, which is chosen when it is defined."""
    groups = data.get("dependency-groups", {})
    if sum(canonical_name(group) == "dev" for group in groups) > int("dev" in groups):
        raise Unsure("a group whose name means dev but is not spelled so")
    lines = [*meta.get("dependencies", []), *groups.get("dev", [])]
    if not all(isinstance(line, str) for line in lines):
        raise Unsure("a requirement that is not a string (an included group)")
    return lines


_PYTHON_OK: "dict[str, bool]" = {}


def _python_ok(specifiers: str) -> bool:
    """Whether this interpreter satisfies a ``Requires-Python``; most entries share a few."""
    if specifiers not in _PYTHON_OK:
        running = ".".join(map(str, sys.version_info[:3]))
        parsed = parse_requirement(f"python{specifiers}").specifiers
        _PYTHON_OK[specifiers] = all(contains(op, version, running) for op, version in parsed)
    return _PYTHON_OK[specifiers]


def _inputs_hash(requirements: "list[Requirement]", requires_python: "str | None") -> str:
    """What a lock made from these requirements records (``Manifest.inputs_hash``)."""
    # json.dumps({"requirements": [...], "requires-python": ...}, sort_keys=True), spelled out.
    listed = ", ".join(quote(r.text()) for r in sorted(requirements, key=lambda r: r.text()))
    python = "null" if requires_python is None else quote(requires_python)
    text = f'{{"requirements": [{listed}], "requires-python": {python}}}'
    return sha256_hex(text.encode())


def interpreter_record() -> "dict[str, Any] | None":
    """What was recorded of this interpreter (tag ranks, marker environment), or None: nothing
    is, or the record is of what the interpreter, the tool or the C library was before."""
    try:
        with open(interpreter_file(), "rb") as f:
            record: dict[str, Any] = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return record if isinstance(record, dict) and record.get("key") == interpreter_key() else None


def interpreter_key() -> "list[str]":
    """What the recorded tags and environment depend on: the interpreter and the C library."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else ""
    return [sys.executable, sys.version, __version__, str(libc)]


def _read_lock(path: str, made_from: str) -> "tuple[dict[str, str], dict[str, str]]":
    """Pins and wheel hashes of a fresh lock written by this tool for this interpreter."""
    data = _read_toml(path)
    tool = data.get("tool", {}).get("vimport", {})
    if tool.get("inputs") != made_from:
        raise Unsure("the lock is stale, or another tool's")
    if set(tool) - {"inputs", "requirements", "selection", "requires-python"}:
        raise Unsure("the lock holds private copies")
    if any(tool.get("selection", {}).values()):
        raise Unsure("the lock was made with another selection of groups")
    if data.get("environments") != [lock_environment()]:
        raise Unsure("the lock was made for another interpreter")
    pins, hashes = {}, {}
    for package in data.get("packages", []):
        if set(package) - {"name", "version", "wheels", "sdist"}:
            raise Unsure(f"lock entry {package.get('name')!r} is local, or has a marker")
        canonical = canonical_name(package["name"])
        pins[canonical] = package["version"]
        wheels = package.get("wheels", [])
        if len(wheels) > 1:
            raise Unsure(f"lock entry {canonical!r} has several wheels")
        if wheels:
            hashes[canonical] = wheels[0]["hashes"]["sha256"]
    return pins, hashes


def _exact_pins(wanted: "list[Requirement]") -> "dict[str, str]":
    pins = {}
    for requirement in wanted:
        if len(requirement.specifiers) != 1 or requirement.specifiers[0][0] != "==":
            raise Unsure(f"{requirement.text()} is not an exact pin")
        pins[canonical_name(requirement.name)] = requirement.specifiers[0][1]
    return pins


class _Graph:
    """The pinned entries the requirements reach, breadth first, and the edges between them."""

    def __init__(
        self,
        store: str,
        pins: "dict[str, str]",
        hashes: "dict[str, str] | None",
        tags: "dict[str, int]",
        environment: "dict[str, str]",
    ) -> None:
        self.store = store
        self.pins = pins
        self.hashes = hashes
        """From a lock, which pins version strings; None when the manifest's ``==`` pin."""
        self.tags = tags
        self.environment = environment
        self.entries: dict[str, dict[str, Any]] = {}
        self.depth: dict[str, int] = {}
        self.edges: dict[str, list[tuple[str | None, Requirement]]] = {}
        """Canonical name -> (the dependent, or None for the root; its requirement)."""

    def walk(self, wanted: "list[Requirement]") -> None:
        frontier = self._add_edges(None, wanted)
        while frontier:
            found = []
            for canonical in frontier:
                entry = self.entries[canonical] = self._entry(canonical)
                found += self._add_edges(canonical, self._dependencies(entry))
            frontier = found
        for canonical, edges in self.edges.items():
            version = self.entries[canonical]["version"]
            for _, requirement in edges:
                if not all(contains(op, v, version) for op, v in requirement.specifiers):
                    raise Unsure(f"{requirement.text()} is not satisfied by the pins")

    def _add_edges(self, parent: "str | None", requirements: "list[Requirement]") -> "list[str]":
        """Record ``parent``'s requirements; the names first reached through them."""
        named: set[str] = set()
        new = []
        for requirement in requirements:
            canonical = canonical_name(requirement.name)
            if requirement.extras or canonical in named:
                raise Unsure(f"{requirement.text()}: extras, or a name required twice")
            named.add(canonical)
            self.edges.setdefault(canonical, []).append((parent, requirement))
            if canonical not in self.depth:
                self.depth[canonical] = 0 if parent is None else self.depth[parent] + 1
                new.append(canonical)
        return new

    def _dependencies(self, entry: "dict[str, Any]") -> "list[Requirement]":
        found = []
        for line in entry["requires_dist"]:
            requirement = parse_requirement(line)
            if requirement.marker is None or evaluate(requirement.marker, self.environment):
                found.append(requirement)
        return found

    def _entry(self, canonical: str) -> "dict[str, Any]":
        """The entry of the pinned version with the best tag (``resolve.StoreIndex``)."""
        if canonical not in self.pins:
            raise Unsure(f"{canonical} is not pinned")
        pin = self.pins[canonical]
        best: tuple[int, dict[str, Any]] | None = None
        versions = set()
        for (version, tag), path in name_entry_dirs(self.store, canonical).items():
            with open(os.path.join(path, ENTRY_FILE), encoding="utf-8") as f:
                entry: dict[str, Any] = loads(f.read())  # type: ignore[assignment]
            score = self._score(entry["tag"])
            if score is None or not self._usable(canonical, entry, tag):
                continue
            versions.add(entry["version"])
            if best is None or score < best[0]:
                entry.update(canonical=canonical, key_version=version, key_tag=tag)
                entry["site"] = os.path.join(path, SITE_DIR)
                best = (score, entry)
        if best is None or len(versions) > 1:
            raise Unsure(f"no single usable entry of {canonical} {pin}")
        version_key(best[1]["version"])  # the chains print it as packaging would: canonical
        return best[1]

    def _usable(self, canonical: str, entry: "dict[str, Any]", tag: str) -> bool:
        pin, version = self.pins[canonical], entry["version"]
        # A lock pins the version string itself; a manifest's `==` compares versions.
        if not (version == pin if self.hashes is not None else contains("==", pin, version)):
            return False
        if entry["requires_python"] is not None and not _python_ok(entry["requires_python"]):
            return False
        sha256 = self.hashes.get(canonical) if self.hashes is not None else None
        # An entry kept by its content (built from local files) is served only by its hash.
        return bool(entry["sha256"] == sha256 if sha256 is not None else tag == entry["tag"])

    def _score(self, tag: str) -> "int | None":
        interpreters, abis, platforms = (part.split(".") for part in tag.lower().split("-"))
        ranks = [
            self.tags[f"{i}-{a}-{p}"]
            for i in interpreters
            for a in abis
            for p in platforms
            if f"{i}-{a}-{p}" in self.tags
        ]
        return min(ranks) if ranks else None

    def why(self, canonical: str, root: str) -> str:
        """The shortest requirement chain from the root; among dependents at one depth, the
        first by name (``resolve._Chains`` follows the same rule)."""
        edges = self.edges[canonical]
        direct = [r for parent, r in edges if parent is None]
        if direct:
            return f"{root} requires {direct[0].text()}"
        parent, requirement = min(
            ((p, r) for p, r in edges if p is not None), key=lambda e: (self.depth[e[0]], e[0])
        )
        entry = self.entries[parent]
        return f"{self.why(parent, root)} -> {entry['name']} {entry['version']} requires " + (
            requirement.text()
        )


def _dist(entry: "dict[str, Any]", why: str) -> "Dist":
    return {
        "name": entry["name"],
        "canonical": entry["canonical"],
        "version": entry["key_version"],
        "tag": entry["key_tag"],
        "site": entry["site"],
        "dist_info": entry["dist_info"],
        "why": why,
    }
