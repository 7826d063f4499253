"""``vimport sync`` and ``vimport install REQ`` in process, against a find-links directory of
fabricated wheels, with pip's configuration cut off from this machine's and from any index; each
test runs with each engine (``VIMPORT_ENGINE=pip`` and ``uv``), which read that configuration."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.util import cache_from_source
from pathlib import Path
from typing import Any, ClassVar

import pytest
from packaging.pylock import Pylock

from tests.conftest import MakeProject, recording_uv
from tests.test_sync_ahead import BYTECODE, eventually, staged_files
from versioned_import import sync as sync_module
from versioned_import.cli import main
from versioned_import.engine import Engine, Fetched, Pick
from versioned_import.engine.choice import default_engine
from versioned_import.engine.uv import UvEngine
from versioned_import.progress import Reporter
from versioned_import.project import Manifest, manifest_for
from versioned_import.store import Store, layout
from versioned_import.store.bytecode import Compilers
from versioned_import.store.install import install_wheel
from versioned_import.wheelbuild import build_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

Capture = pytest.CaptureFixture[str]
NoPip = Callable[[], None]

# name, version, Requires-Dist: what the find-links index offers.
INDEX = [
    ("alpha", "1.0", ["beta<2"]),
    ("alpha", "2.0", ["beta>=2"]),
    ("beta", "1.0", []),
    ("beta", "2.0", []),
    ("gamma", "1.0", []),
    ("delta", "1.0", []),
    ("epsilon", "1.0", []),
    ("zeta", "1.0", []),
]


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links directory holding the wheels of ``INDEX``."""
    directory = tmp_path_factory.mktemp("index")
    for name, version, requires in INDEX:
        files = {f"{name}/__init__.py": f"__version__ = {version!r}\n"}
        build_wheel(directory, name, version, files, requires=requires)
    return directory


def wheel_file(index_dir: Path, name: str, version: str) -> Path:
    return index_dir / f"{name}-{version}-py3-none-any.whl"


def hermetic_pip(monkeypatch: pytest.MonkeyPatch, find_links: Path) -> None:
    """pip (and so uv, which is given pip's settings) sees no configuration file, no index and
    no setting of this machine: only the ``find_links`` directory."""
    for variable in list(os.environ):
        if variable.startswith(("PIP_", "UV_", "VIMPORT_")):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(find_links))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")


@pytest.fixture(params=["pip", "uv"])
def engine(request: pytest.FixtureRequest) -> str:
    """The engine this test runs with."""
    name: str = request.param
    return name


@pytest.fixture(autouse=True)
def environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_dir: Path, store: Store, engine: str
) -> None:
    """The engine resolves from ``index_dir`` alone; the store and the caches are this test's
    own."""
    hermetic_pip(monkeypatch, index_dir)
    monkeypatch.setenv("VIMPORT_ENGINE", engine)
    monkeypatch.setenv("VIMPORT_STORE", store.root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def no_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NoPip:
    """``no_pip()``: from then on pip can find no package at all, so any resolution fails."""

    def cut_off() -> None:
        empty = tmp_path / "empty-index"
        empty.mkdir(exist_ok=True)
        monkeypatch.setenv("PIP_FIND_LINKS", str(empty))

    return cut_off


def read_pylock(path: Path) -> Pylock:
    """The lock at ``path``, validated as PEP 751 by ``packaging``."""
    with path.open("rb") as f:
        return Pylock.from_dict(tomllib.load(f))


def locked(path: Path) -> dict[str, str]:
    """Name to version, as the lock at ``path`` lists them."""
    return {p.name: str(p.version) for p in read_pylock(path).packages}


def stored(store: Store) -> set[tuple[str, str]]:
    return {(e.name, e.version) for e in store.entries()} if os.path.isdir(store.root) else set()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(*args: str) -> int:
    return main(["sync", *args])


def one_error_line(capsys: Capture) -> str:
    """The single ``vimport: error: ...`` line the failed command printed, without its prefix."""
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("vimport: error: "), err
    return err.removeprefix("vimport: error: ").rstrip("\n")


def write_foreign_lock(project: Path, packages: Mapping[str, tuple[str, Path, str]]) -> Path:
    """A ``pylock.toml`` as another tool writes it (no ``[tool.vimport]``): name to
    (version, wheel path relative to the project, sha256)."""
    lines = ['lock-version = "1.0"', 'created-by = "another-tool"', ""]
    for name, (version, wheel, digest) in packages.items():
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ name = "{wheel.name}", path = "{wheel.as_posix()}", '
            f'hashes = {{ sha256 = "{digest}" }} }}]',
            "",
        ]
    lock = project / "pylock.toml"
    lock.write_text("\n".join(lines), encoding="utf-8")
    read_pylock(lock)  # the test's own lock must be valid, or it would test nothing
    return lock


# --- sync from the index ---------------------------------------------------------------------


def test_sync_installs_what_pip_resolves_and_locks_the_exact_files(
    make_project: MakeProject, store: Store, index_dir: Path, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])

    assert sync(str(project)) == 0

    assert stored(store) == {("alpha", "2.0"), ("beta", "2.0")}
    lock = read_pylock(project / "pylock.toml")
    assert {p.name: str(p.version) for p in lock.packages} == {"alpha": "2.0", "beta": "2.0"}
    for package in lock.packages:
        assert package.wheels is not None and len(package.wheels) == 1
        wheel = wheel_file(index_dir, package.name, str(package.version))
        assert package.wheels[0].hashes == {"sha256": sha256(wheel)}
        assert package.wheels[0].size == wheel.stat().st_size
        assert package.wheels[0].name == wheel.name
    assert lock.tool is not None and isinstance(lock.tool["vimport"]["inputs"], str)
    assert "Locked 2 packages" in capsys.readouterr().err


def test_quiet_sync_prints_nothing(make_project: MakeProject, capsys: Capture) -> None:
    project = make_project("app", ["alpha"])

    assert sync("-q", str(project)) == 0

    assert capsys.readouterr() == ("", "")
    assert (project / "pylock.toml").exists()


