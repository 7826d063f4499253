"""A bytecode worker's job, and this process's when it has none: unpack the files an install
left to it, each checked against RECORD (``bytecode.Source.member``), and write the bytecode of
the Python sources among them and of those written already.

Unpacking where the bytecode is compiled spreads the unpacking over the workers: in one process
it is a chain of Python calls that the GIL serializes, and on many cores that chain, not the
compiling, was what a cold sync waited for (measured with the compiling left out: 1.07 s in one
chain, 0.90 s so; uv without bytecode 0.57 s). A source's content is compiled as read, never
read back.

The standard library only, and no ``from __future__`` import: ``bytecode.Compilers`` runs this
file as a script in an interpreter started with ``-I -S``. A worker reads one request a line (a
JSON list of sources) and answers each with one line: empty when every source is done, else the
JSON list of the failed sources' indices, each with a description of its failure, which
``rebuilt`` makes an exception again.
"""

import base64
import contextlib
import gc
import hashlib
import json
import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER, cache_from_source

TYPE_CHECKING = False
if TYPE_CHECKING:
    import zipfile
    from collections.abc import Sequence
    from types import CodeType
    from typing import Any

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
"""A new file, as ``open(path, "xb")``."""
_BLOCK = 1 << 16
_OPEN_ARCHIVES = 8
"""Wheels kept open between requests: a wheel's sources come in several requests in a row."""


class Damaged(Exception):
    """A member that differs from RECORD, or that cannot be read out of its wheel."""

    def __init__(self, member: str, detail: str) -> None:
        super().__init__(member, detail)
        self.member, self.detail = member, detail


class Writer:
    """Writes sources (``bytecode.Source`` as a list: path, shown, member) and their bytecode;
    keeps the wheels it reads open, and the directories it made known. A context manager that
    closes the wheels on exit."""

    def __init__(self) -> None:
        self._made: set[str] = set()
        self._archives: dict[str, zipfile.ZipFile] = {}

    def write(self, sources: "Sequence[Sequence[Any]]") -> None:
        """Each source unpacked (when it has a member) and compiled (when it has a name to
        show). A source that does not compile (wheels ship sources for other Python versions)
        is skipped, as pip and installer skip it; a member that differs from RECORD raises
        ``Damaged``, and what the file system refuses, ``OSError``."""
        for path, shown, member in sources:
            data, st = self._unpacked(path, member, bool(shown)) if member else _read(path)
            if not shown:
                continue
            try:
                code = compile(data, shown, "exec", dont_inherit=True)
            except Exception:  # SyntaxError, ValueError (NUL bytes, bad encoding), RecursionError
                continue
            self._write_bytecode(path, st, code)

    def write_each(self, sources: "Sequence[Sequence[Any]]") -> "list[tuple[int, Exception]]":
        """``write`` source by source: a request holds sources of several installs, and one's
        failure is none of the others'. Each failure with its source's index."""
        failed = []
        for index, source in enumerate(sources):
            try:
                self.write([source])
            except Exception as exc:
                failed.append((index, exc))
        return failed

    def close(self) -> None:
        for archive in self._archives.values():
            archive.close()
        self._archives.clear()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unpacked(
        self, path: str, member: "Sequence[Any]", keep: bool
    ) -> "tuple[bytes, os.stat_result]":
        """The member (wheel, name, RECORD's hash, its size, executable) written at ``path``,
        read-only, as the rest of the entry is, a block at a time (a shared library may be
        hundreds of megabytes); its content when ``keep``."""
        import zipfile
        import zlib

        wheel, name, expected, size, executable = member
        make_parent(path, self._made)
        fd = create_read_only(path, executable)
        try:
            digest, kept, written = hashlib.sha256(), [], 0
            try:
                with self._archive(wheel).open(name) as stream:
                    while block := stream.read(_BLOCK):
                        written += len(block)
                        if written > size:  # never more than RECORD says: a bomb stops here
                            raise Damaged(name, "")
                        digest.update(block)
                        if keep:
                            kept.append(block)
                        write_all(fd, block)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise Damaged(name, str(exc) or type(exc).__name__) from exc
            recorded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
            if written != size or f"sha256={recorded}" != expected:
                raise Damaged(name, "")
            return b"".join(kept), os.fstat(fd)
        finally:
            os.close(fd)

    def _archive(self, wheel: str) -> "zipfile.ZipFile":
        import zipfile

        archive = self._archives.get(wheel)
        if archive is None:
            if len(self._archives) >= _OPEN_ARCHIVES:
                self._archives.pop(next(iter(self._archives))).close()
            archive = self._archives[wheel] = zipfile.ZipFile(wheel)
        return archive

    def _write_bytecode(self, path: str, st: "os.stat_result", code: "CodeType") -> None:
        """What py_compile writes, without its temporary file and rename (staging is private
        until published; a file that failed midway is removed), its failed mkdir and its four
        stats a file (strace): creating and renaming files is what costs here. Created
        read-only, as publishing leaves it (then it need not chmod it)."""
        cached = cache_from_source(path)
        header = MAGIC_NUMBER + bytes(4)  # PEP 552: no flags, then the source's mtime and size
        for number in (int(st.st_mtime), st.st_size):
            header += (number & 0xFFFFFFFF).to_bytes(4, "little")
        try:
            make_parent(cached, self._made)
            fd = create_read_only(cached, False)
            try:
                os.write(fd, header + marshal.dumps(code))
            finally:
                os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(cached)


