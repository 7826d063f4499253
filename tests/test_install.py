"""Wheel → store entry: validation, layout of an entry, what entry.json records."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from importlib.util import cache_from_source
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeWheel
from tests.storecheck import assert_store_sound, snapshot, staging_leftovers
from versioned_import.errors import StoreError, WheelError
from versioned_import.store import Entry, Key, Store, layout
from versioned_import.store import install as install_module
from versioned_import.store.bytecode import Compile, Compilers, Source, compile_here
from versioned_import.store.install import Installs, install_wheel
from versioned_import.wheelbuild import record_hash

_DIST_INFO = "demo-1.0.dist-info"


def _rewrite(wheel: Path, changes: Mapping[str, bytes | None], *, fix_record: bool = True) -> Path:
    """Apply ``changes`` (path -> content, None deletes) to ``wheel`` in place.

    With ``fix_record`` the RECORD is computed again, so the wheel is consistent and only the
    change itself is wrong; without it the old RECORD stays, as in a tampered wheel.
    """
    with zipfile.ZipFile(wheel) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    for name, content in changes.items():
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    if fix_record:
        record = f"{_DIST_INFO}/RECORD"
        rows = [f"{n},{record_hash(d)},{len(d)}" for n, d in files.items() if n != record]
        files[record] = ("\n".join([*rows, f"{record},,"]) + "\n").encode()
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return wheel


def _record_line(wheel: Path, path: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        record = archive.read(f"{_DIST_INFO}/RECORD").decode()
    return next(line for line in record.splitlines() if line.startswith(f"{path},"))


def _assert_nothing_left(store: Store) -> None:
    assert store.entries() == []
    staging = layout.staging_dir(store.root)
    assert not os.path.isdir(staging) or os.listdir(staging) == []


def install_wheels(
    store: Store, wheels: Sequence[Path], compile: Compile | None = None
) -> list[Entry]:
    """``wheels`` installed at once (``Installs``), each published as soon as it is whole; the
    bytecode by ``compile``, by default two workers."""
    if compile is None:
        with Compilers(2) as workers:
            return install_wheels(store, wheels, workers.compile)
    with Installs(store, compile) as installs:
        installs.publish()
        for wheel in wheels:
            installs.add(str(wheel))
        return installs.entries([str(w) for w in wheels])


@pytest.fixture
def demo_wheel(make_wheel: MakeWheel) -> Path:
    return make_wheel("demo", "1.0", {"demo/__init__.py": "VALUE = 1\n"})


# --- the wheels that must be refused -------------------------------------------------------


def test_a_file_whose_hash_differs_from_record_is_refused(store: Store, demo_wheel: Path) -> None:
    # Same size, different bytes: only the hash can tell.
    _rewrite(demo_wheel, {"demo/__init__.py": b"VALUE = 2\n"}, fix_record=False)
    with pytest.raises(WheelError, match=r"demo/__init__\.py didn't match RECORD") as excinfo:
        install_wheel(store, str(demo_wheel))
    assert excinfo.value.wheel == str(demo_wheel)
    _assert_nothing_left(store)


def test_a_file_whose_size_differs_from_record_is_refused(store: Store, demo_wheel: Path) -> None:
    # The hash is right, only the recorded size is off by one.
    line = _record_line(demo_wheel, "demo/__init__.py")
    path, digest, size = line.split(",")
    with zipfile.ZipFile(demo_wheel) as archive:
        record = archive.read(f"{_DIST_INFO}/RECORD").decode()
    record = record.replace(line, f"{path},{digest},{int(size) + 1}")
    _rewrite(demo_wheel, {f"{_DIST_INFO}/RECORD": record.encode()}, fix_record=False)
    with pytest.raises(WheelError, match=r"demo/__init__\.py didn't match RECORD"):
        install_wheel(store, str(demo_wheel))
    _assert_nothing_left(store)


def test_a_file_missing_from_record_is_refused(store: Store, demo_wheel: Path) -> None:
    _rewrite(demo_wheel, {"demo/smuggled.py": b"import os\n"}, fix_record=False)
    with pytest.raises(WheelError, match=r"demo/smuggled\.py is not mentioned in RECORD"):
        install_wheel(store, str(demo_wheel))
    _assert_nothing_left(store)


def test_a_path_that_climbs_out_of_the_entry_is_refused(store: Store, demo_wheel: Path) -> None:
    # RECORD is consistent, so only the path check can stop it.
    _rewrite(demo_wheel, {"../evil.py": b"EVIL = 1\n"})
    with pytest.raises(WheelError, match=re.escape(str(demo_wheel))):
        install_wheel(store, str(demo_wheel))
    _assert_nothing_left(store)
    assert not any(p.name == "evil.py" for p in Path(store.root).rglob("*"))


def test_an_absolute_path_in_the_wheel_is_refused(
    store: Store, demo_wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "evil.py"
    _rewrite(demo_wheel, {str(target): b"EVIL = 1\n"})
    with pytest.raises(WheelError, match=re.escape(str(demo_wheel))):
        install_wheel(store, str(demo_wheel))
    assert not target.exists()
    _assert_nothing_left(store)


def test_a_wheel_without_metadata_is_refused(store: Store, demo_wheel: Path) -> None:
    _rewrite(demo_wheel, {f"{_DIST_INFO}/METADATA": None})
    with pytest.raises(WheelError, match="METADATA") as excinfo:
        install_wheel(store, str(demo_wheel))
    assert excinfo.value.wheel == str(demo_wheel)
    _assert_nothing_left(store)


def test_metadata_without_name_or_version_is_refused(store: Store, demo_wheel: Path) -> None:
    _rewrite(demo_wheel, {f"{_DIST_INFO}/METADATA": b"Metadata-Version: 2.1\nVersion: 1.0\n"})
    with pytest.raises(WheelError, match="Name"):
        install_wheel(store, str(demo_wheel))
    _assert_nothing_left(store)


def test_a_wheel_version_2_is_refused_with_one_clear_message(
    store: Store, demo_wheel: Path
) -> None:
    wheel_file = b"Wheel-Version: 2.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    _rewrite(demo_wheel, {f"{_DIST_INFO}/WHEEL": wheel_file})
    with pytest.raises(WheelError) as excinfo:
        install_wheel(store, str(demo_wheel))
    # The wheel is named once, then the problem: not "wheel: wheel: ...".
    assert str(excinfo.value) == (
        f"{demo_wheel}: unsupported Wheel-Version '2.0' in WHEEL; this installer reads 1.x"
    )
    _assert_nothing_left(store)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n", id="name"),
        pytest.param(b"Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n", id="version"),
    ],
)
def test_metadata_that_contradicts_the_file_name_is_refused(
    store: Store, demo_wheel: Path, metadata: bytes
) -> None:
    _rewrite(demo_wheel, {f"{_DIST_INFO}/METADATA": metadata})
    with pytest.raises(
        WheelError, match=re.escape("the file name says demo 1.0; rebuild the wheel")
    ):
        install_wheel(store, str(demo_wheel))
    _assert_nothing_left(store)


def test_a_file_that_is_not_a_zip_is_refused(store: Store, tmp_path: Path) -> None:
    fake = tmp_path / "demo-1.0-py3-none-any.whl"
    fake.write_text("this is not a zip archive\n", encoding="utf-8")
    with pytest.raises(WheelError, match=re.escape(str(fake))):
        install_wheel(store, str(fake))
    _assert_nothing_left(store)


def test_a_wheel_that_does_not_exist_is_a_wheel_error(store: Store, tmp_path: Path) -> None:
    missing = tmp_path / "demo-1.0-py3-none-any.whl"
    with pytest.raises(WheelError, match=re.escape(str(missing))):
        install_wheel(store, str(missing))


@pytest.mark.parametrize("filename", ["demo.whl", "demo-1.0.zip", "demo-one-py3-none-any.whl"])
def test_an_invalid_wheel_file_name_is_refused(store: Store, tmp_path: Path, filename: str) -> None:
    path = tmp_path / filename
    path.write_bytes(b"")
    with pytest.raises(WheelError, match="not a wheel file name") as excinfo:
        install_wheel(store, str(path))
    assert excinfo.value.wheel == str(path)
    _assert_nothing_left(store)


# --- what an entry holds -------------------------------------------------------------------


def test_top_level_names_come_from_record(store: Store, make_wheel: MakeWheel) -> None:
    # No top_level.txt: packages, single modules and extension modules are all found.
    wheel = make_wheel(
        "demo",
        "1.0",
        {
            "pkg/__init__.py": "",
            "pkg/sub/mod.py": "",
            "single.py": "",
            "_speedups.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
            "_stable.abi3.so": b"\x7fELF",
            # mypyc's shared module: not an identifier, imported by the compiled modules.
            "955cd85d9c9a4f4b30d3__mypyc.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
            "demo.libs/libfoo.so": b"\x7fELF",
            "README.txt": "not importable\n",
        },
        tag="cp311-cp311-linux_x86_64",
    )
    entry, _new = install_wheel(store, str(wheel))
    assert entry.top_level == [
        "955cd85d9c9a4f4b30d3__mypyc",
        "_speedups",
        "_stable",
        "pkg",
        "single",
    ]


def test_purelib_files_of_a_platlib_wheel_count_as_top_level(
    store: Store, make_wheel: MakeWheel
) -> None:
    # A platlib-rooted wheel may carry pure code under .data/purelib; the installed RECORD then
    # spells those paths "./pkg/...", which still name the importable package and .pth file.
    wheel = make_wheel(
        "demo",
        "1.0",
        {
            "_native.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
            "demo-1.0.data/purelib/purepkg/__init__.py": "",
            "demo-1.0.data/purelib/demo-extra.pth": "import os\n",
        },
        tag="cp311-cp311-linux_x86_64",
    )
    entry, _new = install_wheel(store, str(wheel))
    assert entry.top_level == ["_native", "purepkg"]
    assert entry.pth_files == ["demo-extra.pth"]


def test_pth_files_are_detected(store: Store, make_wheel: MakeWheel) -> None:
    wheel = make_wheel("demo", "1.0", {"demo/__init__.py": "", "demo-nspkg.pth": "import sys\n"})
    entry, _new = install_wheel(store, str(wheel))
    assert entry.pth_files == ["demo-nspkg.pth"]
    assert entry.top_level == ["demo"]


def test_scripts_and_data_land_inside_the_entry(store: Store, make_wheel: MakeWheel) -> None:
    wheel = make_wheel(
        "demo",
        "1.0",
        {
            "demo/__init__.py": "def main():\n    return 0\n",
            "demo-1.0.data/scripts/demo-tool": "#!python\nprint('tool')\n",
            "demo-1.0.data/data/share/demo/notes.txt": "notes\n",
        },
        entry_points="[console_scripts]\ndemo-run = demo:main\n",
    )
    entry, _new = install_wheel(store, str(wheel))
    bin_dir = Path(entry.path, "bin")
    assert sorted(p.name for p in bin_dir.iterdir()) == ["demo-run", "demo-tool"]
    # Both kinds of script start with this interpreter; the generated one is executable.
    for script in bin_dir.iterdir():
        assert script.read_text(encoding="utf-8").startswith(f"#!{sys.executable}")
    assert os.access(bin_dir / "demo-run", os.X_OK)
    notes = Path(entry.path, "data", "share", "demo", "notes.txt")
    assert notes.read_text(encoding="utf-8") == "notes\n"
    # Nothing of the other schemes is mistaken for an import name.
    assert entry.top_level == ["demo"]


def test_bytecode_is_compiled_even_when_python_is_told_not_to_write_it(
    store: Store, demo_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The entry is read-only once published, so bytecode written later would fail silently
    # and every start-up would compile again.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    entry, _new = install_wheel(store, str(demo_wheel))
    pycache = Path(entry.site_dir, "demo", "__pycache__")
    assert [p.name for p in pycache.iterdir()] == [f"__init__.{sys.implementation.cache_tag}.pyc"]


def test_every_python_source_of_the_site_directory_is_compiled_where_it_will_be(
    store: Store, make_wheel: MakeWheel
) -> None:
    # From what was unpacked: purelib files of a platlib wheel too, scripts and data not.
    files = {
        "native/__init__.py": "",
        "native/sub/mod.py": "",
        "demo-1.0.data/purelib/purepkg/__init__.py": "",
        "demo-1.0.data/scripts/tool.py": "print(1)\n",
        "demo-1.0.data/data/share/x.py": "",
        "native/README.txt": "",
    }
    wheel = make_wheel("demo", "1.0", files, tag="cp311-cp311-linux_x86_64")
    given: list[Source] = []
    entry, _new = install_wheel(store, str(wheel), compile=given.extend)
    site = Path(entry.site_dir)
    compiled = [source for source in given if source.shown]
    shown = sorted(Path(source.shown).relative_to(site).as_posix() for source in compiled)
    assert shown == ["native/__init__.py", "native/sub/mod.py", "purepkg/__init__.py"]
    staging = Path(layout.staging_dir(store.root))
    for staged, published, _member in compiled:
        relative = Path(staged).relative_to(staging).parts[1:]  # below the staged entry
        assert site.parent.joinpath(*relative) == Path(published)


def test_entry_json_describes_the_wheel(store: Store, make_wheel: MakeWheel) -> None:
    wheel = make_wheel(
        "Demo_Pkg",
        "1.0.RC1",
        {"demo_pkg/__init__.py": "X = 1\n"},
        requires=["other>=1", "fast; extra == 'speed'"],
        metadata=[("Requires-Python", ">=3.8"), ("Provides-Extra", "speed")],
    )
    entry, new = install_wheel(store, str(wheel))
    assert new
    assert (entry.name, entry.version, entry.tag) == ("Demo_Pkg", "1.0rc1", "py3-none-any")
    assert entry.wheel == wheel.name
    assert entry.dist_info == "Demo_Pkg-1.0.RC1.dist-info"
    assert entry.requires_dist == ["other>=1", "fast; extra == 'speed'"]
    assert entry.requires_python == ">=3.8"
    assert entry.size > 0
    assert len(entry.sha256) == 64
    # Stored under the canonical name and the normalized version.
    assert entry.path == store.entry_dir(Key("demo-pkg", "1.0rc1", "py3-none-any"))


def test_installing_twice_is_a_no_op(store: Store, demo_wheel: Path) -> None:
    first, new_first = install_wheel(store, str(demo_wheel))
    generation = os.stat(layout.generation_file(store.root))
    second, new_second = install_wheel(store, str(demo_wheel))
    assert (new_first, new_second) == (True, False)
    assert second == first
    assert os.stat(layout.generation_file(store.root)).st_ino == generation.st_ino
    assert os.listdir(layout.staging_dir(store.root)) == []


def test_two_tags_of_one_version_are_two_entries(store: Store, make_wheel: MakeWheel) -> None:
    files = {"demo/__init__.py": ""}
    install_wheel(store, str(make_wheel("demo", "1.0", files)))
    install_wheel(store, str(make_wheel("demo", "1.0", files, tag="cp311-cp311-linux_x86_64")))
    assert [e.tag for e in store.entries()] == ["cp311-cp311-linux_x86_64", "py3-none-any"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs, to fill up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the suite as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_clean_error_and_leaves_the_store_as_it_was(
    small_disk: Path, make_wheel: MakeWheel
) -> None:
    store = Store(str(small_disk / "store"))
    small = make_wheel("small", "1.0")
    install_wheel(store, str(small))
    before = snapshot(layout.entries_dir(store.root))
    # Random bytes do not compress: the wheel is small enough to read, too big to unpack here.
    big = make_wheel("big", "1.0", {"big/__init__.py": "", "big/blob.bin": os.urandom(600_000)})
    with pytest.raises(StoreError) as excinfo:
        install_wheel(store, str(big))
    message = str(excinfo.value)
    assert "\n" not in message
    assert store.root in message and "No space left on device" in message
    assert snapshot(layout.entries_dir(store.root)) == before
    assert staging_leftovers(store) == []
    assert [e.name for e in assert_store_sound(store)] == ["small"]
    # The space is given back: the next install that fits succeeds.
    assert install_wheel(store, str(make_wheel("other", "1.0")))[1]


def test_each_member_is_decompressed_once(
    store: Store, make_wheel: MakeWheel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RECORD's hashes are checked while the members are unpacked, not in a pass before.
    wheel = make_wheel("demo", "1.0", {"demo/__init__.py": "A = 1\n", "demo/b.py": "B = 2\n"})
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def counting_open(
        self: zipfile.ZipFile, name: object, *args: object, **kwargs: object
    ) -> object:
        opened.append(name if isinstance(name, str) else getattr(name, "filename", ""))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    install_wheel(store, str(wheel))
    members = [n for n in opened if n.startswith("demo/")]
    assert sorted(members) == ["demo/__init__.py", "demo/b.py"]


def test_the_archive_is_opened_once(
    store: Store, demo_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checks and the unpacking share one ZipFile: its central directory is read once, and
    # once more where the Python sources are unpacked (a bytecode worker, or here).
    opened: list[object] = []
    real_init = zipfile.ZipFile.__init__

    def counting_init(self: zipfile.ZipFile, file: object, *args: Any, **kwargs: Any) -> None:
        opened.append(file)
        real_init(self, file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting_init)
    install_wheel(store, str(demo_wheel))
    assert opened == [str(demo_wheel)] * 2


def test_each_member_is_hashed_once(
    store: Store, make_wheel: MakeWheel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The digest checked against the wheel's RECORD is the one the installed RECORD records.
    files = {"demo/__init__.py": "A = 1\n", "demo/b.py": "B = 2\n"}
    wheel = make_wheel("demo", "1.0", files, entry_points="[console_scripts]\nd = demo:f\n")
    made: list[str] = []
    real_new, real_sha256 = hashlib.new, hashlib.sha256

    def counting_new(name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(name)
        return real_new(name, *args, **kwargs)

    def counting_sha256(*args: Any, **kwargs: Any) -> Any:  # the Python sources' unpacker
        made.append("sha256")
        return real_sha256(*args, **kwargs)

    monkeypatch.setattr(hashlib, "new", counting_new)
    monkeypatch.setattr(hashlib, "sha256", counting_sha256)
    entry, _new = install_wheel(store, str(wheel))
    hashed = [path for path, (digest, _size) in _installed_record(entry).items() if digest]
    # A hash per file the installed RECORD gives one, and one of the whole wheel.
    assert len(made) == len(hashed) + 1, (made, hashed)


def test_a_record_in_another_algorithm_is_checked_and_the_entry_records_sha256(
    store: Store, demo_wheel: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(demo_wheel) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    record = f"{_DIST_INFO}/RECORD"
    rows = [f"{n},{_sha384(d)},{len(d)}" for n, d in files.items() if n != record]
    good = ("\n".join([*rows, f"{record},,"]) + "\n").encode()
    _rewrite(demo_wheel, {record: good}, fix_record=False)
    entry, _new = install_wheel(store, str(demo_wheel))
    installed = _installed_record(entry)
    assert installed["demo/__init__.py"] == (record_hash(b"VALUE = 1\n"), "10")
    _rewrite(demo_wheel, {"demo/__init__.py": b"VALUE = 2\n"}, fix_record=False)
    with pytest.raises(WheelError, match=r"demo/__init__\.py didn't match RECORD"):
        install_wheel(Store(str(tmp_path / "other")), str(demo_wheel))


def test_the_entry_size_is_what_its_files_hold(store: Store, make_wheel: MakeWheel) -> None:
    files = {
        "demo/__init__.py": "A = 1\n" * 100,
        "demo-1.0.data/scripts/tool": "#!python\nprint(1)\n",
        "demo-1.0.data/data/share/notes.txt": "notes\n",
    }
    wheel = make_wheel("demo", "1.0", files, entry_points="[console_scripts]\nd = demo:f\n")
    entry, _new = install_wheel(store, str(wheel))
    site = Path(entry.site_dir)
    listed = [os.path.normpath(site / path) for path in _installed_record(entry)]
    # 3 files, a launcher, entry_points.txt, METADATA, WHEEL, INSTALLER, RECORD
    assert len(listed) == 9
    assert entry.size == sum(os.path.getsize(path) for path in listed)


def _installed_record(entry: Any) -> dict[str, tuple[str, str]]:
    """The entry's RECORD: path -> (hash, size)."""
    with open(Path(entry.site_dir, entry.dist_info, "RECORD"), encoding="utf-8") as f:
        rows = [line.split(",") for line in f.read().splitlines()]
    return {path: (digest, size) for path, digest, size in rows}


