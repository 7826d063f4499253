"""pytest finds its plugin distributions through importlib.metadata, in the corpus's project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import Corpus
from tests.compat.harness import TIMEOUT_TESTS, run

pytestmark = [pytest.mark.e2e, pytest.mark.network]


def _pytest(corpus: Corpus, *args: str, **env: str) -> tuple[int, str]:
    project = corpus.project("main")
    directory = project / "plugin_tests"
    directory.mkdir(exist_ok=True)
    (directory / "test_timeouts.py").write_text(TIMEOUT_TESTS, encoding="utf-8")
    command: list[str | Path] = [corpus.python, "-I", "-m", "pytest", "-p", "no:cacheprovider"]
    command += args
    done = run(command, cwd=directory, env={**corpus.env, **env}, timeout=60)
    return done.returncode, done.stdout + done.stderr


def test_python_m_pytest_is_the_projects_pytest(corpus: Corpus) -> None:
    code, output = _pytest(corpus, "--version")

    assert code == 0, output
    assert output.strip() == "pytest 8.4.1"


def test_the_timeout_plugin_is_discovered_and_enforces_its_marker(corpus: Corpus) -> None:
    code, output = _pytest(corpus, "-q", "--strict-markers", "test_timeouts.py")

    assert code == 1, output
    assert "Failed: Timeout" in output
    assert "1 failed, 1 passed" in output


def test_p_loads_the_plugin_by_its_entry_point_name(corpus: Corpus) -> None:
    without = _pytest(corpus, "-q", "--strict-markers", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    loaded = _pytest(
        corpus, "-q", "--strict-markers", "-p", "timeout", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"
    )

    assert without[0] != 0 and "'timeout' not found in `markers`" in without[1], without[1]
    assert loaded[0] == 1 and "1 failed, 1 passed" in loaded[1], loaded[1]
