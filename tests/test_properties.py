"""Properties over arbitrary input: the readers and the installer either succeed or raise their
own error, and a failed install leaves nothing behind.

- ``read_manifest``, ``read_script`` and ``read_lock`` return a result or raise
  ``ManifestError`` naming the file: never another exception, which the CLI would show as a
  traceback and the hook as "the hook failed".
- ``install_wheel`` on arbitrary file trees, corrupted bytes and corrupted RECORDs either
  publishes a whole entry holding every file of the wheel, or raises ``WheelError`` naming it
  with nothing in ``entries/`` or ``staging/``, and nothing written outside the store.

Example counts are modest so the file runs in well under half a minute on two cores.
"""

from __future__ import annotations

import contextlib
import signal
import string
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from tests.storecheck import assert_entry_holds_wheel, assert_nothing_written, assert_store_sound
from versioned_import.errors import ManifestError, WheelError
from versioned_import.project.inline import read_script
from versioned_import.project.manifest import Manifest, Selection
from versioned_import.project.pylock import Lock, read_lock
from versioned_import.project.pyproject import read_manifest
from versioned_import.store import Store, remove_tree
from versioned_import.store.install import install_wheel
from versioned_import.wheelbuild import build_wheel, record_hash

# When a property fails, hypothesis's pytest plugin imports libcst to suggest a patch; an old
# libcst warns about mypy_extensions on import, and filterwarnings = error would turn that into
# an INTERNALERROR that ends the whole session instead of reporting the failing example.
pytestmark = pytest.mark.filterwarnings(
    "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
)


def _settings(examples: int, *, shrink: bool = True) -> settings:
    """``shrink=False`` for installs: each shrinking step is an install (a hanging one costs
    the whole deadline), and an unshrunk example of a few files is readable as it is."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(
        max_examples=examples,
        deadline=None,
        phases=[*phases, Phase.target, Phase.shrink, Phase.explain] if shrink else phases,
        suppress_health_check=[HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory the examples of one test share (each example writes its own files)."""
    return tmp_path_factory.mktemp("properties")


# --- TOML documents --------------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_SCALARS = st.one_of(st.booleans(), st.integers(), st.floats(), _TEXT, st.dates())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_NAMES = st.sampled_from(["a", "b", "dev", "Dev", "a_b", "fast", "nope", ""]) | _TEXT
_REQUIREMENTS = (
    st.sampled_from(
        ["demo", "demo>=1", "demo[x]; python_version >= '3'", "d @ https://x/d.whl", "x!!", ""]
    )
    | _TEXT
)
_GROUP_ITEMS = _REQUIREMENTS | st.fixed_dictionaries({"include-group": _NAMES | _VALUES}) | _VALUES
_PROJECT = st.fixed_dictionaries(
    {},
    optional={
        "name": _NAMES | _VALUES,
        "dependencies": st.lists(_REQUIREMENTS | _VALUES, max_size=3) | _VALUES,
        "optional-dependencies": st.dictionaries(_NAMES, st.lists(_REQUIREMENTS, max_size=2))
        | _VALUES,
        "requires-python": st.sampled_from([">=3", "<3", "banana", ""]) | _VALUES,
    },
)
_TOOL_TABLE = st.fixed_dictionaries(
    {},
    optional={
        "system-site-packages": _VALUES,
        "extras": st.lists(_NAMES, max_size=2) | _VALUES,
        "groups": st.lists(_NAMES, max_size=2) | _VALUES,
        "requirements": st.sampled_from(["r.txt", "none.txt", ".", "", "/", "a\0b"]) | _TEXT,
        "colour": _VALUES,
    },
)
_GROUP_TABLES = st.dictionaries(_NAMES, st.lists(_GROUP_ITEMS, max_size=3) | _VALUES, max_size=3)
# Half the documents have the expected shape with odd leaves, so that the checks deep inside
# (extras, groups, requirements files) are reached; the other half are odd anywhere.
_DOCUMENTS = st.fixed_dictionaries(
    {"project": _PROJECT, "tool": st.fixed_dictionaries({"vimport": _TOOL_TABLE})},
    optional={"dependency-groups": _GROUP_TABLES},
) | st.fixed_dictionaries(
    {},
    optional={
        "project": _PROJECT | _VALUES,
        "tool": st.fixed_dictionaries({"vimport": _TOOL_TABLE | _VALUES}) | _VALUES,
        "dependency-groups": _GROUP_TABLES | _VALUES,
    },
)
_REQUIREMENTS_FILE = st.lists(
    st.sampled_from(["demo", "-r r.txt", "-r other.txt", "--index-url x", "x!!", "# c", ""])
    | _TEXT,
    max_size=4,
).map("\n".join)


