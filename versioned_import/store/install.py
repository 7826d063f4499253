"""Wheel → store entry: validate, install into staging with ``installer``, describe, publish.

Each member is checked against RECORD's hash and size as it is unpacked (one pass over the
archive, not a check and then an install), and a mismatch stops the install before anything is
published. The site's files are unpacked, and their bytecode compiled, in staging by the
caller's ``Compile`` (``bytecode.Compilers``: worker processes, so the unpacking of many wheels
is spread over the cores).
"""

from __future__ import annotations

import csv
import errno
import os
import posixpath
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from email.parser import HeaderParser
from functools import cached_property, partial
from typing import TYPE_CHECKING

from versioned_import._runtime.fs import file_digest
from versioned_import.errors import StoreError, WheelError
from versioned_import.store import Entry, Store, layout
from versioned_import.store.bytecode import Compile, Damaged, Source, compile_here
from versioned_import.store.unpack import Unpacked, mismatch, unpack

if TYPE_CHECKING:
    from concurrent.futures import Future

    from installer.sources import WheelFile

__all__ = ["Installs", "install_wheel"]

_SUPPORTED_WHEEL_MAJOR = 1
_EXTENSION_SUFFIXES = (".so", ".pyd")
_STORE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
"""Errors of the store's file system, which no other wheel would avoid."""
_ENCRYPTED = 0x1
"""The zip general purpose flag that marks an encrypted member."""
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_SIGNATURES = ("RECORD.p7s", "RECORD.jws")
"""A wheel's signature files, which RECORD does not list."""
_MAX_THREADS = 256
"""Installs in progress at once; most of them wait for their bytecode, or to be published."""


def install_wheel(
    store: Store,
    wheel: str,
    source: str | None = None,
    compile: Compile = compile_here,
    *,
    by_content: bool = False,
    busy: threading.Lock | None = None,
    before_publish: Callable[[], object] | None = None,
) -> tuple[Entry, bool]:
    """Install ``wheel`` into ``store``; returns its entry and whether it was new.

    ``source`` is where the wheel came from (its URL), recorded for locks; default: its path.
    ``compile`` unpacks the site's files left to it and writes the bytecode of the staged
    sources (``bytecode.Compilers`` shares worker processes between installs). ``by_content``
    keys the entry by the wheel's sha256 too (``layout.content_key``), for wheels built from
    local files. ``busy`` is held while this install works in this process, and released while
    it waits for ``compile``.
    ``before_publish`` is called, with ``busy`` released, once the entry is staged whole; what
    it raises stops the install, and nothing is published.
    """
    from packaging.utils import canonicalize_name

    try:
        key = layout.wheel_key(wheel)
    except ValueError as exc:
        raise WheelError(wheel, f"not a wheel file name ({exc})") from exc
    tag = key.tag
    if by_content:
        key = layout.content_key(key, file_digest(wheel).hex())
    try:
        with busy or nullcontext(), store.adding(key) as addition:
            if addition is not None:
                origin = source or os.path.abspath(wheel)
                entry, unpacked = _install_into(wheel, addition.path, tag, origin)
                if canonicalize_name(entry.name) != key.name or entry.version != key.version:
                    raise WheelError(
                        wheel,
                        f"METADATA says {entry.name} {entry.version}, the file name says "
                        f"{key.name} {key.version}; rebuild the wheel",
                    )
                sources = _sources(unpacked, addition.path, store.entry_dir(key))
                with _released(busy):
                    _compile(wheel, compile, sources)
                    # Last: a staged entry with its entry.json is whole.
                    with open(
                        os.path.join(addition.path, layout.ENTRY_FILE), "w", encoding="utf-8"
                    ) as f:
                        f.write(entry.to_json())
                    if before_publish is not None:
                        before_publish()
    except OSError as exc:
        if exc.errno not in _STORE_FULL:
            raise
        raise StoreError(
            f"{store.root}: cannot install {os.path.basename(wheel)} ({exc.strerror}); nothing "
            "was added; make room on the store's file system and install again"
        ) from exc
    return Entry.read(store.entry_dir(key)), addition is not None and addition.published


class Installs:
    """Installs started one by one, as their wheels arrive (a download finishing, a guess
    fetched), on a thread each, ``compile`` unpacking their site and writing their bytecode.
    None is published before ``publish`` allows its wheel: a caller may start installing before
    it knows that all it needs was fetched. A context manager: on exit the installs not allowed
    are thrown away, and every install has ended."""

    def __init__(self, store: Store, compile: Compile) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._store = store
        self._compile = compile
        # One install works at a time (Python threads that make system calls side by side hand
        # the GIL to each other at every call: ten times the futex calls, measured), and a
        # wheel waiting for its bytecode lets the next one work: the workers always have files.
        self._busy = threading.Lock()
        self._pool = ThreadPoolExecutor(_MAX_THREADS, thread_name_prefix="vimport-install")
        self._installs: dict[str, Future[tuple[Entry, bool]]] = {}
        self._allowed: Container[str] = ()
        self._decided = threading.Event()

    def add(self, wheel: str, source: str | None = None, *, by_content: bool = False) -> None:
        """Start installing ``wheel`` (each path once), as ``install_wheel`` does."""
        self._installs[wheel] = self._pool.submit(
            install_wheel,
            self._store,
            wheel,
            source,
            self._compile,
            by_content=by_content,
            busy=self._busy,
            before_publish=partial(self._verdict, wheel),
        )

    def _verdict(self, wheel: str) -> None:
        self._decided.wait()
        if wheel not in self._allowed:
            raise _Withheld

    def publish(self, wheels: Container[str] | None = None) -> None:
        """Let the installs of ``wheels`` publish their entries, and throw the others away;
        without ``wheels``, every install, those added later too."""
        self._allowed = _Every() if wheels is None else wheels
        self._decided.set()

    def entries(self, wheels: Sequence[str]) -> list[Entry]:
        """The entries the installs of ``wheels`` published or found, once all have ended; the
        first failure is raised then."""
        futures = [self._installs[wheel] for wheel in wheels]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result()[0] for f in futures]

    def __enter__(self) -> Installs:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._decided.is_set():
            self.publish(())  # never allowed: the caller failed before it could
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Withheld(Exception):
    """An install that ``Installs.publish`` did not allow: its staged entry is removed."""


class _Every:
    def __contains__(self, item: object) -> bool:
        return True


@contextmanager
def _released(lock: threading.Lock | None) -> Iterator[None]:
    if lock is None:
        yield
        return
    lock.release()
    try:
        yield
    finally:
        lock.acquire()


def _sources(unpacked: Unpacked, staged: str, final: str) -> list[Source]:
    """The staged entry's Python sources to compile, from its installed RECORD (a walk of the
    entry for them cost a tenth of an install, measured), each with the path it will be
    published at, which its code objects name (tracebacks and ``__file__`` agree then), and
    the member to unpack it from where it was deferred; then the other deferred files."""
    staged, final = os.path.join(staged, layout.SITE_DIR), os.path.join(final, layout.SITE_DIR)
    sources = []
    for path in _python_sources(unpacked.record):
        where = os.path.join(staged, path)
        sources.append(Source(where, os.path.join(final, path), unpacked.deferred.get(where)))
    compiled = {source.path for source in sources}
    others = (
        Source(where, "", m) for where, m in unpacked.deferred.items() if where not in compiled
    )
    return [*sources, *others]


def _compile(wheel: str, compile: Compile, sources: list[Source]) -> None:
    """``compile`` the sources, which unpacks the deferred ones: a member that differs from
    RECORD, or that the file system refuses (but for a full store: ``install_wheel`` says
    so), is the wheel's failure."""
    try:
        compile(sources)
    except Damaged as exc:
        failure = WheelError(wheel, exc.detail) if exc.detail else mismatch(wheel, exc.member)
        raise failure from exc
    except OSError as exc:
        if exc.errno in _STORE_FULL:
            raise
        raise WheelError(wheel, _describe(exc)) from exc


def _install_into(wheel: str, staged: str, tag: str, origin: str) -> tuple[Entry, Unpacked]:
    """The entry ``wheel`` unpacks into at ``staged``, and what was unpacked."""
    from installer.exceptions import InstallerError

    try:
        # One archive, its central directory read once, for the checks and the unpacking.
        with zipfile.ZipFile(wheel) as archive:
            names = _check_archive(wheel, archive)
            source = _wheel_source(archive)
            root_scheme = _check_wheel_file(wheel, source.read_dist_info("WHEEL"), tag)
            if "METADATA" not in source.dist_info_filenames:
                raise WheelError(wheel, f"{source.dist_info_dir}/METADATA is missing")
            # Names, sizes and hashes present; contents are checked while unpacked.
            text, record = _check_record(wheel, archive, source.dist_info_dir)
            _check_record_lists_only_members(wheel, text, names)
            unpacked = unpack(wheel, archive, source, root_scheme, staged, record)
            entry = _describe_entry(wheel, staged, source.dist_info_dir, tag, origin, unpacked)
            return entry, unpacked
    except WheelError:
        raise
    # zlib.error, EOFError, NotImplementedError: a damaged or exotic member, met when read.
    except (InstallerError, ValueError, KeyError, zipfile.BadZipFile, OSError, zlib.error,
            EOFError, NotImplementedError) as exc:  # fmt: skip
        if isinstance(exc, OSError) and exc.errno in _STORE_FULL:
            raise  # the store's fault, not the wheel's: install_wheel says so
        raise WheelError(wheel, _describe(exc)) from exc