def _sha384(data: bytes) -> str:
    digest = hashlib.sha384(data).digest()
    return "sha384=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


_INIT = "demo/__init__.py"
_BROKEN_RECORDS = {
    "unlisted-member": lambda r: r.replace(f"{_INIT},", "demo/other.py,"),
    "listed-signature": lambda r: r + f"{_DIST_INFO}/RECORD.jws,,\n",
    "hash-without-algorithm": lambda r: re.sub(r"(demo/__init__\.py,)sha256=", r"\1", r),
    "unknown-algorithm": lambda r: r.replace(f"{_INIT},sha256=", f"{_INIT},nope="),
    "size-not-a-number": lambda r: re.sub(r"(demo/__init__\.py,[^,]+,)\d+", r"\1ten", r),
    "no-size": lambda r: re.sub(r"(demo/__init__\.py,[^,]+,)\d+", r"\1", r),
    "no-hash-or-size": lambda r: re.sub(r"demo/__init__\.py,.*", f"{_INIT},,", r),
    "record-with-hash": lambda r: r.replace(
        f"{_DIST_INFO}/RECORD,,", f"{_DIST_INFO}/RECORD,md5=a,1"
    ),
    "two-columns": lambda r: r.replace(f"{_DIST_INFO}/RECORD,,", f"{_DIST_INFO}/RECORD,"),
    "several": lambda r: re.sub(r"demo/__init__\.py,.*", f"{_INIT},,x", r) + "x.py,,\n",
}


