"""The README's first command: the offline demo of two projects with two versions of a library."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import vimport

pytestmark = pytest.mark.e2e


def test_the_demo_gives_each_project_its_version_and_says_how_each_was_planned(
    tmp_path: Path,
) -> None:
    done = vimport("demo", "--keep", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "ProjectA: projectc 1.0.0 says 'hello'" in done.stdout
    assert "ProjectB: projectc 2.0.0 says 'hello, world'" in done.stdout
    # ProjectA pins its version, so its plan is made in-process; ProjectB's range is resolved.
    assert "ProjectA against the store" in done.stdout  # the demo shows its children's stderr
    assert "in-process: every version is pinned" in done.stdout
    assert "in a child interpreter (projectc>=2 is not an exact pin)" in done.stdout