def _wheel_source(archive: zipfile.ZipFile) -> WheelFile:
    """installer's ``WheelFile`` of the open ``archive``: its names and RECORD checks."""
    from installer.sources import WheelFile

    class Source(WheelFile):
        @cached_property
        def dist_info_filenames(self) -> list[str]:
            """installer's, computed once rather than at each use, and by prefix rather than
            with a ``posixpath.commonpath`` a member (those calls were a tenth of an install's
            time, measured): ``_check_archive`` refused every name that it would normalize."""
            prefix = f"{self.dist_info_dir}/"
            return [
                name[len(prefix) :]
                for name in self._zipfile.namelist()
                if name.startswith(prefix) and not name.endswith("/")
            ]

    return Source(archive)


def _describe(exc: BaseException) -> str:
    issues = getattr(exc, "issues", None)
    if issues:
        return "; ".join(issues)
    if exc.args and isinstance(exc.args[-1], str):  # installer's InvalidWheelSource(source, msg)
        return exc.args[-1]
    return str(exc) or type(exc).__name__


def _check_archive(wheel: str, archive: zipfile.ZipFile) -> set[str]:
    """What installer lets through, or loops on: a name twice (which copy wins?), symbolic
    links, and names that are absolute, have empty, "." or ".." parts, or put a file directly in
    the .data directory. Returns the members' names."""
    seen: set[str] = set()
    for info in archive.infolist():
        name = info.filename
        if name in seen:
            raise WheelError(wheel, f"{name} is in the archive twice; rebuild the wheel")
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise WheelError(wheel, f"{name} is a symbolic link; wheels hold files only")
        parts = name.rstrip("/").split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise WheelError(wheel, f"{name!r} is not a plain relative path inside the wheel")
        if info.flag_bits & _ENCRYPTED:
            raise WheelError(wheel, f"{name} is encrypted; a wheel's members never are")
        if info.compress_type not in _COMPRESSIONS:
            raise WheelError(
                wheel, f"{name} uses zip compression method {info.compress_type}, which Python "
                "cannot read; rebuild the wheel"
            )  # fmt: skip
        if parts[0].endswith(".data") and len(parts) < 3 and not name.endswith("/"):
            raise WheelError(wheel, f"{name!r} lies in the .data directory outside any scheme")
    return seen


def _check_record(
    wheel: str, archive: zipfile.ZipFile, dist_info: str
) -> tuple[str, dict[str, tuple[str, str, str]]]:
    """RECORD's text and its lines by path, once checked as installer's ``validate_record``
    checks them, with its messages: every member listed with a hash and a size, but RECORD
    (with neither) and the signature files (not listed). Without its
    ``posixpath.commonpath`` a member: ``_check_archive`` refused the names it would
    normalize."""
    from installer.records import InvalidRecordEntry, RecordEntry, parse_record_file

    where = f"In {archive.filename}, "
    try:
        text = archive.read(f"{dist_info}/RECORD").decode("utf-8")
        record = {row[0]: row for row in parse_record_file(text.splitlines())}
    except Exception as exc:  # what installer catches, and says
        message = f"Unable to retrieve `RECORD` from {archive.filename}: {exc!r}"
        raise WheelError(wheel, message) from exc
    issues: list[str] = []
    for info in archive.infolist():
        name = info.filename
        if name[-1:] == "/":
            continue
        row = record.get(name)  # _check_archive: each name once
        if name.startswith(f"{dist_info}/") and name.rpartition("/")[2] in _SIGNATURES:
            if row is not None:
                issues.append(
                    f"{where}digital signature file {name} is incorrectly contained in RECORD."
                )
            continue
        if row is None:
            issues.append(f"{where}{name} is not mentioned in RECORD")
            continue
        try:
            entry = RecordEntry.from_elements(*row)
        except InvalidRecordEntry as exc:
            invalid = f"{where}entry in RECORD file for {name} is invalid: "
            issues += [invalid + issue for issue in exc.issues]
            continue
        if name == f"{dist_info}/RECORD":
            if entry.hash_ is not None or entry.size is not None:
                issues.append(f"{where}RECORD file incorrectly contains hash / size.")
        elif entry.hash_ is None or entry.size is None:
            issues.append(f"{where}hash / size of {name} is not included in RECORD")
    if issues:
        raise WheelError(wheel, "; ".join(issues))
    return text, record


