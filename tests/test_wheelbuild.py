"""Wheels built from dicts: a valid name, METADATA, WHEEL and a RECORD that installer accepts."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from installer.sources import WheelFile

from versioned_import.wheelbuild import build_wheel, record_hash


def _read(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(name).decode("utf-8")


def test_record_hash_is_urlsafe_base64_without_padding() -> None:
    # The value every tool has for the empty file.
    assert record_hash(b"") == "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    data = b"\xff" * 100
    expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert record_hash(data) == f"sha256={expected}"


def test_the_wheel_is_named_after_name_version_and_tag(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "out", "my-lib", "1.2", {}, tag="cp311-cp311-linux_x86_64")
    assert wheel == tmp_path / "out" / "my_lib-1.2-cp311-cp311-linux_x86_64.whl"
    assert wheel.is_file()


def test_record_lists_every_file_and_installer_validates_it(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "demo",
        "1.0",
        {"demo/__init__.py": "X = 1\n", "demo/data.bin": b"\x00\x01"},
        entry_points="[console_scripts]\ndemo = demo:main\n",
    )
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    record = _read(wheel, "demo-1.0.dist-info/RECORD").splitlines()
    assert {line.split(",")[0] for line in record} == names
    assert "demo-1.0.dist-info/RECORD,," in record
    with WheelFile.open(wheel) as source:
        source.validate_record()  # raises on any missing file, wrong hash or wrong size


def test_metadata_holds_requirements_and_extra_headers(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "demo",
        "1.0",
        {},
        requires=["alpha>=1", "beta; extra == 'fast'"],
        metadata=[("Provides-Extra", "fast"), ("Requires-Python", ">=3.9")],
    )
    metadata = HeaderParser().parsestr(_read(wheel, "demo-1.0.dist-info/METADATA"))
    assert (metadata["Name"], metadata["Version"]) == ("demo", "1.0")
    assert metadata.get_all("Requires-Dist") == ["alpha>=1", "beta; extra == 'fast'"]
    assert metadata["Provides-Extra"] == "fast"
    assert metadata["Requires-Python"] == ">=3.9"


def test_only_a_none_any_wheel_is_purelib(tmp_path: Path) -> None:
    pure = build_wheel(tmp_path, "pure", "1.0", {})
    native = build_wheel(tmp_path, "native", "1.0", {}, tag="cp311-abi3-linux_x86_64")
    pure_wheel = HeaderParser().parsestr(_read(pure, "pure-1.0.dist-info/WHEEL"))
    native_wheel = HeaderParser().parsestr(_read(native, "native-1.0.dist-info/WHEEL"))
    assert (pure_wheel["Root-Is-Purelib"], pure_wheel["Tag"]) == ("true", "py3-none-any")
    assert native_wheel["Root-Is-Purelib"] == "false"
    assert native_wheel["Wheel-Version"] == "1.0"


def test_entry_points_are_written_only_when_given(tmp_path: Path) -> None:
    plain = build_wheel(tmp_path, "plain", "1.0", {})
    scripted = build_wheel(tmp_path, "scripted", "1.0", {}, entry_points="[console_scripts]\n")
    with zipfile.ZipFile(plain) as archive:
        assert "plain-1.0.dist-info/entry_points.txt" not in archive.namelist()
    assert _read(scripted, "scripted-1.0.dist-info/entry_points.txt") == "[console_scripts]\n"


def test_text_files_are_written_as_utf8(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "demo", "1.0", {"demo/text.py": "NAME = 'Zoë'\n"})
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("demo/text.py") == "NAME = 'Zoë'\n".encode()
