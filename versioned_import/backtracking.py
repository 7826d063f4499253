"""Backtracking resolution: resolvelib 1.2's algorithm, with its rounds made cheap.

Each round pins one identifier, the most preferred among those whose current pin (or lack of
one) does not satisfy every requirement on it, to the first candidate whose dependencies do not
conflict; a dead end backjumps to the last pin that could have caused it (optimistically first,
then safely: resolvelib's ``_backjump``). The decisions, their order and the causes of a failure
are resolvelib's, so a resolution and its explanation are the same as with it
(tests/test_backtracking.py checks that on random graphs). What differs is the cost of a round:
resolvelib asks whether every pin still satisfies every criterion at every round, O(n) calls
through its provider interface for n identifiers, which was half the time of resolving 320
distributions; here a criterion remembers the pin it was last found satisfied by, so a round
re-checks only the criteria that changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = ["Impossible", "Information", "Provider", "Result", "TooDeep", "resolve"]

R = TypeVar("R")
C = TypeVar("C")

_OPTIMISTIC_RATIO = 0.1
"""The share of the rounds left that optimistic backjumping may take before it is undone."""


class Provider(Protocol[R, C]):
    """What the resolution asks of the requirements and candidates it works on."""

    def identify(self, item: R | C) -> str:
        """The identifier a requirement is about, or a candidate is for."""

    def preference(self, identifier: str) -> int:
        """Lower is pinned first; ties go to the identifier met first."""

    def find_matches(
        self, identifier: str, requirements: Sequence[R], incompatibilities: Collection[C]
    ) -> list[C]:
        """The candidates for ``identifier`` that satisfy every one of ``requirements`` and are
        none of ``incompatibilities``, best first."""

    def is_satisfied_by(self, requirement: R, candidate: C) -> bool: ...

    def get_dependencies(self, candidate: C) -> list[R]: ...


class Information(Generic[R, C]):
    """A requirement, and the candidate that brought it (``None``: the root)."""

    __slots__ = ("parent", "requirement")

    def __init__(self, requirement: R, parent: C | None) -> None:
        self.requirement = requirement
        self.parent = parent


class Impossible(Exception, Generic[R, C]):
    """No resolution: ``causes`` are the requirements that could not be satisfied together."""

    def __init__(self, causes: Sequence[Information[R, C]]) -> None:
        super().__init__(causes)
        self.causes = list(causes)


class TooDeep(Exception):
    """The resolution took more rounds than allowed."""


class _Conflict(Exception, Generic[R, C]):
    def __init__(self, criterion: _Criterion[R, C]) -> None:
        super().__init__(criterion)
        self.criterion = criterion


_UNCHECKED = object()


class _Criterion(Generic[R, C]):
    """What is known of one identifier; replaced, never changed, as the resolution learns."""

    __slots__ = ("candidates", "incompatibilities", "information", "satisfied_pin")

    def __init__(
        self,
        candidates: list[C],
        information: list[Information[R, C]],
        incompatibilities: list[C],
    ) -> None:
        self.candidates = candidates
        self.information = information
        self.incompatibilities = incompatibilities
        self.satisfied_pin: object = _UNCHECKED
        """The last pin found to satisfy every requirement here (a cache shared by states)."""

    def requirements(self) -> list[R]:
        return [info.requirement for info in self.information]


@dataclass
class _State(Generic[R, C]):
    mapping: dict[str, C]
    """Pinned identifiers, in pinning order: backjumping undoes the last pin."""
    criteria: dict[str, _Criterion[R, C]]
    causes: list[Information[R, C]]

    def copy(self) -> _State[R, C]:
        return _State(self.mapping.copy(), self.criteria.copy(), self.causes[:])


@dataclass(frozen=True)
class Result(Generic[R, C]):
    mapping: dict[str, C]
    """The pinned identifiers that the root's requirements reach."""
    criteria: dict[str, list[Information[R, C]]]
    """Every identifier's requirements, with who brought each."""


def resolve(provider: Provider[R, C], requirements: Iterable[R], max_rounds: int) -> Result[R, C]:
    """Resolve ``requirements``; raises ``Impossible`` or ``TooDeep``."""
    return _Resolution(provider).resolve(requirements, max_rounds)


class _Resolution(Generic[R, C]):
    def __init__(self, provider: Provider[R, C]) -> None:
        self._p = provider
        self._states: list[_State[R, C]] = []
        self._optimistic = _OPTIMISTIC_RATIO
        self._saved: list[_State[R, C]] | None = None
        self._preferences: dict[str, int] = {}

    @property
    def state(self) -> _State[R, C]:
        return self._states[-1]

    def resolve(self, requirements: Iterable[R], max_rounds: int) -> Result[R, C]:
        self._states = [_State({}, {}, [])]
        for requirement in requirements:
            try:
                self._add_to_criteria(self.state.criteria, requirement, None)
            except _Conflict as exc:
                raise Impossible(exc.criterion.information) from exc
        self._states.append(self.state.copy())  # the root's pin, for the first to undo
        started: int | None = None
        cutoff = 0
        for round_index in range(max_rounds):
            if self._optimistic and self._saved is not None:
                if started is None:
                    started = round_index
                    cutoff = int((max_rounds - round_index) * self._optimistic)
                    if cutoff <= 0:
                        self._roll_back()
                        continue
                elif round_index - started >= cutoff:
                    self._roll_back()
                    continue
            unsatisfied = self._unsatisfied()
            if not unsatisfied:
                return _result(self.state)
            name = min(unsatisfied, key=self._preference)
            failures = self._attempt_to_pin(name)
            if failures:
                self._recover(failures)
            else:
                self._remove_information(self.state.criteria, self._broken(name, unsatisfied))
                self._states.append(self.state.copy())
        raise TooDeep(f"no resolution within {max_rounds} rounds")

    def _preference(self, identifier: str) -> int:
        found = self._preferences.get(identifier)
        if found is None:
            found = self._preferences[identifier] = self._p.preference(identifier)
        return found

    def _unsatisfied(self) -> list[str]:
        """The identifiers without a pin, or whose pin fails a requirement on them."""
        mapping = self.state.mapping
        criteria = self.state.criteria
        # A criterion already found satisfied by today's pin is passed over at C speed.
        changed = [k for k, c in criteria.items() if c.satisfied_pin is not mapping.get(k)]
        return [
            k
            for k in changed
            if (pin := mapping.get(k)) is None or not self._satisfies(criteria[k], pin)
        ]

    def _broken(self, name: str, unsatisfied: list[str]) -> set[str]:
        """The pins that satisfied their criteria before ``name`` was pinned and do not now:
        only the criteria its pin's dependencies changed can be among them."""
        pinned = self.state.mapping[name]
        changed = {self._p.identify(r) for r in self._p.get_dependencies(pinned)}
        changed.difference_update(unsatisfied)
        mapping, criteria = self.state.mapping, self.state.criteria
        return {
            k
            for k in changed
            if (pin := mapping.get(k)) is not None and not self._satisfies(criteria[k], pin)
        }

    def _satisfies(self, criterion: _Criterion[R, C], pin: C) -> bool:
        if all(self._p.is_satisfied_by(i.requirement, pin) for i in criterion.information):
            criterion.satisfied_pin = pin
            return True
        return False

    def _add_to_criteria(
        self, criteria: dict[str, _Criterion[R, C]], requirement: R, parent: C | None
    ) -> None:
        identifier = self._p.identify(requirement)
        criterion = criteria.get(identifier)
        if criterion is None:
            wanted, information, incompatibilities = [requirement], [], []
        else:
            wanted = [*criterion.requirements(), requirement]
            information = list(criterion.information)
            incompatibilities = list(criterion.incompatibilities)
        matches = self._p.find_matches(identifier, wanted, incompatibilities)
        information.append(Information(requirement, parent))
        updated = _Criterion(matches, information, incompatibilities)
        if not matches:
            raise _Conflict(updated)
        criteria[identifier] = updated

    def _remove_information(self, criteria: dict[str, _Criterion[R, C]], parents: set[str]) -> None:
        """Forget what the pins of ``parents`` required: they no longer hold."""
        if not parents:
            return
        for key, criterion in criteria.items():
            kept = [
                info
                for info in criterion.information
                if info.parent is None or self._p.identify(info.parent) not in parents
            ]
            # An unchanged criterion is kept, and with it what it knows of its pin.
            if len(kept) < len(criterion.information):
                criteria[key] = _Criterion(criterion.candidates, kept, criterion.incompatibilities)

    def _attempt_to_pin(self, name: str) -> list[_Criterion[R, C]]:
        criterion = self.state.criteria[name]
        causes = []
        for candidate in criterion.candidates:
            criteria = self.state.criteria.copy()
            try:
                for requirement in self._p.get_dependencies(candidate):
                    self._add_to_criteria(criteria, requirement, candidate)
            except _Conflict as exc:
                causes.append(exc.criterion)
                continue
            self.state.criteria.update(criteria)
            self.state.mapping.pop(name, None)
            self.state.mapping[name] = candidate
            return []
        return causes

    def _recover(self, failures: list[_Criterion[R, C]]) -> None:
        causes = list({id(i): i for c in failures for i in c.information}.values())
        try:
            success = self._backjump(causes)
        except Impossible:
            if not (self._optimistic and self._saved):
                raise
            failed_optimism = True
        else:
            failed_optimism = bool(not success and self._optimistic and self._saved)
        if failed_optimism:
            self._roll_back()
            return
        self.state.causes[:] = causes
        if not success:
            raise Impossible(self.state.causes)

    def _backjump(self, causes: list[Information[R, C]]) -> bool:
        """Undo pins back to one that may have caused the conflict, and try that identifier
        without the candidate it had (resolvelib's ``_backjump``, step for step)."""
        incompatible = {self._p.identify(c.parent) for c in causes if c.parent is not None}
        incompatible.update(self._p.identify(c.requirement) for c in causes)
        while len(self._states) >= 3:
            del self._states[-1]
            while True:
                try:
                    broken = self._states.pop()
                    name, candidate = broken.mapping.popitem()
                except (IndexError, KeyError):
                    raise Impossible(causes) from None
                if not self._optimistic and name not in incompatible:
                    break
                if self._optimistic and self._saved is None and name not in incompatible:
                    self._saved = [state.copy() for state in self._states]
                dependencies = {self._p.identify(d) for d in self._p.get_dependencies(candidate)}
                if not dependencies.isdisjoint(incompatible):
                    break
                if not broken.mapping:
                    break
                if len(self._states) <= 1:
                    raise Impossible(causes)
            learned = [(k, list(v.incompatibilities)) for k, v in broken.criteria.items()]
            learned.append((name, [candidate]))
            self._states.append(self.state.copy())
            if self._patch_criteria(learned):
                return True
        return False

    def _patch_criteria(self, learned: list[tuple[str, list[C]]]) -> bool:
        for name, incompatibilities in learned:
            criterion = self.state.criteria.get(name)
            if not incompatibilities or criterion is None:
                continue
            excluded = [*criterion.incompatibilities, *incompatibilities]
            matches = self._p.find_matches(name, criterion.requirements(), excluded)
            if not matches:
                return False
            incompatibilities.extend(criterion.incompatibilities)
            self.state.criteria[name] = _Criterion(
                matches, list(criterion.information), incompatibilities
            )
        return True

    def _roll_back(self) -> None:
        """Optimistic backjumping failed: back to where it started, and never again."""
        self._optimistic = 0.0
        if self._saved:
            self._states = self._saved
            self._saved = None


def _result(state: _State[R, C]) -> Result[R, C]:
    """The pins the root's requirements reach (others were pinned for requirements whose
    parents were unpinned later), and every criterion's information."""
    keys = {id(candidate): key for key, candidate in state.mapping.items()}
    reached: set[str] = set()

    def reaches_root(key: str, seen: set[str]) -> bool:
        if key in reached:
            return True
        criterion = state.criteria.get(key)
        if criterion is None or key in seen:
            return False
        seen.add(key)
        for info in criterion.information:
            if info.parent is None:
                reached.add(key)
                return True
            parent = keys.get(id(info.parent))
            if parent is not None and reaches_root(parent, seen):
                reached.add(key)
                return True
        return False

    for key in state.criteria:
        reaches_root(key, set())
    return Result(
        {k: v for k, v in state.mapping.items() if k in reached},
        {k: c.information for k, c in state.criteria.items()},
    )
