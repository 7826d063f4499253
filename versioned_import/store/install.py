"""Wheel → store entry: validate, install into staging with ``installer``, describe, publish."""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import posixpath
import stat
import sys
import zipfile
import zlib
from email.parser import HeaderParser

from versioned_import.errors import StoreError, WheelError
from versioned_import.store import Entry, Store, layout

__all__ = ["file_digest", "install_wheel"]

_SUPPORTED_WHEEL_MAJOR = 1
_EXTENSION_SUFFIXES = (".so", ".pyd")
_STORE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
"""Errors of the store's file system, which no other wheel would avoid."""
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def install_wheel(store: Store, wheel: str, source: str | None = None) -> tuple[Entry, bool]:
    """Install ``wheel`` into ``store``; returns its entry and whether it was new.

    ``source`` is where the wheel came from (its URL), recorded for locks; default: its path.
    """
    from packaging.utils import canonicalize_name

    try:
        key = layout.wheel_key(wheel)
    except ValueError as exc:
        raise WheelError(wheel, f"not a wheel file name ({exc})") from exc
    try:
        with store.adding(key) as addition:
            if addition is not None:
                origin = source or os.path.abspath(wheel)
                entry = _install_into(wheel, addition.path, key.tag, origin)
                if canonicalize_name(entry.name) != key.name or entry.version != key.version:
                    raise WheelError(
                        wheel,
                        f"METADATA says {entry.name} {entry.version}, the file name says "
                        f"{key.name} {key.version}; rebuild the wheel",
                    )
    except OSError as exc:
        if exc.errno not in _STORE_FULL:
            raise
        raise StoreError(
            f"{store.root}: cannot install {os.path.basename(wheel)} ({exc.strerror}); nothing "
            "was added; make room on the store's file system and install again"
        ) from exc
    return Entry.read(store.entry_dir(key)), addition is not None and addition.published


def _install_into(wheel: str, staged: str, tag: str, origin: str) -> Entry:
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile

    destination = SchemeDictionaryDestination(
        scheme_dict={k: os.path.join(staged, v) for k, v in layout.SCHEMES.items()},
        interpreter=sys.executable,
        script_kind="posix",
        bytecode_optimization_levels=(0,),
    )
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = _check_archive(wheel, archive)
        with WheelFile.open(wheel) as source:  # type: ignore[arg-type]
            _check_wheel_file(wheel, source.read_dist_info("WHEEL"), tag)
            if "METADATA" not in source.dist_info_filenames:
                raise WheelError(wheel, f"{source.dist_info_dir}/METADATA is missing")
            source.validate_record()
            _check_record_lists_only_members(wheel, source.read_dist_info("RECORD"), names)
            install(source, destination, {"INSTALLER": b"versioned-import\n"})
            return _describe_entry(wheel, staged, source.dist_info_dir, tag, origin)
    except WheelError:
        raise
    # zlib.error, EOFError, NotImplementedError: a damaged or exotic member, met when read.
    except (InstallerError, ValueError, KeyError, zipfile.BadZipFile, OSError, zlib.error,
            EOFError, NotImplementedError) as exc:  # fmt: skip
        if isinstance(exc, OSError) and exc.errno in _STORE_FULL:
            raise  # the store's fault, not the wheel's: install_wheel says so
        raise WheelError(wheel, _describe(exc)) from exc


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
        if info.compress_type not in _COMPRESSIONS:
            raise WheelError(
                wheel, f"{name} uses zip compression method {info.compress_type}, which Python "
                "cannot read; rebuild the wheel"
            )  # fmt: skip
        if parts[0].endswith(".data") and len(parts) < 3 and not name.endswith("/"):
            raise WheelError(wheel, f"{name!r} lies in the .data directory outside any scheme")
    return seen


def _check_record_lists_only_members(wheel: str, record: str, members: set[str]) -> None:
    """installer checks that every member is in RECORD, not that every RECORD line is a member."""
    listed = {row[0] for row in csv.reader(record.splitlines()) if row}
    missing = sorted(listed - members)
    if missing:
        raise WheelError(wheel, f"RECORD lists {', '.join(missing)}, which the wheel lacks")


def _check_wheel_file(wheel: str, wheel_file: str, tag: str) -> None:
    from packaging.tags import parse_tag

    headers = HeaderParser().parsestr(wheel_file)
    value = headers.get("Wheel-Version", "")
    major = value.split(".")[0]
    if not major.isdigit() or int(major) > _SUPPORTED_WHEEL_MAJOR:
        raise WheelError(
            wheel, f"unsupported Wheel-Version {value!r} in WHEEL; this installer reads 1.x"
        )
    declared = {t for line in headers.get_all("Tag") or [] for t in parse_tag(line)}
    if declared and not parse_tag(tag) <= declared:
        raise WheelError(
            wheel,
            f"the file name's tag {tag} is not among the WHEEL file's tags "
            f"({', '.join(sorted(map(str, declared)))}); the wheel was renamed or is damaged",
        )


def _describe_entry(wheel: str, staged: str, dist_info: str, tag: str, origin: str) -> Entry:
    site = os.path.join(staged, layout.SITE_DIR)
    try:
        with open(os.path.join(site, dist_info, "METADATA"), encoding="utf-8") as f:
            metadata = HeaderParser().parse(f)
        if not metadata["Name"] or not metadata["Version"]:
            raise ValueError("it lacks its Name or Version field")
        version = _normalized(metadata["Version"])
    except ValueError as exc:  # also UnicodeDecodeError and InvalidVersion
        raise WheelError(wheel, f"{dist_info}/METADATA: {exc}") from exc
    with open(os.path.join(site, dist_info, "RECORD"), encoding="utf-8", newline="") as f:
        record = [row[0] for row in csv.reader(f) if row]
    top_level, pth_files, size = _scan_record(site, record)
    entry = Entry(
        name=metadata["Name"],
        version=version,
        tag=tag,
        wheel=os.path.basename(wheel),
        sha256=file_digest(wheel).hex(),
        size=size,
        dist_info=dist_info,
        top_level=top_level,
        requires_dist=metadata.get_all("Requires-Dist") or [],
        requires_python=metadata.get("Requires-Python"),
        pth_files=pth_files,
        source=origin,
        wheel_size=os.path.getsize(wheel),
    )
    with open(os.path.join(staged, layout.ENTRY_FILE), "w", encoding="utf-8") as f:
        f.write(entry.to_json())
    return entry


def _scan_record(site: str, record: list[str]) -> tuple[list[str], list[str], int]:
    """Top-level import names, ``.pth`` files and installed size, from the installed RECORD."""
    top_level: set[str] = set()
    pth_files = []
    size = 0
    for path in record:
        # Both lib schemes install into site/, so installer records purelib files as "./x".
        path = posixpath.normpath(path)
        full = os.path.normpath(os.path.join(site, path))
        if os.path.isfile(full):
            size += os.path.getsize(full)
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
    return sorted(names), sorted(pth_files), size


def _normalized(version: str) -> str:
    from packaging.version import Version

    return str(Version(version))


def file_digest(path: str, algorithm: str = "sha256") -> bytes:
    """The digest of the file at ``path``, read a block at a time (wheels can be large)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()
