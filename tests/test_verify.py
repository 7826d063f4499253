"""``vimport verify [--fix]``: real stores with real wheels, damaged on disk as a failing disk or a
careless hand would."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeWheel
from versioned_import.cli import main
from versioned_import.store import Key, Store, layout
from versioned_import.store.install import install_wheel

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIMPORT_PROJECT", raising=False)


def _verify(store: Store, *args: str) -> int:
    return main(["--store", store.root, "verify", *args])


def _entry(store: Store, name: str, version: str = "1.0") -> Path:
    return Path(store.entry_dir(Key(name, version, "py3-none-any")))


def _writable(path: Path) -> Path:
    """Entries are read-only; a test that damages one opens up the file and its directory."""
    os.chmod(path.parent, 0o755)
    if path.exists():
        os.chmod(path, 0o644)
    return path


def _record_files(store: Store) -> int:
    count = 0
    for entry in store.entries():
        record = Path(entry.site_dir, entry.dist_info, "RECORD")
        with record.open(encoding="utf-8", newline="") as f:
            count += sum(1 for row in csv.reader(f) if row)
    return count


# Each damage maps a store to the problem line (after "ENTRY: ") it must produce.
Damage = Callable[[Store], str]


def _change_content(store: Store) -> str:
    # Same size, other bytes: only the hash can tell.
    path = _writable(_entry(store, "changed") / "site" / "changed" / "__init__.py")
    path.write_bytes(path.read_bytes().replace(b"1.0", b"6.6"))
    return "site/changed/__init__.py: content changed: sha256 "


def _truncate(store: Store) -> str:
    path = _writable(_entry(store, "truncated") / "site" / "truncated" / "__init__.py")
    size = path.stat().st_size
    path.write_bytes(b"")
    return f"site/truncated/__init__.py: size 0, RECORD says {size}"


def _delete_file(store: Store) -> str:
    path = _writable(_entry(store, "deleted") / "site" / "deleted" / "__init__.py")
    path.unlink()
    return "site/deleted/__init__.py: missing"


def _delete_entry_json(store: Store) -> str:
    _writable(_entry(store, "nojson") / layout.ENTRY_FILE).unlink()
    return "entry.json: missing"


def _contradict_directory(store: Store) -> str:
    path = _writable(_entry(store, "liar") / layout.ENTRY_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "version": "9.9"}), encoding="utf-8")
    return "entry.json: says version '9.9', the directory says '1.0'"


def _mistype_entry_json(store: Store) -> str:
    path = _writable(_entry(store, "mistyped") / layout.ENTRY_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "name": 7}), encoding="utf-8")
    return "entry.json: unreadable (not text: name)"


DAMAGES: dict[str, Damage] = {
    "changed": _change_content,
    "truncated": _truncate,
    "deleted": _delete_file,
    "nojson": _delete_entry_json,
    "liar": _contradict_directory,
    "mistyped": _mistype_entry_json,
}


@pytest.fixture
def full_store(fill_store: FillStore) -> Store:
    """One entry per damage, plus one with console scripts and data files in other schemes."""
    options = {"entry_points": "[console_scripts]\ntool = tooly:main\n"}
    files = {"tooly/__init__.py": "def main(): pass\n", "tooly-1.0.data/data/share/t.txt": "t"}
    return fill_store(*((name, "1.0") for name in DAMAGES), ("tooly", "1.0", files, options))


def test_a_clean_store_verifies(full_store: Store, capsys: Capture) -> None:
    # The installer compiled bytecode that RECORD does not list: that is no problem.
    assert list((_entry(full_store, "tooly") / "site" / "tooly" / "__pycache__").glob("*.pyc"))
    assert _verify(full_store) == 0
    out, err = capsys.readouterr()
    entries = len(DAMAGES) + 1
    assert out == f"verified {entries} entries, {_record_files(full_store)} files\n"
    assert err == ""


@pytest.mark.parametrize("damage", DAMAGES)
def test_each_damage_is_reported(full_store: Store, damage: str, capsys: Capture) -> None:
    expected = DAMAGES[damage](full_store)
    assert _verify(full_store) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith(f"{_entry(full_store, damage)}: {expected}")
    assert err.startswith(f"vimport: error: {full_store.root}: ")
    assert err.count("\n") == 1


def test_every_problem_is_reported_at_once(full_store: Store, capsys: Capture) -> None:
    expected = [
        f"{_entry(full_store, name)}: {damage(full_store)}" for name, damage in DAMAGES.items()
    ]
    assert _verify(full_store) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(expected)
    for line in expected:
        assert sum(1 for got in lines if got.startswith(line)) == 1, line
    assert f"{len(DAMAGES)} problems in {len(DAMAGES)} of {len(DAMAGES) + 1} entries" in err


def test_a_changed_file_in_another_scheme_is_reported(full_store: Store, capsys: Capture) -> None:
    # RECORD reaches bin/ and data/ as ../bin/tool and ../data/share/t.txt.
    script = _writable(_entry(full_store, "tooly") / "bin" / "tool")
    script.write_text(script.read_text(encoding="utf-8") + "# more\n", encoding="utf-8")
    _writable(_entry(full_store, "tooly") / "data" / "share" / "t.txt").unlink()
    assert _verify(full_store) == 1
    entry = _entry(full_store, "tooly")
    assert capsys.readouterr().out.splitlines() == [
        f"{entry}: bin/tool: size {script.stat().st_size}, RECORD says {script.stat().st_size - 7}",
        f"{entry}: data/share/t.txt: missing",
    ]


@pytest.mark.parametrize(
    "extra",
    ["site/tooly/planted.py", "site/tooly/planted.pyc", "site/tooly/__pycache__/gone.cpython.pyc"],
)
def test_a_file_no_wheel_installed_is_reported(
    full_store: Store, extra: str, capsys: Capture
) -> None:
    # A module, or bytecode Python would load without source, changes what a project runs.
    entry = _entry(full_store, "tooly")
    _writable(entry / extra).write_bytes(b"x")
    assert _verify(full_store) == 1
    assert capsys.readouterr().out == f"{entry}: {extra}: not in RECORD; no wheel installed it\n"


def test_fix_reinstalls_from_the_wheel_file(
    full_store: Store, tmp_path: Path, capsys: Capture
) -> None:
    found = {
        name: f"{_entry(full_store, name)}: {damage(full_store)}"
        for name, damage in DAMAGES.items()
    }
    generation = Path(layout.generation_file(full_store.root)).read_text(encoding="ascii")
    assert _verify(full_store, "--fix") == 1
    out = capsys.readouterr().out.splitlines()
    fixable = ["changed", "deleted", "liar", "truncated"]  # in the order of their paths
    wheels = tmp_path / "wheels"
    assert out[: len(fixable)] == [
        f"reinstalled: {name} 1.0 [py3-none-any] from {wheels / f'{name}-1.0-py3-none-any.whl'}"
        for name in fixable
    ]
    # Left: the entries whose entry.json cannot say which wheel they came from.
    unknown = (
        "entry.json: wheel not at hand: entry.json is unreadable, so the wheel it came from is "
        "unknown"
    )
    assert out[len(fixable) :] == [
        line
        for name in ("mistyped", "nojson")
        for line in (found[name], f"{_entry(full_store, name)}: {unknown}")
    ]
    # Hooks compute their plans again.
    assert Path(layout.generation_file(full_store.root)).read_text(encoding="ascii") != generation
    assert _verify(full_store) == 1
    assert capsys.readouterr().out.splitlines() == [found["mistyped"], found["nojson"]]
    module = _entry(full_store, "changed") / "site" / "changed" / "__init__.py"
    assert module.read_text(encoding="utf-8") == "__version__ = '1.0'\n"
    # Nothing half-done is left behind.
    assert os.listdir(layout.trash_dir(full_store.root)) == []
    assert os.listdir(layout.staging_dir(full_store.root)) == []


def test_a_fixed_store_verifies(full_store: Store, capsys: Capture) -> None:
    _change_content(full_store)
    _delete_file(full_store)
    assert _verify(full_store, "--fix") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"verified {len(DAMAGES) + 1} entries, {_record_files(full_store)} files"
    assert _verify(full_store) == 0
    # The entry is read-only again, as every installed entry is.
    assert (os.stat(_entry(full_store, "changed")).st_mode & 0o222) == 0


def test_fix_with_the_wheel_gone_says_so(
    full_store: Store, tmp_path: Path, capsys: Capture
) -> None:
    expected = _truncate(full_store)
    wheel = tmp_path / "wheels" / "truncated-1.0-py3-none-any.whl"
    wheel.unlink()
    assert _verify(full_store, "--fix") == 1
    out, err = capsys.readouterr()
    entry = _entry(full_store, "truncated")
    assert out.splitlines() == [
        f"{entry}: {expected}",
        f"{entry}: entry.json: wheel not at hand: {wheel} (no such file)",
    ]
    assert "vimport install WHEEL" in err
    # The damaged entry stays where it was: nothing is removed that cannot be put back.
    assert (entry / layout.ENTRY_FILE).is_file()


def test_fix_refuses_a_wheel_whose_hash_changed(
    full_store: Store, make_wheel: MakeWheel, capsys: Capture
) -> None:
    _truncate(full_store)
    make_wheel("truncated", "1.0", {"truncated/__init__.py": "rebuilt = True\n"})
    assert _verify(full_store, "--fix") == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert "wheel not at hand: " in last and "the entry was installed from" in last


def test_fix_fetches_a_url_source_with_pip(
    store: Store, make_wheel: MakeWheel, capsys: Capture
) -> None:
    wheel = make_wheel("remote", "1.0")
    install_wheel(store, str(wheel), source=wheel.as_uri())
    _writable(_entry(store, "remote") / "site" / "remote" / "__init__.py").write_bytes(b"")
    assert _verify(store, "--fix") == 0
    assert f"reinstalled: remote 1.0 [py3-none-any] from {wheel.as_uri()}" in (
        capsys.readouterr().out
    )
    # The entry still records where its wheel came from, not the download's temporary path.
    assert json.loads((_entry(store, "remote") / layout.ENTRY_FILE).read_text())["source"] == (
        wheel.as_uri()
    )


def test_a_failed_reinstall_puts_the_damaged_entry_back(full_store: Store, capsys: Capture) -> None:
    expected = _truncate(full_store)
    # Staging cannot be created: the install fails after the entry was moved aside.
    staging = Path(layout.staging_dir(full_store.root))
    shutil.rmtree(staging)
    staging.write_text("in the way", encoding="utf-8")
    generation = Path(layout.generation_file(full_store.root)).read_text(encoding="ascii")
    assert _verify(full_store, "--fix") == 1
    entry = _entry(full_store, "truncated")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{entry}: {expected}"
    assert lines[1].startswith(f"{entry}: entry.json: reinstall failed: ")
    # Back in place, read-only, and hooks that looked while it was away look again.
    assert (entry / layout.ENTRY_FILE).is_file()
    assert os.stat(entry).st_mode & 0o222 == 0
    assert Path(layout.generation_file(full_store.root)).read_text(encoding="ascii") != generation
    assert os.listdir(layout.trash_dir(full_store.root)) == []
