"""Turns: one holder at a time, the next turn to the waiter of lowest order (Johnson's rule)."""

from __future__ import annotations

import threading
import time
import zipfile

import pytest

from versioned_import.store.turns import Order, Turns, order


def _members(files: dict[str, int]) -> list[zipfile.ZipInfo]:
    infos = []
    for name, size in files.items():
        info = zipfile.ZipInfo(name)
        info.file_size = size
        infos.append(info)
    return infos


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiling is shared by a worker a core: the costs below are weighed for two."""
    monkeypatch.setattr("versioned_import.store.turns.os.cpu_count", lambda: 2)


def _queued(turns: Turns, count: int) -> None:
    deadline = time.monotonic() + 60
    while len(turns._waiting) < count:
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_the_turn_passes_to_the_waiter_of_lowest_order_then_the_first_come() -> None:
    turns = Turns()
    taken: list[str] = []

    def take(name: str, place: Order) -> None:
        turns.acquire(place)
        taken.append(name)
        turns.release()

    places = {"late": (1, -1.0), "first": (0, 2.0), "second": (0, 5.0), "second-again": (0, 5.0)}
    threads = []
    with turns:
        for count, (name, place) in enumerate(places.items(), 1):
            threads.append(threading.Thread(target=take, args=(name, place)))
            threads[-1].start()
            _queued(turns, count)
    for thread in threads:
        thread.join(60)
    assert taken == ["first", "second", "second-again", "late"]
    assert not turns._held


def test_a_holder_that_requeues_lets_the_waiters_before_its_place_go_first() -> None:
    turns = Turns()
    taken: list[str] = []

    def take(name: str, place: Order) -> None:
        turns.acquire(place)
        taken.append(name)
        turns.release()

    threads = [
        threading.Thread(target=take, args=args) for args in [("a", (0, 1.0)), ("c", (1, 0.0))]
    ]
    turns.acquire()
    for count, thread in enumerate(threads, 1):
        thread.start()
        _queued(turns, count)
    turns.requeue((0, 5.0))
    taken.append("b")
    turns.requeue((0, 6.0))  # nothing waits before it: the turn stays
    taken.append("b again")
    turns.release()
    for thread in threads:
        thread.join(60)
    assert taken == ["a", "b", "b again", "c"]


@pytest.mark.usefixtures("two_cores")
def test_wheels_that_compile_longer_than_they_unpack_go_first_quickest_to_unpack_first() -> None:
    small = order(_members({"a/__init__.py": 40_000, "a-1.dist-info/RECORD": 300}))
    large = order(_members({f"b/m{i}.py": 40_000 for i in range(50)}))
    assert small < large
    assert small[0] == large[0] == 0


@pytest.mark.usefixtures("two_cores")
def test_wheels_of_data_files_go_last_most_source_first() -> None:
    zones = order(_members({f"tz/zone{i}": 1_000 for i in range(600)}))
    zones_and_code = order(
        _members({**{f"tz/zone{i}": 1_000 for i in range(600)}, "tz/__init__.py": 60_000})
    )
    sources = order(_members({f"b/m{i}.py": 40_000 for i in range(50)}))
    assert sources < zones_and_code < zones
    assert zones[0] == zones_and_code[0] == 1
