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
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING

from versioned_import._runtime.pep508 import canonical_name
from versioned_import.engine import Engine, Pick
from versioned_import.progress import Reporter
from versioned_import.store import Entry, Store, layout
from versioned_import.store.bytecode import Compile

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["Ahead", "exact_pins"]

_Identity = tuple[str, str]
"""A file as a resolver names it: its location and sha256."""
_MAX_THREADS = 32
"""As for ``install_wheels``: most installs wait for their bytecode."""


class _NotPicked(Exception):
    """The resolver picked another file, or nothing is published: the staged entry goes."""


class Ahead:
    """Installs of the offered wheels, started on threads of their own once fetched; ``claim``
    says which of the picks they hold, ``publish`` lets those be published. A context manager:
    on exit every install not published is thrown away, and every install has ended."""

    def __init__(self, store: Store, engine: Engine, compile: Compile, pins: Mapping[str, str]):
        self._store = store
        self._engine = engine
        self._compile = compile
        # The thread that fetches may outlive this object (a page or a download that hangs):
        # whatever it still writes here once the directory is gone fails, and is no guess.
        self._directory = tempfile.TemporaryDirectory(
            prefix="vimport-ahead-", ignore_cleanup_errors=True
        )
        self._installs: dict[_Identity, tuple[str, Future[tuple[Entry, bool]]]] = {}
        self._closed = False  # set by claim: what is not fetched by then is not installed
        self._starting_lock = threading.Lock()
        self._claimed: set[_Identity] = set()
        self._decided = threading.Event()
        self._pool = ThreadPoolExecutor(_MAX_THREADS, thread_name_prefix="vimport-ahead")
        fetching = threading.Thread(target=self._start, args=(dict(pins),), daemon=True)
        fetching.start()

    def _start(self, pins: dict[str, str]) -> None:
        from versioned_import.store.install import install_wheel

        try:
            picks = [p for p in self._engine.offered(pins) if not self._holds(p)]
            fetched = self._engine.fetch(picks, self._directory.name, Reporter(-1))
        except Exception:  # a guess that cannot be fetched is no guess: the picks are fetched
            return
        busy = threading.Lock()  # one unpacks at a time, as in install_wheels
        with self._starting_lock:
            if self._closed:  # claimed already: the caller fetches these itself
                return
            for f in sorted(fetched, key=lambda f: os.path.getsize(f.wheel)):
                future = self._pool.submit(
                    install_wheel,
                    self._store,
                    f.wheel,
                    f.pick.artifact.location,
                    self._compile,
                    busy=busy,
                    before_publish=partial(self._verdict, _identity(f.pick)),
                )
                self._installs[_identity(f.pick)] = f.wheel, future

    def _holds(self, guess: Pick) -> bool:
        """Whether the store holds the entry ``guess`` would install (then the resolver's pick
        is not missing); that entry alone is looked at, not the whole store."""
        return os.path.isdir(self._store.entry_dir(layout.wheel_key(guess.artifact.filename)))

    def _verdict(self, identity: _Identity) -> None:
        self._decided.wait()
        if identity not in self._claimed:
            raise _NotPicked

    def claim(self, picks: Iterable[Pick]) -> dict[Pick, str]:
        """The ``picks`` installed ahead, each with its wheel (the resolver's pick is checked
        against it as a fetched wheel would be); the others will be thrown away. What is still
        being fetched is not waited for: the caller fetches it as it would have."""
        with self._starting_lock:
            self._closed = True
        claimed = {p: self._installs[_identity(p)][0] for p in picks
                   if _identity(p) in self._installs}  # fmt: skip
        self._claimed = {_identity(p) for p in claimed}
        return claimed

    def publish(self) -> None:
        """Let the claimed installs publish their entries, and the others end."""
        self._decided.set()

    def entries(self, picks: Sequence[Pick]) -> list[Entry]:
        """The entries of claimed ``picks``, once all have ended; the first failure is raised
        then (a claimed wheel that does not install fails the sync as any other would)."""
        futures = [self._installs[_identity(p)][1] for p in picks]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result()[0] for f in futures]

    def __enter__(self) -> Ahead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._starting_lock:
            self._closed = True
        if not self._decided.is_set():
            self._claimed = set()  # never published: the sync failed before it could
        self._decided.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
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
