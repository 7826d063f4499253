"""Hostile and broken input: each refused with one message that names the file and the problem,
and nothing written.

Wheels go through ``vimport install`` (its ``main``, in process: an exception that escapes is a
traceback a user would see). Manifests and locks go through their readers, then a few through
the hook, where a broken project costs one stderr line and never the interpreter.
"""

from __future__ import annotations

import re
import stat
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MakeWheel, RunHooked
from tests.storecheck import assert_nothing_written
from versioned_import.cli import main
from versioned_import.errors import ManifestError
from versioned_import.project.inline import read_script
from versioned_import.project.manifest import Selection
from versioned_import.project.pylock import read_lock
from versioned_import.project.pyproject import read_manifest
from versioned_import.store import Store
from versioned_import.wheelbuild import record_hash

Capture = pytest.CaptureFixture[str]
Member = tuple[zipfile.ZipInfo, bytes]

_DIST_INFO = "demo-1.0.dist-info"
_RECORD = f"{_DIST_INFO}/RECORD"


# --- wheels ----------------------------------------------------------------------------------


def _members(wheel: Path) -> list[Member]:
    with zipfile.ZipFile(wheel) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _repack(wheel: Path, members: list[Member], *, fix_record: bool = True) -> None:
    """Write ``members`` as ``wheel``; with ``fix_record`` RECORD is made to match them, so only
    the hostile part is wrong."""
    if fix_record:
        rows = [f"{i.filename},{record_hash(d)},{len(d)}" for i, d in members]
        rows = [r for r in rows if not r.startswith(f"{_RECORD},")] + [f"{_RECORD},,"]
        members = [(i, d) for i, d in members if i.filename != _RECORD]
        members.append((zipfile.ZipInfo(_RECORD), ("\n".join(rows) + "\n").encode()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name, which we want
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in members:
                archive.writestr(info, data)


def _add(
    name: str, data: bytes = b"EVIL = 1\n", *, fix_record: bool = True
) -> Callable[[Path, Path], Path]:
    """Add a member; ``{tmp}`` in its name stands for the test's temporary directory."""

    def mutate(wheel: Path, tmp_path: Path) -> Path:
        added = (zipfile.ZipInfo(name.format(tmp=tmp_path)), data)
        _repack(wheel, [*_members(wheel), added], fix_record=fix_record)
        return wheel

    return mutate


def _drop(name: str) -> Callable[[Path, Path], Path]:
    def mutate(wheel: Path, tmp_path: Path) -> Path:
        kept = [(i, d) for i, d in _members(wheel) if i.filename != name]
        _repack(wheel, kept, fix_record=name != _RECORD)
        return wheel

    return mutate


def _replace(name: str, data: bytes, *, fix_record: bool = True) -> Callable[[Path, Path], Path]:
    def mutate(wheel: Path, tmp_path: Path) -> Path:
        members = [(i, data if i.filename == name else d) for i, d in _members(wheel)]
        _repack(wheel, members, fix_record=fix_record)
        return wheel

    return mutate


def _edit_record(edit: Callable[[str], str]) -> Callable[[Path, Path], Path]:
    def mutate(wheel: Path, tmp_path: Path) -> Path:
        members = _members(wheel)
        record = next(d for i, d in members if i.filename == _RECORD).decode()
        return _replace(_RECORD, edit(record).encode(), fix_record=False)(wheel, tmp_path)

    return mutate


def _symlink(wheel: Path, tmp_path: Path) -> Path:
    link = zipfile.ZipInfo("demo/link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    # Extracted as a link, it would let a later write through it land outside the entry.
    _repack(wheel, [*_members(wheel), (link, str(tmp_path / "evil.py").encode())])
    return wheel


def _twice(wheel: Path, tmp_path: Path) -> Path:
    # The second copy differs: which one would an extractor keep?
    second = (zipfile.ZipInfo("demo/__init__.py"), b"EVIL = 1\n")
    _repack(wheel, [*_members(wheel), second], fix_record=False)
    return wheel


def _renamed(wheel: Path, tmp_path: Path) -> Path:
    return wheel.rename(wheel.with_name("demo-1.0-cp311-cp311-linux_x86_64.whl"))


def _write(data: bytes) -> Callable[[Path, Path], Path]:
    def mutate(wheel: Path, tmp_path: Path) -> Path:
        wheel.write_bytes(data)
        return wheel

    return mutate


def _lying_size(wheel: Path, tmp_path: Path) -> Path:
    # Zip-bomb-like: the central directory says 100 bytes, the data inflates to 16 MiB.
    _add("demo/big.bin", b"\0" * (16 << 20))(wheel, tmp_path)
    data = bytearray(wheel.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + length] == b"demo/big.bin":
            data[entry + 24 : entry + 28] = (100).to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    wheel.write_bytes(bytes(data))
    return wheel


def _unknown_compression(wheel: Path, tmp_path: Path) -> Path:
    data = bytearray(wheel.read_bytes())
    first = data.find(b"PK\x01\x02")  # the central directory's first entry: demo/__init__.py
    data[first + 10 : first + 12] = (99).to_bytes(2, "little")
    wheel.write_bytes(bytes(data))
    return wheel


def _encrypted(wheel: Path, tmp_path: Path) -> Path:
    data = bytearray(wheel.read_bytes())
    first = data.find(b"PK\x01\x02")  # the central directory's first entry: demo/__init__.py
    data[first + 8] |= 0x1  # its general purpose flags: encrypted
    wheel.write_bytes(bytes(data))
    return wheel


_METADATA = f"{_DIST_INFO}/METADATA"
_WHEEL = f"{_DIST_INFO}/WHEEL"

_WRONG_SIZE = _edit_record(lambda r: re.sub(r"(demo/__init__\.py,[^,]+,)(\d+)", r"\g<1>99", r))
_MD5_IN_RECORD = _edit_record(lambda r: r.replace("sha256=", "md5=", 1))
_PROMISES_A_MISSING_FILE = _edit_record(lambda r: f"demo/gone.py,{record_hash(b'x')},1\n{r}")
_WHEEL_2 = b"Wheel-Version: 2.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
_BAD_VERSION = b"Metadata-Version: 2.1\nName: demo\nVersion: banana\n"
_NOT_UTF8 = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: \xff\n"

# How to spoil demo-1.0, and what the message must say besides the wheel's path.
_HOSTILE_WHEELS = [
    pytest.param(_add("../evil.py"), r"\.\./evil\.py", id="parent-path"),
    pytest.param(_add("{tmp}/abs/evil.py"), r"abs/evil\.py", id="absolute-path"),
    pytest.param(_add("demo/../../evil.py"), r"demo/\.\./\.\./evil\.py", id="climbing-path"),
    pytest.param(_add("demo-1.0.data/purelib/../../../evil.py"), r"evil\.py", id="data-climb"),
    pytest.param(_add("demo-1.0.data/nowhere/evil.py"), r"nowhere/evil\.py", id="data-scheme"),
    pytest.param(_symlink, r"demo/link\.py is a symbolic link", id="symlink"),
    pytest.param(
        _replace("demo/__init__.py", b"VALUE = 2\n", fix_record=False),
        r"demo/__init__\.py didn't match RECORD",
        id="hash-mismatch",
    ),
    pytest.param(_WRONG_SIZE, r"demo/__init__\.py didn't match RECORD", id="size-mismatch"),
    pytest.param(_MD5_IN_RECORD, r"demo/__init__\.py.*RECORD", id="unknown-hash"),
    pytest.param(
        _add("demo/smuggled.py", fix_record=False),
        r"demo/smuggled\.py is not mentioned in RECORD",
        id="not-in-record",
    ),
    pytest.param(_PROMISES_A_MISSING_FILE, r"demo/gone\.py", id="record-line-for-missing-file"),
    pytest.param(_twice, r"demo/__init__\.py is in the archive twice", id="duplicate-member"),
    pytest.param(
        _add("other-1.0.dist-info/METADATA", b"Name: other\nVersion: 1.0\n"),
        r"exactly one \.dist-info",
        id="two-dist-info",
    ),
    pytest.param(_drop(_RECORD), r"RECORD", id="no-record"),
    pytest.param(_drop(_METADATA), r"METADATA is missing", id="no-metadata"),
    pytest.param(_drop(_WHEEL), r"WHEEL", id="no-wheel-file"),
    pytest.param(_replace(_WHEEL, _WHEEL_2), r"unsupported Wheel-Version '2\.0'", id="wheel-2"),
    pytest.param(_renamed, r"tag cp311-cp311-linux_x86_64 is not among", id="undeclared-tag"),
    pytest.param(_replace(_METADATA, _BAD_VERSION), r"METADATA.*banana", id="bad-version"),
    pytest.param(_replace(_METADATA, _NOT_UTF8), r"METADATA", id="metadata-not-utf8"),
    pytest.param(_write(b"this is not a zip archive\n"), r"not a zip file", id="not-a-zip"),
    pytest.param(_write(b""), r"not a zip file", id="empty-file"),
    pytest.param(_lying_size, r"demo/big\.bin", id="lying-size"),
    pytest.param(_unknown_compression, r"demo/__init__\.py.*compression", id="compression"),
    pytest.param(_encrypted, r"demo/__init__\.py is encrypted", id="encrypted"),
]


@pytest.mark.parametrize(("spoil", "problem"), _HOSTILE_WHEELS)
def test_a_hostile_wheel_is_refused_with_one_line_and_nothing_written(
    make_wheel: MakeWheel,
    store: Store,
    tmp_path: Path,
    capsys: Capture,
    spoil: Callable[[Path, Path], Path],
    problem: str,
) -> None:
    wheel = spoil(make_wheel("demo", "1.0", {"demo/__init__.py": "VALUE = 1\n"}), tmp_path)

    code = main(["--store", store.root, "install", str(wheel)])

    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith(f"vimport: error: {wheel}: ") and err.count("\n") == 1, err
    assert re.search(problem, err), err
    assert " object at 0x" not in err  # a repr is no message
    assert_nothing_written(store)
    # Whatever the wheel aimed at, outside the store or in it, was not written.
    assert list(tmp_path.rglob("evil.py")) == []


@pytest.mark.parametrize(
    "member",
    [
        pytest.param("demo-1.0.data", id="named-as-the-data-directory"),
        pytest.param("./demo-1.0.data/purelib/evil.py", id="dot-before-the-data-directory"),
    ],
)
def test_a_member_that_spells_the_data_directory_oddly_is_refused_not_a_hang(
    make_wheel: MakeWheel, store: Store, tmp_path: Path, member: str
) -> None:
    # installer walks such a name up with posixpath.split looking for the .data directory and
    # never finds it; in a child, so that a hang fails this test instead of the whole suite.
    wheel = _add(member)(make_wheel("demo", "1.0", {"demo/__init__.py": ""}), tmp_path)
    command = [sys.executable, "-m", "versioned_import", "--store", store.root, "install"]
    try:
        done = subprocess.run([*command, str(wheel)], capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"vimport install {wheel.name} with a member {member!r} never ends")
    assert done.returncode == 1
    assert done.stderr.startswith(f"vimport: error: {wheel}: ") and member in done.stderr
    assert_nothing_written(store)


# --- manifests and locks ---------------------------------------------------------------------

_CYCLE = '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n'

# The body of [tool.vimport], the rest of the pyproject.toml, the groups asked for, and the
# field the message must name.
_BROKEN_MANIFESTS = [
    pytest.param("", "project = 1\n", (), "[project] must be a table", id="project-not-table"),
    pytest.param("", "[project]\ndependencies = 'x'\n", (), "project.dependencies", id="deps-str"),
    pytest.param(
        "", "[project]\ndependencies = [1]\n", (), "project.dependencies[0]", id="dep-int"
    ),
    pytest.param(
        "",
        "[project]\ndependencies = ['not a req!!']\n",
        (),
        "project.dependencies[0]",
        id="pep508",
    ),
    pytest.param("extras = 'fast'", "", (), "tool.vimport.extras", id="extras-str"),
    pytest.param("groups = [1]", "", (), "tool.vimport.groups", id="groups-int"),
    pytest.param("colour = 'blue'", "", (), "tool.vimport.colour", id="unknown-key"),
    pytest.param(
        "system-site-packages = 'yes'", "", (), "tool.vimport.system-site-packages", id="bool"
    ),
    pytest.param("requirements = 3", "", (), "tool.vimport.requirements", id="req-int"),
    pytest.param("requirements = 'no.txt'", "", (), "tool.vimport.requirements", id="req-missing"),
    pytest.param("requirements = '.'", "", (), "tool.vimport.requirements", id="req-dir"),
    pytest.param('requirements = "a\\u0000b"', "", (), "tool.vimport.requirements", id="req-nul"),
    pytest.param(
        "extras = ['fast']",
        "[project]\noptional-dependencies = 1\n",
        (),
        "project.optional-dependencies",
        id="optional-not-table",
    ),
    pytest.param(
        "extras = ['fast']",
        "[project.optional-dependencies]\nfast = 'x'\n",
        (),
        "project.optional-dependencies.fast",
        id="optional-str",
    ),
    pytest.param("extras = ['nope']", "", (), "tool.vimport.extras", id="unknown-extra"),
    pytest.param(
        "", "[project]\nrequires-python = 3\n", (), "project.requires-python", id="rp-int"
    ),
    pytest.param(
        "", "[project]\nrequires-python = 'x'\n", (), "project.requires-python", id="rp-bad"
    ),
    pytest.param("", "dependency-groups = 1\n", ("a",), "[dependency-groups]", id="groups-1"),
    pytest.param("groups = ['a']", _CYCLE, (), "dependency-groups", id="include-cycle"),
    pytest.param(
        "",
        "[dependency-groups]\na = [{include-group = 'a'}]\n",
        ("a",),
        "dependency-groups",
        id="self-include",
    ),
    pytest.param("", "[dependency-groups]\na = [1]\n", ("a",), "dependency-groups", id="item-int"),
    pytest.param("", "[dependency-groups]\na = 'x'\n", ("a",), "dependency-groups", id="group-str"),
    pytest.param(
        "",
        "[dependency-groups]\na = [{include-group = 1}]\n",
        ("a",),
        "dependency-groups",
        id="include-int",
    ),
    pytest.param("", "[dependency-groups]\na = []\n", ("nope",), "'nope'", id="unknown-group"),
    pytest.param(
        "", "[dependency-groups]\na = ['x!!']\n", ("a",), "dependency-groups", id="group-pep508"
    ),
    pytest.param("", "[project\n", (), "invalid TOML", id="toml"),
]


@pytest.mark.parametrize(("tool", "extra", "groups", "field"), _BROKEN_MANIFESTS)
def test_a_broken_manifest_is_one_error_naming_the_file_and_field(
    tmp_path: Path, tool: str, extra: str, groups: tuple[str, ...], field: str
) -> None:
    manifest = tmp_path / "pyproject.toml"
    # The other tables go first, so that top-level keys such as `project = 1` stay top-level.
    manifest.write_text(f"{extra}\n[tool.vimport]\n{tool}\n", encoding="utf-8")

    with pytest.raises(ManifestError) as excinfo:
        read_manifest(str(tmp_path), Selection(groups=groups))

    message = str(excinfo.value)
    assert message.startswith(f"{manifest}: ")
    assert field in message


def test_a_cycle_of_requirements_files_is_read_once(tmp_path: Path) -> None:
    # -r includes that loop back must end, not recurse until the stack runs out.
    (tmp_path / "pyproject.toml").write_text("[tool.vimport]\nrequirements = 'a.txt'\n")
    (tmp_path / "a.txt").write_text("-r b.txt\nfirst\n")
    (tmp_path / "b.txt").write_text("-r a.txt\nsecond\n")

    manifest = read_manifest(str(tmp_path))

    assert sorted(str(r) for r in manifest.requirements) == ["first", "second"]


def test_an_unreadable_manifest_is_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.vimport]\n# \xff\xfe\n")
    with pytest.raises(ManifestError, match=re.escape(f"{tmp_path / 'pyproject.toml'}: ")):
        read_manifest(str(tmp_path))


_BROKEN_SCRIPTS = [
    pytest.param("dependencies = 1", "script.dependencies", id="deps-int"),
    pytest.param("dependencies = ['x!!']", "script.dependencies[0]", id="pep508"),
    pytest.param("requires-python = 3", "script.requires-python", id="rp-int"),
    pytest.param(
        "[tool.vimport]\nsystem-site-packages = 'yes'",
        "script.tool.vimport.system-site-packages",
        id="bool",
    ),
    pytest.param("dependencies = [", "invalid TOML", id="toml"),
]


@pytest.mark.parametrize(("body", "field"), _BROKEN_SCRIPTS)
def test_a_broken_script_block_is_one_error_naming_the_script_and_field(
    tmp_path: Path, body: str, field: str
) -> None:
    script = tmp_path / "tool.py"
    block = "".join(f"# {line}\n" for line in body.splitlines())
    script.write_text(f"# /// script\n{block}# ///\nprint(1)\n", encoding="utf-8")

    with pytest.raises(ManifestError) as excinfo:
        read_script(str(script))

    assert str(excinfo.value).startswith(f"{script}: ")
    assert field in str(excinfo.value)


_LOCK_HEAD = 'lock-version = "1.0"\ncreated-by = "test"\n'
_WHEEL_LOCK = (
    _LOCK_HEAD + '[[packages]]\nname = "demo"\nversion = "1.0"\n[[packages.wheels]]\n'
    'name = "demo-1.0-py3-none-any.whl"\nurl = "https://example.org/demo-1.0-py3-none-any.whl"\n'
)

# A pylock.toml and what the message must say about it.
_BROKEN_LOCKS = [
    pytest.param("[[[", "invalid TOML", id="toml"),
    pytest.param('lock-version = "2.0"\ncreated-by = "x"\npackages = []\n', "2.0", id="version-2"),
    pytest.param('created-by = "x"\n', "lock-version", id="no-version"),
    pytest.param(_LOCK_HEAD + "packages = 1\n", "packages", id="packages-int"),
    pytest.param(_LOCK_HEAD + 'default-groups = "x"\n', "default-groups", id="groups-str"),
    pytest.param(_LOCK_HEAD + 'environments = ["!!"]\n', "environments[0]", id="marker"),
    pytest.param(_WHEEL_LOCK + 'hashes = {sha512 = "00"}\n', "sha256", id="no-sha256"),
    pytest.param(
        _LOCK_HEAD + '[[packages]]\nname = "demo"\nversion = "1.0"\ndirectory = {path = "."}\n',
        "package demo",
        id="directory",
    ),
]


@pytest.mark.parametrize(("text", "field"), _BROKEN_LOCKS)
def test_a_broken_lock_is_one_error_naming_the_file_and_field(
    tmp_path: Path, text: str, field: str
) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text(text, encoding="utf-8")

    with pytest.raises(ManifestError) as excinfo:
        read_lock(str(lock))

    assert str(excinfo.value).startswith(f"{lock}: ")
    assert field in str(excinfo.value)


# --- the same through the hook ---------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("manifest", "lock", "field"),
    [
        pytest.param("groups = ['a']\n" + _CYCLE, None, "dependency-groups", id="include-cycle"),
        # packaging's message for a bad requirement spans three lines; the hook must not.
        pytest.param(
            "[project]\ndependencies = ['not a req!!']\n",
            None,
            "project.dependencies[0]",
            id="pep508",
        ),
        pytest.param('requirements = "a\\u0000b"\n', None, "tool.vimport.requirements", id="nul"),
        pytest.param("", _WHEEL_LOCK + 'hashes = {sha512 = "00"}\n', "sha256", id="lock-hashes"),
        pytest.param("", _LOCK_HEAD + 'environments = ["!!"]\n', "environments", id="lock-marker"),
    ],
)
def test_a_broken_project_costs_one_stderr_line_and_never_the_interpreter(
    tmp_path: Path, run_hooked: RunHooked, manifest: str, lock: str | None, field: str
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(f"[tool.vimport]\n{manifest}", encoding="utf-8")
    named = project / "pyproject.toml"
    if lock is not None:
        named = project / "pylock.toml"
        named.write_text(lock, encoding="utf-8")

    done = run_hooked(project, "-c", "print(1)")

    assert (done.returncode, done.stdout) == (0, "1\n")
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("vimport: "), done.stderr
    assert str(named) in done.stderr
    assert field in done.stderr
