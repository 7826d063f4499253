"""Connections whose hosts are looked up once: ``urllib.request`` handlers for an ``Opener``.

urllib opens a connection a request, and each connection asks the system's resolver for its host
again: as many lookups at once as a sync runs downloads at once, one a wheel. glibc sends a
lookup's A and AAAA queries together, and some DNS paths (container networks' connection
tracking, some forwarders; this project's build host) drop one of two queries that arrive
together: the lookup then waits out the resolver's 5-second timeout. A cold sync of 30 wheels
took 5.3 s to download instead of 0.4 s, one run in two. pip and uv keep a pool of connections,
and look a host up once; here each host is looked up once for all the opener's connections, by
the first that needs it while the others wait.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import urllib.request
from functools import partial
from typing import Any

__all__ = ["Lookups", "handlers"]

_Address = tuple[str, int]


class Lookups:
    """Each ``(host, port)``'s addresses, looked up at its first connection; a lookup that fails
    is not kept, so a retry looks up again."""

    def __init__(self) -> None:
        self._found: dict[_Address, list[Any]] = {}
        self._pending: dict[_Address, threading.Lock] = {}
        self._guard = threading.Lock()

    def addresses(self, host: str, port: int) -> list[Any]:
        """``getaddrinfo``'s answer for a stream connection to ``host``, ``port``."""
        with self._guard:
            once = self._pending.setdefault((host, port), threading.Lock())
        with once:
            if (host, port) not in self._found:
                found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
                self._found[(host, port)] = found
            return self._found[(host, port)]

    def connect(
        self,
        address: _Address,
        timeout: object = None,
        source_address: _Address | None = None,
    ) -> socket.socket:
        """``socket.create_connection``, with the addresses of ``addresses``: each is tried in
        turn, and the last failure raised. A ``timeout`` that is no number (http.client's
        "the default") leaves the socket's default."""
        error: OSError | None = None
        for family, kind, protocol, _, where in self.addresses(*address):
            sock = socket.socket(family, kind, protocol)
            try:
                if isinstance(timeout, (int, float)):
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(where)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"no address for {address[0]}")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, *, lookups: Lookups, **options: Any) -> None:
        super().__init__(host, **options)
        self._create_connection = lookups.connect


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, *, lookups: Lookups, **options: Any) -> None:
        super().__init__(host, **options)
        self._create_connection = lookups.connect


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, lookups: Lookups) -> None:
        super().__init__()
        self._lookups = lookups

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_HTTPConnection, lookups=self._lookups), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext, lookups: Lookups) -> None:
        super().__init__(context=context)
        self._tls = context
        self._lookups = lookups

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = partial(_HTTPSConnection, lookups=self._lookups)
        return self.do_open(connection, req, context=self._tls)


def handlers(context: ssl.SSLContext, lookups: Lookups) -> list[urllib.request.BaseHandler]:
    """The handlers of ``http:`` and ``https:`` URLs (``context`` for TLS) whose connections
    share ``lookups``; they replace urllib's own in ``build_opener``."""
    return [_HTTPHandler(lookups), _HTTPSHandler(context, lookups)]
