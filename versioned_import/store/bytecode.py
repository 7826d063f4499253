"""Bytecode for entries being staged: compiled before an entry is published, so an entry is
complete (and its files read-only) from the moment it is visible.

``compile_here`` compiles in this process, which suits one small wheel. ``Compilers`` keeps a
child interpreter per core, fed from every install running in this process: bytecode is most
of an install's time, and it then overlaps with unpacking the next wheels. Installs are served
in turn, each one's largest files first, so each is published as soon as it can be rather than
all of them at the end. A file that does not compile (wheels ship sources for other Python
versions) is skipped, as pip and installer skip it.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import py_compile
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from importlib.util import cache_from_source

__all__ = ["Compile", "Compilers", "Source", "compile_here"]

Source = tuple[str, str]
"""A ``.py`` file to compile, and the path its code objects name (where it will be published)."""
Compile = Callable[[Sequence[Source]], None]
"""Compiles the sources; returns when their bytecode is written."""

# The worker: one request a line (a JSON list of [source, shown name]), one empty line back
# for each. It writes what py_compile writes, without py_compile's temporary file and rename
# (staging is private until published; a file that failed midway is removed), its failed mkdir
# and its four stats of paths a file (strace): creating and renaming files is what costs here.
# Files are created read-only, as publishing leaves them (then it need not chmod them), and the
# worker leaves without tearing its interpreter down: nothing of it outlives its answers.
_WORKER = """
import json, marshal, os, sys
from importlib.util import MAGIC_NUMBER, cache_from_source

def read_only(path, flags):
    return os.open(path, flags, 0o444)

made = set()
for line in sys.stdin:
    for source, shown in json.loads(line):
        try:
            with open(source, "rb") as f:
                data = f.read()
                st = os.fstat(f.fileno())
            code = compile(data, shown, "exec", dont_inherit=True)
        except Exception:  # SyntaxError, ValueError (NUL bytes, bad encoding), RecursionError...
            continue
        cached = cache_from_source(source)
        header = MAGIC_NUMBER + bytes(4)  # PEP 552: no flags, then the source's mtime and size
        for number in (int(st.st_mtime), st.st_size):
            header += (number & 0xFFFFFFFF).to_bytes(4, "little")
        try:
            if os.path.dirname(cached) not in made:
                os.makedirs(os.path.dirname(cached), exist_ok=True)
                made.add(os.path.dirname(cached))
            with open(cached, "wb", opener=read_only) as f:
                f.write(header + marshal.dumps(code))
        except OSError:
            try:
                os.unlink(cached)
            except OSError:
                pass
    sys.stdout.write("\\n")
    sys.stdout.flush()
os._exit(0)
"""

_AHEAD = 2
"""Requests sent to a worker ahead of its answers: it always holds the next one while this
process, whose threads unpacking wheels hold the GIL for milliseconds at a time, reads one."""
_REQUEST_BYTES = 32 * 1024
"""Sources a request carries, by size (a large file alone): a few milliseconds of compiling.
File by file, the requests and answers of a cold sync cost this process a tenth of its CPU."""


def compile_here(sources: Sequence[Source]) -> None:
    for source, shown in sources:
        try:
            py_compile.compile(source, cache_from_source(source), shown, doraise=True)
        except (py_compile.PyCompileError, SyntaxError, ValueError, OSError):
            continue


class _Batch:
    """One caller's files: done when the last of them is."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.done = threading.Event()
        if count == 0:
            self.done.set()

    def one_done(self) -> None:
        """Called under ``Compilers._ready``."""
        self.left -= 1
        if self.left == 0:
            self.done.set()


class Compilers:
    """Child interpreters that compile bytecode; a context manager that stops them on exit.

    They start at once, each from a thread of its own, so a caller that creates them before
    resolving starts its resolver meanwhile, and their start-up overlaps the resolver's wait.
    ``compile`` may be called from many threads at once; each call returns when its own files
    are compiled."""

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
                key = (self._batches, -_size(source[0]), self._order)
                heapq.heappush(self._queue, (key, source, batch))
                self._order += 1
            self._ready.notify_all()
        batch.done.wait()

    def _serve(self) -> None:
        """Start a worker and feed it until closed; one that cannot start leaves its share to
        this process."""
        env = dict(os.environ, VIMPORT_DISABLE="1")
        try:
            # -S: the worker needs the standard library alone; the site-packages of the
            # interpreter this tool is installed in, their .pth files and its sitecustomize
            # cost a start 10-35 ms of CPU (measured), in every sync.
            child = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WORKER],
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
        """Keep ``child`` ``_AHEAD`` requests ahead (without one, compile here); a file whose
        worker died is left uncompiled, as a syntax error is."""
        sent: deque[list[_Batch]] = deque()
        while True:
            with self._ready:
                while not self._queue and not sent and not self._closed:
                    self._ready.wait()
                if not self._queue and not sent:
                    return
                request = self._take() if self._queue and len(sent) < _AHEAD else []
            sources = [source for _, source, _ in request]
            if request:
                sent.append([batch for *_, batch in request])
            if child is None:
                compile_here(sources)
                answered = True
            else:
                sending = not request or self._send(child, sources)
                if sending and request and len(sent) < _AHEAD:
                    continue  # another request before waiting for an answer
                answered = sending and self._answered(child)
            with self._ready:
                for _ in range(1 if answered else len(sent)):
                    for batch in sent.popleft():
                        batch.one_done()

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
    def _answered(child: subprocess.Popen[str]) -> bool:
        """Wait for the answer to the oldest request; False when the worker is gone."""
        assert child.stdout is not None
        try:
            return bool(child.stdout.readline())
        except OSError:
            return False

    def __enter__(self) -> Compilers:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        for feeder in self._feeders:
            feeder.join()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
