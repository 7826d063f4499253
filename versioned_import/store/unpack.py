"""A checked wheel → a staged entry's files, in one pass over its members.

Each member is written into its scheme's directory and checked against RECORD's hash and size
as it is written (one hash serves the check and the installed RECORD), then come the launchers
of the entry points, INSTALLER and the installed RECORD. The site's files, but for the
.dist-info, are left to the bytecode compilers when RECORD gives them a sha256: they unpack
and check them where they compile them (``bytecode_worker``), several at once, and RECORD's
line is then the installed one. This is what ``installer.install``
does through a ``SchemeDictionaryDestination`` — the same schemes, launchers, ``#!python``
rewriting, executable bits, warnings and RECORD, byte for byte (tests/test_unpack.py installs
with both and compares) — without its objects, parses and path normalizations for every
member, which were most of an install's time (measured).

The caller has checked the archive (``install._check_archive``: plain relative names, each once,
no links) and RECORD (``install._check_record``, as installer's ``validate_record``: every member
listed, with a hash and a size, except the signature files).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
import sys
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, NamedTuple

from versioned_import.errors import WheelError
from versioned_import.store import layout
from versioned_import.store.bytecode import Member
from versioned_import.store.bytecode_worker import create_read_only, make_parent, write_all

if TYPE_CHECKING:
    from installer.sources import WheelFile

__all__ = ["Unpacked", "mismatch", "unpack"]

_BLOCK = 1 << 16
"""How much of a member is read at a time, as installer does."""
_HASH = "sha256"
"""The installed RECORD's hash, as installer's destination writes it."""
_INSTALLER = b"versioned-import\n"

Row = tuple[str, str, str, str]
"""An installed RECORD line with its scheme: (scheme, path in the scheme, hash, size)."""


class Unpacked(NamedTuple):
    record: list[str]
    """The installed RECORD's paths, relative to the site directory."""
    size: int
    """Bytes of every file of the entry, those ``deferred`` included."""
    deferred: dict[str, Member]
    """The site's files left for the compilers to unpack (``bytecode.Member``), by the absolute
    path they go to."""


def unpack(
    wheel: str,
    archive: zipfile.ZipFile,
    source: WheelFile,
    root_scheme: str,
    staged: str,
    record: Mapping[str, tuple[str, str, str]],
) -> Unpacked:
    """Install ``source`` (installer's view of ``archive``, the wheel at ``wheel``, whose root
    goes to ``root_scheme``, whose RECORD lines by path are ``record``) into the entry staged
    at ``staged``. A member that differs from
    RECORD raises ``WheelError``; a member installed twice or outside its scheme,
    ``ValueError``. The site's files (but the .dist-info) whose RECORD line has a sha256 are
    not written but ``deferred``: the bytecode compilers unpack them, each checked against that
    line, so on many cores the unpacking is not one chain of Python calls in this process."""
    dist_info = source.dist_info_dir
    record_path = f"{dist_info}/RECORD"
    files = _Files(staged)
    if "entry_points.txt" in source.dist_info_filenames:
        _write_launchers(files, source.read_dist_info("entry_points.txt"))
    data_prefix = f"{source.data_dir}/"
    for info in archive.infolist():
        name = info.filename
        if name[-1:] == "/" or name == record_path:  # a directory; RECORD is written last
            continue
        if "__pycache__" in name.split("/")[:-1]:
            _warn_pycache(name, source.distribution)
            continue
        scheme, path = root_scheme, name
        if name.startswith(data_prefix):  # _check_archive: at least a scheme and a file below
            scheme, _, path = name[len(data_prefix) :].partition("/")
            if scheme not in layout.SCHEMES:
                raise ValueError(f"{name} is not contained in a valid .data subdirectory.")
        mode = info.external_attr >> 16
        executable = bool(mode and stat.S_ISREG(mode) and mode & 0o111)
        row = record.get(name, (name, "", ""))
        # The .dist-info stays here: its METADATA is read back to describe the entry.
        site = layout.SCHEMES[scheme] == layout.SITE_DIR and not name.startswith(f"{dist_info}/")
        if site and row[1].startswith("sha256="):
            files.defer(scheme, path, Member(wheel, name, row[1], int(row[2]), executable))
            continue
        with archive.open(info) as stream:
            member = _Member(wheel, row, stream)
            if scheme == "scripts":
                files.write(scheme, path, _fix_shebang(member.read_all()), executable)
            else:
                files.copy(scheme, path, member, executable)
    files.write(root_scheme, f"{dist_info}/INSTALLER", _INSTALLER, False)
    return files.finish(root_scheme, record_path)


class _Member:
    """A member's stream, checked at its end against its RECORD line (unless the line has no
    hash: a signature file), whose content's installed hash is ``installed``."""

    def __init__(self, wheel: str, row: tuple[str, str, str], stream: IO[bytes]) -> None:
        self._wheel, self._row, self._stream = wheel, row, stream
        algorithm, _, self._expected = row[1].partition("=")
        self._checked = self.installed = hashlib.new(_HASH)
        if algorithm and algorithm != _HASH:
            try:
                self._checked = hashlib.new(algorithm)
            except ValueError as exc:
                raise WheelError(
                    wheel, f"RECORD's hash algorithm for {row[0]} is not one Python has ({exc})"
                ) from exc

    def blocks(self) -> Iterator[bytes]:
        """The member's content, checked once read to the end."""
        read, checked, installed = self._stream.read, self._checked, self.installed
        size = 0
        while block := read(_BLOCK):
            checked.update(block)
            if installed is not checked:
                installed.update(block)
            size += len(block)
            yield block
            if len(block) < _BLOCK:  # the end: a buffered stream reads short only there
                break
        if self._row[1]:
            self._check(size)

    def read_all(self) -> bytes:
        return b"".join(self.blocks())

    def _check(self, size: int) -> None:
        actual = layout.record_digest(self._checked.digest()).partition("=")[2]
        if actual != self._expected or not self._row[2] or size != int(self._row[2]):
            raise mismatch(self._wheel, self._row[0])


