"""A store that many users and projects share: the hook only reads it, it needs no writes (the
bytecode is there), it works from wherever it is copied or moved, and under any umask nothing
it holds, and nothing the hook writes, is writable by others.

The suite runs as root in CI, where permissions stop no write, so "writes nothing" is checked by
comparing every path's inode, size, mtime and ctime before and after.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MakeProject, MakeWheel, RunHooked, vimport
from tests.storecheck import snapshot
from versioned_import.store import Key, Store, layout, remove_tree

pytestmark = pytest.mark.e2e

# What the project sees: versions, where the code came from, metadata, a data file.
_PROBE = """
import importlib.metadata, importlib.resources, lib, lib.sub
print(lib.__version__, lib.sub.VALUE, importlib.metadata.version("lib"))
print(importlib.resources.files("lib").joinpath("data.txt").read_text().strip())
print(lib.__file__)
"""


@pytest.fixture
def lib_wheel(make_wheel: MakeWheel) -> Path:
    return make_wheel(
        "lib",
        "1.0",
        {
            "lib/__init__.py": "__version__ = '1.0'\n",
            "lib/sub.py": "VALUE = 42\n",
            "lib/data.txt": "shared data\n",
            "lib-1.0.data/purelib/lib_extra.py": "EXTRA = 1\n",
            "lib-1.0.data/scripts/lib-tool": "#!python\nprint('tool')\n",
        },
        entry_points="[console_scripts]\nlib-run = lib:__init__\n",
    )


@pytest.fixture
def project(store: Store, lib_wheel: Path, make_project: MakeProject) -> Path:
    assert vimport("--store", store.root, "install", str(lib_wheel)).returncode == 0
    return make_project("app", ["lib==1.0"])


def _probe(run_hooked: RunHooked, project: Path, store_root: str) -> list[str]:
    done = run_hooked(project, "-c", _PROBE, env_extra={"VIMPORT_STORE": store_root})
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout.splitlines()


def _umask_0(*command: str) -> list[str]:
    """``command`` started by a shell whose umask is 0, the most permissive there is."""
    return ["sh", "-c", 'umask 000 && exec "$@"', "sh", *command]


def _world_writable(top: Path) -> list[str]:
    return sorted(
        str(path)
        for path in [top, *top.rglob("*")]
        if not path.is_symlink() and path.lstat().st_mode & stat.S_IWOTH
    )


# --- read only -------------------------------------------------------------------------------


def test_importing_with_a_fresh_plan_writes_nothing_into_the_store(
    store: Store, project: Path, run_hooked: RunHooked
) -> None:
    first = _probe(run_hooked, project, store.root)  # computes and saves the plan
    before = snapshot(store.root)

    done = run_hooked(project, "-c", _PROBE, env_extra={"VIMPORT_DEBUG": "1"})

    assert done.returncode == 0, done.stderr
    assert "computed the plan" not in done.stderr  # the plan was fresh: a pure read
    assert done.stdout.splitlines() == first
    # No bytecode written next to the modules, no roots, no generation bump: nothing at all.
    assert snapshot(store.root) == before


def test_computing_a_plan_leaves_the_entries_untouched(
    store: Store, project: Path, run_hooked: RunHooked
) -> None:
    before = snapshot(layout.entries_dir(store.root))

    _probe(run_hooked, project, store.root)

    assert snapshot(layout.entries_dir(store.root)) == before


def test_every_module_of_an_entry_has_bytecode_python_will_use(
    store: Store, lib_wheel: Path
) -> None:
    # Bytecode written at install, valid for its source (timestamp and size match, as the
    # import system checks), is why a read-only store costs no compile at every start.
    assert vimport("--store", store.root, "install", str(lib_wheel)).returncode == 0
    site = Path(store.entry_dir(Key("lib", "1.0", "py3-none-any")), layout.SITE_DIR)
    sources = sorted(site.rglob("*.py"))
    assert [p.relative_to(site).as_posix() for p in sources] == [
        "lib/__init__.py",
        "lib/sub.py",
        "lib_extra.py",
    ]
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, cached
        flags, mtime, size = (int.from_bytes(header[i : i + 4], "little") for i in (4, 8, 12))
        st = source.stat()
        assert (flags, mtime, size) == (0, int(st.st_mtime) & 0xFFFFFFFF, st.st_size), cached


# --- copied and moved ------------------------------------------------------------------------


def test_a_copied_then_moved_store_works_from_its_new_place(
    store: Store, project: Path, run_hooked: RunHooked, tmp_path: Path, make_wheel: MakeWheel
) -> None:
    assert _probe(run_hooked, project, store.root)[:2] == ["1.0 42 1.0", "shared data"]
    copy = tmp_path / "copy"
    shutil.copytree(store.root, copy, symlinks=True)
    remove_tree(store.root)  # whatever still pointed at the old place now fails

    copied = _probe(run_hooked, project, str(copy))
    moved_to = tmp_path / "moved"
    os.rename(copy, moved_to)
    moved = _probe(run_hooked, project, str(moved_to))

    assert copied[:2] == moved[:2] == ["1.0 42 1.0", "shared data"]
    assert copied[2].startswith(f"{copy}{os.sep}")
    assert moved[2].startswith(f"{moved_to}{os.sep}")
    # The moved store takes new wheels and lists what it holds.
    newer = make_wheel("lib", "2.0")
    assert vimport("--store", str(moved_to), "install", str(newer)).returncode == 0
    listed = vimport("--store", str(moved_to), "list")
    assert (listed.returncode, listed.stdout.count("\nlib ")) == (0, 2), listed.stdout


# --- permissions -----------------------------------------------------------------------------


def _install_under_umask_0(store: Store, wheel: Path) -> None:
    command = [sys.executable, "-m", "versioned_import", "--store", store.root, "install"]
    done = subprocess.run(_umask_0(*command, str(wheel)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_entries_installed_under_umask_0_are_readable_by_all_and_writable_by_none(
    store: Store, lib_wheel: Path
) -> None:
    _install_under_umask_0(store, lib_wheel)
    entry = Path(store.entry_dir(Key("lib", "1.0", "py3-none-any")))

    modes = {
        str(path.relative_to(entry)): stat.S_IMODE(path.lstat().st_mode)
        for path in [entry, *entry.rglob("*")]
        if not path.is_symlink()
    }

    assert set(modes.values()) <= {0o444, 0o555}, modes
    assert modes["bin/lib-run"] == modes["."] == 0o555  # executables and directories stay so


def test_under_umask_0_no_directory_of_the_store_is_world_writable(
    store: Store, lib_wheel: Path
) -> None:
    # A world-writable entries/lib/1.0/ would let any user rename the published entry away
    # and put another in its place: the entry is read-only, its parent must be too.
    _install_under_umask_0(store, lib_wheel)

    writable = _world_writable(Path(store.root))
    assert not writable, "world-writable:\n" + "\n".join(writable)


def test_what_the_hook_writes_under_umask_0_is_not_world_writable(
    store: Store,
    project: Path,
    hooked_python: Path,
    hook_env: dict[str, str],
    tmp_path: Path,
) -> None:
    before = set(snapshot(store.root))
    command = _umask_0(str(hooked_python), "-I", "-c", "import lib; print(lib.__version__)")

    done = subprocess.run(command, cwd=project, env=hook_env, capture_output=True, text=True)

    assert (done.returncode, done.stdout, done.stderr) == (0, "1.0\n", "")
    # The plan files and their directories, and whatever the plan's computation added to the
    # store (it remembers the project), may be read by others but changed by no one else.
    cache = Path(hook_env["XDG_CACHE_HOME"])
    assert list(cache.rglob("*.plan")), "the hook saved no plan"
    added = [Path(store.root, p) for p in set(snapshot(store.root)) - before]
    writable = _world_writable(cache) + [str(p) for p in added if p.lstat().st_mode & stat.S_IWOTH]
    assert not writable, "world-writable:\n" + "\n".join(writable)