@_settings(200)
@given(document=_DOCUMENTS, groups=st.lists(_NAMES, max_size=2), requirements=_REQUIREMENTS_FILE)
def test_read_manifest_returns_a_manifest_or_raises_manifest_error(
    scratch: Path, document: dict[str, Any], groups: list[str], requirements: str
) -> None:
    manifest = scratch / "pyproject.toml"
    manifest.write_text(tomli_w.dumps(document), encoding="utf-8")
    (scratch / "r.txt").write_text(requirements, encoding="utf-8")
    try:
        result = read_manifest(str(scratch), Selection(groups=tuple(groups)))
    except ManifestError as exc:
        assert str(exc).startswith(f"{manifest}: ")
    else:
        assert isinstance(result, Manifest)


@_settings(100)
@given(text=st.text(alphabet="[]{}=\"'\n .,#-_toolvimpjectdsr0123\\u", max_size=80))
def test_read_manifest_of_toml_ish_text_returns_or_raises_manifest_error(
    scratch: Path, text: str
) -> None:
    (scratch / "pyproject.toml").write_text(f"[tool.vimport]\n{text}", encoding="utf-8")
    with contextlib.suppress(ManifestError):
        read_manifest(str(scratch))


@_settings(100)
@given(document=_PROJECT | st.dictionaries(_TEXT, _VALUES, max_size=3))
def test_read_script_returns_a_manifest_or_raises_manifest_error(
    scratch: Path, document: dict[str, Any]
) -> None:
    script = scratch / "tool.py"
    block = "".join(f"# {line}".rstrip() + "\n" for line in tomli_w.dumps(document).splitlines())
    script.write_text(f"# /// script\n{block}# ///\n", encoding="utf-8")
    try:
        assert isinstance(read_script(str(script)), Manifest)
    except ManifestError as exc:
        assert str(exc).startswith(f"{script}: ")


_HASHES = st.dictionaries(st.sampled_from(["sha256", "sha512"]), st.just("0" * 64) | _TEXT)
_ARTIFACT = st.fixed_dictionaries(
    {"name": st.just("demo-1.0-py3-none-any.whl") | _TEXT, "hashes": _HASHES | _VALUES},
    optional={
        "url": st.just("https://example.org/demo-1.0-py3-none-any.whl") | _VALUES,
        "path": st.sampled_from(["demo-1.0-py3-none-any.whl", "/abs.whl"]) | _VALUES,
        "size": st.integers() | _VALUES,
    },
)
_PACKAGE = st.fixed_dictionaries(
    {"name": st.just("demo") | _NAMES, "version": st.just("1.0") | _VALUES},
    optional={
        "wheels": st.lists(_ARTIFACT, max_size=2) | _VALUES,
        "sdist": _ARTIFACT | _VALUES,
        "marker": st.sampled_from(["python_version < '3'", "!!"]) | _VALUES,
        "directory": st.fixed_dictionaries({"path": _TEXT}) | _VALUES,
    },
)
_LOCK_KEYS = {
    "environments": st.lists(st.sampled_from(["python_version >= '3'", "!!"]), max_size=2)
    | _VALUES,
    "default-groups": st.lists(_NAMES, max_size=2) | _VALUES,
    "requires-python": st.sampled_from([">=3", "<3", "x"]) | _VALUES,
    "tool": st.fixed_dictionaries({"vimport": st.fixed_dictionaries({"inputs": _VALUES})})
    | _VALUES,
}
# As for manifests: half are a valid lock of wheels but for their hashes and optional keys,
# half are odd anywhere.
_WHEEL_PACKAGE = st.fixed_dictionaries(
    {
        "name": st.just("demo"),
        "version": st.just("1.0"),
        "wheels": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.just("demo-1.0-py3-none-any.whl"),
                    "url": st.just("https://example.org/demo-1.0-py3-none-any.whl"),
                    "hashes": _HASHES,
                },
                optional={"size": st.integers(min_value=0)},
            ),
            min_size=1,
            max_size=2,
        ),
    }
)
_LOCKS = st.fixed_dictionaries(
    {
        "lock-version": st.just("1.0"),
        "created-by": st.just("test"),
        "packages": st.lists(_WHEEL_PACKAGE, max_size=1),
    },
    optional=_LOCK_KEYS,
) | st.fixed_dictionaries(
    {},
    optional={
        "lock-version": st.sampled_from(["1.0", "1.1", "2.0"]) | _VALUES,
        "created-by": st.just("test") | _VALUES,
        "packages": st.lists(_PACKAGE, max_size=2) | _VALUES,
        **_LOCK_KEYS,
    },
)


