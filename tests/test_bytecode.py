"""Bytecode compiled in staging, here or by worker processes shared between installs."""

from __future__ import annotations

import errno
import hashlib
import marshal
import stat
import subprocess
import threading
import time
import zipfile
from importlib.util import cache_from_source
from pathlib import Path

import pytest

from tests.conftest import venv_python
from versioned_import.store import layout
from versioned_import.store.bytecode import (
    Compile,
    Compilers,
    Damaged,
    Member,
    Source,
    compile_here,
)


def _sources(directory: Path, count: int, prefix: str = "m") -> list[Source]:
    found = []
    for i in range(count):
        path = directory / f"{prefix}{i}.py"
        path.write_text(f"VALUE = {i}\n" + "x = 1\n" * (i * 50), encoding="utf-8")
        found.append(Source(str(path), f"/published/{prefix}{i}.py"))
    return found


def _shown_name(source: str) -> str:
    # A timestamp pyc: 16 bytes of header, then the marshalled code object.
    code = marshal.loads(Path(cache_from_source(source)).read_bytes()[16:])
    name: str = code.co_filename
    return name


@pytest.fixture(params=["here", "workers"])
def compile(request: pytest.FixtureRequest) -> object:
    if request.param == "here":
        yield compile_here
        return
    with Compilers(2) as compilers:
        yield compilers.compile


def test_each_source_gets_bytecode_naming_where_it_will_be_published(
    tmp_path: Path, compile: Compile
) -> None:
    sources = _sources(tmp_path, 5)
    compile(sources)
    for source, shown, _ in sources:
        assert _shown_name(source) == shown


