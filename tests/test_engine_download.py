"""Fetching the wheels a lock names, without pip or uv: from paths, ``file:`` URLs and a local
HTTP server that can serve a file whole, cut it short, fail, or ask for credentials."""

from __future__ import annotations

import base64
import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from versioned_import.engine import Artifact, Fetched, Pick
from versioned_import.engine.download import (
    CredentialsRefused,
    DownloadSettings,
    can_download,
    download,
)
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter

QUIET = Reporter(-1)
FAST = DownloadSettings(timeout=5, retries=0)
CONTENT = b"PK" + bytes(range(256)) * 4000  # ~1 MB: several chunks


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/whole.whl`` whole; ``/short.whl`` claims its length but stops halfway; ``/flaky.whl``
    fails with 503 on every first request of a path; ``/private.whl`` needs user:secret;
    ``/late.whl`` is served once ``go`` is set (or after three seconds); ``/together.whl?N`` once
    ``together`` requests wait for it (503 after five seconds)."""

    seen: ClassVar[set[str]] = set()
    go: ClassVar[threading.Event] = threading.Event()
    together: ClassVar[threading.Barrier] = threading.Barrier(1)

    def do_GET(self) -> None:
        if self.path == "/late.whl":
            self.go.wait(3)
        if self.path.startswith("/together.whl"):
            try:
                self.together.wait(5)
            except threading.BrokenBarrierError:
                self.send_error(503)
                return
        if self.path == "/flaky.whl" and self.path not in self.seen:
            self.seen.add(self.path)
            self.send_error(503)
            return
        if self.path == "/private.whl":
            token = base64.b64encode(b"user:secret").decode()
            if self.headers.get("Authorization") != f"Basic {token}":
                self.send_error(401)
                return
        if self.path == "/missing.whl":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(CONTENT)))
        self.end_headers()
        body = CONTENT[: len(CONTENT) // 2] if self.path == "/short.whl" else CONTENT
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen, _Handler.go, _Handler.together = set(), threading.Event(), threading.Barrier(1)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _pick(location: str, content: bytes = CONTENT, *, wheel: bool = True) -> Pick:
    name = location.rsplit("/", 1)[-1].split(".")[0]
    digest = hashlib.sha256(content).hexdigest()
    return Pick(name, "1.0", Artifact(location, digest, len(content), wheel))


def test_paths_file_urls_and_http_are_fetched_together(tmp_path: Path, server: str) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.whl").write_bytes(CONTENT)
    (source / "b.whl").write_bytes(CONTENT)
    out = tmp_path / "out"
    out.mkdir()
    picks = [
        _pick(str(source / "a.whl")),
        _pick((source / "b.whl").as_uri()),
        _pick(f"{server}/whole.whl"),
    ]

    fetched = download(picks, str(out), FAST, QUIET)

    assert [f.pick for f in fetched] == picks
    assert [Path(f.wheel).name for f in fetched] == ["a.whl", "b.whl", "whole.whl"]
    assert all(Path(f.wheel).read_bytes() == CONTENT for f in fetched)


def test_each_wheel_is_handed_over_as_soon_as_it_is_whole(tmp_path: Path, server: str) -> None:
    # late.whl is served only once whole.whl was handed over: at the end, it would come first.
    handed: list[str] = []

    def each(fetched: Fetched) -> None:
        handed.append(Path(fetched.wheel).name)
        if handed == ["whole.whl"]:
            _Handler.go.set()

    picks = [_pick(f"{server}/late.whl"), _pick(f"{server}/whole.whl")]
    fetched = download(picks, str(tmp_path), FAST, QUIET, each)

    assert handed == ["whole.whl", "late.whl"]
    assert [Path(f.wheel).name for f in fetched] == ["late.whl", "whole.whl"]


def test_a_file_that_is_not_the_one_the_lock_names_is_an_error(tmp_path: Path, server: str) -> None:
    pick = _pick(f"{server}/whole.whl", b"other content")

    with pytest.raises(PackageIndexError, match=r"/whole\.whl: the downloaded file does not match"):
        download([pick], str(tmp_path), FAST, QUIET)
    assert list(tmp_path.iterdir()) == []


def test_a_transfer_cut_short_is_a_network_error_not_a_hash_error(
    tmp_path: Path, server: str
) -> None:
    with pytest.raises(PackageIndexError) as raised:
        download([_pick(f"{server}/short.whl")], str(tmp_path), FAST, QUIET)

    message = str(raised.value)
    assert message.startswith("short 1.0: could not download")
    assert "closed after" in message and "check the network" in message


def test_a_server_error_is_tried_again_as_often_as_retries_says(
    tmp_path: Path, server: str
) -> None:
    pick = _pick(f"{server}/flaky.whl")
    with pytest.raises(PackageIndexError, match="HTTP 503"):
        download([pick], str(tmp_path), FAST, QUIET)

    fetched = download([pick], str(tmp_path), DownloadSettings(timeout=5, retries=1), QUIET)
    assert Path(fetched[0].wheel).read_bytes() == CONTENT


def test_a_missing_file_is_not_tried_again(tmp_path: Path, server: str) -> None:
    settings = DownloadSettings(timeout=5, retries=3)
    with pytest.raises(PackageIndexError, match="HTTP 404"):
        download([_pick(f"{server}/missing.whl")], str(tmp_path), settings, QUIET)


def test_credentials_of_an_index_url_in_pips_configuration_are_sent(
    tmp_path: Path, server: str
) -> None:
    host = server.removeprefix("http://")
    config = PipConfig({"extra-index-url": f"http://user:secret@{host}/simple", "retries": "0"})

    settings = DownloadSettings.from_pip_config(config)
    fetched = download([_pick(f"{server}/private.whl")], str(tmp_path), settings, QUIET)

    assert Path(fetched[0].wheel).read_bytes() == CONTENT
    with pytest.raises(PackageIndexError, match="HTTP 401"):
        download([_pick(f"{server}/private.whl")], str(tmp_path), FAST, QUIET)


def test_settings_come_from_pips_configuration_with_pips_defaults() -> None:
    config = PipConfig(
        {"cert": "/ca.pem", "client-cert": "/me.pem", "trusted-host": "a b:8080", "proxy": "p"}
    )

    settings = DownloadSettings.from_pip_config(config)

    assert settings == DownloadSettings(
        cafile="/ca.pem",
        client_cert="/me.pem",
        trusted_hosts=frozenset({"a", "b"}),
        proxy="p",
        timeout=15.0,
        retries=5,
    )


@pytest.mark.parametrize(
    ("location", "wheel", "expected"),
    [
        ("/w/a-1-py3-none-any.whl", True, True),
        ("file:///w/a-1-py3-none-any.whl", True, True),
        ("https://h/a-1-py3-none-any.whl", True, True),
        ("https://h/a-1.tar.gz", False, False),
        ("git+https://h/a.git", True, False),
    ],
)
def test_what_is_fetched_here_and_what_pip_builds(
    location: str, wheel: bool, expected: bool
) -> None:
    assert can_download(_pick(location, wheel=wheel)) is expected


def test_refused_credentials_are_their_own_error_so_pip_can_fetch_instead(
    tmp_path: Path, server: str
) -> None:
    with pytest.raises(CredentialsRefused, match="HTTP 401"):
        download([_pick(f"{server}/private.whl")], str(tmp_path), FAST, QUIET)


def test_local_wheels_are_copied_without_loading_any_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A TLS context loads the whole bundle (~50 ms a context): a lock of local files needs none.
    def no_tls(*args: object, **kwargs: object) -> None:
        raise AssertionError("a TLS context was built")

    monkeypatch.setattr("ssl.create_default_context", no_tls)
    (tmp_path / "a.whl").write_bytes(CONTENT)
    out = tmp_path / "out"
    out.mkdir()

    fetched = download([_pick(str(tmp_path / "a.whl"))], str(out), FAST, QUIET)

    assert Path(fetched[0].wheel).read_bytes() == CONTENT


def test_a_certificate_file_that_cannot_be_read_is_one_error_not_retried(
    tmp_path: Path, server: str
) -> None:
    settings = DownloadSettings(cafile=str(tmp_path / "missing.pem"), timeout=5, retries=3)
    picks = [_pick(f"{server}/whole.whl"), _pick(f"{server}/flaky.whl")]

    with pytest.raises(PackageIndexError, match=r"missing\.pem.*pip's configuration"):
        download(picks, str(tmp_path), settings, QUIET)


def test_a_host_is_looked_up_once_for_all_its_downloads(
    tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lookups that run together are what some resolvers answer after a 5-second timeout.
    lookup = socket.getaddrinfo
    asked: list[str] = []

    def slow_lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        time.sleep(0.2)  # the others arrive meanwhile, and wait for this answer
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    picks = [_pick(f"{server}/whole.whl?{n}") for n in range(8)]

    fetched = download(picks, str(tmp_path), FAST, QUIET)

    assert asked == ["127.0.0.1"]
    assert all(Path(f.wheel).read_bytes() == CONTENT for f in fetched)


def test_wheels_from_the_network_are_fetched_more_than_eight_at_a_time(
    tmp_path: Path, server: str
) -> None:
    # Each download mostly waits on its server: uv fetches 50 at a time.
    _Handler.together = threading.Barrier(16)
    picks = [_pick(f"{server}/together.whl?{n}") for n in range(16)]

    fetched = download(picks, str(tmp_path), FAST, QUIET)

    assert len(fetched) == 16
