"""The one-pass unpacker does what ``installer.install`` does, file for file and byte for byte."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys
import warnings
import zipfile
from importlib.util import cache_from_source
from pathlib import Path

import pytest

from versioned_import.store import layout
from versioned_import.store.bytecode import Source, compile_here
from versioned_import.store.install import (
    _check_archive,
    _check_record,
    _check_wheel_file,
    _wheel_source,
)
from versioned_import.store.unpack import Unpacked, unpack

_INSTALLER = {"INSTALLER": b"versioned-import\n"}
Tree = dict[str, tuple[bytes, bool]]


def _wheel(
    tmp_path: Path,
    members: dict[str, bytes | tuple[bytes, int]],
    *,
    purelib: bool = True,
    algorithm: str = "sha256",
    unlisted: tuple[str, ...] = (),
) -> Path:
    """demo-1.0 with ``members`` (content, or content and zip mode bits) and its RECORD in
    ``algorithm``; the ``unlisted`` members are left out of RECORD (signature files)."""
    dist_info = "demo-1.0.dist-info"
    tag = "py3-none-any" if purelib else "cp311-cp311-linux_x86_64"
    wheel_file = f"Wheel-Version: 1.0\nRoot-Is-Purelib: {str(purelib).lower()}\nTag: {tag}\n"
    files: dict[str, tuple[bytes, int]] = {
        name: value if isinstance(value, tuple) else (value, 0o644)
        for name, value in members.items()
    }
    files[f"{dist_info}/METADATA"] = (b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", 0o644)
    files[f"{dist_info}/WHEEL"] = (wheel_file.encode(), 0o644)
    rows = [
        f"{name},{algorithm}={_digest(data, algorithm)},{len(data)}"
        for name, (data, _mode) in files.items()
        if name not in unlisted
    ]
    record = "\n".join([*rows, f"{dist_info}/RECORD,,"]) + "\n"
    files[f"{dist_info}/RECORD"] = (record.encode(), 0o644)
    wheel = tmp_path / f"demo-1.0-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, data)
    return wheel


def _digest(data: bytes, algorithm: str) -> str:
    return base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).decode().rstrip("=")


def _by_installer(wheel: Path, staged: Path) -> None:
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    schemes = {scheme: str(staged / d) for scheme, d in layout.SCHEMES.items()}
    destination = SchemeDictionaryDestination(schemes, sys.executable, "posix")
    with WheelFile.open(wheel) as source:
        install(source, destination, _INSTALLER)


def _unpacked(wheel: Path, staged: Path) -> Unpacked:
    with zipfile.ZipFile(wheel) as archive:
        _check_archive(str(wheel), archive)
        source = _wheel_source(archive)
        tag = wheel.name.removesuffix(".whl").split("-", 2)[2]
        root_scheme = _check_wheel_file(str(wheel), source.read_dist_info("WHEEL"), tag)
        _text, record = _check_record(str(wheel), archive, source.dist_info_dir)
        return unpack(str(wheel), archive, source, root_scheme, str(staged), record)


def _by_unpack(wheel: Path, staged: Path) -> None:
    unpacked = _unpacked(wheel, staged)
    # The site's files are left to the compilers, which unpack them; their bytecode goes.
    compile_here(
        [Source(p, p if p.endswith(".py") else "", m) for p, m in unpacked.deferred.items()]
    )
    for path in unpacked.deferred:
        if path.endswith(".py"):
            Path(cache_from_source(path)).unlink()
    for pycache in sorted(staged.rglob("__pycache__")):
        if not any(pycache.iterdir()):
            pycache.rmdir()


def _tree(top: Path) -> Tree:
    """Every file below ``top``: its content, and whether its owner may execute it."""
    return {
        str(path.relative_to(top)): (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
        for path in sorted(top.rglob("*"))
        if path.is_file()
    }


_SCRIPTS = "[console_scripts]\ndemo-run = demo.cli:main\n[gui_scripts]\ndemo-gui = demo:gui\n"
_WHEELS: dict[str, dict[str, bytes | tuple[bytes, int]]] = {
    "schemes-and-launchers": {
        "demo/__init__.py": b"VALUE = 1\n",
        "demo/tool.sh": (b"#!/bin/sh\necho hi\n", 0o755),
        "demo-1.0.data/scripts/demo-tool": b"#!python\nprint('tool')\n",
        "demo-1.0.data/scripts/demo-sh": (b"#!/bin/sh\necho sh\n", 0o755),
        "demo-1.0.data/scripts/demo-bare": b"#!python",
        "demo-1.0.data/data/share/demo/notes.txt": b"notes\n",
        "demo-1.0.data/headers/demo.h": b"int demo;\n",
        "demo-1.0.data/purelib/demo_extra/__init__.py": b"",
        "demo-1.0.dist-info/entry_points.txt": _SCRIPTS.encode(),
    },
    "nothing-but-metadata": {},
}


@pytest.mark.parametrize("members", _WHEELS.values(), ids=_WHEELS.keys())
@pytest.mark.parametrize("purelib", [True, False], ids=["purelib", "platlib"])
@pytest.mark.parametrize("algorithm", ["sha256", "sha384"])
def test_unpacking_installs_what_installer_installs(
    tmp_path: Path, members: dict[str, bytes | tuple[bytes, int]], purelib: bool, algorithm: str
) -> None:
    wheel = _wheel(tmp_path, members, purelib=purelib, algorithm=algorithm)
    _by_installer(wheel, tmp_path / "installer")
    _by_unpack(wheel, tmp_path / "unpack")
    expected = _tree(tmp_path / "installer")
    assert _tree(tmp_path / "unpack") == expected
    # The installed RECORD lists everything written, with its sha256, whatever RECORD used.
    record = expected[f"{layout.SITE_DIR}/demo-1.0.dist-info/RECORD"][0].decode()
    assert len(record.splitlines()) == len(expected)
    assert "sha384" not in record


def test_a_signature_file_outside_record_is_installed_as_installer_does(tmp_path: Path) -> None:
    members: dict[str, bytes | tuple[bytes, int]] = {
        "demo/__init__.py": b"",
        "demo-1.0.dist-info/RECORD.jws": b"signature",
    }
    wheel = _wheel(tmp_path, members, unlisted=("demo-1.0.dist-info/RECORD.jws",))
    _by_installer(wheel, tmp_path / "installer")
    _by_unpack(wheel, tmp_path / "unpack")
    assert _tree(tmp_path / "unpack") == _tree(tmp_path / "installer")


def test_a_member_in_a_pycache_directory_is_skipped_with_installer_s_warning(
    tmp_path: Path,
) -> None:
    pyc = f"demo/__pycache__/__init__.{sys.implementation.cache_tag}.pyc"
    wheel = _wheel(tmp_path, {"demo/__init__.py": b"", pyc: b"stale"})
    caught = {}
    for how, install in [("installer", _by_installer), ("unpack", _by_unpack)]:
        with warnings.catch_warnings(record=True) as found:
            warnings.simplefilter("always")
            install(wheel, tmp_path / how)
        caught[how] = [(w.category, str(w.message)) for w in found]
    assert caught["unpack"] == caught["installer"]
    assert len(caught["unpack"]) == 1 and pyc in caught["unpack"][0][1]
    assert _tree(tmp_path / "unpack") == _tree(tmp_path / "installer")
    assert not os.path.exists(tmp_path / "unpack" / layout.SITE_DIR / "demo" / "__pycache__")


def test_the_site_s_files_are_left_to_the_compilers_to_unpack(tmp_path: Path) -> None:
    # In this process the unpacking is one chain of Python calls, which on many cores a cold
    # sync waited for: the site's files are unpacked where they are compiled, several at once.
    wheel = _wheel(tmp_path, _WHEELS["schemes-and-launchers"])
    staged = tmp_path / "staged"
    unpacked = _unpacked(wheel, staged)
    site = staged / layout.SITE_DIR
    left = {Path(path).relative_to(site).as_posix() for path in unpacked.deferred}
    assert left == {"demo/__init__.py", "demo/tool.sh", "demo_extra/__init__.py"}
    written = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    assert written and all(path.startswith("demo-1.0.dist-info/") for path in written)
    assert unpacked.deferred[str(site / "demo" / "tool.sh")].executable


def test_files_recorded_in_another_algorithm_are_unpacked_here(tmp_path: Path) -> None:
    # The installed RECORD records sha256, which only unpacking them here computes.
    wheel = _wheel(tmp_path, _WHEELS["schemes-and-launchers"], algorithm="sha384")
    assert _unpacked(wheel, tmp_path / "staged").deferred == {}
