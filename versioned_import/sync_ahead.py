"""Installing ahead of the resolver: while it runs, with the CPU otherwise idle, the wheels the
index offers for the project's exact pins are fetched, unpacked and compiled in staging. Each
is published only once the resolver picked that very file (its URL and sha256) and everything
else was fetched; the others are thrown away, and a sync that fails publishes none of them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from versioned_import._runtime.pep508 import canonical_name
from versioned_import.engine import Engine, Fetched, Pick
from versioned_import.progress import Reporter
from versioned_import.store import Entry, Store, layout
from versioned_import.store.bytecode import Compile
from versioned_import.store.install import Installs

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["Ahead", "exact_pins"]

_Identity = tuple[str, str]
"""A file as a resolver names it: its location and sha256."""


class Ahead:
    """Installs of the offered wheels (``Installs``), each started as soon as it is fetched;
    ``claim`` says which of the picks they hold, ``publish`` lets those be published. A context
    manager: on exit every install not published is thrown away, and every install has ended."""

    def __init__(self, store: Store, engine: Engine, compile: Compile, pins: Mapping[str, str]):
        self._store = store
        self._engine = engine
        # The thread that fetches may outlive this object (a page or a download that hangs):
        # whatever it still writes here once the directory is gone fails, and is no guess.
        self._directory = tempfile.TemporaryDirectory(
            prefix="vimport-ahead-", ignore_cleanup_errors=True
        )
        self._installs = Installs(store, compile)
        self._wheels: dict[_Identity, str] = {}
        self._claimed: set[str] = set()
        self._closed = False  # set by claim: what is not fetched by then is not installed
        self._arriving = threading.Lock()
        fetching = threading.Thread(target=self._start, args=(dict(pins),), daemon=True)
        fetching.start()

    def _start(self, pins: dict[str, str]) -> None:
        try:
            picks = [p for p in self._engine.offered(pins) if not self._holds(p)]
            self._engine.fetch(picks, self._directory.name, Reporter(-1), self._arrived)
        except Exception:  # a guess that cannot be fetched is no guess: the picks are fetched
            return

    def _holds(self, guess: Pick) -> bool:
        """Whether the store holds the entry ``guess`` would install (then the resolver's pick
        is not missing); that entry alone is looked at, not the whole store."""
        return os.path.isdir(self._store.entry_dir(layout.wheel_key(guess.artifact.filename)))

    def _arrived(self, fetched: Fetched) -> None:
        with self._arriving:
            if not self._closed:  # claimed already: the caller fetches it itself
                self._installs.add(fetched.wheel, fetched.pick.artifact.location)
                self._wheels[_identity(fetched.pick)] = fetched.wheel

    def claim(self, picks: Iterable[Pick]) -> dict[Pick, str]:
        """The ``picks`` installed ahead, each with its wheel (the resolver's pick is checked
        against it as a fetched wheel would be); the others will be thrown away. What is still
        being fetched is not waited for: the caller fetches it as it would have."""
        with self._arriving:
            self._closed = True
        claimed = {p: self._wheels[_identity(p)] for p in picks if _identity(p) in self._wheels}
        self._claimed = set(claimed.values())
        return claimed

    def publish(self) -> None:
        """Let the claimed installs publish their entries, and throw the others away."""
        self._installs.publish(self._claimed)

    def entries(self, picks: Sequence[Pick]) -> list[Entry]:
        """The entries of claimed ``picks``, once all have ended; the first failure is raised
        then (a claimed wheel that does not install fails the sync as any other would)."""
        return self._installs.entries([self._wheels[_identity(p)] for p in picks])

    def __enter__(self) -> Ahead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._arriving:
            self._closed = True
        self._installs.__exit__(kind, error, traceback)
        self._directory.cleanup()


def _identity(pick: Pick) -> _Identity:
    return pick.artifact.location, pick.artifact.sha256


def exact_pins(requirements: Iterable[Requirement]) -> dict[str, str]:
    """The canonical names that ``requirements`` pin to one version with ``==`` and no
    wildcard, for this interpreter (their markers hold), from an index (no URL)."""
    pins = {}
    for requirement in requirements:
        specifiers = list(requirement.specifier)
        if requirement.url or len(specifiers) != 1:
            continue
        (only,) = specifiers
        if only.operator != "==" or only.version.endswith(".*"):
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            pins[canonical_name(requirement.name)] = only.version
    return pins