@pytest.mark.parametrize("edit", _BROKEN_RECORDS.values(), ids=_BROKEN_RECORDS.keys())
def test_record_is_checked_as_installer_checks_it_with_its_messages(
    store: Store, demo_wheel: Path, edit: Any
) -> None:
    from installer.sources import WheelFile

    # A signature file (unlisted), and a member named like one outside .dist-info (listed).
    _rewrite(demo_wheel, {"demo/RECORD.p7s": b"not a signature"})
    record = edit(_record_of(demo_wheel))
    signature = {f"{_DIST_INFO}/RECORD.jws": b"signature"}
    _rewrite(demo_wheel, {**signature, f"{_DIST_INFO}/RECORD": record.encode()}, fix_record=False)
    with WheelFile.open(demo_wheel) as source, pytest.raises(ValueError) as expected:
        source.validate_record(validate_contents=False)
    with pytest.raises(WheelError) as excinfo:
        install_wheel(store, str(demo_wheel))
    issues = getattr(expected.value, "issues", None) or [str(expected.value)]
    assert str(excinfo.value) == f"{demo_wheel}: {'; '.join(issues)}"
    _assert_nothing_left(store)


def test_a_wheel_without_record_is_refused_with_installer_s_message(
    store: Store, demo_wheel: Path
) -> None:
    _rewrite(demo_wheel, {f"{_DIST_INFO}/RECORD": None}, fix_record=False)
    with pytest.raises(WheelError, match=r"Unable to retrieve `RECORD` from .*KeyError"):
        install_wheel(store, str(demo_wheel))


