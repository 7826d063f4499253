"""``vimport gc``: real stores, real projects resolved by ``plan.compute`` (which remembers them
as roots, as the hook does), and a real child process holding an entry open."""

from __future__ import annotations

import marshal
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject
from versioned_import import planner
from versioned_import._runtime import newplan, plan
from versioned_import.cli import main
from versioned_import.store import Key, Store, layout

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans cached by this test only; no project from the environment."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIMPORT_PROJECT", raising=False)


def _gc(store: Store, *args: str) -> int:
    """gc with no grace period unless a test asks for one: every entry here is seconds old."""
    return main(["--store", store.root, "gc", *(args or ("--grace", "0"))])


def _entry(store: Store, name: str, version: str, tag: str = "py3-none-any") -> Path:
    return Path(store.entry_dir(Key(name, version, tag)))


def _present(store: Store) -> list[tuple[str, str]]:
    return [(e.name, e.version) for e in store.entries()]


def _use(project: Path, store: Store) -> None:
    """Resolve ``project`` against ``store`` as the hook does, which makes it a root."""
    computed = planner.compute_for_use(str(project), store.root)
    assert computed["error"] is None and computed["dists"]


def _tree_size(top: Path) -> int:
    return sum(p.stat().st_size for p in top.rglob("*") if p.is_file())


@pytest.fixture
def two_versions(fill_store: FillStore, make_project: MakeProject) -> tuple[Store, Path]:
    """alpha 1.0 used by a project; alpha 2.0 and beta 1.0 used by none."""
    store = fill_store(("alpha", "1.0"), ("alpha", "2.0"), ("beta", "1.0"))
    project = make_project("user", ["alpha==1.0"])
    _use(project, store)
    return store, project


