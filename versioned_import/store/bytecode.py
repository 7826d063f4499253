"""Bytecode for entries being staged: compiled before an entry is published, so an entry is
complete (and its files read-only) from the moment it is visible.

``compile_here`` compiles in this process, which suits one small wheel. ``Compilers`` keeps a
child interpreter per core, fed from every install running in this process: bytecode is most
of an install's time, and it then overlaps with unpacking the next wheels. The files an install
left to them are unpacked where they are compiled (``bytecode_worker``), so the unpacking is
spread over the workers too. Installs are served in turn, each one's largest files first, so each is
published as soon as it can be rather than all of them at the end.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from importlib.util import cache_from_source
from typing import NamedTuple

from versioned_import.store.bytecode_worker import Damaged, Writer, rebuilt

__all__ = ["Compile", "Compilers", "Damaged", "Member", "Source", "compile_here"]


class Member(NamedTuple):
    """A wheel's member that a ``Source`` is unpacked from, with what RECORD says of it."""

    wheel: str
    name: str
    record_hash: str
    """RECORD's ``sha256=...``: the member is checked against it, and its size, as written."""
    size: int
    executable: bool


class Source(NamedTuple):
    """A file of a staged entry to compile, or to unpack, or both."""

    path: str
    shown: str
    """The path its code objects name (where it will be published); empty for a file that is
    not compiled (no ``.py`` file)."""
    member: Member | None = None
    """Where to unpack it from first; None when it is written already."""


Compile = Callable[[Sequence[Source]], None]
"""Unpacks (where they have a member) and compiles the sources; returns when their bytecode is
written, raising ``Damaged`` for a member that differs from RECORD and ``OSError`` for what the
file system refused."""

_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bytecode_worker.py")
_AHEAD = 2
"""Requests sent to a worker ahead of its answers: it always holds the next one while this
process, whose threads unpacking wheels hold the GIL for milliseconds at a time, reads one."""
_REQUEST_BYTES = 32 * 1024
"""Sources a request carries, by size (a large file alone): a few milliseconds of compiling.
File by file, the requests and answers of a cold sync cost this process a tenth of its CPU."""


def compile_here(sources: Sequence[Source]) -> None:
    with Writer() as writer:
        writer.write(sources)