def _record_of(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"{_DIST_INFO}/RECORD").decode()


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[None]:
    old = os.umask(request.param)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask", [0o022], indirect=True)
@pytest.mark.usefixtures("umask")
def test_unpacked_files_need_no_chmod_to_be_published(
    store: Store, make_wheel: MakeWheel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A chmod a file was a tenth of publishing: unpack creates them read-only already.
    files = {"demo/__init__.py": "", "demo/sub/mod.py": "", "demo-1.0.data/scripts/t": "#!python\n"}
    wheel = make_wheel("demo", "1.0", files, entry_points="[console_scripts]\nd = demo:f\n")
    changed: list[str] = []
    real_chmod = os.chmod

    def recording_chmod(path: str, mode: int, **kwargs: Any) -> None:
        if path.startswith(layout.staging_dir(store.root)) and not os.path.isdir(path):
            changed.append(path)
        real_chmod(path, mode, **kwargs)

    monkeypatch.setattr(os, "chmod", recording_chmod)
    entry, _new = install_wheel(store, str(wheel), compile=lambda sources: None)
    assert [os.path.basename(path) for path in changed] == [layout.ENTRY_FILE]
    assert oct(os.stat(Path(entry.path, "bin", "d")).st_mode & 0o777) == "0o555"


@pytest.mark.parametrize("umask", [0o077, 0o000], indirect=True)
@pytest.mark.usefixtures("umask")
def test_an_entry_is_readable_by_all_and_writable_by_none_whatever_the_umask(
    store: Store, make_wheel: MakeWheel
) -> None:
    files = {"demo/__init__.py": "", "demo-1.0.data/scripts/t": "#!python\n"}
    wheel = make_wheel("demo", "1.0", files, entry_points="[console_scripts]\nd = demo:f\n")
    entry, _new = install_wheel(store, str(wheel))
    modes = {
        str(path.relative_to(entry.path)): path.stat().st_mode & 0o777
        for path in [Path(entry.path), *Path(entry.path).rglob("*")]
    }
    executable = {"bin/d"}
    assert {p for p, m in modes.items() if m not in (0o444, 0o555)} == set()
    assert {
        p for p, m in modes.items() if m == 0o555 and Path(entry.path, p).is_file()
    } == executable


def test_many_wheels_install_at_once_with_bytecode(store: Store, make_wheel: MakeWheel) -> None:
    wheels = [make_wheel(f"pkg{i}", "1.0", {f"pkg{i}/__init__.py": f"N = {i}\n"}) for i in range(5)]
    entries = install_wheels(store, wheels)
    assert [e.name for e in entries] == [f"pkg{i}" for i in range(5)]
    for i, entry in enumerate(entries):
        source = Path(entry.site_dir, f"pkg{i}", "__init__.py")
        assert Path(cache_from_source(str(source))).is_file()


def test_a_failing_install_among_many_raises_and_the_others_are_whole(
    store: Store, make_wheel: MakeWheel
) -> None:
    good = make_wheel("good", "1.0")
    bad = _rewrite(make_wheel("demo", "1.0"), {"demo/__init__.py": b"changed"}, fix_record=False)
    with pytest.raises(WheelError, match="didn't match RECORD"):
        install_wheels(store, [good, bad])
    assert [e.name for e in assert_store_sound(store)] == ["good"]


def test_a_file_installed_twice_through_the_data_directory_is_refused(
    store: Store, make_wheel: MakeWheel
) -> None:
    files = {"demo/__init__.py": "A = 1\n", "demo-1.0.data/purelib/demo/__init__.py": "A = 2\n"}
    wheel = make_wheel("demo", "1.0", files)
    with pytest.raises(WheelError, match=r"more than one member .* demo/__init__\.py"):
        install_wheel(store, str(wheel))
    _assert_nothing_left(store)


def test_wheels_unpack_while_earlier_ones_wait_for_their_bytecode(
    store: Store, make_wheel: MakeWheel
) -> None:
    # Every install's bytecode waits until all have unpacked: that ends only if a wheel waiting
    # for its bytecode lets the next ones unpack, however few the cores.
    count = (os.cpu_count() or 1) + 2
    all_unpacked = threading.Barrier(count, timeout=60)

    def compile(sources: Sequence[Source]) -> None:
        all_unpacked.wait()
        compile_here(sources)

    wheels = [make_wheel(f"pkg{i}", "1.0") for i in range(count)]
    entries = install_wheels(store, wheels, compile)
    assert [e.name for e in entries] == [f"pkg{i}" for i in range(count)]


def test_one_install_works_at_a_time_in_a_process(
    store: Store, make_wheel: MakeWheel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Threads making system calls side by side hand the GIL to each other at every call.
    working, most = 0, 0
    lock = threading.Lock()
    unpack = install_module._install_into

    def counting(*args: Any) -> Any:
        nonlocal working, most
        with lock:
            working += 1
            most = max(most, working)
        time.sleep(0.05)  # long enough for the other threads to start theirs
        try:
            return unpack(*args)
        finally:
            with lock:
                working -= 1

    monkeypatch.setattr(install_module, "_install_into", counting)
    install_wheels(store, [make_wheel(f"pkg{i}", "1.0") for i in range(4)])
    assert most == 1


def test_installs_are_published_only_when_allowed_and_the_others_thrown_away(
    store: Store, make_wheel: MakeWheel
) -> None:
    # An install may start before its caller knows it is wanted (a download of another wheel
    # may still fail): staged whole, bytecode included, then published or thrown away.
    allowed, withheld = str(make_wheel("allowed", "1.0")), str(make_wheel("withheld", "1.0"))
    staged: list[str] = []
    both_staged = threading.Barrier(3, timeout=60)

    def compile(sources: Sequence[Source]) -> None:
        compile_here(sources)
        staged.extend(Path(source.path).name for source in sources)
        both_staged.wait()

    with Installs(store, compile) as installs:
        installs.add(allowed)
        installs.add(withheld)
        both_staged.wait()
        assert sorted(staged) == ["__init__.py", "__init__.py"]
        assert store.entries() == []
        installs.publish({allowed})
        (entry,) = installs.entries([allowed])

    assert entry.name == "allowed"
    assert [e.name for e in assert_store_sound(store)] == ["allowed"]
    assert os.listdir(layout.staging_dir(store.root)) == []


def test_installs_never_allowed_leave_nothing(store: Store, make_wheel: MakeWheel) -> None:
    started = threading.Event()

    def compile(sources: Sequence[Source]) -> None:
        compile_here(sources)
        started.set()

    with pytest.raises(RuntimeError), Installs(store, compile) as installs:
        installs.add(str(make_wheel("demo", "1.0")))
        assert started.wait(60)
        raise RuntimeError("a download failed")

    assert store.entries() == []
    _assert_nothing_left(store)
