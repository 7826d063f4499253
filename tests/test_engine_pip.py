"""The pip engine on its own: the pip it needs, and no pip process for wheels a lock names."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from versioned_import.engine import Artifact, Fetched, Pick
from versioned_import.engine.pip import PipEngine
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter
from versioned_import.wheelbuild import build_wheel

QUIET = Reporter(-1)


def test_an_old_pip_is_one_error_saying_how_to_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.metadata.version", lambda name: "23.2.1")

    with pytest.raises(PackageIndexError) as raised:
        PipEngine(PipConfig()).resolve(["alpha"], QUIET)

    message = str(raised.value)
    assert message.startswith("the pip engine needs pip >= 25.3 in versioned-import's environment")
    assert "which has pip 23.2.1" in message and "-m pip install -U pip" in message


def test_wheels_the_lock_names_are_fetched_without_a_pip_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = [
        build_wheel(tmp_path / "links", name, "1.0", {f"{name}/__init__.py": ""})
        for name in ("alpha", "beta")
    ]
    digests = [hashlib.sha256(w.read_bytes()).hexdigest() for w in wheels]
    picks = [
        Pick("alpha", "1.0", Artifact(wheels[0].as_uri(), digests[0], None, True)),
        Pick("beta", "1.0", Artifact(str(wheels[1]), digests[1], None, True)),
    ]

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "run", no_process)
    out = tmp_path / "out"
    out.mkdir()

    fetched = PipEngine(PipConfig()).fetch(picks, str(out), QUIET)

    assert [Path(f.wheel).read_bytes() for f in fetched] == [w.read_bytes() for w in wheels]


def test_a_server_that_refuses_the_credentials_known_here_is_left_to_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip asks keyring and its other sources; here, pip is called with the same picks."""
    import http.server
    import threading

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(401)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/alpha-1.0-py3-none-any.whl"
    handed: list[list[str]] = []
    built: list[Fetched] = []

    def by_pip(picks: list[Pick], config: object, directory: str, *args: object) -> list[Fetched]:
        handed.append([p.name for p in picks])
        built.extend(Fetched(p, os.path.join(directory, p.artifact.filename)) for p in picks)
        return built

    monkeypatch.setattr("versioned_import.engine.pip._build_wheels", by_pip)
    each: list[Fetched] = []
    try:
        fetched = PipEngine(PipConfig({"retries": "0"})).fetch(
            [Pick("alpha", "1.0", Artifact(url, "0" * 64, None, True))],
            str(tmp_path),
            QUIET,
            each.append,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()

    assert handed == [["alpha"]]
    assert each == fetched == built
    # A directory of pip's own: what was downloaded before the refusal may be installing.
    assert Path(fetched[0].wheel).parent.parent == tmp_path
