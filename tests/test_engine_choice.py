"""Which engine a command gets: uv when there is one and it can honour pip's settings,
``VIMPORT_ENGINE`` forcing one, and why pip was chosen said once with ``-v``."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from versioned_import.engine import choice, uv
from versioned_import.engine.pip import PipEngine
from versioned_import.engine.uv import UvEngine
from versioned_import.errors import UsageError
from versioned_import.progress import Reporter


@pytest.fixture(autouse=True)
def plain_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration file, one find-links setting: something uv can honour."""
    for variable in list(os.environ):
        if variable.startswith(("PIP_", "VIMPORT_")):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_FIND_LINKS", "/wheels")


def _verbose() -> Reporter:
    return Reporter(1, io.StringIO())


def _said(reporter: Reporter) -> str:
    stream = reporter.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def _no_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uv, "find_uv", lambda: None)


def test_uv_when_there_is_one_given_pips_settings() -> None:
    reporter = _verbose()

    engine = choice.default_engine(reporter)

    assert isinstance(engine, UvEngine)
    assert Path(engine.uv).name == "uv"
    assert engine.options.args == ["--find-links", "/wheels"]
    assert _said(reporter) == ""


def test_pip_without_uv_and_why_with_v(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_uv(monkeypatch)
    reporter = _verbose()

    assert type(choice.default_engine(reporter)) is PipEngine  # not its subclass UvEngine
    assert _said(reporter) == (
        "Using pip as the engine: no uv was found (neither the `uv` package nor uv on PATH)\n"
    )
    quiet = Reporter(0, io.StringIO())
    choice.default_engine(quiet)
    assert _said(quiet) == ""


def test_pip_when_a_setting_has_no_uv_equivalent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_PREFER_BINARY", "1")
    reporter = _verbose()

    assert type(choice.default_engine(reporter)) is PipEngine  # not its subclass UvEngine
    assert _said(reporter).startswith(
        "Using pip as the engine: pip's setting prefer-binary (PIP_PREFER_BINARY): uv has no "
    )


@pytest.mark.parametrize("value", ["pip", " PIP "])
def test_vimport_engine_pip_forces_pip(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIMPORT_ENGINE", value)

    assert type(choice.default_engine(_verbose())) is PipEngine


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("unknown", "VIMPORT_ENGINE=conda: not an engine; use pip or uv"),
        ("no uv", "VIMPORT_ENGINE=uv, but no uv was found"),
        ("prefer-binary", "VIMPORT_ENGINE=uv, but pip's setting prefer-binary (PIP_PREFER_BINARY)"),
    ],
)
def test_what_cannot_be_forced_is_an_error_naming_the_variable(
    setup: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIMPORT_ENGINE", "conda" if setup == "unknown" else "uv")
    if setup == "no uv":
        _no_uv(monkeypatch)
    if setup == "prefer-binary":
        monkeypatch.setenv("PIP_PREFER_BINARY", "yes")

    with pytest.raises(UsageError) as raised:
        choice.default_engine(_verbose())

    assert str(raised.value).startswith(message)


def test_uv_is_found_on_path_without_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uv as uv_package

    def missing() -> str:
        raise FileNotFoundError

    fake = tmp_path / "uv"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(uv_package, "find_uv_bin", missing)
    monkeypatch.setenv("PATH", str(tmp_path))

    assert uv.find_uv() == str(fake)