def _check_record_lists_only_members(wheel: str, record: str, members: set[str]) -> None:
    """installer checks that every member is in RECORD, not that every RECORD line is a member."""
    listed = {row[0] for row in csv.reader(record.splitlines()) if row}
    missing = sorted(listed - members)
    if missing:
        raise WheelError(wheel, f"RECORD lists {', '.join(missing)}, which the wheel lacks")


def _check_wheel_file(wheel: str, wheel_file: str, tag: str) -> str:
    """Check the WHEEL file; returns the scheme of the wheel's root."""
    from packaging.tags import parse_tag

    headers = HeaderParser().parsestr(wheel_file)
    value = headers.get("Wheel-Version", "")
    major = value.split(".")[0]
    if not major.isdigit() or int(major) > _SUPPORTED_WHEEL_MAJOR:
        raise WheelError(
            wheel, f"unsupported Wheel-Version {value!r} in WHEEL; this installer reads 1.x"
        )
    if not value.startswith("1."):  # what installer refused too
        raise WheelError(
            wheel, f"Incompatible Wheel-Version {value}, only support version 1.x wheels."
        )
    declared = {t for line in headers.get_all("Tag") or [] for t in parse_tag(line)}
    if declared and not parse_tag(tag) <= declared:
        raise WheelError(
            wheel,
            f"the file name's tag {tag} is not among the WHEEL file's tags "
            f"({', '.join(sorted(map(str, declared)))}); the wheel was renamed or is damaged",
        )
    return "purelib" if headers.get("Root-Is-Purelib") == "true" else "platlib"


def _describe_entry(
    wheel: str, staged: str, dist_info: str, tag: str, origin: str, unpacked: Unpacked
) -> Entry:
    site = os.path.join(staged, layout.SITE_DIR)
    try:
        with open(os.path.join(site, dist_info, "METADATA"), encoding="utf-8") as f:
            metadata = HeaderParser().parse(f)
        if not metadata["Name"] or not metadata["Version"]:
            raise ValueError("it lacks its Name or Version field")
        version = _normalized(metadata["Version"])
    except ValueError as exc:  # also UnicodeDecodeError and InvalidVersion
        raise WheelError(wheel, f"{dist_info}/METADATA: {exc}") from exc
    top_level, pth_files = _scan_record(unpacked.record)
    entry = Entry(
        name=metadata["Name"],
        version=version,
        tag=tag,
        wheel=os.path.basename(wheel),
        sha256=file_digest(wheel).hex(),
        size=unpacked.size,
        dist_info=dist_info,
        top_level=top_level,
        requires_dist=metadata.get_all("Requires-Dist") or [],
        requires_python=metadata.get("Requires-Python"),
        pth_files=pth_files,
        source=origin,
        wheel_size=os.path.getsize(wheel),
    )
    return entry


def _scan_record(record: list[str]) -> tuple[list[str], list[str]]:
    """Top-level import names and ``.pth`` files, from the installed RECORD."""
    top_level: set[str] = set()
    pth_files = []
    for path in record:
        # Both lib schemes install into site/, so installer records purelib files as "./x".
        path = posixpath.normpath(path)
        if path.startswith("../"):
            continue
        first, _, rest = path.partition("/")
        if first.endswith((".dist-info", ".data")) or first == "__pycache__":
            continue
        if not rest:
            if first.endswith(".pth"):
                pth_files.append(first)
            elif first.endswith((".py", *_EXTENSION_SUFFIXES)):
                top_level.add(first.partition(".")[0])
        else:
            top_level.add(first)
    # Not isidentifier(): mypyc wheels ship modules like 955cd85d9c9a4f4b30d3__mypyc that only
    # C code imports, yet must be found; "foo.libs" and "x-1.0.data" are no module names.
    names = (n for n in top_level if n and all(c.isalnum() or c == "_" for c in n))
    return sorted(names), sorted(pth_files)


def _python_sources(record: list[str]) -> list[str]:
    """The ``.py`` files of the installed RECORD inside the site directory."""
    # Both lib schemes install into site/, so installer records purelib files as "./x".
    paths = (posixpath.normpath(path) for path in record if path.endswith(".py"))
    return [path for path in paths if not path.startswith("../")]


def _normalized(version: str) -> str:
    from packaging.version import Version

    return str(Version(version))
