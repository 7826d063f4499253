"""Build small wheels from a mapping of files, with a correct RECORD (for the demo and tests)."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from versioned_import.store.layout import record_digest

__all__ = ["build_wheel", "record_hash"]


def record_hash(data: bytes) -> str:
    """The RECORD form of the sha256 digest of ``data``."""
    return record_digest(hashlib.sha256(data).digest())


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    files: Mapping[str, str | bytes],
    *,
    requires: Iterable[str] = (),
    tag: str = "py3-none-any",
    metadata: Iterable[tuple[str, str]] = (),
    entry_points: str | None = None,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``directory`` and return its path.

    ``files`` maps paths inside the wheel to their contents; paths under
    ``{name}-{version}.data/`` land in the other schemes. ``metadata`` adds header lines
    (e.g. ``("Provides-Extra", "fast")``).
    """
    stem = f"{name.replace('-', '_')}-{version}"
    dist_info = f"{stem}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    lines += [f"{key}: {value}" for key, value in metadata]
    purelib = "true" if tag.endswith("-none-any") else "false"
    contents: dict[str, bytes] = {
        path: data.encode("utf-8") if isinstance(data, str) else data
        for path, data in files.items()
    }
    contents[f"{dist_info}/METADATA"] = ("\n".join(lines) + "\n").encode("utf-8")
    contents[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: versioned-import\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
    ).encode()
    if entry_points is not None:
        contents[f"{dist_info}/entry_points.txt"] = entry_points.encode("utf-8")
    record = [f"{path},{record_hash(data)},{len(data)}" for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{stem}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel
