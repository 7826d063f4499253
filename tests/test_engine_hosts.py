"""Hosts looked up once for all of an opener's connections (``engine.hosts``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from versioned_import.engine.hosts import Lookups


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


def test_a_failed_lookup_is_not_kept_so_a_retry_asks_again(
    monkeypatch: pytest.MonkeyPatch, listening: int
) -> None:
    lookup = socket.getaddrinfo
    answers: list[Any] = [socket.gaierror(socket.EAI_AGAIN, "temporary failure")]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if answers:
            raise answers.pop()
        return lookup(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", flaky)
    lookups = Lookups()

    with pytest.raises(socket.gaierror):
        lookups.connect(("127.0.0.1", listening), 5)
    with lookups.connect(("127.0.0.1", listening), 5) as connected:
        assert connected.getpeername() == ("127.0.0.1", listening)


def test_each_address_is_tried_in_turn(monkeypatch: pytest.MonkeyPatch, listening: int) -> None:
    refused, served = ("127.0.0.1", _closed_port()), ("127.0.0.1", listening)
    stream = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *args, **kwargs: [(*stream, refused), (*stream, served)]
    )

    with Lookups().connect(("index.example", 443), 5) as connected:
        assert connected.getpeername() == served


def test_when_every_address_fails_the_last_failure_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *args, **kwargs: [(*stream, ("127.0.0.1", _closed_port()))]
    )

    with pytest.raises(ConnectionRefusedError):
        Lookups().connect(("index.example", 443), 5)
