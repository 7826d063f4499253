"""Index engines: what turns requirements into exact files from a package index, and fetches
them. One small interface (``Engine``); pip is the engine today (``engine.pip``), and
``engine.choice`` says which one a command uses.

The vocabulary is shared with the lock, which records picks: an ``Artifact`` is one file to
fetch, a ``Pick`` a distribution chosen at an exact version with the file to install it from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from versioned_import.progress import Reporter

__all__ = ["Artifact", "Engine", "Fetched", "Pick"]


@dataclass(frozen=True)
class Artifact:
    """One file to fetch: a wheel, or an sdist to build into one."""

    location: str
    """A URL, or an absolute path."""
    sha256: str
    """Of the file; empty for a source directory, which has no single hash."""
    size: int | None
    is_wheel: bool
    built_sha256: str = ""
    """Only for a local source (a directory, or a file not from an index): the sha256 of the
    wheel built from it, which is the one the store must serve."""
    directory: bool = False
    """A local source directory."""
    editable: bool = False
    """A local source directory whose code is imported from where it is, not from the store."""

    @property
    def filename(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Pick:
    """A distribution chosen at an exact version, and the file to install it from."""

    name: str
    version: str
    artifact: Artifact


@dataclass(frozen=True)
class Fetched:
    pick: Pick
    wheel: str
    """The wheel to install: the one downloaded, or the one built from the sdist."""


class Engine(Protocol):
    """Resolves against a package index and fetches what it chose. Errors are
    ``PackageIndexError``, raised before anything enters the store."""

    def resolve(
        self,
        requirements: Sequence[str],
        reporter: Reporter,
        prefer: Mapping[str, str] | None = None,
    ) -> list[Pick]:
        """The exact files to install for ``requirements`` into this interpreter; ``prefer``
        (canonical name to version, from a lock) are kept wherever they still satisfy."""
        ...

    def fetch(
        self,
        picks: Sequence[Pick],
        directory: str,
        reporter: Reporter,
        each: Callable[[Fetched], object] | None = None,
    ) -> list[Fetched]:
        """Download (and build, for sdists) exactly ``picks`` into ``directory``, hash-checked;
        ``each`` gets every wheel as soon as it is whole, before this returns (a wheel fetched
        twice, as when pip takes over, is handed over twice)."""
        ...

    def offered(self, pins: Mapping[str, str]) -> list[Pick]:
        """The files the index would most likely serve for exact pins (canonical name to
        version), read from its pages without resolving (``engine.offers``): a guess to fetch
        and install ahead of ``resolve``, then to check against its picks."""
        ...

    def build(self, source: str, directory: str, reporter: Reporter) -> str:
        """Build a local source directory or sdist into one wheel in the empty ``directory``
        with its own build backend; returns the wheel's path."""
        ...

    def close(self) -> None:
        """Stop what the engine started and no call took (``UvEngine.start``)."""
        ...
