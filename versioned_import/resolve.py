"""Resolution: a project's requirements against what the store holds (``backtracking``).

Markers and extras are evaluated for the running interpreter, the highest satisfying version is
preferred, and for each version the entry whose wheel tag suits this interpreter best is used.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, parse_tag, sys_tags
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from versioned_import import backtracking
from versioned_import.errors import ResolutionError, split_hint
from versioned_import.store import Entry, Store

__all__ = [
    "Graph",
    "Resolved",
    "StoreIndex",
    "resolve_from_store",
    "resolve_graph",
    "usable_entries",
]

_PYTHON_VERSION = ".".join(map(str, sys.version_info[:3]))


@dataclass(frozen=True)
class Resolved:
    """One distribution of a resolution and the chain of requirements that selected it."""

    entry: Entry
    why: str


@dataclass(frozen=True)
class _Candidate:
    entry: Entry
    version: Version
    extras: frozenset[str]

    @cached_property
    def name(self) -> NormalizedName:
        return canonicalize_name(self.entry.name)

    @cached_property
    def identifier(self) -> str:
        return _identify(self.name, self.extras)

    def dependencies(self) -> list[Requirement]:
        # A candidate with extras pins its own base version, so both resolve to one entry.
        found = [_requirement(f"{self.name}=={self.version}")] if self.extras else []
        for text in self.entry.requires_dist:
            requirement = _requirement(text)
            if _applies(requirement, self.extras or frozenset({""})):
                found.append(requirement)
        return found


_Information = backtracking.Information[Requirement, "_Candidate"]


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({"extra": extra}) for extra in extras)


def _identify(name: str, extras: Iterable[str]) -> str:
    extras = sorted(canonicalize_name(e) for e in extras)
    return f"{canonicalize_name(name)}[{','.join(extras)}]" if extras else canonicalize_name(name)


class StoreIndex:
    """The store's entries usable by this interpreter, by name, best version first.

    A name's entries are read the first time the resolver asks for that name: planning reads
    the entries of the names its resolution meets, never the whole store, so it costs the same
    against a store of thirty entries as against one of ten thousand. ``hashes`` (canonical
    name to a wheel's sha256, from a lock) admit only the entry of that content for a name. An
    entry kept by its content (a wheel built from local files) is admitted only that way: no
    lock naming it, no use."""

    def __init__(
        self, entries_of: Callable[[str], Sequence[Entry]], hashes: Mapping[str, str]
    ) -> None:
        self._entries_of = entries_of
        self._hashes = hashes
        self._usable: dict[str, list[Entry]] = {}
        self._held: dict[str, list[str]] = {}
        self.other_builds: set[str] = set()
        """Names read so far that have entries only another build's lock would admit."""

    def usable(self, name: str) -> list[Entry]:
        """The entries of ``name`` (canonical) this interpreter can use, one per version (the
        best tag), newest first."""
        if name not in self._usable:
            self._read(name)
        return self._usable[name]

    def held(self, name: str) -> list[str]:
        """Every entry of ``name``, usable or not, as ``VERSION [TAG]``, for error messages."""
        if name not in self._held:
            self._read(name)
        return self._held[name]

    def _read(self, name: str) -> None:
        entries = self._entries_of(name)
        best: dict[str, tuple[int, Entry]] = {}
        for entry in entries:
            score = _tag_score(entry.tag)
            if score is None or not _python_ok(entry.requires_python):
                continue
            if not _admitted(entry, self._hashes.get(name)):
                self.other_builds.add(name)
                continue
            if entry.version not in best or score < best[entry.version][0]:
                best[entry.version] = (score, entry)
        found = [entry for _, entry in best.values()]
        found.sort(key=lambda e: _version(e.version), reverse=True)
        self._usable[name] = found
        self._held[name] = [f"{entry.version} [{entry.tag}]" for entry in entries]


def _admitted(entry: Entry, sha256: str | None) -> bool:
    if sha256 is not None:
        return entry.sha256 == sha256
    return entry.key.tag == entry.tag


def usable_entries(store: Store) -> dict[tuple[str, str], Entry]:
    """The entry this interpreter would use for each (canonical name, version) in the store,
    among those not kept by their content."""
    by_name: dict[str, list[Entry]] = {}
    for entry in store.entries():
        by_name.setdefault(entry.key.name, []).append(entry)
    index = StoreIndex(lambda name: by_name.get(name, []), {})
    return {(name, entry.version): entry for name in by_name for entry in index.usable(name)}


# Parsed once per process: a resolution meets the same tags, specifiers and requirement lines
# again and again (the 320-distribution benchmark parses ~1,500 Requires-Dist lines).
@functools.cache
def _tag_ranks() -> dict[Tag, int]:
    return {tag: i for i, tag in enumerate(sys_tags())}


@functools.cache
def _version(text: str) -> Version:
    return Version(text)


@functools.cache
def _requirement(text: str) -> Requirement:
    return Requirement(text)


@functools.cache
def _tag_score(tag: str) -> int | None:
    rank = _tag_ranks()
    scores = [rank[t] for t in parse_tag(tag) if t in rank]
    return min(scores) if scores else None


@functools.cache
def _python_ok(requires_python: str | None) -> bool:
    return requires_python is None or SpecifierSet(requires_python).contains(
        _PYTHON_VERSION, prereleases=True
    )


class _Provider:
    """The store's side of ``backtracking.resolve``: candidates are store entries, one object
    per (entry, extras), so that every answer about one can be remembered by its identity."""

    def __init__(
        self,
        index: StoreIndex,
        pins: Mapping[str, str],
        prefer: Mapping[str, str],
        drop: Collection[str] = (),
    ) -> None:
        self.index = index
        self.pins = pins
        self.prefer = prefer
        self.drop = drop
        self.dropped: dict[tuple[str, Version], list[Requirement]] = {}
        # The resolution asks the same questions again and again (a requirement against a
        # version: ~20,000 times for 320 distributions), so the answers are kept for this
        # resolution, keyed by the ids of the objects asked about: each value keeps its
        # requirement alive, the index its entries, this its candidates and ``_version`` its
        # versions, so no other object can take one of those ids meanwhile.
        self._candidates: dict[tuple[int, frozenset[str]], _Candidate] = {}
        self._dependencies: dict[int, list[Requirement]] = {}
        self._identifiers: dict[int, tuple[Requirement, str]] = {}
        self._specifiers: dict[int, tuple[Requirement, str]] = {}
        # By the specifier's text: many requirements share one (">=1.0", "<3").
        self._contains: dict[tuple[str, int, bool], bool] = {}

    def identify(self, item: Requirement | _Candidate) -> str:
        if isinstance(item, _Candidate):
            return item.identifier
        found = self._identifiers.get(id(item))
        if found is None:
            found = self._identifiers[id(item)] = (item, _identify(item.name, item.extras))
        return found[1]

    def preference(self, identifier: str) -> int:
        return len(self.index.usable(identifier.partition("[")[0]))

    def find_matches(
        self,
        identifier: str,
        requirements: Sequence[Requirement],
        incompatibilities: Collection[_Candidate],
    ) -> list[_Candidate]:
        excluded = {c.version for c in incompatibilities}
        extras = frozenset(e for r in requirements for e in r.extras)
        name = identifier.partition("[")[0]
        pinned = self.pins.get(name)
        entries = [
            (entry, version)
            for entry in self.index.usable(name)
            if (version := _version(entry.version)) not in excluded
            and pinned in (None, entry.version)
        ]
        # As pip does: pre-releases only when a specifier asks for one, or when nothing else fits.
        asked = any(r.specifier.prereleases for r in requirements)
        for prereleases in dict.fromkeys([asked, True]):
            matches = [
                self._candidate(entry, version, extras)
                for entry, version in entries
                if all(self._admits(r, version, prereleases) for r in requirements)
            ]
            if matches:
                # A preferred version (a stale lock's) is tried first; the rest stay newest first.
                preferred = self.prefer.get(name)
                return sorted(matches, key=lambda c: c.entry.version != preferred)
        return []

    def _candidate(self, entry: Entry, version: Version, extras: frozenset[str]) -> _Candidate:
        key = (id(entry), extras)
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = _Candidate(entry, version, extras)
        return found

    def _admits(self, requirement: Requirement, version: Version, prereleases: bool) -> bool:
        text = self._specifiers.get(id(requirement))
        if text is None:
            text = self._specifiers[id(requirement)] = (requirement, str(requirement.specifier))
        key = (text[1], id(version), prereleases)
        found = self._contains.get(key)
        if found is None:
            found = self._contains[key] = requirement.specifier.contains(version, prereleases)
        return found

    def is_satisfied_by(self, requirement: Requirement, candidate: _Candidate) -> bool:
        return self._admits(requirement, candidate.version, True) and (
            canonicalize_name(requirement.name) == candidate.name
        )

    def get_dependencies(self, candidate: _Candidate) -> list[Requirement]:
        found = self._dependencies.get(id(candidate))
        if found is None:
            found = self._dependencies[id(candidate)] = self._read_dependencies(candidate)
        return found

    def _read_dependencies(self, candidate: _Candidate) -> list[Requirement]:
        found = candidate.dependencies()
        if not self.drop:
            return found
        # Requirements of dependents on names that may split are left to the split resolution
        # (resolve_private), which gives the dependents whose ranges exclude the plain version
        # a private copy.
        dropped = [r for r in found if canonicalize_name(r.name) in self.drop]
        self.dropped[(candidate.name, candidate.version)] = dropped
        return [r for r in found if canonicalize_name(r.name) not in self.drop]


def resolve_from_store(
    requirements: Sequence[Requirement],
    store: Store,
    root: str,
    pins: Mapping[str, str] | None = None,
    *,
    prefer: Mapping[str, str] | None = None,
    hashes: Mapping[str, str] | None = None,
) -> list[Resolved]:
    """Resolve ``requirements`` (those whose markers apply here) from ``store``.

    ``root`` names who asks, e.g. the manifest, in the chains that say why each version was
    selected and in error messages. ``pins`` (canonical name to version, from a fresh lock) allow
    only that version of a name; ``prefer`` (from a stale one) tries that version first and
    others only when it no longer fits; ``hashes`` (canonical name to sha256) admit only the
    entry installed from that very wheel.
    """
    store.require()
    index = StoreIndex(store.entries_of, hashes or {})
    return resolve_graph(requirements, index, root, store.root, pins, prefer=prefer).resolved


@dataclass(frozen=True)
class Graph:
    """A resolution with what the split resolution needs beyond the versions."""

    resolved: list[Resolved]
    """Sorted by name."""
    dropped: dict[str, list[Requirement]]
    """Canonical name of a resolved distribution -> its requirements that were dropped."""
    dependents: dict[str, set[str]]
    """Canonical name -> the canonical names of the resolved distributions that require it."""


def resolve_graph(
    requirements: Sequence[Requirement],
    index: StoreIndex,
    root: str,
    store_root: str,
    pins: Mapping[str, str] | None = None,
    *,
    prefer: Mapping[str, str] | None = None,
    drop: Collection[str] = (),
) -> Graph:
    """``resolve_from_store`` on an index, ignoring the dependencies of resolved distributions
    on the names in ``drop`` (the requirements of ``root`` itself are always kept)."""
    wanted = [r for r in requirements if _applies(r, [""])]
    provider = _Provider(index, pins or {}, prefer or {}, drop)
    try:
        result = backtracking.resolve(provider, wanted, max_rounds=10_000)
    except backtracking.Impossible as exc:
        raise ResolutionError(_explain(exc.causes, index, root, store_root)) from exc
    chains = _Chains(result.criteria, root)
    resolved: dict[str, Resolved] = {}
    dropped: dict[str, list[Requirement]] = {}
    dependents: dict[str, set[str]] = {}
    for identifier, candidate in result.mapping.items():
        if candidate.name not in resolved or "[" not in identifier:
            resolved[candidate.name] = Resolved(candidate.entry, chains.why(identifier))
        dropped.setdefault(candidate.name, []).extend(
            provider.dropped.get((candidate.name, candidate.version), [])
        )
        for info in result.criteria[identifier]:
            if info.parent is not None and info.parent.name != candidate.name:
                dependents.setdefault(candidate.name, set()).add(info.parent.name)
    return Graph([resolved[name] for name in sorted(resolved)], dropped, dependents)


class _Chains:
    """Why each identifier is in the result: the shortest requirement chain from the root, and
    among dependents at one depth the first by identifier. ``_runtime.quickplan`` follows the
    same rule, so a project planned there explains itself in the same words."""

    def __init__(self, criteria: Mapping[str, list[_Information]], root: str) -> None:
        self.criteria = criteria
        self.root = root
        self.memo: dict[str, str] = {}
        self.depth = self._depths()

    def _depths(self) -> dict[str, int]:
        dependents: dict[str, list[str]] = {}
        frontier = []
        for identifier, infos in self.criteria.items():
            for info in infos:
                if info.parent is None:
                    frontier.append(identifier)
                else:
                    dependents.setdefault(info.parent.identifier, []).append(identifier)
        depth = dict.fromkeys(frontier, 0)
        while frontier:
            reached = [d for i in frontier for d in dependents.get(i, []) if d not in depth]
            for identifier in reached:
                depth.setdefault(identifier, depth[frontier[0]] + 1)
            frontier = list(dict.fromkeys(reached))
        return depth

    def why(self, identifier: str) -> str:
        if identifier not in self.memo:
            infos = self.criteria[identifier]
            direct = [info for info in infos if info.parent is None]
            if direct:
                text = f"{self.root} requires {direct[0].requirement}"
            else:
                parents = [(i.parent, i.requirement) for i in infos if i.parent is not None]
                parent, requirement = min(
                    parents, key=lambda p: (self.depth[p[0].identifier], p[0].identifier)
                )
                by = f"{parent.entry.name} {parent.version}"
                text = f"{self.why(parent.identifier)} -> {by} requires {requirement}"
            self.memo[identifier] = text
        return self.memo[identifier]


def _explain(
    causes: Collection[_Information], index: StoreIndex, root: str, store_root: str
) -> str:
    by_name: dict[str, list[str]] = {}
    splittable: dict[str, list[_Information]] = {}
    for cause in causes:
        who = root if cause.parent is None else f"{cause.parent.entry.name} {cause.parent.version}"
        wanted_name = canonicalize_name(cause.requirement.name)
        by_name.setdefault(wanted_name, []).append(f"{cause.requirement} (required by {who})")
        splittable.setdefault(wanted_name, []).append(cause)
    parts = []
    for name, wanted in by_name.items():
        have = index.held(name)
        held = ", ".join(have) if have else "no version"
        if name in index.other_builds:
            held += (
                " (none is the build the lock names by its sha256, or the name has a local "
                "source that `vimport sync` has not built)"
            )
        part = (
            f"cannot satisfy {' and '.join(wanted)}: the store {store_root} has {held} of {name}; "
            "run `vimport sync` in the project to fetch what it needs, or install a matching "
            f"wheel with `vimport install {name}-VERSION-TAG.whl`"
        )
        if _split_would_solve(splittable[name], index.usable(name)):
            part += f"; {split_hint(name)}"
        parts.append(part)
    return "; ".join(parts)


def _split_would_solve(causes: Sequence[_Information], entries: Sequence[Entry]) -> bool:
    """Two or more requirements, at least one from a dependent, each satisfiable alone."""
    if len(causes) < 2 or all(cause.parent is None for cause in causes):
        return False
    return all(
        any(c.requirement.specifier.contains(Version(e.version), prereleases=True) for e in entries)
        for c in causes
    )
