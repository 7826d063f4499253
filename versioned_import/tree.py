"""A project's resolved graph: ``vimport tree`` draws it as ``uv tree`` does, and ``vimport
show`` lists every chain of requirements that leads to a distribution.

The nodes are the plan's distributions (exactly what plain ``python`` imports in the project);
the edges are the requirements their metadata declares, evaluated for this interpreter, with the
extras the graph asks of each distribution.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Dist, Plan, Scope

__all__ = ["Graph", "Node", "build", "chains", "draw", "of_plan"]

_REPEATED = " (*)"
_PRIVATE = " (private copy)"


@dataclass(frozen=True)
class Node:
    name: str
    """As its metadata spells it."""
    version: str
    requires: tuple[Requirement, ...]
    """Its Requires-Dist, all of them: ``build`` picks those that apply."""
    private: bool = False
    """A private copy: only the distributions that require it by their own range see it."""


@dataclass(frozen=True)
class Graph:
    project: str
    version: str | None
    """The project's own version, when its manifest gives one."""
    nodes: dict[str, Node]
    """By canonical name."""
    edges: dict[str, dict[str, Requirement]]
    """Canonical name (``""`` for the project) -> each distribution it requires -> the
    requirement that names it."""

    def label(self, name: str) -> str:
        if not name:
            return f"{self.project} v{self.version}" if self.version else self.project
        node = self.nodes[name]
        return f"{node.name} v{node.version}{_PRIVATE if node.private else ''}"

    def inverted(self) -> dict[str, dict[str, Requirement]]:
        found: dict[str, dict[str, Requirement]] = {name: {} for name in self.nodes}
        for parent, children in self.edges.items():
            for child, requirement in children.items():
                found[child][parent] = requirement
        return found


def of_plan(plan: Plan) -> Graph:
    """The graph of a computed plan: its distributions, from the store, and the requirements of
    the manifest it was computed from."""
    from versioned_import import project
    from versioned_import.own_dist import EDITABLE_TAG
    from versioned_import.project.pylock import read_lock
    from versioned_import.store import Entry

    lock = read_lock(project.lock_file(plan["project"]))
    manifest = project.manifest_for(plan["project"], lock.read_as() if lock else None)

    def node(dist: Dist, private: bool = False) -> Node:
        entry = Entry.read(os.path.dirname(dist["site"]))
        requires = tuple(Requirement(r) for r in entry.requires_dist)
        return Node(dist["name"], dist["version"], requires, private)

    # The project's own distribution is the root itself, not in the store.
    nodes = {d["canonical"]: node(d) for d in plan["dists"] if d["tag"] != EDITABLE_TAG}
    copies = {
        f"{d['canonical']}@{scope['prefix']}": node(d, private=True)
        for scope in plan["private"]
        for d in scope["copies"]
    }
    # A lock with no manifest requirements beside it is the list itself (as the planner has it).
    requirements = manifest.requirements or [
        Requirement(f"{n.name}=={n.version}") for n in nodes.values()
    ]
    graph = build(manifest.name, manifest.version, requirements, {**nodes, **copies})
    for scope in plan["private"]:
        _see_copies(graph, plan, scope)
    return graph


def _see_copies(graph: Graph, plan: Plan, scope: Scope) -> None:
    """Point the requirements of the distributions that see ``scope``'s copies (and of the
    copies themselves) at the copies instead of the plain distributions of those names."""
    keys = {d["canonical"]: f"{d['canonical']}@{scope['prefix']}" for d in scope["copies"]}
    seers = {
        plan["dists"][i]["canonical"]
        for name in scope["seers"]
        for i in plan["modules"].get(name, [])
    }
    for parent in seers | set(keys.values()):
        children = graph.edges.get(parent, {})
        for name, key in keys.items():
            if name in children and key != parent:
                children[key] = children.pop(name)


def build(
    project: str,
    version: str | None,
    requirements: Sequence[Requirement],
    nodes: Mapping[str, Node],
) -> Graph:
    """The graph from the project's ``requirements`` over ``nodes`` (canonical name -> node)."""
    extras: dict[str, set[str]] = {name: {""} for name in nodes}
    while True:  # a requirement with extras may switch on requirements that ask for more extras
        edges = {"": _edges(requirements, {""}, nodes)}
        edges.update(
            (name, _edges(node.requires, extras[name], nodes)) for name, node in nodes.items()
        )
        asked = [(c, set(r.extras)) for children in edges.values() for c, r in children.items()]
        grown = False
        for child, wanted in asked:
            if not wanted <= extras[child]:
                extras[child] |= wanted
                grown = True
        if not grown:
            return Graph(project, version, dict(nodes), edges)


