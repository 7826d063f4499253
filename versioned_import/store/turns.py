"""Whose turn it is to unpack: one install works at a time in this process, and the next turn
goes to the waiting wheel that best keeps the bytecode workers busy.

A sync is CPU-bound on every core: this process unpacks while the bytecode workers compile
what it unpacked. A core idles whenever the workers have nothing queued, and they run dry when
this process unpacks wheels of many small data files (time zones, certificates) while little
source is queued, or a large wheel when nothing is queued yet. Taking the waiting wheels in the
order of Johnson's rule for two stages (unpack, then compile) keeps them fed: first the wheels
that compile longer than they unpack, quickest to unpack first; then the others, longest to
compile first, so the data-only wheels unpack last, while the workers finish the queue.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zipfile import ZipInfo

__all__ = ["FIRST", "Order", "Turns", "order"]

Order = tuple[int, float]
"""Where a wheel goes in the queue of turns: lowest first."""
FIRST: Order = (-1, 0.0)
"""Before every wheel waiting to unpack: short work (opening a wheel, staging, publishing)."""

# What unpacking and compiling cost, measured on ext4 with two workers (a cold sync of 30
# wheels): ~120 µs to create a member, ~10 ns a byte written, ~170 ns of CPU a byte of source
# compiled, shared by the workers. Only their ratios matter.
_PER_MEMBER = 120e-6
_PER_BYTE = 10e-9
_PER_SOURCE_BYTE = 170e-9


def order(members: Sequence[ZipInfo]) -> Order:
    """The place in the queue of the wheel whose members are ``members``, by Johnson's rule:
    unpacking ``a`` then compiling ``b``, it goes first, early for a small ``a``, when
    ``a < b``, and after every such wheel, early for a large ``b``, when not."""
    unpacking = compiling = 0.0
    for info in members:
        unpacking += _PER_MEMBER + info.file_size * _PER_BYTE
        if info.filename.endswith(".py"):
            compiling += info.file_size * _PER_SOURCE_BYTE
    compiling /= os.cpu_count() or 1
    return (0, unpacking) if unpacking < compiling else (1, -compiling)


class Turns:
    """One holder at a time; when it leaves, the turn passes to the waiter of lowest ``Order``
    (the first come among equals). Python threads that make system calls side by side hand the
    GIL to each other at every call (ten times the futex calls, measured): one at a time is
    faster than all at once. A context manager: the turn at ``FIRST``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = False
        self._waiting: list[tuple[Order, int, threading.Event]] = []
        self._arrivals = itertools.count()

    def acquire(self, place: Order = FIRST) -> None:
        mine = threading.Event()
        with self._lock:
            if not self._held:
                self._held = True
                return
            heapq.heappush(self._waiting, (place, next(self._arrivals), mine))
        mine.wait()

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._held = False

    def requeue(self, place: Order) -> None:
        """The holder waits at ``place``: the waiters before it go first."""
        mine = threading.Event()
        with self._lock:
            heapq.heappush(self._waiting, (place, next(self._arrivals), mine))
            heapq.heappop(self._waiting)[2].set()
        mine.wait()

    def __enter__(self) -> Turns:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