@_settings(200)
@given(document=_LOCKS)
def test_read_lock_returns_a_lock_or_raises_manifest_error(
    scratch: Path, document: dict[str, Any]
) -> None:
    lock = scratch / "pylock.toml"
    lock.write_text(tomli_w.dumps(document), encoding="utf-8")
    try:
        assert isinstance(read_lock(str(lock)), Lock)
    except ManifestError as exc:
        assert str(exc).startswith(f"{lock}: ")


# --- wheels ----------------------------------------------------------------------------------

# Path segments that mean something to a wheel, and arbitrary ones. No "__pycache__": installer
# skips such files with a RuntimeWarning, which this suite's filterwarnings turns into an error.
_SEGMENTS = st.sampled_from(
    [
        *("demo", "pkg", "..", ".", "", "demo-1.0.data", "demo-1.0.dist-info", "purelib"),
        *("platlib", "scripts", "data", "headers", "__init__.py", "m.py", "x.pth", "a.so"),
        *("RECORD", "WHEEL", "METADATA"),
    ]
) | st.text(string.ascii_letters + string.digits + "_-.~+ @", min_size=1, max_size=8)
# At most three segments: even "../../.." from the deepest scheme directory stays in the store,
# so a traversal the installer failed to stop would show up there, not on the machine.
_PATHS = st.tuples(st.booleans(), st.lists(_SEGMENTS, min_size=1, max_size=3)).filter(
    lambda path: any(path[1])  # a zip member needs a name
)
_TREES = st.lists(st.tuples(_PATHS, st.binary(max_size=64)), min_size=1, max_size=6)


def _fresh(scratch: Path) -> tuple[Path, Store]:
    base = Path(tempfile.mkdtemp(dir=scratch))
    return base, Store(str(base / "store"))


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Fail, rather than hang the suite, when an install never ends (these take milliseconds)."""

    def expire(signum: int, frame: object) -> None:
        raise AssertionError(f"install_wheel still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_outcome(base: Path, store: Store, wheel: Path) -> None:
    """Install ``wheel``: a whole entry with all its files, or WheelError and nothing left."""
    try:
        with _deadline(2):
            entry, new = install_wheel(store, str(wheel))
    except WheelError as exc:
        event("refused")  # --hypothesis-show-statistics tells how often each outcome came up
        assert exc.wheel == str(wheel)
        assert_nothing_written(store)
    else:
        event("installed")
        assert new
        assert [e.path for e in assert_store_sound(store)] == [entry.path]
        assert_entry_holds_wheel(entry, wheel)
        assert not any(Path(store.root, "staging").iterdir())
    # Nothing escaped into the example's directory, and nothing stray sits in the store root.
    assert sorted(p.name for p in base.iterdir()) == sorted(["store", wheel.parent.name])
    stray = {p.name for p in Path(store.root).iterdir()} - {"entries", "staging", "locks"}
    assert stray <= {"generation", "pyvenv.cfg"}, stray


@_settings(150, shrink=False)
@given(tree=_TREES)
def test_install_of_an_arbitrary_tree_is_whole_or_a_wheel_error(
    scratch: Path, tree: list[tuple[tuple[bool, list[str]], bytes]]
) -> None:
    base, store = _fresh(scratch)
    try:
        files: dict[str, str | bytes] = {}
        for (absolute, segments), data in tree:
            if absolute:  # below this example's directory, even if it were not refused
                files[f"{base}/abs/" + "/".join(s for s in segments if s != "..")] = data
            else:
                files["/".join(segments)] = data
        wheel = build_wheel(base / "wheels", "demo", "1.0", files)
        _check_outcome(base, store, wheel)
    finally:
        remove_tree(str(base))


@pytest.fixture(scope="module")
def valid_wheel(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small valid wheel with a package, a data file, a script and a .pth file."""
    files: dict[str, str | bytes] = {
        "demo/__init__.py": "VALUE = 1\n" * 40,
        "demo/sub.py": "def f():\n    return 2\n",
        "demo-1.0.data/data/share/notes.txt": "notes\n",
        "demo-1.0.data/scripts/demo-tool": "#!python\nprint(1)\n",
        "demo.pth": "import demo\n",
    }
    wheel = build_wheel(tmp_path_factory.mktemp("valid"), "demo", "1.0", files)
    return wheel.read_bytes()