def make_parent(path: str, made: "set[str]") -> None:
    """Make the directory of ``path`` unless it is in ``made``, the directories made so far."""
    parent = os.path.dirname(path)
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)


def create_read_only(path: str, executable: bool) -> int:
    """The descriptor of a new file at ``path``, never over one, executable for everyone if
    ``executable``. It is read-only from the start, as ``make_read_only`` leaves an entry when
    publishing (which then need not change it: a chmod a file). A descriptor, not a file
    object: ``open`` adds an fstat, an ioctl and an lseek a file (measured)."""
    fd = os.open(path, _CREATE, 0o444)
    if executable:
        try:
            os.fchmod(fd, 0o555)
        except BaseException:
            os.close(fd)
            raise
    return fd


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read(path: str) -> "tuple[bytes, os.stat_result]":
    with open(path, "rb") as f:
        return f.read(), os.fstat(f.fileno())


def failure(exc: BaseException) -> "list[Any]":
    """The description a worker answers for what ``Writer.write`` raised."""
    if isinstance(exc, Damaged):
        return ["damaged", exc.member, exc.detail]
    if isinstance(exc, OSError):
        return ["os", exc.errno, exc.strerror, exc.filename]
    return ["error", f"{type(exc).__name__}: {exc}"]


def rebuilt(description: "Sequence[Any]") -> Exception:
    """What a worker's answer describes, to be raised again in the caller."""
    kind, *rest = description
    if kind == "damaged":
        return Damaged(rest[0], rest[1])
    if kind == "os":
        return OSError(*rest)
    return RuntimeError(f"a bytecode worker failed: {rest[0]}")


def main() -> None:
    # What a worker allocates goes with its last reference: the collector's passes over the
    # compiler's objects found nothing in a cold sync beyond the ~100 objects of the start-up,
    # and cost each worker 12-20 ms of its ~1.6 s of CPU (measured).
    gc.disable()
    writer = Writer()
    for line in sys.stdin:
        failures = [[i, failure(exc)] for i, exc in writer.write_each(json.loads(line))]
        sys.stdout.write((json.dumps(failures) if failures else "") + "\n")
        sys.stdout.flush()
    # Nothing of this interpreter outlives its answers: it need not tear itself down.
    os._exit(0)


if __name__ == "__main__":
    main()
