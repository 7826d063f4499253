"""A peer's own test suite under the hook: six's sdist ships test_six.py; unpacked into a
project that lists six and its test dependencies, the suite must pass against the store's six."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.compat.conftest import Corpus
from tests.compat.harness import run, sync, write_project

pytestmark = [pytest.mark.e2e, pytest.mark.network]

SIX = "six==1.17.0"
PYTEST = "pytest==8.4.1"


def _unpacked_sdist(requirement: str, corpus: Corpus) -> Path:
    downloads = corpus.root / "sdists"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
         "--no-deps", "--dest", str(downloads), requirement],
        env=corpus.env,
        check=True,
    )  # fmt: skip
    (archive,) = downloads.glob("*.tar.gz")
    with tarfile.open(archive) as sdist:
        if hasattr(tarfile, "data_filter"):
            sdist.extractall(downloads, filter="data")
        else:  # pragma: no cover - Python releases before the extraction filters
            sdist.extractall(downloads)
    (root,) = (p for p in downloads.iterdir() if p.is_dir())
    return root


def test_six_passes_its_own_suite_under_the_hook(corpus: Corpus) -> None:
    project = _unpacked_sdist(SIX, corpus)
    # The sdist's own copy would be the project's code; without it, the suite tests the
    # distribution from the store, as tox tests the installed one.
    (project / "six.py").unlink()
    shutil.rmtree(project / "six.egg-info")
    write_project(
        project,
        [SIX],
        tool='groups = ["test"]',
        extra=f'\n[dependency-groups]\ntest = ["{PYTEST}"]\n',
    )
    synced = sync(project, corpus.env)
    assert synced.returncode == 0, synced.stderr

    which = run([corpus.python, "-I", "-c", "import six; print(six.__file__)"], project, corpus.env)
    suite = run(
        [corpus.python, "-m", "versioned_import", "run", "pytest", "-p", "no:cacheprovider"],
        project,
        corpus.env,
    )

    assert which.stdout.startswith(str(corpus.store)), which.stderr
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr
    summary = suite.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary
    assert int(summary.split(" passed")[0].split()[-1]) >= 100
