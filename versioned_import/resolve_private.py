"""The split resolution: a conflict over a distribution the project lets split
(``[tool.vimport] private-copies``) is solved by giving the dependents whose ranges exclude the
plain version a private copy.

1. The project is resolved with the dependents' requirements on the splittable names set aside.
   The version the project's own requirements select keeps the plain name; failing that, the
   version most of the set-aside requirements accept ("hoisted").
2. Each dependent whose requirement excludes the plain version gets that requirement resolved on
   its own, every other name pinned to its plain version, so that everything else is shared.
3. Whatever in that closure has another version than the plain one, or requires (at any depth)
   something that has, is copied ("contagion"): its code must see the copy. What is new and
   sees no copy is shared, like the rest.
4. Every copy must be pure Python, since compiled code imports by plain name; where the chosen
   wheel is compiled, a pure wheel of the same version in the store is used, else the split is
   refused with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from versioned_import.errors import ResolutionError
from versioned_import.resolve import Graph, Resolved, StoreIndex, resolve_graph
from versioned_import.store import Entry, Store

__all__ = ["PREFIX", "Scope", "Split", "is_pure", "resolve_split"]

PREFIX = "_vimport_private_"
"""Private copies load as ``PREFIX<hash>.<their own name>``."""


@dataclass(frozen=True)
class Scope:
    """Private copies that load under one prefix, and the dependents that see them."""

    prefix: str
    copies: list[Resolved]
    seers: list[str]
    """Canonical names of the plain distributions whose requirements the copies satisfy."""


@dataclass(frozen=True)
class Split:
    plain: list[Resolved]
    """What every module sees by plain name, sorted by name."""
    scopes: list[Scope]


def is_pure(tag: str) -> bool:
    """A wheel tag set (``py3-none-any``) that holds no compiled code."""
    _, abis, platforms = tag.split("-")
    return set(abis.split(".")) == {"none"} and set(platforms.split(".")) == {"any"}


def resolve_split(
    requirements: Sequence[Requirement],
    store: Store,
    root: str,
    private: Collection[str],
    pins: Mapping[str, str] | None = None,
    private_pins: Mapping[str, str] | None = None,
    *,
    prefer: Mapping[str, str] | None = None,
    hashes: Mapping[str, str] | None = None,
    require_pure: bool = True,
) -> Split:
    """Resolve ``requirements`` from ``store``, splitting a conflict over the canonical names in
    ``private`` when one is unavoidable. ``pins`` fix plain versions (a lock's packages),
    ``private_pins`` the versions of copies (the lock's private copies), ``prefer`` the versions
    tried first (a stale lock's, as ``resolve_from_store``), ``hashes`` the builds admitted.
    ``require_pure=False`` lets a compiled copy through, for ``vimport sync`` to look for its
    pure wheel."""
    store.require()
    index = StoreIndex(store.entries_of, hashes or {})
    try:
        whole = resolve_graph(requirements, index, root, store.root, pins, prefer=prefer)
        return Split(whole.resolved, [])
    except ResolutionError:
        if not private:
            raise
    graph = resolve_graph(requirements, index, root, store.root, pins, prefer=prefer, drop=private)
    hoisted = _hoisted(graph, index, private)
    if hoisted:
        extra = [Requirement(f"{name}=={version}") for name, version in hoisted.items()]
        graph = resolve_graph(
            [*requirements, *extra], index, root, store.root, pins, prefer=prefer, drop=private
        )
    plain: dict[str, Resolved] = {canonicalize_name(r.entry.name): r for r in graph.resolved}
    for name, version in hoisted.items():
        accepting = _accepting(graph, name, Version(version))
        plain[name] = Resolved(
            plain[name].entry,
            f"hoisted: the version most dependents accept ({', '.join(accepting)})",
        )
    scopes: dict[str, Scope] = {}
    for dependent, wanted in _excluded(graph, plain).items():
        own = plain[dependent]
        who = f"{own.entry.name} {own.entry.version}"
        split: set[str] = {canonicalize_name(r.name) for r in wanted}
        scope_pins = {n: r.entry.version for n, r in plain.items() if n not in split}
        scope_pins.update((n, v) for n, v in (private_pins or {}).items() if n in split)
        # A lock's wheel hashes name the plain builds: the split names' copies are others.
        admitted = {n: h for n, h in (hashes or {}).items() if n not in split}
        sub_index = StoreIndex(store.entries_of, admitted)
        sub = resolve_graph(wanted, sub_index, who, store.root, scope_pins)
        copies, shared = _copies(sub, plain, store.entries_of if require_pure else None, who)
        for resolved in shared:
            plain.setdefault(canonicalize_name(resolved.entry.name), resolved)
        prefix = _prefix(copies)
        scope = scopes.setdefault(prefix, Scope(prefix, copies, []))
        scope.seers.append(dependent)
    return Split([plain[n] for n in sorted(plain)], list(scopes.values()))


def _hoisted(graph: Graph, index: StoreIndex, private: Collection[str]) -> dict[str, str]:
    """For each splittable name that only dependents require: the version most of them accept
    (the highest among equals)."""
    resolved = {canonicalize_name(r.entry.name) for r in graph.resolved}
    wanted = {canonicalize_name(r.name) for reqs in graph.dropped.values() for r in reqs}
    chosen: dict[str, str] = {}
    for name in sorted((wanted & set(private)) - resolved):
        versions = [Version(e.version) for e in index.usable(name)]
        if versions:
            best = max(versions, key=lambda v: len(_accepting(graph, name, v)))
            chosen[name] = str(best)
    return chosen


def _accepting(graph: Graph, name: str, version: Version) -> list[str]:
    return sorted(
        dependent
        for dependent, reqs in graph.dropped.items()
        for r in reqs
        if canonicalize_name(r.name) == name and r.specifier.contains(version, prereleases=True)
    )


def _excluded(graph: Graph, plain: Mapping[str, Resolved]) -> dict[str, list[Requirement]]:
    """Each dependent's set-aside requirements that the plain versions do not satisfy."""
    found: dict[str, list[Requirement]] = {}
    for dependent, reqs in sorted(graph.dropped.items()):
        for r in reqs:
            have = plain.get(canonicalize_name(r.name))
            version = Version(have.entry.version) if have else None
            if version is None or not r.specifier.contains(version, prereleases=True):
                found.setdefault(dependent, []).append(r)
    return found


def _copies(
    sub: Graph,
    plain: Mapping[str, Resolved],
    entries_of: Callable[[str], Sequence[Entry]] | None,
    who: str,
) -> tuple[list[Resolved], list[Resolved]]:
    """What of a dependent's own closure is copied (with pure wheels from ``entries_of``, a
    name's entries; None takes the chosen wheels as they are), and what is shared."""
    diverged: set[str] = {
        name
        for r in sub.resolved
        if (name := canonicalize_name(r.entry.name)) in plain
        and plain[name].entry.version != r.entry.version
    }
    tainted, queue = set(diverged), list(diverged)
    while queue:  # contagion: whatever requires a copy must see it, so it is copied too
        for parent in sub.dependents.get(queue.pop(), ()):
            if parent not in tainted:
                tainted.add(parent)
                queue.append(parent)
    copies, shared = [], []
    for resolved in sub.resolved:
        name = canonicalize_name(resolved.entry.name)
        if name not in tainted:
            shared.append(resolved)
            continue
        entry = (
            resolved.entry if entries_of is None else _pure_entry(resolved.entry, entries_of, who)
        )
        kept = plain.get(name)
        why = f"private copy: {resolved.why}"
        if kept is not None and name in diverged:
            why += f"; {kept.entry.name} {kept.entry.version} keeps the plain name ({kept.why})"
        elif kept is not None:
            why += f"; copied with {', '.join(sorted(diverged))}, whose copy it must see"
        copies.append(Resolved(entry, why))
    return copies, shared


def _pure_entry(entry: Entry, entries_of: Callable[[str], Sequence[Entry]], who: str) -> Entry:
    if is_pure(entry.tag):
        return entry
    name = canonicalize_name(entry.name)
    for other in entries_of(name):
        if other.version == entry.version and is_pure(other.tag):
            return other
    raise ResolutionError(
        f"{entry.name} {entry.version} cannot be a private copy for {who}: its wheel "
        f"[{entry.tag}] holds compiled code, which imports by plain name and would see the "
        f"other version, and no pure-Python (py3-none-any) wheel of {entry.name} "
        f"{entry.version} exists; remove {name} from private-copies in [tool.vimport] and "
        "choose versions that agree"
    )


def _prefix(copies: Sequence[Resolved]) -> str:
    """The same copies get the same prefix in every process, so pickles of their objects load
    in children."""
    text = "\n".join(sorted(f"{r.entry.key}" for r in copies))
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()[:12]