def mismatch(wheel: str, name: str) -> WheelError:
    """The failure of a member of ``wheel`` that differs from its RECORD line, wherever it was
    unpacked."""
    return WheelError(
        wheel,
        f"hash / size of {name} didn't match RECORD; the wheel is damaged or was tampered with",
    )


class _Files:
    """The staged entry's files, written once each, and its installed RECORD."""

    def __init__(self, staged: str) -> None:
        staged = os.path.abspath(staged)
        self._roots = {scheme: os.path.join(staged, d) for scheme, d in layout.SCHEMES.items()}
        self._made: set[str] = set()
        self._targets: set[str] = set()
        self._rows: list[Row] = []
        self._size = 0
        self._deferred: dict[str, Member] = {}

    def copy(self, scheme: str, path: str, member: _Member, executable: bool) -> None:
        size = 0
        fd = self._create(scheme, path, executable)
        try:
            for block in member.blocks():
                write_all(fd, block)
                size += len(block)
        finally:
            os.close(fd)
        self._add(scheme, path, member.installed.digest(), size)

    def defer(self, scheme: str, path: str, member: Member) -> None:
        """Record ``member`` as installed at ``path``, for its compiler to write."""
        self._deferred[self._target(scheme, path)] = member
        self._rows.append((scheme, path, member.record_hash, str(member.size)))
        self._size += member.size

    def write(self, scheme: str, path: str, data: bytes, executable: bool) -> None:
        self._put(scheme, path, data, executable)
        self._add(scheme, path, hashlib.new(_HASH, data).digest(), len(data))

    def finish(self, root_scheme: str, record_path: str) -> Unpacked:
        """Write the installed RECORD, as installer's ``construct_record_file`` does: sorted
        by path, each path prefixed by its scheme's directory relative to the root scheme's."""
        self._rows.append((root_scheme, record_path, "", ""))
        root = self._roots[root_scheme]
        prefixes = {s: os.path.relpath(d, root) + "/" for s, d in self._roots.items()}
        prefixes[root_scheme] = ""
        text = io.StringIO()
        writer = csv.writer(text, delimiter=",", quotechar='"', lineterminator="\n")
        paths = []
        for scheme, path, digest, size in sorted(self._rows, key=lambda row: row[1]):
            paths.append(prefixes[scheme] + path)
            writer.writerow((paths[-1], digest, size))
        data = text.getvalue().encode("utf-8")
        self._put(root_scheme, record_path, data, False)
        return Unpacked(paths, self._size + len(data), self._deferred)

    def _put(self, scheme: str, path: str, data: bytes, executable: bool) -> None:
        fd = self._create(scheme, path, executable)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    def _create(self, scheme: str, path: str, executable: bool) -> int:
        """The descriptor of a new, read-only file at ``path`` in ``scheme`` (``_target``:
        never over one written before, as installer refuses), executable for everyone if
        ``executable``."""
        target = self._target(scheme, path)
        make_parent(target, self._made)
        return create_read_only(target, executable)

    def _target(self, scheme: str, path: str) -> str:
        """Where ``path`` of ``scheme`` goes: inside the scheme's directory, and taken by no
        other file of the entry (installer refuses both too)."""
        root = self._roots[scheme]
        target = os.path.normpath(os.path.join(root, path))
        if not target.startswith(root + os.sep):
            raise ValueError(f"Attempting to write {path} outside of the target directory")
        if target in self._targets:
            raise ValueError(f"more than one member of the wheel installs as {path} ({scheme})")
        self._targets.add(target)
        return target

    def _add(self, scheme: str, path: str, digest: bytes, size: int) -> None:
        self._rows.append((scheme, path, layout.record_digest(digest, _HASH), str(size)))
        self._size += size


def _write_launchers(files: _Files, entry_points: str) -> None:
    """installer's launchers (``Script``, a posix script) of the console and gui scripts."""
    from installer.scripts import Script
    from installer.utils import parse_entrypoints

    for name, module, attr, section in parse_entrypoints(entry_points):
        script_name, data = Script(name, module, attr, section).generate(sys.executable, "posix")
        files.write("scripts", script_name, data, True)


def _fix_shebang(data: bytes) -> bytes:
    """installer's ``fix_shebang``: a script's ``#!python`` line names this interpreter."""
    if data[:8] != b"#!python":
        return data
    end = data.find(b"\n")
    return f"#!{sys.executable}\n".encode() + (data[end + 1 :] if end != -1 else b"")


def _warn_pycache(name: str, distribution: str) -> None:
    """installer's warning, as it skips a member in a ``__pycache__`` directory."""
    warnings.warn(
        f"Skip installing {name} from {distribution}. Installing files in a __pycache__ "
        "directory poses a security risk. __pycache__ directories should not be included in "
        f"wheels. This is probably an issue in the build process of '{distribution}'.",
        RuntimeWarning,
        stacklevel=3,
    )
