"""Installing ahead of the resolver: staged with bytecode at once, published only when picked
and published, thrown away otherwise."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.test_engine_offers import pick, wheel
from versioned_import.engine import Fetched, Pick
from versioned_import.engine.pip import PipEngine
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.errors import WheelError
from versioned_import.progress import Reporter
from versioned_import.store import Store, layout
from versioned_import.store.bytecode import Compilers
from versioned_import.store.install import install_wheel
from versioned_import.sync_ahead import Ahead, exact_pins


class Guessing(PipEngine):
    """The pip engine, offering ``guesses`` whatever it is asked; it records what it is asked
    and what it fetches."""

    def __init__(self, guesses: list[Pick]) -> None:
        super().__init__(PipConfig())
        self.guesses = guesses
        self.asked: list[dict[str, str]] = []
        self.fetched = threading.Event()
        self.fetching: list[list[str]] = []

    def offered(self, pins: Mapping[str, str]) -> list[Pick]:
        self.asked.append(dict(pins))
        return self.guesses

    def fetch(
        self,
        picks: Sequence[Pick],
        directory: str,
        reporter: Reporter,
        each: Callable[[Fetched], object] | None = None,
    ) -> list[Fetched]:
        self.fetching.append([p.name for p in picks])
        try:
            return super().fetch(picks, directory, reporter, each)
        finally:
            self.fetched.set()


@pytest.fixture
def compilers() -> Iterator[Compilers]:
    with Compilers(1) as workers:
        yield workers


def staged_files(store: Store) -> list[str]:
    staging = layout.staging_dir(store.root)
    return [f for _, _, files in os.walk(staging) for f in files] if os.path.isdir(staging) else []


def eventually(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within a minute"
        time.sleep(0.01)


def stored(store: Store) -> list[tuple[str, str]]:
    return [(e.name, e.version) for e in store.entries()] if os.path.isdir(store.root) else []


def resolved(guess: Pick) -> Pick:
    """``guess`` as a resolver picks it: the same file, with its size known."""
    return replace(guess, artifact=replace(guess.artifact, size=1234))


BYTECODE = f"__init__.{sys.implementation.cache_tag}.pyc"


def test_exact_pins_are_one_version_with_double_equals_for_this_interpreter() -> None:
    requirements = [
        "alpha==1.0",
        "Beta[fast] == 2.0",
        "gamma==1.*",
        "delta>=1",
        "epsilon==1.0,!=1.1",
        "zeta==1.0; python_version < '3'",
        "eta @ https://example.invalid/eta-1.0-py3-none-any.whl",
    ]

    assert exact_pins(Requirement(r) for r in requirements) == {"alpha": "1.0", "beta": "2.0"}


def test_a_picked_install_is_staged_with_bytecode_and_published_only_when_told(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    alpha = pick(wheel(tmp_path, "alpha", "1.0"), "alpha", "1.0")

    with Ahead(store, Guessing([alpha]), compilers.compile, {"alpha": "1.0"}) as ahead:
        eventually(lambda: BYTECODE in staged_files(store))  # staged whole, bytecode included
        claimed = ahead.claim([resolved(alpha)])
        assert stored(store) == []
        ahead.publish()
        (entry,) = ahead.entries(list(claimed))

    assert list(claimed) == [resolved(alpha)]
    assert stored(store) == [("alpha", "1.0")]
    assert entry.source == alpha.artifact.location
    assert staged_files(store) == []


def test_a_guess_the_resolver_did_not_pick_is_thrown_away(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    alpha = pick(wheel(tmp_path, "alpha", "1.0"), "alpha", "1.0")
    other = pick(wheel(tmp_path / "other", "alpha", "1.0"), "alpha", "1.0")

    with Ahead(store, Guessing([alpha]), compilers.compile, {"alpha": "1.0"}) as ahead:
        eventually(lambda: BYTECODE in staged_files(store))
        assert ahead.claim([other]) == {}
        ahead.publish()

    assert stored(store) == []
    assert staged_files(store) == []


def test_nothing_is_published_when_the_sync_fails_before_publishing(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    alpha = pick(wheel(tmp_path, "alpha", "1.0"), "alpha", "1.0")

    with (
        pytest.raises(RuntimeError),
        Ahead(store, Guessing([alpha]), compilers.compile, {"alpha": "1.0"}) as ahead,
    ):
        eventually(lambda: BYTECODE in staged_files(store))
        ahead.claim([alpha])
        raise RuntimeError("the resolver failed")

    assert stored(store) == []
    assert staged_files(store) == []


def test_a_picked_wheel_that_does_not_install_fails_as_any_other_would(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    broken = tmp_path / "alpha-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip archive")
    alpha = pick(broken, "alpha", "1.0")

    with Ahead(store, Guessing([alpha]), compilers.compile, {"alpha": "1.0"}) as ahead:
        eventually(lambda: bool(ahead._wheels))  # fetched, its install started
        ahead.claim([alpha])
        ahead.publish()
        with pytest.raises(WheelError, match=r"alpha-1\.0-py3-none-any\.whl"):
            ahead.entries([alpha])

    assert stored(store) == []


def test_a_guess_that_cannot_be_fetched_is_no_guess(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    alpha = pick(wheel(tmp_path, "alpha", "1.0"), "alpha", "1.0")
    wrong = replace(alpha, artifact=replace(alpha.artifact, sha256="0" * 64))

    engine = Guessing([wrong])

    with Ahead(store, engine, compilers.compile, {"alpha": "1.0"}) as ahead:
        assert engine.fetched.wait(60)
        assert ahead.claim([wrong]) == {}


def test_a_guess_whose_entry_the_store_holds_is_not_fetched(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    alpha, beta = wheel(tmp_path, "alpha", "1.0"), wheel(tmp_path, "beta", "2.0")
    install_wheel(store, str(alpha))
    engine = Guessing([pick(alpha, "alpha", "1.0"), pick(beta, "beta", "2.0")])

    with Ahead(store, engine, compilers.compile, {"alpha": "1.0", "beta": "2.0"}):
        assert engine.fetched.wait(60)

    assert engine.fetching == [["beta"]]


def test_a_guess_still_being_fetched_is_not_waited_for(
    tmp_path: Path, store: Store, compilers: Compilers
) -> None:
    # An index page or a download that hangs must not hold the sync: it fetches for itself.
    alpha = pick(wheel(tmp_path, "alpha", "1.0"), "alpha", "1.0")
    hanging = threading.Event()

    class Hanging(Guessing):
        def offered(self, pins: Mapping[str, str]) -> list[Pick]:
            hanging.wait()
            return super().offered(pins)

    started = time.monotonic()
    with Ahead(store, Hanging([alpha]), compilers.compile, {"alpha": "1.0"}) as ahead:
        assert ahead.claim([alpha]) == {}
        ahead.publish()
    hanging.set()

    assert time.monotonic() - started < 30
    assert stored(store) == []
