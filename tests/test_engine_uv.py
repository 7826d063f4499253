"""The uv engine on its own: the real uv binary given every option pip's settings translate to,
offline against a find-links directory; uv's failures and crashes as one error."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import recording_uv
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.engine.uv import UvEngine, find_uv
from versioned_import.engine.uvoptions import uv_options
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter
from versioned_import.wheelbuild import build_wheel

QUIET = Reporter(-1)


@pytest.fixture
def links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in list(os.environ):
        if variable.startswith("UV_"):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    directory = tmp_path / "links"
    build_wheel(directory, "alpha", "1.0", {"alpha/__init__.py": ""}, requires=["beta"])
    build_wheel(directory, "beta", "1.0", {"beta/__init__.py": ""})
    build_wheel(directory, "beta", "2.0b1", {"beta/__init__.py": ""})
    return directory


def _engine(settings: dict[str, str], uv: str | None = None) -> UvEngine:
    config = PipConfig(settings)
    found = uv or find_uv()
    assert found is not None
    return UvEngine(found, uv_options(config), config)


def test_uv_accepts_every_option_pips_settings_translate_to(links: Path, tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("beta<3\n", encoding="utf-8")
    # Unreachable hosts that --no-index keeps uv from asking: only the options' spelling counts.
    settings = {
        "index-url": "https://127.0.0.1:9/simple",
        "extra-index-url": "https://127.0.0.1:9/extra",
        "find-links": str(links),
        "no-index": "yes",
        "constraint": str(constraints),
        "trusted-host": "127.0.0.1",
        "only-binary": ":all:",
        "no-binary": "nothing-here",
        "pre": "yes",
        "timeout": "5",
        "retries": "0",
        "keyring-provider": "subprocess",
    }

    picks = _engine(settings).resolve(["alpha"], QUIET)

    assert {(p.name, p.version) for p in picks} == {("alpha", "1.0"), ("beta", "2.0b1")}
    assert all(p.artifact.location.startswith(links.as_uri()) for p in picks)


def test_what_uv_cannot_resolve_is_one_line_with_uvs_reason(links: Path) -> None:
    engine = _engine({"find-links": str(links), "no-index": "1"})

    with pytest.raises(PackageIndexError) as raised:
        engine.resolve(["alpha", "gamma>1"], QUIET)

    message = str(raised.value)
    assert message.startswith("uv could not resolve alpha, gamma>1: No solution found")
    assert "gamma" in message.split(":", 2)[2] and "\n" not in message


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("kill -SEGV $$", "crashed (SIGSEGV) trying to resolve alpha"),
        ("echo 'error: the cache is broken' >&2; exit 2", "uv could not resolve alpha: the cache"),
        ("echo 'not a lock'", "uv pip compile wrote a lock versioned-import cannot use"),
    ],
    ids=["crash", "error", "garbage"],
)
def test_a_uv_that_crashes_or_fails_is_one_error(
    script: str, expected: str, tmp_path: Path
) -> None:
    fake = tmp_path / "uv"
    fake.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    fake.chmod(0o755)

    with pytest.raises(PackageIndexError) as raised:
        _engine({}, str(fake)).resolve(["alpha"], QUIET)

    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_uvs_own_settings_are_not_read_only_pips(
    links: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "uv.toml").write_text('no-index = true\nfind-links = ["/nowhere"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UV_FIND_LINKS", "/nowhere")
    monkeypatch.setenv("UV_PRERELEASE", "allow")
    engine = _engine({"find-links": str(links), "no-index": "1"})

    picks = engine.resolve(["alpha"], QUIET)

    assert {(p.name, p.version) for p in picks} == {("alpha", "1.0"), ("beta", "1.0")}


def _commands(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_a_started_resolution_answers_the_same_requirements_however_spelled(
    links: Path, tmp_path: Path
) -> None:
    uv, log = recording_uv(tmp_path)
    engine = _engine({"find-links": str(links), "no-index": "1"}, uv)

    engine.start(["Alpha >= 1.0"], QUIET)
    picks = engine.resolve(["alpha>=1.0"], QUIET)

    assert {(p.name, p.version) for p in picks} == {("alpha", "1.0"), ("beta", "1.0")}
    assert len(_commands(log)) == 1


@pytest.mark.parametrize(
    ("asked", "prefer", "expected"),
    [(["beta<2"], None, {"beta"}), (["alpha"], {"beta": "1.0"}, {"alpha", "beta"})],
    ids=["other", "pins"],
)
def test_a_started_resolution_not_asked_for_is_stopped_and_the_question_resolved(
    links: Path,
    tmp_path: Path,
    asked: list[str],
    prefer: dict[str, str] | None,
    expected: set[str],
) -> None:
    uv, log = recording_uv(tmp_path, first="exec sleep 30 # only the started one")
    engine = _engine({"find-links": str(links), "no-index": "1"}, uv)
    engine.start(["alpha"], QUIET)
    _wait_for_commands(log, 1)
    Path(uv).write_text(Path(uv).read_text(encoding="utf-8").replace("exec sleep 30", ""))

    picks = engine.resolve(asked, QUIET, prefer)

    assert {p.name for p in picks} == expected
    assert len(_commands(log)) == 2


def test_close_stops_a_started_resolution_and_removes_its_files(
    links: Path, tmp_path: Path
) -> None:
    uv, log = recording_uv(tmp_path, first="exec sleep 30")
    engine = _engine({"find-links": str(links), "no-index": "1"}, uv)
    engine.start(["alpha"], QUIET)
    pid, *arguments = _wait_for_commands(log, 1)[0].split()
    requirements = Path(arguments[-2])  # the file given to uv, then --quiet

    engine.close()

    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(pid), 0)
    assert not requirements.parent.exists()


def _wait_for_commands(log: Path, count: int) -> list[str]:
    for _ in range(500):
        if len(_commands(log)) >= count:
            return _commands(log)
        time.sleep(0.01)
    raise AssertionError(f"uv was not started {count} times: {_commands(log)}")
