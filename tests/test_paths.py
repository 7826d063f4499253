"""The store and cache directories, computed without platformdirs, must agree with it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs
import pytest

from versioned_import._runtime import paths

# XDG values: unset, absolute, empty, blank, relative (which the XDG spec says to ignore).
_XDG_VALUES = [None, "/xdg/absolute", "", "   ", "relative/dir"]
_XDG_IDS = ["unset", "absolute", "empty", "blank", "relative"]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of this test's own, so the defaults never name the real one."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "VIMPORT_STORE"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path / "home"


def _set(monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)


@pytest.mark.parametrize("value", _XDG_VALUES, ids=_XDG_IDS)
def test_the_default_store_is_in_platformdirs_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    _set(monkeypatch, "XDG_DATA_HOME", value)
    expected = platformdirs.user_data_dir(paths.APP_NAME, appauthor=False)
    assert paths.default_store() == os.path.join(expected, "store")


@pytest.mark.parametrize("value", _XDG_VALUES, ids=_XDG_IDS)
def test_the_cache_is_platformdirs_user_cache_dir(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    _set(monkeypatch, "XDG_CACHE_HOME", value)
    expected = platformdirs.user_cache_dir(paths.APP_NAME, appauthor=False)
    assert paths.user_cache_dir() == expected


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG applies on Linux and BSD")
def test_the_defaults_live_under_home(home: Path) -> None:
    assert paths.default_store() == str(home / ".local/share/versioned-import/store")
    assert paths.user_cache_dir() == str(home / ".cache/versioned-import")


def test_vimport_store_overrides_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIMPORT_STORE", str(tmp_path / "mine"))
    assert paths.store_root() == str(tmp_path / "mine")


def test_a_relative_vimport_store_is_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The hook's children run in other directories; a relative root would move with them.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIMPORT_STORE", "stores/here")
    assert paths.store_root() == str(tmp_path / "stores" / "here")


def test_an_empty_vimport_store_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIMPORT_STORE", "")
    assert paths.store_root() == paths.default_store()