class _Batch:
    """One caller's files: done when the last of them is; the first failure among them."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.failure: BaseException | None = None
        self.done = threading.Event()
        if count == 0:
            self.done.set()

    def one_done(self, failure: BaseException | None) -> None:
        """Called under ``Compilers._ready``."""
        self.failure = self.failure or failure
        self.left -= 1
        if self.left == 0:
            self.done.set()


_Sent = tuple[list[Source], list[_Batch]]
"""A request: its sources, and the batch of each."""


class Compilers:
    """Child interpreters that unpack and compile sources; a context manager that stops them
    on exit.

    They start at once, each from a thread of its own, so a caller that creates them before
    resolving starts its resolver meanwhile, and their start-up overlaps the resolver's wait.
    ``compile`` may be called from many threads at once; each call returns when its own files
    are written and compiled."""

    def __init__(self, workers: int | None = None) -> None:
        self._queue: list[tuple[tuple[int, int, int], Source, _Batch]] = []
        self._batches = 0
        self._order = 0
        self._ready = threading.Condition()
        self._closed = False
        self._children: list[subprocess.Popen[str]] = []
        count = workers or os.cpu_count() or 1
        self._feeders = [threading.Thread(target=self._serve, daemon=True) for _ in range(count)]
        for feeder in self._feeders:
            feeder.start()

    def compile(self, sources: Sequence[Source]) -> None:
        batch = _Batch(len(sources))
        with self._ready:
            self._batches += 1
            for source in sources:
                # Largest first: a big file started last would leave the other workers idle.
                key = (self._batches, -_size(source), self._order)
                heapq.heappush(self._queue, (key, source, batch))
                self._order += 1
            self._ready.notify_all()
        batch.done.wait()
        if batch.failure is not None:
            raise batch.failure

    def _serve(self) -> None:
        """Start a worker and feed it until closed; one that cannot start leaves its share to
        this process."""
        env = dict(os.environ, VIMPORT_DISABLE="1")
        try:
            # -S: the worker needs the standard library alone; the site-packages of the
            # interpreter this tool is installed in, their .pth files and its sitecustomize
            # cost a start 10-35 ms of CPU (measured), in every sync.
            child = subprocess.Popen(
                [sys.executable, "-I", "-S", _WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
        except OSError:
            self._feed(None)
            return
        self._children.append(child)
        try:
            self._feed(child)
        finally:
            assert child.stdin is not None and child.stdout is not None
            with contextlib.suppress(OSError):  # a dead worker's pipe: closed all the same
                child.stdin.close()
            child.wait()
            child.stdout.close()

    def _feed(self, child: subprocess.Popen[str] | None) -> None:
        """Keep ``child`` ``_AHEAD`` requests ahead; without one, or once it died, this process
        does the requests (what the worker was sent again: its files must all be written)."""
        sent: deque[_Sent] = deque()
        while True:
            with self._ready:
                while not self._queue and not sent and not self._closed:
                    self._ready.wait()
                if not self._queue and not sent:
                    return
                request = self._take() if self._queue and len(sent) < _AHEAD else []
            if request:
                sent.append(([source for _, source, _ in request], [b for *_, b in request]))
            if child is None:
                here = sent.popleft()
                self._done(here, _here(here[0], again=False))
                continue
            sending = not request or self._send(child, sent[-1][0])
            if sending and request and len(sent) < _AHEAD:
                continue  # another request before waiting for an answer
            answer = self._answer(child) if sending else None
            if answer is None:
                child = None
                while sent:
                    here = sent.popleft()
                    self._done(here, _here(here[0], again=True))
            else:
                failed: dict[int, BaseException] = {}
                if answer:
                    failed = {i: rebuilt(d) for i, d in json.loads(answer)}
                self._done(sent.popleft(), failed)

    def _done(self, request: _Sent, failed: dict[int, BaseException]) -> None:
        """Count the request's sources done, each failure to its own batch."""
        with self._ready:
            for index, batch in enumerate(request[1]):
                batch.one_done(failed.get(index))

    def _take(self) -> list[tuple[tuple[int, int, int], Source, _Batch]]:
        """The next request, from the queue's head: files up to ``_REQUEST_BYTES`` in all, or
        one larger file. Called under ``_ready``."""
        taken = [heapq.heappop(self._queue)]
        size = -taken[0][0][1]
        while self._queue and size - self._queue[0][0][1] <= _REQUEST_BYTES:
            taken.append(heapq.heappop(self._queue))
            size -= taken[-1][0][1]
        return taken

    @staticmethod
    def _send(child: subprocess.Popen[str], sources: list[Source]) -> bool:
        """Send one request; False when the worker is gone."""
        assert child.stdin is not None
        try:
            child.stdin.write(json.dumps(sources) + "\n")
            child.stdin.flush()
        except OSError:
            return False
        return True

    @staticmethod
    def _answer(child: subprocess.Popen[str]) -> str | None:
        """The answer to the oldest request (empty when all went well); None when the worker is
        gone."""
        assert child.stdout is not None
        try:
            line = child.stdout.readline()
        except OSError:
            return None
        return line.rstrip("\n") if line else None

    def __enter__(self) -> Compilers:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        for feeder in self._feeders:
            feeder.join()


def _here(sources: list[Source], again: bool) -> dict[int, BaseException]:
    """Do a request in this process, source by source as a worker does; ``again`` when a
    worker that died had it, which may have written some of its files, in part."""
    if again:
        for source in sources:
            _remove_written(source)
    with Writer() as writer:
        return dict(writer.write_each(sources))


def _remove_written(source: Source) -> None:
    """What a worker may have written of ``source``: its bytecode, and the file itself when
    the worker unpacked it."""
    written = [cache_from_source(source.path)]
    if source.member is not None:
        written.append(source.path)
    for path in written:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _size(source: Source) -> int:
    if source.member is not None:
        return source.member.size
    try:
        return os.path.getsize(source.path)
    except OSError:
        return 0