@_settings(150, shrink=False)
@given(data=st.data())
def test_install_of_a_corrupted_wheel_is_whole_or_a_wheel_error(
    scratch: Path, valid_wheel: bytes, data: st.DataObject
) -> None:
    size = len(valid_wheel)
    changes = data.draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)), min_size=1, max_size=4)
    )
    cut = data.draw(st.none() | st.integers(0, size))
    spoiled = bytearray(valid_wheel)
    for offset, value in changes:
        spoiled[offset] = value
    base, store = _fresh(scratch)
    try:
        wheel = base / "wheels" / "demo-1.0-py3-none-any.whl"
        wheel.parent.mkdir()
        wheel.write_bytes(bytes(spoiled[:cut]))
        _check_outcome(base, store, wheel)
    finally:
        remove_tree(str(base))


_RECORD = "demo-1.0.dist-info/RECORD"
_RECORD_EDITS = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 20)),
    st.tuples(st.just("repeat"), st.integers(0, 20)),
    st.tuples(st.just("hash"), st.integers(0, 20), st.sampled_from(["", "sha256=", "md5=x"])),
    st.tuples(st.just("size"), st.integers(0, 20), st.sampled_from(["", "-1", "0", "x", "9"])),
    st.tuples(st.just("add"), st.sampled_from(["demo/gone.py", "../x.py", "", "demo/__init__.py"])),
    st.tuples(st.just("raw"), st.text(string.printable, max_size=30)),
)


def _edit_record(lines: list[str], edit: tuple[Any, ...]) -> list[str]:
    kind, *args = edit
    lines = list(lines)
    if kind == "raw":
        return [*lines, args[0]]
    if kind == "add":
        return [*lines, f"{args[0]},{record_hash(b'x')},1"]
    index = args[0] % len(lines)
    fields = lines[index].split(",")
    if kind == "drop":
        del lines[index]
    elif kind == "repeat":
        lines.insert(index, lines[index])
    elif kind == "hash" and len(fields) == 3:
        lines[index] = ",".join([fields[0], args[1], fields[2]])
    elif kind == "size" and len(fields) == 3:
        lines[index] = ",".join([fields[0], fields[1], args[1]])
    return lines


@_settings(60, shrink=False)
@given(edits=st.lists(_RECORD_EDITS, min_size=1, max_size=3))
def test_install_of_a_wheel_with_a_corrupted_record_is_whole_or_a_wheel_error(
    scratch: Path, valid_wheel: bytes, edits: list[tuple[Any, ...]]
) -> None:
    base, store = _fresh(scratch)
    try:
        wheel = base / "wheels" / "demo-1.0-py3-none-any.whl"
        wheel.parent.mkdir()
        wheel.write_bytes(valid_wheel)
        with zipfile.ZipFile(wheel) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        lines = members[_RECORD].decode().splitlines()
        for edit in edits:
            lines = _edit_record(lines, edit)
        members[_RECORD] = "\n".join(lines).encode()
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in members.items():
                archive.writestr(name, content)
        _check_outcome(base, store, wheel)
    finally:
        remove_tree(str(base))
