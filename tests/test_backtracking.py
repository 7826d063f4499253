"""backtracking.resolve against resolvelib 1.2, whose algorithm it follows: on random graphs,
with conflicts, backjumps and impossible ones, both reach the same pins, the same requirement
information, and the same causes when there is no resolution."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from resolvelib import (
    AbstractProvider,
    BaseReporter,
    ResolutionImpossible,
    ResolutionTooDeep,
    Resolver,
)

from versioned_import import backtracking


@dataclass(frozen=True)
class Req:
    name: str
    allowed: frozenset[int]


@dataclass(frozen=True)
class Cand:
    name: str
    version: int


Index = dict[str, dict[int, list[Req]]]
"""name -> version -> that version's requirements."""


class Ours:
    def __init__(self, index: Index) -> None:
        self.index = index

    def identify(self, item: Req | Cand) -> str:
        return item.name

    def preference(self, identifier: str) -> int:
        return len(self.index[identifier])

    def find_matches(
        self, identifier: str, requirements: Sequence[Req], incompatibilities: Collection[Cand]
    ) -> list[Cand]:
        bad = {c.version for c in incompatibilities}
        return [
            Cand(identifier, v)
            for v in sorted(self.index[identifier], reverse=True)
            if v not in bad and all(v in r.allowed for r in requirements)
        ]

    def is_satisfied_by(self, requirement: Req, candidate: Cand) -> bool:
        return candidate.version in requirement.allowed

    def get_dependencies(self, candidate: Cand) -> list[Req]:
        return self.index[candidate.name][candidate.version]


class Theirs(AbstractProvider):  # type: ignore[type-arg]
    def __init__(self, index: Index) -> None:
        self.ours = Ours(index)

    def identify(self, requirement_or_candidate: Req | Cand) -> str:
        return requirement_or_candidate.name

    def get_preference(self, identifier: str, *args: Any, **kwargs: Any) -> int:
        return self.ours.preference(identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Cand]],
    ) -> list[Cand]:
        wanted = list(requirements[identifier])
        return self.ours.find_matches(identifier, wanted, list(incompatibilities[identifier]))

    def is_satisfied_by(self, requirement: Req, candidate: Cand) -> bool:
        return self.ours.is_satisfied_by(requirement, candidate)

    def get_dependencies(self, candidate: Cand) -> list[Req]:
        return self.ours.get_dependencies(candidate)


def _graph(rng: random.Random) -> tuple[Index, list[Req]]:
    names = [f"n{i}" for i in range(rng.randint(2, 12))]
    index: Index = {}
    for name in names:
        versions = rng.sample(range(1, 7), rng.randint(1, 4))
        index[name] = {}
        for version in versions:
            others = rng.sample(names, rng.randint(0, min(4, len(names))))
            index[name][version] = [_req(rng, other) for other in others if other != name]
    roots = [_req(rng, name) for name in rng.sample(names, rng.randint(1, min(3, len(names))))]
    return index, roots


def _req(rng: random.Random, name: str) -> Req:
    # Mostly wide ranges, as real metadata has; now and then one nothing satisfies.
    return Req(name, frozenset(v for v in range(1, 7) if rng.random() < 0.75))


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        mapping, criteria = run()
    except (ResolutionImpossible, backtracking.Impossible) as exc:
        return "impossible", [(c.requirement, c.parent) for c in exc.causes]
    except (ResolutionTooDeep, backtracking.TooDeep):
        return "too deep", None
    except RecursionError:
        return "recursion", None
    return "resolved", (mapping, criteria)


def _theirs(index: Index, roots: list[Req]) -> tuple[Any, Any]:
    result = Resolver(Theirs(index), BaseReporter()).resolve(roots, max_rounds=500)
    infos = {
        k: [(i.requirement, i.parent) for i in c.information] for k, c in result.criteria.items()
    }
    return dict(result.mapping), infos


def _ours(index: Index, roots: list[Req]) -> tuple[Any, Any]:
    result = backtracking.resolve(Ours(index), roots, max_rounds=500)
    infos = {k: [(i.requirement, i.parent) for i in c] for k, c in result.criteria.items()}
    return result.mapping, infos


def test_the_same_pins_information_and_causes_as_resolvelib() -> None:
    kinds: dict[str, int] = {}
    for seed in range(1500):
        index, roots = _graph(random.Random(seed))
        theirs = _outcome(lambda: _theirs(index, roots))  # noqa: B023
        if theirs[0] == "recursion":  # resolvelib's walk to the root does not stop at cycles
            continue
        assert _outcome(lambda: _ours(index, roots)) == theirs, f"seed {seed}"  # noqa: B023
        kinds[theirs[0]] = kinds.get(theirs[0], 0) + 1
    # The graphs are varied enough to mean something: both outcomes, many times.
    assert kinds["resolved"] > 300
    assert kinds["impossible"] > 300


def test_too_many_rounds() -> None:
    index: Index = {f"n{i}": {1: [Req(f"n{i + 1}", frozenset({1}))]} for i in range(5)}
    index["n5"] = {1: []}
    with pytest.raises(backtracking.TooDeep):
        backtracking.resolve(Ours(index), [Req("n0", frozenset({1}))], max_rounds=3)
