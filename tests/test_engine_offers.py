"""What the indexes offer for exact pins: read from simple-index pages and find-links
directories as the resolvers read them, without resolving."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.tags import sys_tags

from versioned_import.engine import Artifact, Pick, offers
from versioned_import.engine.offers import offered
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.wheelbuild import build_wheel


def wheel(directory: Path, name: str, version: str, tag: str = "py3-none-any") -> Path:
    return build_wheel(directory, name, version, {f"{name}/__init__.py": "x = 1\n"}, tag=tag)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def simple_index(root: Path, wheels: list[Path]) -> str:
    """A PEP 503 index of ``wheels`` under ``root``, with relative links that carry sha256
    fragments; returns its URL."""
    for built in wheels:
        name = built.name.split("-")[0]
        page = root / "simple" / name / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        link = f"../../files/{built.name}#sha256={sha256(built)}"
        old = page.read_text(encoding="utf-8") if page.exists() else ""
        page.write_text(f'{old}<a href="{link}">{built.name}</a>\n', encoding="utf-8")
    return (root / "simple").as_uri()


def pick(path: Path, name: str, version: str) -> Pick:
    return Pick(name, version, Artifact(path.as_uri(), sha256(path), None, True))


def test_an_index_page_offers_the_pinned_versions_wheel_with_the_sha256_it_gives(
    tmp_path: Path,
) -> None:
    files = tmp_path / "index" / "files"
    wheels = [wheel(files, n, v) for n, v in [("alpha", "1.0"), ("alpha", "2.0"), ("beta", "1.0")]]
    config = PipConfig({"index-url": simple_index(tmp_path / "index", wheels)})

    found = offered({"alpha": "2.0", "beta": "1.0"}, config)

    assert found == [pick(wheels[1], "alpha", "2.0"), pick(wheels[2], "beta", "1.0")]


def test_the_best_ranked_tag_of_this_interpreter_is_offered(tmp_path: Path) -> None:
    best = next(iter(sys_tags()))
    here = [wheel(tmp_path, "alpha", "1.0"), wheel(tmp_path, "alpha", "1.0", str(best))]
    wheel(tmp_path, "alpha", "1.0", "py2-none-any")  # not for this interpreter

    found = offered({"alpha": "1.0"}, PipConfig({"no-index": "1", "find-links": str(tmp_path)}))

    assert found == [pick(here[1], "alpha", "1.0")]


def test_extra_indexes_come_before_the_default_one_and_find_links_last(tmp_path: Path) -> None:
    # uv's order: a version offered by several is taken from the first.
    extra = wheel(tmp_path / "extra" / "files", "alpha", "1.0")
    default = wheel(tmp_path / "default" / "files", "alpha", "1.0")
    linked = wheel(tmp_path / "links", "alpha", "1.0")
    config = PipConfig(
        {
            "index-url": simple_index(tmp_path / "default", [default]),
            "extra-index-url": simple_index(tmp_path / "extra", [extra]),
            "find-links": str(tmp_path / "links"),
        }
    )

    without_extra = PipConfig({k: v for k, v in config.values.items() if k != "extra-index-url"})
    without_indexes = PipConfig({**config.values, "no-index": "1"})

    assert offered({"alpha": "1.0"}, config) == [pick(extra, "alpha", "1.0")]
    assert offered({"alpha": "1.0"}, without_extra) == [pick(default, "alpha", "1.0")]
    assert offered({"alpha": "1.0"}, without_indexes) == [pick(linked, "alpha", "1.0")]


def test_a_find_links_directory_offers_its_files_hashed_only_when_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A directory listing gives no hashes; a find-links directory may hold gigabytes.
    chosen = wheel(tmp_path, "alpha", "1.0")
    for version in ("0.9", "1.1"):
        wheel(tmp_path, "alpha", version)
    hashed: list[str] = []
    local_sha256 = offers._local_sha256

    def recorded(url: str) -> str:
        hashed.append(url)
        return local_sha256(url)

    monkeypatch.setattr(offers, "_local_sha256", recorded)

    found = offered({"alpha": "1.0"}, PipConfig({"find-links": tmp_path.as_uri()}))

    assert found == [pick(chosen, "alpha", "1.0")]
    assert hashed == [chosen.as_uri()]


def test_what_no_place_offers_or_cannot_be_read_is_left_out(tmp_path: Path) -> None:
    wheel(tmp_path / "links", "alpha", "1.0")
    config = PipConfig(
        {
            "index-url": "http://127.0.0.1:9/simple",  # nothing listens: refused at once
            "extra-index-url": (tmp_path / "missing").as_uri(),
            "find-links": f"{tmp_path / 'links'} {tmp_path / 'absent'}",
        }
    )

    found = offered({"alpha": "2.0", "beta": "1.0", "gamma": "not a version"}, config)

    assert found == []


def _offered_over_http(server: ThreadingHTTPServer, pins: dict[str, str]) -> tuple[str, list[Pick]]:
    """The server's root URL, and what its index (``/simple``) offers for ``pins``."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        return root, offered(pins, PipConfig({"index-url": f"{root}/simple"}))
    finally:
        server.shutdown()
        server.server_close()


def test_an_index_served_over_http_offers_its_links_made_absolute(tmp_path: Path) -> None:
    files = tmp_path / "index" / "files"
    alpha = wheel(files, "alpha", "1.0")
    simple_index(tmp_path / "index", [alpha])
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "index"))

    root, found = _offered_over_http(
        ThreadingHTTPServer(("127.0.0.1", 0), handler), {"alpha": "1.0"}
    )

    assert found == [
        Pick("alpha", "1.0", Artifact(f"{root}/files/{alpha.name}", sha256(alpha), None, True))
    ]


class _JSONServer(ThreadingHTTPServer):
    page = b""


class _JSONIndex(SimpleHTTPRequestHandler):
    """An index that serves PEP 691 JSON (``_JSONServer.page``) to a client that asks for it,
    and an HTML page that offers nothing to one that does not."""

    server: _JSONServer

    def do_GET(self) -> None:
        wanted = self.headers.get("Accept", "")
        body, kind = b"<html></html>", "text/html"
        if self.path == "/simple/alpha/" and wanted.startswith(offers._JSON):
            body, kind = self.server.page, offers._JSON
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_index_that_serves_json_is_read_as_json(tmp_path: Path) -> None:
    alpha = wheel(tmp_path / "files", "alpha", "1.0")
    files = [{"filename": alpha.name, "url": f"../../files/{alpha.name}",
              "hashes": {"sha256": sha256(alpha)}}]  # fmt: skip
    server = _JSONServer(("127.0.0.1", 0), _JSONIndex)
    server.page = json.dumps({"meta": {"api-version": "1.0"}, "files": files}).encode()

    root, found = _offered_over_http(server, {"alpha": "1.0"})

    assert found == [
        Pick("alpha", "1.0", Artifact(f"{root}/files/{alpha.name}", sha256(alpha), None, True))
    ]