def test_unused_versions_go_and_used_ones_stay(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    store, _ = two_versions
    assert _gc(store) == 0
    assert _present(store) == [("alpha", "1.0")]
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("removed: alpha 2.0 [py3-none-any] ")
    assert out[1].startswith("removed: beta 1.0 [py3-none-any] ")
    assert out[2].startswith("removed 2 entries, freed ") and out[2].endswith("; kept 1")
    # Empty version and name directories go too; the trash is empty again.
    assert sorted(os.listdir(Path(store.root, "entries"))) == ["alpha"]
    assert os.listdir(Path(store.root, "entries", "alpha")) == ["1.0"]
    assert os.listdir(layout.trash_dir(store.root)) == []


def test_every_tag_of_a_used_version_stays(
    fill_store: FillStore, make_project: MakeProject
) -> None:
    # Another interpreter sharing the store may pick the other wheel of the same version.
    store = fill_store(("alpha", "1.0"), ("alpha", "1.0", None, {"tag": "py2.py3-none-any"}))
    _use(make_project("user", ["alpha"]), store)
    assert _gc(store) == 0
    assert [e.tag for e in store.entries()] == ["py2.py3-none-any", "py3-none-any"]


def test_a_deleted_project_is_forgotten_and_its_versions_go(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    store, project = two_versions
    shutil.rmtree(project)
    assert _gc(store) == 0
    assert _present(store) == []
    assert capsys.readouterr().out.splitlines()[0] == f"forgot: {project} (is gone)"
    assert store.roots() == {}


def test_a_project_that_no_longer_opts_in_is_forgotten(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    store, project = two_versions
    manifest = project / "pyproject.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("[tool.vimport]", ""), encoding="utf-8"
    )
    assert _gc(store) == 0
    assert _present(store) == []
    assert f"forgot: {project} (has no [tool.vimport] table)" in capsys.readouterr().out
    assert store.roots() == {}


def test_a_project_without_its_pyproject_is_forgotten(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    store, project = two_versions
    (project / "pyproject.toml").unlink()
    assert _gc(store) == 0
    assert _present(store) == []
    assert f"forgot: {project} (has no pyproject.toml)" in capsys.readouterr().out


def test_a_script_is_a_root_too(fill_store: FillStore, tmp_path: Path) -> None:
    store = fill_store(("alpha", "1.0"), ("alpha", "2.0"))
    script = tmp_path / "tool.py"
    script.write_text(
        '# /// script\n# dependencies = ["alpha<2"]\n# ///\nimport alpha\n', encoding="utf-8"
    )
    _use(script, store)
    assert _gc(store) == 0
    assert _present(store) == [("alpha", "1.0")]
    script.unlink()
    assert _gc(store) == 0
    assert _present(store) == []


def test_a_project_that_cannot_be_resolved_stops_gc(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    # What a broken manifest needs is unknown: removing anything could remove what it needs.
    store, project = two_versions
    (project / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    assert _gc(store) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("vimport: error: gc removed nothing: ")
    assert str(project / "pyproject.toml") in err
    assert len(_present(store)) == 3
    assert len(store.roots()) == 1


def test_the_grace_period_keeps_a_fresh_install(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    store, _ = two_versions
    assert _gc(store, "--grace", "10") == 0
    assert len(_present(store)) == 3
    assert capsys.readouterr().out == "removed 0 entries, freed 0 bytes (0 B); kept 3\n"
    # The default is a grace period too.
    assert _gc(store, "--dry-run") == 0
    assert "would remove 0 entries" in capsys.readouterr().out


_HOLD = {
    "open": "f = open(MODULE)",
    # mmap keeps a duplicate descriptor: with every descriptor closed, only the mapping holds
    # the file, as with a loaded extension module.
    "mapped": "import mmap, os; f = open(MODULE, 'rb')\n"
    "m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ); os.closerange(3, 4096)",
    "cwd": "import os; os.chdir(os.path.dirname(os.path.dirname(os.path.dirname(MODULE))))",
}
"""How a child process holds alpha 2.0: a file open, a file mapped (then closed), or the entry
as its working directory."""


@pytest.fixture
def holder(
    two_versions: tuple[Store, Path], request: pytest.FixtureRequest
) -> Iterator[subprocess.Popen[str]]:
    """A child process that holds alpha 2.0 as ``request.param`` says, until it is killed."""
    store, _ = two_versions
    module = _entry(store, "alpha", "2.0") / "site" / "alpha" / "__init__.py"
    code = f"MODULE = {str(module)!r}\n{_HOLD[request.param]}\n"
    code += "import time; print('ready', flush=True); time.sleep(120)"
    child = subprocess.Popen([sys.executable, "-I", "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        yield child
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")
@pytest.mark.parametrize("holder", list(_HOLD), indirect=True)
def test_a_version_a_process_holds_stays_until_it_lets_go(
    two_versions: tuple[Store, Path], holder: subprocess.Popen[str]
) -> None:
    store, _ = two_versions
    assert _gc(store) == 0
    assert _present(store) == [("alpha", "1.0"), ("alpha", "2.0")]
    holder.kill()
    holder.wait()
    assert _gc(store) == 0
    assert _present(store) == [("alpha", "1.0")]


def test_dry_run_removes_nothing_and_reports_the_bytes(
    two_versions: tuple[Store, Path], capsys: Capture
) -> None:
    store, project = two_versions
    shutil.rmtree(project)
    versions = [("alpha", "1.0"), ("alpha", "2.0"), ("beta", "1.0")]
    freed = sum(_tree_size(_entry(store, name, version)) for name, version in versions)
    generation = Path(layout.generation_file(store.root)).read_bytes()
    assert _gc(store, "--dry-run", "--grace", "0") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"would forget: {project} (is gone)"
    assert out[-1].startswith(f"would remove 3 entries, freeing {freed} bytes (")
    assert len(_present(store)) == 3
    assert len(store.roots()) == 1
    assert Path(layout.generation_file(store.root)).read_bytes() == generation
    # The real run frees what the dry run said.
    assert _gc(store) == 0
    assert f"removed 3 entries, freed {freed} bytes" in capsys.readouterr().out


def test_a_real_gc_makes_hooks_compute_their_plans_again(
    two_versions: tuple[Store, Path],
) -> None:
    store, project = two_versions
    newplan.save(planner.compute(str(project), store.root))
    assert plan.load_fresh(str(project), store.root) is not None
    assert _gc(store) == 0
    assert plan.load_fresh(str(project), store.root) is None


def test_a_version_in_another_interpreters_cached_plan_stays(
    two_versions: tuple[Store, Path], tmp_path: Path
) -> None:
    # Another Python (other markers, other requires-python) resolved alpha 2.0 for this project.
    store, project = two_versions
    cached = planner.compute(str(project), store.root)
    site = str(_entry(store, "alpha", "2.0") / "site")
    cached["dists"] = [
        {
            "name": "alpha",
            "canonical": "alpha",
            "version": "2.0",
            "tag": "py3-none-any",
            "site": site,
            "dist_info": "alpha-2.0.dist-info",
            "why": "",
        }
    ]
    other = tmp_path / "cache" / "versioned-import" / "plans" / "cpython-399-linux"
    other.mkdir(parents=True)
    (other / "0123456789abcdef.plan").write_bytes(marshal.dumps(dict(newplan.packed(cached))))
    assert _gc(store) == 0
    assert _present(store) == [("alpha", "1.0"), ("alpha", "2.0")]


def test_trash_a_killed_gc_left_is_emptied(store: Store, fill_store: FillStore) -> None:
    fill_store(("alpha", "1.0"))
    # The pid of a process that has ended: the gc that used this name was killed.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    host = socket.gethostname().replace("@", "_")
    abandoned = Path(layout.trash_dir(store.root), f"{host}@{dead}-0123abcd")
    (abandoned / "site").mkdir(parents=True)
    assert _gc(store) == 0
    assert not abandoned.exists()


def test_of_local_builds_at_one_version_only_the_one_a_plan_uses_stays(
    store: Store, make_project: MakeProject, tmp_path: Path
) -> None:
    from versioned_import.store.install import install_wheel
    from versioned_import.wheelbuild import build_wheel

    builds = []
    for who in ("old", "new"):
        wheel = build_wheel(tmp_path / who, "alpha", "9.0", {"alpha.py": f"WHO = {who!r}\n"})
        builds.append(install_wheel(store, str(wheel), by_content=True)[0])
    # A fresh lock naming the new build, as `vimport sync` writes for a local source.
    project = make_project("user", [f"alpha @ {wheel.as_uri()}"])
    digest = builds[1].sha256
    (project / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "versioned-import"\n\n[[packages]]\n'
        'name = "alpha"\nversion = "9.0"\n'
        f'archive = {{ path = "../new/{wheel.name}", hashes = {{ sha256 = "{digest}" }} }}\n'
        f'tool = {{ vimport = {{ wheel-sha256 = "{digest}" }} }}\n',
        encoding="utf-8",
    )
    _use(project, store)

    assert _gc(store) == 0

    assert [e.sha256 for e in store.entries()] == [digest]
