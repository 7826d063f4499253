"""Both engines choose the same files for the same inputs, against the real package index: with
this machine's pip settings, and with none (the index pip and uv use by default)."""

from __future__ import annotations

import os

import pytest

from versioned_import.engine import Engine
from versioned_import.engine.pip import PipEngine
from versioned_import.engine.pipconfig import read_pip_config
from versioned_import.engine.uv import UvEngine, find_uv
from versioned_import.engine.uvoptions import uv_options
from versioned_import.progress import Reporter

pytestmark = pytest.mark.network

# A modest graph with an old pin that holds a dependency back from its newest release.
REQUIREMENTS = ["requests", "idna==3.4"]


def _locked(engine: Engine) -> dict[str, tuple[str, str, str]]:
    picks = engine.resolve(REQUIREMENTS, Reporter(-1))
    return {p.name: (p.version, p.artifact.filename, p.artifact.sha256) for p in picks}


@pytest.mark.parametrize("settings", ["this machine's", "none"])
def test_uv_and_pip_lock_the_same_files(settings: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if settings == "none":
        for variable in list(os.environ):
            if variable.startswith("PIP_"):
                monkeypatch.delenv(variable)
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    config = read_pip_config()
    uv = find_uv()
    assert uv is not None

    by_uv = _locked(UvEngine(uv, uv_options(config), config))
    by_pip = _locked(PipEngine(config))

    assert by_uv == by_pip
    assert by_uv["idna"][0] == "3.4"
    assert {"requests", "urllib3", "certifi", "charset-normalizer"} <= set(by_uv)