def test_a_second_sync_is_up_to_date_without_running_pip(
    make_project: MakeProject, no_pip: NoPip, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])
    assert sync(str(project)) == 0
    lock_before = (project / "pylock.toml").read_bytes()
    capsys.readouterr()
    no_pip()

    assert sync(str(project)) == 0

    assert capsys.readouterr().err.startswith("Up to date: 2 packages")
    assert (project / "pylock.toml").read_bytes() == lock_before


def test_a_fresh_lock_fills_an_empty_store_with_its_files_without_resolving(
    make_project: MakeProject, tmp_path: Path, no_pip: NoPip, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0
    other = Store(str(tmp_path / "other-store"))
    monkeypatch.setenv("VIMPORT_STORE", other.root)
    no_pip()

    assert sync(str(project)) == 0

    assert stored(other) == {("alpha", "1.0"), ("beta", "1.0")}


def test_changing_the_manifest_resolves_again(
    engine: str,
    make_project: MakeProject,
    store: Store,
    no_pip: NoPip,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0
    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0"}
    make_project("app", ["alpha>=2"])
    capsys.readouterr()

    # With pip cut off, a sync that used the stale lock would succeed; this one must ask pip.
    no_pip()
    assert sync(str(project)) == 1
    assert one_error_line(capsys).startswith(f"{engine} could not resolve")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index_dir))
    assert sync(str(project)) == 0

    assert locked(project / "pylock.toml") == {"alpha": "2.0", "beta": "2.0"}
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0"), ("alpha", "2.0"), ("beta", "2.0")}


# --- offline ---------------------------------------------------------------------------------


def test_offline_sync_locks_the_best_of_the_store_without_pip(
    make_project: MakeProject, store: Store, index_dir: Path, no_pip: NoPip, capsys: Capture
) -> None:
    for name, version, _ in INDEX:
        if name in ("alpha", "beta"):
            install_wheel(store, str(wheel_file(index_dir, name, version)))
    project = make_project("app", ["alpha"])
    no_pip()

    assert sync("--offline", str(project)) == 0

    lock = read_pylock(project / "pylock.toml")
    assert {p.name: str(p.version) for p in lock.packages} == {"alpha": "2.0", "beta": "2.0"}
    for package in lock.packages:
        assert package.wheels is not None
        wheel = wheel_file(index_dir, package.name, str(package.version))
        assert package.wheels[0].hashes == {"sha256": sha256(wheel)}
        assert package.wheels[0].size == wheel.stat().st_size
    # The lock it wrote is fresh: the next sync, online, has nothing to do.
    capsys.readouterr()
    assert sync(str(project)) == 0
    assert capsys.readouterr().err.startswith("Up to date: 2 packages")


def test_offline_sync_of_what_the_store_lacks_is_one_error_and_writes_no_lock(
    make_project: MakeProject, store: Store, index_dir: Path, capsys: Capture
) -> None:
    install_wheel(store, str(wheel_file(index_dir, "beta", "1.0")))
    project = make_project("app", ["alpha"])

    assert sync("--offline", str(project)) == 1

    assert "alpha" in one_error_line(capsys)
    assert not (project / "pylock.toml").exists()
    assert stored(store) == {("beta", "1.0")}


# --- a lock another tool wrote ---------------------------------------------------------------


def _vendor(project: Path, index_dir: Path, *specs: tuple[str, str]) -> dict[str, Path]:
    """Copy wheels of the index into ``project/vendor``; name to path relative to the project."""
    (project / "vendor").mkdir(exist_ok=True)
    found = {}
    for name, version in specs:
        wheel = wheel_file(index_dir, name, version)
        shutil.copy(wheel, project / "vendor" / wheel.name)
        found[name] = Path("vendor", wheel.name)
    return found


def test_a_foreign_lock_is_installed_exactly_as_it_lists(
    make_project: MakeProject,
    store: Store,
    index_dir: Path,
    no_pip: NoPip,
    capsys: Capture,
) -> None:
    # The manifest alone would resolve alpha 2.0; the lock says 1.0, and pip could not resolve.
    project = make_project("app", ["alpha"])
    wheels = _vendor(project, index_dir, ("alpha", "1.0"), ("beta", "1.0"))
    lock = write_foreign_lock(
        project,
        {name: ("1.0", wheel, sha256(project / wheel)) for name, wheel in wheels.items()},
    )
    written = lock.read_bytes()
    no_pip()

    assert sync(str(project)) == 0

    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}
    assert lock.read_bytes() == written
    capsys.readouterr()
    assert sync(str(project)) == 0
    assert capsys.readouterr().err.startswith("Up to date: 2 packages")


def test_a_wrong_hash_in_a_foreign_lock_is_one_error_and_nothing_enters_the_store(
    make_project: MakeProject, store: Store, index_dir: Path, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])
    wheels = _vendor(project, index_dir, ("alpha", "1.0"), ("beta", "1.0"))
    write_foreign_lock(
        project,
        {
            "alpha": ("1.0", wheels["alpha"], sha256(project / wheels["alpha"])),
            "beta": ("1.0", wheels["beta"], "0" * 64),
        },
    )

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith(str(project / wheels["beta"])), message
    assert "does not match the sha256" in message
    # Everything is fetched before anything is installed: alpha, whose hash is right, stays out.
    assert stored(store) == set()


def test_a_foreign_lock_that_does_not_cover_the_manifest_is_one_error(
    make_project: MakeProject, store: Store, index_dir: Path, no_pip: NoPip, capsys: Capture
) -> None:
    # `vimport add gamma` after another tool locked the project must not say "up to date".
    project = make_project("app", ["alpha", "gamma"])
    wheels = _vendor(project, index_dir, ("alpha", "1.0"), ("beta", "1.0"))
    lock = write_foreign_lock(
        project,
        {name: ("1.0", wheel, sha256(project / wheel)) for name, wheel in wheels.items()},
    )
    no_pip()

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith(f"{lock}: written by another tool, it does not cover gamma")
    assert stored(store) == set()


def _lock_from(project: Path, server: str, index_dir: Path) -> None:
    """A lock another tool wrote of alpha 1.0 and beta 1.0, both at ``server``."""
    packages = []
    for name in ("alpha", "beta"):
        wheel = wheel_file(index_dir, name, "1.0")
        packages += [
            "[[packages]]",
            f'name = "{name}"',
            'version = "1.0"',
            f'wheels = [{{ url = "{server}/{wheel.name}", '
            f'hashes = {{ sha256 = "{sha256(wheel)}" }} }}]',
        ]
    lock = project / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "t"\n' + "\n".join(packages) + "\n")