def _edges(
    requirements: Sequence[Requirement], extras: set[str], nodes: Mapping[str, Node]
) -> dict[str, Requirement]:
    found: dict[str, Requirement] = {}
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        marker = requirement.marker
        applies = marker is None or any(marker.evaluate({"extra": e}) for e in extras)
        if applies and name in nodes and name not in found:
            found[name] = requirement
    return found


def draw(
    graph: Graph,
    *,
    depth: int = 255,
    invert: bool = False,
    package: str | None = None,
    latest: Mapping[str, str] | None = None,
) -> list[str]:
    """The lines ``uv tree`` would print: each root, then its children drawn with ``├──`` and
    ``└──``; a distribution whose subtree was already drawn gets ``(*)`` instead of it again.
    ``latest`` (canonical name -> newest version) marks the outdated ones."""
    edges = graph.inverted() if invert else graph.edges
    roots: list[str]
    if package is not None:
        roots = [canonicalize_name(package)]
    elif invert:
        roots = sorted(name for name, children in graph.edges.items() if name and not children)
    else:
        roots = [""]
    lines: list[str] = []
    seen: set[str] = set()
    for root in roots:
        lines.append(_label(graph, root, latest))
        seen.add(root)
        lines += _children(graph, edges, root, "", depth, seen, latest)
    return lines


def _children(
    graph: Graph,
    edges: Mapping[str, Mapping[str, Requirement]],
    parent: str,
    prefix: str,
    depth: int,
    seen: set[str],
    latest: Mapping[str, str] | None,
) -> Iterator[str]:
    if depth <= 0:
        return
    children = sorted(edges.get(parent, {}), key=lambda name: (name != "", name))
    for index, child in enumerate(children):
        last = index == len(children) - 1
        label = _label(graph, child, latest, edges[parent][child])
        repeated = child in seen and bool(edges.get(child))
        yield f"{prefix}{'└── ' if last else '├── '}{label}{_REPEATED if repeated else ''}"
        if not repeated:
            seen.add(child)
            inner = prefix + ("    " if last else "│   ")
            yield from _children(graph, edges, child, inner, depth - 1, seen, latest)


def _label(
    graph: Graph,
    name: str,
    latest: Mapping[str, str] | None,
    requirement: Requirement | None = None,
) -> str:
    label = graph.label(name)
    if requirement is not None and requirement.extras and name:
        node = graph.nodes[name]
        label = f"{node.name}[{','.join(sorted(requirement.extras))}] v{node.version}"
    newest = (latest or {}).get(name)
    if name and newest is not None and newest != graph.nodes[name].version:
        label += f" (latest: v{newest})"
    return label


def chains(graph: Graph, name: str, limit: int = 10) -> tuple[list[str], bool]:
    """Up to ``limit`` chains of requirements from the project to ``name``, each as
    ``app requires a -> a 1.0 requires b``; True as well when there are more."""
    up = graph.inverted()
    found: list[str] = []
    for path in _paths_up(up, canonicalize_name(name), ()):
        if len(found) == limit:
            return found, True
        found.append(_chain(graph, path))
    return found, False


def _paths_up(
    up: Mapping[str, Mapping[str, Requirement]], name: str, below: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    """Each path from the project down to ``name``, then ``below``; cycles are cut."""
    for parent in sorted(up.get(name, {}), key=lambda p: (p != "", p)):
        if parent == "":
            yield ("", name, *below)
        elif parent not in below and parent != name:
            yield from _paths_up(up, parent, (name, *below))


def _chain(graph: Graph, path: tuple[str, ...]) -> str:
    parts = []
    for parent, child in pairwise(path):
        requirement = graph.edges[parent][child]
        if parent:
            node = graph.nodes[parent]
            parts.append(f"{node.name} {node.version} requires {requirement}")
        else:
            parts.append(f"{graph.project} requires {requirement}")
    return " -> ".join(parts)