def test_the_workers_write_what_py_compile_writes(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    sources = [*_sources(tmp_path, 3), *_sources(tmp_path / "sub", 2, prefix="s")]
    with Compilers(2) as compilers:
        compilers.compile(sources)
    by_workers = [Path(cache_from_source(source)).read_bytes() for source, *_ in sources]
    for source, *_ in sources:
        Path(cache_from_source(source)).unlink()
    compile_here(sources)  # py_compile
    assert by_workers == [Path(cache_from_source(source)).read_bytes() for source, *_ in sources]


def test_a_source_that_does_not_compile_is_skipped(tmp_path: Path, compile: Compile) -> None:
    broken = tmp_path / "py2only.py"
    broken.write_text("print 'hello'\n", encoding="utf-8")
    good = _sources(tmp_path, 1)
    compile([Source(str(broken), "/published/py2only.py"), *good])
    assert not Path(cache_from_source(str(broken))).exists()
    assert _shown_name(good[0][0]) == good[0][1]


def test_workers_serve_many_installs_at_once(tmp_path: Path) -> None:
    batches = [_sources(tmp_path, 20, prefix=f"b{b}_") for b in range(4)]
    with Compilers(2) as compilers:
        threads = [threading.Thread(target=compilers.compile, args=(b,)) for b in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive()
    for batch in batches:
        for source, shown, _ in batch:
            assert _shown_name(source) == shown


def test_installs_are_served_in_turn_so_each_is_done_as_soon_as_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Served by size alone, the small files of every install would wait for the end, and
    # every install would be published then, one after the other.
    first, then = _sources(tmp_path, 6, prefix="f"), _sources(tmp_path, 3, prefix="t")
    for (source, *_), lines in [*((s, 4000) for s in first), *((s, 12000) for s in then)]:
        Path(source).write_text("x = 1\n" * lines, encoding="utf-8")  # one a request
    queued = threading.Event()
    send = Compilers._send

    def held_until_both_are_queued(child: subprocess.Popen[str], sources: list[Source]) -> bool:
        queued.wait(timeout=60)
        return send(child, sources)

    monkeypatch.setattr(Compilers, "_send", staticmethod(held_until_both_are_queued))
    done: list[str] = []
    with Compilers(1) as compilers:

        def install(name: str, batch: list[Source]) -> None:
            compilers.compile(batch)
            done.append(name)

        threads = [
            threading.Thread(target=install, args=a) for a in (("first", first), ("then", then))
        ]
        threads[0].start()
        while len(compilers._queue) in (0, len(first)):  # until the worker's request is taken
            time.sleep(0.01)
        left = len(compilers._queue)
        threads[1].start()
        while len(compilers._queue) != left + len(then):
            time.sleep(0.01)
        queued.set()
        for thread in threads:
            thread.join(timeout=60)
    assert done == ["first", "then"]


def test_small_files_travel_to_a_worker_together_and_a_large_one_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A request and its answer cost this process a wake-up and system calls: file by file,
    # a tenth of a cold sync's CPU here.
    small = _sources(tmp_path, 20, prefix="s")  # under 2 kB each
    large = _sources(tmp_path, 1, prefix="l")
    Path(large[0][0]).write_text("x = 1\n" * 20000, encoding="utf-8")
    requests: list[list[str]] = []
    send = Compilers._send

    def counted(child: subprocess.Popen[str], sources: list[Source]) -> bool:
        requests.append([Path(source).name for source, *_ in sources])
        return send(child, sources)

    monkeypatch.setattr(Compilers, "_send", staticmethod(counted))
    with Compilers(1) as compilers:
        compilers.compile([*large, *small])
    assert requests[0] == ["l0.py"]
    assert 1 <= len(requests) - 1 <= 2
    assert sorted(name for request in requests[1:] for name in request) == sorted(
        Path(source).name for source, *_ in small
    )
    assert all(_shown_name(source) == shown for source, shown, _ in [*large, *small])


def test_the_workers_create_bytecode_read_only_as_publishing_leaves_it(tmp_path: Path) -> None:
    sources = _sources(tmp_path, 2)
    with Compilers(1) as compilers:
        compilers.compile(sources)
    for source, *_ in sources:
        assert stat.S_IMODE(Path(cache_from_source(source)).stat().st_mode) == 0o444


def test_the_workers_start_without_the_interpreter_s_site_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A base interpreter's site-packages may be crowded with .pth files, each run at every
    # start: the workers need none of it.
    python = venv_python(tmp_path / "venv")
    (site_packages,) = (tmp_path / "venv").glob("lib/python*/site-packages")
    ran = tmp_path / "ran"
    (site_packages / "busy.pth").write_text(f"import pathlib; pathlib.Path({str(ran)!r}).touch()\n")
    subprocess.run([python, "-c", "pass"], check=True)
    assert ran.exists()  # the .pth runs at a plain start
    ran.unlink()
    monkeypatch.setattr("versioned_import.store.bytecode.sys.executable", str(python))
    sources = _sources(tmp_path, 2)
    with Compilers(1) as compilers:
        compilers.compile(sources)
    assert all(Path(cache_from_source(source)).exists() for source, *_ in sources)
    assert not ran.exists()


def test_an_empty_batch_returns_at_once() -> None:
    with Compilers(1) as compilers:
        compilers.compile([])


def test_a_worker_that_died_leaves_its_requests_to_this_process(tmp_path: Path) -> None:
    # Its sources may not even be unpacked yet: they must all be written, and compiled.
    first, *rest = _sources(tmp_path, 3)
    wheel = _wheel(tmp_path, {"pkg/a.py": b"A = 1\n", "pkg/b.py": b"B = 2\n"})
    unpacked = [_unpacking(tmp_path, wheel, name) for name in ("pkg/a.py", "pkg/b.py")]
    with Compilers(1) as compilers:
        compilers.compile([first])  # the worker is up
        for child in compilers._children:
            child.kill()
            child.wait()
        compilers.compile([*rest, *unpacked])  # returns: a hang would time the test out
    for source, shown, _ in [first, *rest, *unpacked]:
        assert _shown_name(source) == shown
    assert Path(unpacked[1].path).read_bytes() == b"B = 2\n"


def _wheel(directory: Path, members: dict[str, bytes]) -> str:
    path = directory / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def _unpacking(
    directory: Path, wheel: str, name: str, *, executable: bool = False, lie: bytes = b""
) -> Source:
    """The source of ``wheel``'s member ``name``, not unpacked yet; RECORD's hash is of ``lie``
    when given."""
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(name)
    recorded = lie or data
    digest = layout.record_digest(hashlib.sha256(recorded).digest())
    member = Member(wheel, name, digest, len(recorded), executable)
    return Source(str(directory / "site" / name), f"/published/{name}", member)


def test_a_source_not_yet_unpacked_is_unpacked_read_only_and_compiled(
    tmp_path: Path, compile: Compile
) -> None:
    wheel = _wheel(tmp_path, {"pkg/mod.py": b"VALUE = 1\n", "pkg/tool.py": b"#!python\n"})
    sources = [_unpacking(tmp_path, wheel, "pkg/mod.py"),
               _unpacking(tmp_path, wheel, "pkg/tool.py", executable=True)]  # fmt: skip
    compile(sources)
    assert Path(sources[0].path).read_bytes() == b"VALUE = 1\n"
    assert [stat.S_IMODE(Path(s.path).stat().st_mode) for s in sources] == [0o444, 0o555]
    assert all(_shown_name(source.path) == source.shown for source in sources)


@pytest.mark.parametrize(
    "lie",
    [b"VALUE = 2\n", b"VALUE = 1\n\n", b"V"],
    ids=["content", "record-longer", "record-shorter"],
)
def test_a_member_that_differs_from_record_is_refused_by_name(
    tmp_path: Path, compile: Compile, lie: bytes
) -> None:
    wheel = _wheel(tmp_path, {"pkg/good.py": b"", "pkg/mod.py": b"VALUE = 1\n"})
    sources = [_unpacking(tmp_path, wheel, "pkg/good.py"),
               _unpacking(tmp_path, wheel, "pkg/mod.py", lie=lie)]  # fmt: skip
    with pytest.raises(Damaged) as raised:
        compile(sources)
    assert raised.value.member == "pkg/mod.py"


def test_what_the_file_system_refuses_a_worker_is_raised_here(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, {"pkg/mod.py": b"VALUE = 1\n"})
    source = _unpacking(tmp_path, wheel, "pkg/mod.py")
    too_long = Source(str(tmp_path / ("x" * 300) / "mod.py"), source.shown, source.member)
    with Compilers(1) as compilers, pytest.raises(OSError) as raised:
        compilers.compile([too_long])
    assert raised.value.errno == errno.ENAMETOOLONG


def test_without_a_worker_this_process_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start(*args: object, **kwargs: object) -> object:
        raise OSError(11, "Resource temporarily unavailable")

    sources = _sources(tmp_path, 3)
    monkeypatch.setattr(subprocess, "Popen", cannot_start)
    with Compilers(2) as compilers:
        compilers.compile(sources)
    for source, shown, _ in sources:
        assert _shown_name(source) == shown


@pytest.mark.parametrize("workers", ["started", "none"])
def test_a_source_that_fails_unexpectedly_fails_its_caller_and_nothing_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    # A member the wheel lacks is no damage a RECORD check finds: whatever raises, here or in a
    # worker, ends the call that asked, and the next call is served.
    if workers == "none":

        def cannot_start(*args: object, **kwargs: object) -> object:
            raise OSError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(subprocess, "Popen", cannot_start)
    wheel = _wheel(tmp_path, {"pkg/mod.py": b"VALUE = 1\n"})
    source = _unpacking(tmp_path, wheel, "pkg/mod.py")
    assert source.member is not None
    missing = Source(
        str(tmp_path / "site" / "pkg" / "gone.py"),
        "/published/pkg/gone.py",
        source.member._replace(name="pkg/gone.py"),
    )
    raised: list[BaseException] = []

    def ask(compilers: Compilers) -> None:
        try:
            compilers.compile([missing])
        except Exception as exc:
            raised.append(exc)

    with Compilers(1) as compilers:
        asking = threading.Thread(target=ask, args=(compilers,))
        asking.start()
        asking.join(timeout=60)
        assert not asking.is_alive()
        compilers.compile([source])
    assert len(raised) == 1 and "pkg/gone.py" in str(raised[0])
    assert _shown_name(source.path) == source.shown
