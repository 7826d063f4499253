"""What long work tells the user: a line per step on stderr, as uv does.

Quiet (``-q``) prints nothing; the default prints the summary lines and, on a terminal, the step
now running; verbose (``-v``) also lets pip's own output through.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Reporter", "count"]


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 package``, ``3 packages``, ``2 entries`` (with ``plural``)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


class Reporter:
    def __init__(self, verbosity: int = 0, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.verbosity = verbosity
        self._live = verbosity >= 0 and self.stream.isatty()
        self._started = time.monotonic()

    @property
    def verbose(self) -> bool:
        return self.verbosity > 0

    def step(self, text: str) -> None:
        """The step now starting (``Resolving 3 requirements``); shown on a terminal only."""
        self._started = time.monotonic()
        if self._live:
            self.stream.write(f"\r\033[K{text}...")
            self.stream.flush()

    def done(self, text: str) -> None:
        """The step's outcome (``Resolved 12 packages``), with how long it took."""
        if self._live:
            self.stream.write("\r\033[K")
        if self.verbosity >= 0:
            self.stream.write(f"{text} in {time.monotonic() - self._started:.2f}s\n")
            self.stream.flush()