class _CutShort(http.server.BaseHTTPRequestHandler):
    """Serves any wheel of the index directory, but closes the connection halfway through."""

    directory = Path()

    def do_GET(self) -> None:
        content = (self.directory / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content[: len(content) // 2])

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A local HTTP server with ``handler``; its URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def cut_short_server(index_dir: Path) -> Iterator[str]:
    _CutShort.directory = index_dir
    with _serving(_CutShort) as url:
        yield url


def test_a_download_cut_off_midway_is_one_error_and_the_store_is_as_it_was(
    make_project: MakeProject,
    store: Store,
    index_dir: Path,
    cut_short_server: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
) -> None:
    install_wheel(store, str(wheel_file(index_dir, "gamma", "1.0")))
    project = make_project("app", ["alpha"])
    _lock_from(project, cut_short_server, index_dir)
    monkeypatch.setenv("PIP_RETRIES", "1")

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith("alpha 1.0: could not download http://127.0.0.1:"), message
    assert "the connection closed after" in message
    assert stored(store) == {("gamma", "1.0")}


class _Gated(http.server.BaseHTTPRequestHandler):
    """Serves the wheels of the index directory; the ``gated`` one only once ``ready()`` holds
    (or after ten seconds), whole, or cut off halfway if ``cut``; ``opened`` records, for each
    request of it, whether ``ready()`` held."""

    directory: ClassVar[Path] = Path()
    gated: ClassVar[str] = ""
    cut: ClassVar[bool] = False
    ready: ClassVar[Callable[[], bool]] = staticmethod(lambda: True)
    opened: ClassVar[list[bool]] = []

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        content = (_Gated.directory / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if name == _Gated.gated:
            deadline = time.monotonic() + 10
            while not _Gated.ready() and time.monotonic() < deadline:
                time.sleep(0.01)
            _Gated.opened.append(_Gated.ready())
            content = content[: len(content) // 2] if _Gated.cut else content
        self.wfile.write(content)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gated_server(index_dir: Path, store: Store) -> Iterator[str]:
    """beta 1.0's wheel is served only once a wheel is staged with its bytecode."""
    _Gated.directory, _Gated.gated = index_dir, wheel_file(index_dir, "beta", "1.0").name
    _Gated.ready = staticmethod(lambda: BYTECODE in staged_files(store))
    _Gated.opened, _Gated.cut = [], False
    with _serving(_Gated) as url:
        yield url


def test_a_wheel_installs_while_the_others_still_download(
    make_project: MakeProject, store: Store, index_dir: Path, gated_server: str
) -> None:
    project = make_project("app", ["alpha"])
    _lock_from(project, gated_server, index_dir)

    assert sync(str(project)) == 0

    assert _Gated.opened == [True]  # alpha was staged, bytecode and all, while beta downloaded
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}


def test_a_wheel_staged_before_a_download_fails_is_not_published(
    make_project: MakeProject,
    store: Store,
    index_dir: Path,
    gated_server: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
) -> None:
    _Gated.cut = True
    project = make_project("app", ["alpha"])
    _lock_from(project, gated_server, index_dir)
    monkeypatch.setenv("PIP_RETRIES", "0")

    assert sync(str(project)) == 1

    assert "beta 1.0: could not download" in one_error_line(capsys)
    assert _Gated.opened == [True]
    assert stored(store) == set()
    assert staged_files(store) == []


@pytest.mark.parametrize("engine", ["uv"])
def test_a_uv_that_crashes_is_one_error_and_the_store_is_as_it_was(
    make_project: MakeProject,
    store: Store,
    index_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
) -> None:
    install_wheel(store, str(wheel_file(index_dir, "gamma", "1.0")))
    crashing = tmp_path / "uv"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n", encoding="utf-8")
    crashing.chmod(0o755)
    monkeypatch.setattr("versioned_import.engine.uv.find_uv", lambda: str(crashing))
    project = make_project("app", ["alpha"])

    assert sync(str(project)) == 1

    assert one_error_line(capsys).startswith(f"{crashing} crashed (SIGSEGV) trying to resolve")
    assert stored(store) == {("gamma", "1.0")}
    assert not (project / "pylock.toml").exists()


def test_a_foreign_lock_is_read_without_the_default_dev_group(
    make_project: MakeProject, store: Store, index_dir: Path, no_pip: NoPip
) -> None:
    # pip lock knows no groups: a dev group it never saw must not make its lock "not cover".
    project = make_project("app", ["alpha"], extra='[dependency-groups]\ndev = ["zeta"]\n')
    wheels = _vendor(project, index_dir, ("alpha", "1.0"), ("beta", "1.0"))
    write_foreign_lock(
        project,
        {name: ("1.0", wheel, sha256(project / wheel)) for name, wheel in wheels.items()},
    )
    no_pip()

    assert sync(str(project)) == 0

    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}


# --- what pip cannot resolve -----------------------------------------------------------------


@pytest.mark.parametrize("requirement", ["no-such-package", "alpha==9"])
def test_what_pip_cannot_resolve_is_one_error_and_the_store_is_untouched(
    engine: str, requirement: str, make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", [requirement])

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith(f"{engine} could not resolve {requirement}"), message
    assert not os.path.exists(layout.entries_dir(store.root))
    assert not (project / "pylock.toml").exists()


def test_a_failed_resolution_keeps_the_store_as_it_was(
    engine: str, make_project: MakeProject, store: Store, index_dir: Path, capsys: Capture
) -> None:
    install_wheel(store, str(wheel_file(index_dir, "beta", "1.0")))
    project = make_project("app", ["alpha", "no-such-package"])

    assert sync(str(project)) == 1

    assert one_error_line(capsys).startswith(f"{engine} could not resolve")
    assert stored(store) == {("beta", "1.0")}


# --- what a manifest can ask for -------------------------------------------------------------


def test_extras_of_the_project_are_locked(make_project: MakeProject, store: Store) -> None:
    project = make_project(
        "app",
        ["beta<2"],
        tool='extras = ["fast"]',
        extra='[project.optional-dependencies]\nfast = ["gamma"]\nslow = ["zeta"]\n',
    )

    assert sync(str(project)) == 0

    assert locked(project / "pylock.toml") == {"beta": "1.0", "gamma": "1.0"}
    assert read_pylock(project / "pylock.toml").extras == ["fast"]
    assert ("gamma", "1.0") in stored(store)


_GROUPS = """
[dependency-groups]
test = ["delta"]
dev = [{include-group = "test"}, "epsilon"]
docs = ["zeta"]
"""


def test_groups_named_in_the_manifest_are_locked_with_their_included_groups(
    make_project: MakeProject,
) -> None:
    project = make_project("app", ["beta<2"], tool='groups = ["dev"]', extra=_GROUPS)

    assert sync(str(project)) == 0

    lock = read_pylock(project / "pylock.toml")
    assert {p.name for p in lock.packages} == {"beta", "delta", "epsilon"}
    assert lock.default_groups == ["dev"]


def test_sync_with_group_records_it_in_the_locks_default_groups(
    make_project: MakeProject, no_pip: NoPip, capsys: Capture
) -> None:
    project = make_project("app", ["beta<2"], extra=_GROUPS)

    assert sync("--group", "dev", str(project)) == 0

    lock = read_pylock(project / "pylock.toml")
    assert {p.name for p in lock.packages} == {"beta", "delta", "epsilon"}
    assert lock.default_groups == ["dev"]
    assert lock.dependency_groups == ["dev"]
    # The same command again finds the lock fresh.
    no_pip()
    capsys.readouterr()
    assert sync("--group", "dev", str(project)) == 0
    assert capsys.readouterr().err.startswith("Up to date: 3 packages")


def test_an_unknown_group_is_one_error_naming_the_defined_ones(
    make_project: MakeProject, capsys: Capture
) -> None:
    project = make_project("app", ["beta<2"], extra=_GROUPS)

    assert sync("--group", "nope", str(project)) == 1

    message = one_error_line(capsys)
    assert "nope" in message and "dev, docs, test" in message, message
    assert not (project / "pylock.toml").exists()


def test_a_requirements_file_and_its_includes_are_locked_and_watched(
    make_project: MakeProject, no_pip: NoPip, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project("app", [], tool='requirements = "requirements.txt"')
    (project / "requirements.txt").write_text(
        "# pinned for the old API\n-r more/extra.txt\nalpha<2  # not 2 yet\n", encoding="utf-8"
    )
    (project / "more").mkdir()
    (project / "more" / "extra.txt").write_text("zeta\n", encoding="utf-8")

    assert sync(str(project)) == 0
    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0", "zeta": "1.0"}

    # Editing the included file makes the lock stale: with pip cut off, sync fails.
    (project / "more" / "extra.txt").write_text("zeta\ngamma\n", encoding="utf-8")
    no_pip()
    assert sync(str(project)) == 1
    monkeypatch.setenv("PIP_FIND_LINKS", str(index_dir))
    assert sync(str(project)) == 0
    assert locked(project / "pylock.toml") == {
        "alpha": "1.0",
        "beta": "1.0",
        "gamma": "1.0",
        "zeta": "1.0",
    }


def test_an_option_in_a_requirements_file_is_an_error_naming_file_and_line(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", [], tool='requirements = "requirements.txt"')
    (project / "requirements.txt").write_text(
        "alpha\n--index-url https://example.invalid/simple\n", encoding="utf-8"
    )

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert f"{project / 'requirements.txt'}:2" in message, message
    assert "--index-url" in message
    assert not (project / "pylock.toml").exists()
    assert stored(store) == set()


# --- local sources ----------------------------------------------------------------------------


def test_a_git_source_for_a_name_on_the_index_is_one_error_and_nothing_is_fetched(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    # alpha is on the index: taking it from there would be dependency confusion.
    extra = '[tool.uv.sources]\nalpha = { git = "https://example.invalid/alpha.git" }\n'
    project = make_project("app", ["alpha"], extra=extra)

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith(f"{project / 'pyproject.toml'}: tool.uv.sources.alpha: git "), message
    assert not (project / "pylock.toml").exists()
    assert stored(store) == set()


def test_a_local_wheel_rebuilt_at_the_same_version_sits_beside_the_old_and_is_served(
    tmp_path: Path, make_project: MakeProject, store: Store
) -> None:
    from versioned_import.planner import compute

    def build(who: str) -> Path:
        return build_wheel(tmp_path / "dist", "alpha", "9.0", {"alpha.py": f"WHO = {who!r}\n"})

    wheel = build("old")
    project = make_project("app", [f"alpha @ {wheel.as_uri()}"])
    assert sync(str(project)) == 0
    wheel = build("new")  # same name, version and tag: only the content differs

    assert sync(str(project)) == 0

    [package] = [p for p in read_pylock(project / "pylock.toml").packages if p.name == "alpha"]
    assert package.archive is not None and package.archive.hashes["sha256"] == sha256(wheel)
    assert package.tool == {"vimport": {"wheel-sha256": sha256(wheel)}}
    builds = [e for e in store.entries() if e.name == "alpha"]
    assert len(builds) == 2 and sha256(wheel) in {e.sha256 for e in builds}
    [dist] = compute(str(project), store.root)["dists"]
    assert (Path(dist["site"]) / "alpha.py").read_text(encoding="utf-8") == "WHO = 'new'\n"
    assert main(["verify"]) == 0


def _other_alpha_in_the_store(tmp_path: Path, store: Store) -> str:
    """A wheel named as the index's alpha 1.0, of other content, installed into the store."""
    other = build_wheel(tmp_path / "other", "alpha", "1.0", {"alpha/__init__.py": "X = 1\n"})
    install_wheel(store, str(other))
    return store.entry_dir(layout.wheel_key(other.name))


def test_an_index_wheel_whose_entry_holds_another_file_is_one_error_naming_it(
    tmp_path: Path, make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    entry = _other_alpha_in_the_store(tmp_path, store)
    project = make_project("app", ["alpha<2"])

    assert sync(str(project), "-q") == 1

    message = one_error_line(capsys)
    assert message.startswith(f"{entry}: holds alpha-1.0-py3-none-any.whl"), message
    assert "nothing was installed" in message
    assert not (project / "pylock.toml").exists()
    assert stored(store) == {("alpha", "1.0")}


def test_verify_reports_an_entry_that_is_not_the_wheel_a_lock_names(
    tmp_path: Path, make_project: MakeProject, store: Store, capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    project = make_project("app", ["alpha<2"])
    elsewhere = Store(str(tmp_path / "elsewhere"))
    monkeypatch.setenv("VIMPORT_STORE", elsewhere.root)
    assert sync(str(project)) == 0  # the lock names the index's alpha 1.0
    entry = _other_alpha_in_the_store(tmp_path, store)
    store.add_root(str(project))
    capsys.readouterr()

    assert main(["--store", store.root, "verify"]) == 1

    out, err = capsys.readouterr()
    assert out.startswith(f"{entry}: entry.json: installed from a wheel with sha256 "), out
    assert f"{project / 'pylock.toml'} locks alpha-1.0-py3-none-any.whl" in out
    assert "1 problem" in err


_SCRIPT = """\
# /// script
# dependencies = ["alpha<2"]
# ///
import alpha
print(alpha.__version__)
"""


def test_a_script_is_locked_in_pylock_stem_toml_beside_it(tmp_path: Path, store: Store) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "report.py").write_text(_SCRIPT, encoding="utf-8")

    assert sync(str(scripts / "report.py")) == 0

    assert locked(scripts / "pylock.report.toml") == {"alpha": "1.0", "beta": "1.0"}
    assert sorted(p.name for p in scripts.iterdir()) == ["pylock.report.toml", "report.py"]
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}


def test_bytecode_workers_start_before_resolving_and_compile_what_sync_installs(
    make_project: MakeProject, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Their start-up then overlaps the resolver's wait instead of following it.
    events: list[str] = []

    class Recorded(Compilers):
        def __init__(self, workers: int | None = None) -> None:
            events.append("workers")
            super().__init__(workers)

    def engine_recording(reporter: Reporter) -> Engine:
        engine = default_engine(reporter)
        resolve = engine.resolve

        def recorded(*args: Any, **kwargs: Any) -> list[Pick]:
            events.append("resolve")
            return resolve(*args, **kwargs)

        monkeypatch.setattr(engine, "resolve", recorded)
        return engine

    monkeypatch.setattr(sync_module, "Compilers", Recorded)
    monkeypatch.setattr(sync_module, "default_engine", engine_recording)
    monkeypatch.setattr("versioned_import.engine.choice.default_engine", engine_recording)
    project = make_project("app", ["alpha"])

    assert sync(str(project)) == 0

    assert events == ["workers", "resolve"]
    for entry in store.entries():
        source = Path(entry.site_dir, entry.name, "__init__.py")
        assert Path(cache_from_source(str(source))).is_file()


def test_exact_pins_are_unpacked_and_compiled_while_the_resolver_runs(
    make_project: MakeProject, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The resolver waits until alpha, pinned, is staged with its bytecode: without installing
    # ahead, it would wait in vain. beta, which alpha requires, is fetched once resolved.
    fetched: list[str] = []

    def engine_waiting(reporter: Reporter) -> Engine:
        engine = default_engine(reporter)
        resolve, fetch = engine.resolve, engine.fetch

        def waiting(*args: Any, **kwargs: Any) -> list[Pick]:
            eventually(lambda: BYTECODE in staged_files(store))
            return resolve(*args, **kwargs)

        def recorded(picks: Sequence[Pick], *args: Any, **kwargs: Any) -> list[Fetched]:
            fetched.extend(p.name for p in picks)
            return fetch(picks, *args, **kwargs)

        monkeypatch.setattr(engine, "resolve", waiting)
        monkeypatch.setattr(engine, "fetch", recorded)
        return engine

    monkeypatch.setattr(sync_module, "default_engine", engine_waiting)
    monkeypatch.setattr("versioned_import.engine.choice.default_engine", engine_waiting)
    project = make_project("app", ["alpha==1.0"])

    assert sync(str(project)) == 0

    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}
    assert fetched[-1:] == ["beta"]
    assert staged_files(store) == []


def test_a_pin_installed_ahead_of_a_resolution_that_fails_leaves_the_store_as_it_was(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", ["alpha==1.0", "beta==1.0", "no-such-package==1.0"])

    assert sync(str(project)) == 1

    assert "could not resolve" in one_error_line(capsys)
    assert stored(store) == set()
    assert staged_files(store) == []


@pytest.mark.parametrize("engine", ["uv"])
@pytest.mark.parametrize("command", ["sync", "lock"])
def test_a_first_sync_resolves_once_uv_having_started_before_the_manifest_was_read_in_full(
    make_project: MakeProject,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    recording, log = recording_uv(tmp_path)
    monkeypatch.setattr("versioned_import.engine.uv.find_uv", lambda: recording)
    events: list[str] = []
    start, read = UvEngine.start, manifest_for

    def starting(engine: UvEngine, *args: Any) -> None:
        events.append(f"start {args[0]}")
        start(engine, *args)

    def reading(*args: Any) -> Manifest:
        events.append("manifest")
        return read(*args)

    monkeypatch.setattr(UvEngine, "start", starting)
    monkeypatch.setattr("versioned_import.sync.manifest_for", reading)
    project = make_project("app", ["Alpha >= 1"])

    assert main([command, str(project)]) == 0

    assert events == ["start ['Alpha >= 1']", "manifest"]
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1
    assert locked(project / "pylock.toml") == {"alpha": "2.0", "beta": "2.0"}
    installed = {("alpha", "2.0"), ("beta", "2.0")} if command == "sync" else set()
    assert stored(store) == installed


def test_what_only_fetching_installing_and_locking_need_is_imported_while_resolving() -> None:
    # sync imports those on a thread while the resolver runs, with the CPU idle; imported by
    # the modules a sync starts with, they would delay the resolver's start.
    # Without site (-S): a .pth file of the interpreter's may import some of them itself.
    later = sync_module._NEEDED_ONCE_RESOLVED
    code = (
        f"import sys; sys.path[:0] = {sys.path!r}; "
        "import versioned_import.cli, versioned_import.sync, versioned_import.engine.uv; "
        f"print([name for name in {later!r} if name in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True)
    assert (done.stdout, done.stderr) == ("[]\n", "")


# --- install REQUIREMENT ---------------------------------------------------------------------


def test_install_takes_requirement_strings_and_fetches_their_dependencies(
    store: Store, capsys: Capture
) -> None:
    assert main(["install", "alpha==1.0"]) == 0

    assert capsys.readouterr().out == (
        "present: alpha 1.0 [py3-none-any]\npresent: beta 1.0 [py3-none-any]\n"
    )
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}


def test_installing_an_unknown_requirement_is_one_error(
    engine: str, store: Store, capsys: Capture
) -> None:
    assert main(["install", "no-such-package==1.0"]) == 1

    assert one_error_line(capsys).startswith(f"{engine} could not resolve no-such-package==1.0")
    assert not os.path.exists(layout.entries_dir(store.root))


# --- add and remove (through the CLI) --------------------------------------------------------


def _dependencies(project: Path) -> Any:
    with (project / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["dependencies"]


def test_add_puts_the_requirement_in_the_manifest_and_locks_it(
    make_project: MakeProject, store: Store
) -> None:
    project = make_project("app", ["alpha<2"])

    assert main(["add", "--project", str(project), "gamma"]) == 0

    assert _dependencies(project) == ["alpha<2", "gamma"]
    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert ("gamma", "1.0") in stored(store)


def test_add_changes_the_version_of_a_listed_requirement(make_project: MakeProject) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0

    assert main(["add", "--project", str(project), "alpha>=2"]) == 0

    assert _dependencies(project) == ["alpha>=2"]
    assert locked(project / "pylock.toml") == {"alpha": "2.0", "beta": "2.0"}


def test_remove_takes_the_requirement_out_of_the_manifest_and_the_lock(
    make_project: MakeProject,
) -> None:
    project = make_project("app", ["alpha<2", "gamma"])
    assert sync(str(project)) == 0

    assert main(["remove", "--project", str(project), "gamma"]) == 0

    assert _dependencies(project) == ["alpha<2"]
    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0"}


# --- CI: --locked and --frozen ---------------------------------------------------------------


def test_locked_refuses_a_stale_lock_naming_what_differs_and_writes_nothing(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0
    lock_before = (project / "pylock.toml").read_bytes()
    stored_before = stored(store)
    make_project("app", ["alpha<2", "gamma"])
    capsys.readouterr()

    assert sync("--locked", str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith(f"{project / 'pylock.toml'}: --locked: the lock does not match")
    assert "gamma added" in message and "vimport lock" in message, message
    assert (project / "pylock.toml").read_bytes() == lock_before
    assert stored(store) == stored_before


def test_locked_without_a_lock_is_one_error(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])

    assert sync("--locked", str(project)) == 1

    assert "--locked: there is no lock" in one_error_line(capsys)
    assert not (project / "pylock.toml").exists()
    assert stored(store) == set()


def test_locked_with_a_fresh_lock_fills_the_store_without_resolving(
    make_project: MakeProject, tmp_path: Path, no_pip: NoPip, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0
    other = Store(str(tmp_path / "other-store"))
    monkeypatch.setenv("VIMPORT_STORE", other.root)
    assert main(["lock", "--locked", str(project)]) == 0
    no_pip()  # resolving would fail from here on; fetching the locked files still works

    assert sync("--locked", str(project)) == 0

    assert stored(other) == {("alpha", "1.0"), ("beta", "1.0")}


def test_frozen_installs_a_stale_lock_as_it_lists_without_resolving(
    make_project: MakeProject, tmp_path: Path, no_pip: NoPip, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0
    lock_before = (project / "pylock.toml").read_bytes()
    make_project("app", ["alpha>=2", "gamma"])
    other = Store(str(tmp_path / "other-store"))
    monkeypatch.setenv("VIMPORT_STORE", other.root)
    no_pip()

    assert sync("--frozen", str(project)) == 0

    assert stored(other) == {("alpha", "1.0"), ("beta", "1.0")}
    assert (project / "pylock.toml").read_bytes() == lock_before


def test_frozen_without_a_lock_is_one_error(make_project: MakeProject, capsys: Capture) -> None:
    project = make_project("app", ["alpha"])

    assert sync("--frozen", str(project)) == 1

    assert "--frozen: there is no lock" in one_error_line(capsys)


@pytest.mark.parametrize(
    "flags", [["--locked", "--frozen"], ["--locked", "--upgrade"], ["--frozen", "-P", "alpha"]]
)
def test_flags_that_contradict_are_a_usage_error(
    flags: list[str], make_project: MakeProject, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])

    assert sync(*flags, str(project)) == 2

    assert "usage:" in capsys.readouterr().err
    assert not (project / "pylock.toml").exists()


# --- offline: nothing fetched ----------------------------------------------------------------


def test_offline_with_a_fresh_lock_and_an_empty_store_is_one_error_fetching_nothing(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    project = make_project("app", ["alpha<2"])
    assert sync(str(project)) == 0
    empty = Store(str(tmp_path / "empty-store"))
    monkeypatch.setenv("VIMPORT_STORE", empty.root)
    capsys.readouterr()

    assert sync("--offline", str(project)) == 1

    message = one_error_line(capsys)
    assert message.startswith(f"--offline: the store {empty.root} lacks alpha 1.0, beta 1.0")
    assert "nothing was fetched" in message
    assert stored(empty) == set()


def test_install_offline_takes_what_the_store_holds_and_names_what_it_lacks(
    store: Store, index_dir: Path, no_pip: NoPip, capsys: Capture
) -> None:
    for name in ("alpha", "beta"):
        install_wheel(store, str(wheel_file(index_dir, name, "1.0")))
    no_pip()

    assert main(["install", "--offline", "alpha"]) == 0
    assert capsys.readouterr().out == (
        "present: alpha 1.0 [py3-none-any]\npresent: beta 1.0 [py3-none-any]\n"
    )
    assert main(["install", "--offline", "gamma"]) == 1
    assert "gamma" in one_error_line(capsys)
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}


def test_lock_offline_resolves_from_the_store_and_installs_nothing(
    make_project: MakeProject, store: Store, index_dir: Path, no_pip: NoPip
) -> None:
    for name in ("alpha", "beta"):
        install_wheel(store, str(wheel_file(index_dir, name, "1.0")))
    project = make_project("app", ["alpha"])
    no_pip()

    assert main(["lock", "--offline", str(project)]) == 0

    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0"}
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0")}


# --- lock preference and upgrades ------------------------------------------------------------


@pytest.fixture
def old_index(tmp_path: Path, index_dir: Path) -> Path:
    """The index as it was before the 2.0 releases."""
    directory = tmp_path / "old-index"
    directory.mkdir()
    for wheel in index_dir.glob("*-1.0-*.whl"):
        shutil.copy(wheel, directory / wheel.name)
    return directory


def test_lock_writes_the_lock_and_installs_nothing(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])

    assert main(["lock", str(project)]) == 0

    assert locked(project / "pylock.toml") == {"alpha": "2.0", "beta": "2.0"}
    assert stored(store) == set()
    written = (project / "pylock.toml").read_bytes()
    capsys.readouterr()
    assert main(["lock", str(project)]) == 0
    assert capsys.readouterr().err.startswith("Up to date: 2 packages")
    assert (project / "pylock.toml").read_bytes() == written


def test_add_keeps_the_locked_versions_that_still_satisfy(
    make_project: MakeProject, old_index: Path, monkeypatch: pytest.MonkeyPatch, index_dir: Path
) -> None:
    project = make_project("app", ["alpha"])
    monkeypatch.setenv("PIP_FIND_LINKS", str(old_index))
    assert sync(str(project)) == 0
    monkeypatch.setenv("PIP_FIND_LINKS", str(index_dir))  # alpha 2.0 and beta 2.0 are out

    assert main(["add", "--project", str(project), "gamma"]) == 0

    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_a_relaxed_requirement_keeps_its_locked_version_until_upgrade(
    make_project: MakeProject,
) -> None:
    project = make_project("app", ["alpha==1.0"])
    assert sync(str(project)) == 0
    make_project("app", ["alpha>=1"])

    assert sync(str(project)) == 0
    assert locked(project / "pylock.toml") == {"alpha": "1.0", "beta": "1.0"}

    assert sync("--upgrade", str(project)) == 0
    assert locked(project / "pylock.toml") == {"alpha": "2.0", "beta": "2.0"}


def _sync_then_release(
    project: Path, old_index: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sync ``project`` from the old index with gamma 0.9 in it, then let the 2.0 releases and
    gamma 1.0 out."""
    (old_index / "gamma-1.0-py3-none-any.whl").unlink()
    build_wheel(old_index, "gamma", "0.9", {"gamma/__init__.py": ""})
    monkeypatch.setenv("PIP_FIND_LINKS", str(old_index))
    assert sync(str(project)) == 0
    monkeypatch.setenv("PIP_FIND_LINKS", f"{index_dir} {old_index}")


def test_upgrade_package_moves_that_package_only(
    make_project: MakeProject, old_index: Path, monkeypatch: pytest.MonkeyPatch, index_dir: Path
) -> None:
    project = make_project("app", ["beta", "gamma"])
    _sync_then_release(project, old_index, index_dir, monkeypatch)
    assert locked(project / "pylock.toml") == {"beta": "1.0", "gamma": "0.9"}

    assert main(["lock", "--upgrade-package", "Gamma", str(project)]) == 0

    assert locked(project / "pylock.toml") == {"beta": "1.0", "gamma": "1.0"}


def test_a_locked_version_that_blocks_a_new_requirement_gives_way_and_others_stay(
    make_project: MakeProject, old_index: Path, monkeypatch: pytest.MonkeyPatch, index_dir: Path
) -> None:
    # beta 1.0 is locked as alpha's dependency; alpha>=2 needs beta>=2, so that pin must go,
    # while gamma, a direct requirement, keeps its locked 0.9 though 1.0 is out.
    project = make_project("app", ["alpha<2", "gamma"])
    _sync_then_release(project, old_index, index_dir, monkeypatch)

    assert main(["add", "--project", str(project), "alpha>=2"]) == 0

    assert locked(project / "pylock.toml") == {"alpha": "2.0", "beta": "2.0", "gamma": "0.9"}


# --- add and remove: groups, extras, and failures that leave nothing -------------------------


@pytest.mark.parametrize(
    ("command", "locked_first"),
    [(["add", "alpha==9"], True), (["add", "no-such-package"], False), (["remove", "gamma"], True)],
)
def test_a_failed_edit_leaves_the_manifest_and_the_lock_byte_for_byte(
    command: list[str],
    locked_first: bool,
    make_project: MakeProject,
    store: Store,
    no_pip: NoPip,
    capsys: Capture,
) -> None:
    project = make_project("app", ["alpha<2", "gamma"])
    if locked_first:
        assert sync(str(project)) == 0
    manifest_before = (project / "pyproject.toml").read_bytes()
    lock_before = (project / "pylock.toml").read_bytes() if locked_first else None
    stored_before = stored(store)
    if command[0] == "remove":
        no_pip()  # the edit itself succeeds; the sync after it cannot resolve
    capsys.readouterr()

    assert main([command[0], "--project", str(project), *command[1:]]) == 1

    one_error_line(capsys)
    assert (project / "pyproject.toml").read_bytes() == manifest_before
    lock = project / "pylock.toml"
    assert (lock.read_bytes() if lock.exists() else None) == lock_before
    assert stored(store) == stored_before


def _tables(project: Path) -> Any:
    with (project / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def test_add_and_remove_edit_a_group_or_an_extra_and_sync_with_it(
    make_project: MakeProject,
) -> None:
    project = make_project("app", ["beta<2"])

    assert main(["add", "--project", str(project), "--group", "test", "delta"]) == 0
    assert _tables(project)["dependency-groups"] == {"test": ["delta"]}
    assert locked(project / "pylock.toml") == {"beta": "1.0", "delta": "1.0"}

    assert main(["add", "--project", str(project), "--optional", "fast", "gamma"]) == 0
    assert _tables(project)["project"]["optional-dependencies"] == {"fast": ["gamma"]}
    assert _dependencies(project) == ["beta<2"]

    assert main(["remove", "--project", str(project), "--group", "test", "delta"]) == 0
    assert _tables(project)["dependency-groups"] == {"test": []}


def test_add_dev_and_group_together_is_a_usage_error(
    make_project: MakeProject, capsys: Capture
) -> None:
    project = make_project("app", ["beta<2"])
    before = (project / "pyproject.toml").read_bytes()

    assert main(["add", "--project", str(project), "--dev", "--group", "x", "delta"]) == 2

    assert "not allowed with argument" in capsys.readouterr().err
    assert (project / "pyproject.toml").read_bytes() == before


# --- default groups --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "flags", "expected"),
    [
        ("", [], {"beta", "delta", "epsilon"}),
        ("", ["--no-dev"], {"beta"}),
        ("", ["--no-default-groups", "--group", "docs"], {"beta", "zeta"}),
        ('default-groups = ["docs"]', [], {"beta", "zeta"}),
        ('default-groups = "all"', ["--no-dev"], {"beta", "delta", "zeta"}),
    ],
)
def test_dev_is_a_default_group_unless_told_otherwise(
    tool: str, flags: list[str], expected: set[str], make_project: MakeProject
) -> None:
    project = make_project("app", ["beta<2"], tool=tool, extra=_GROUPS)

    assert sync(*flags, str(project)) == 0

    assert set(locked(project / "pylock.toml")) == expected


def test_add_dev_then_a_plain_sync_keeps_the_group(
    make_project: MakeProject, no_pip: NoPip, capsys: Capture
) -> None:
    project = make_project("app", ["beta<2"])

    assert main(["add", "--project", str(project), "--dev", "delta"]) == 0
    assert _tables(project)["dependency-groups"] == {"dev": ["delta"]}
    assert locked(project / "pylock.toml") == {"beta": "1.0", "delta": "1.0"}

    no_pip()
    capsys.readouterr()
    assert sync(str(project)) == 0
    assert capsys.readouterr().err.startswith("Up to date: 2 packages")


def test_default_groups_must_be_a_list_of_names_or_all(
    make_project: MakeProject, capsys: Capture
) -> None:
    project = make_project("app", ["beta<2"], tool="default-groups = 3", extra=_GROUPS)

    assert sync(str(project)) == 1

    assert "tool.vimport.default-groups must be an array of strings" in one_error_line(capsys)


# --- private copies --------------------------------------------------------------------------


def test_a_conflict_without_the_opt_in_names_it_and_the_opt_in(
    make_project: MakeProject, capsys: Capture
) -> None:
    project = make_project("app", ["alpha==1.0", "beta>=2"])

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert "beta" in message
    assert 'private-copies = ["NAME"]' in message


@pytest.mark.parametrize("missing", ["no-such-package==1.0", "beta==3.0"])
def test_a_name_or_version_no_index_has_is_no_conflict_to_split(
    make_project: MakeProject, capsys: Capture, missing: str
) -> None:
    project = make_project("app", ["gamma==1.0", missing])

    assert sync(str(project)) == 1

    message = one_error_line(capsys)
    assert missing.partition("==")[0] in message
    assert "private-copies" not in message


def test_a_split_locks_the_plain_versions_and_the_private_copy_with_who_sees_it(
    make_project: MakeProject, store: Store, index_dir: Path, capsys: Capture
) -> None:
    project = make_project("app", ["alpha==1.0", "beta>=2"], tool='private-copies = ["beta"]')

    assert sync(str(project)) == 0

    lock = read_pylock(project / "pylock.toml")
    assert {p.name: str(p.version) for p in lock.packages} == {"alpha": "1.0", "beta": "2.0"}
    assert lock.tool is not None
    [copy] = lock.tool["vimport"]["private-copies"]
    wheel = wheel_file(index_dir, "beta", "1.0")
    assert (copy["name"], copy["version"], copy["seen-by"]) == ("beta", "1.0", ["alpha"])
    assert copy["wheel"]["hashes"] == {"sha256": sha256(wheel)}
    assert stored(store) == {("alpha", "1.0"), ("beta", "1.0"), ("beta", "2.0")}
    assert "Locked 2 packages and 1 private copy" in capsys.readouterr().err


def test_a_fresh_lock_with_a_private_copy_fills_an_empty_store_without_resolving(
    make_project: MakeProject, tmp_path: Path, no_pip: NoPip, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project("app", ["alpha==1.0", "beta>=2"], tool='private-copies = ["beta"]')
    assert sync(str(project)) == 0
    other = Store(str(tmp_path / "other-store"))
    monkeypatch.setenv("VIMPORT_STORE", other.root)
    no_pip()

    assert sync(str(project)) == 0

    assert stored(other) == {("alpha", "1.0"), ("beta", "1.0"), ("beta", "2.0")}


def test_offline_sync_splits_from_the_store(
    make_project: MakeProject, store: Store, no_pip: NoPip
) -> None:
    project = make_project("app", ["alpha==1.0", "beta>=2"], tool='private-copies = ["beta"]')
    assert sync(str(project)) == 0
    (project / "pylock.toml").unlink()
    no_pip()

    assert sync("--offline", str(project)) == 0

    lock = read_pylock(project / "pylock.toml")
    assert lock.tool is not None
    assert [c["version"] for c in lock.tool["vimport"]["private-copies"]] == ["1.0"]


def test_a_locked_split_plans_its_private_copy_from_the_lock(
    make_project: MakeProject, store: Store
) -> None:
    from versioned_import.planner import compute

    project = make_project("app", ["alpha==1.0", "beta>=2"], tool='private-copies = ["beta"]')
    assert sync(str(project)) == 0

    plan = compute(str(project), store.root)

    assert plan["error"] is None
    assert [d["version"] for d in plan["dists"] if d["canonical"] == "beta"] == ["2.0"]
    [scope] = plan["private"]
    assert [(c["canonical"], c["version"]) for c in scope["copies"]] == [("beta", "1.0")]
    assert scope["seers"] == ["alpha"]


def test_the_lock_a_sync_writes_is_planned_in_process(
    make_project: MakeProject, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from versioned_import import planner
    from versioned_import._runtime.quickplan import plan_pinned

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    planner.record_interpreter()
    project = make_project(
        "app", ["alpha", "gamma>=1"], extra='[dependency-groups]\ndev = ["zeta"]\n'
    )
    assert sync(str(project)) == 0
    quick, why_not = plan_pinned(str(project), store.root)
    assert quick is not None, why_not
    assert quick == planner.compute(str(project), store.root)
    assert [d["version"] for d in quick["dists"]] == ["2.0", "2.0", "1.0", "1.0"]
