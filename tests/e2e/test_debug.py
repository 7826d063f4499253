"""The debug trace: one stderr line per top-level import the store answers, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked
from versioned_import.store import Store

pytestmark = pytest.mark.e2e

# Importing twice shows that only the import the finder answers is traced; json is not ours.
_CODE = "import json, toplib, midlib, leaflib, leaflib; print('ran')"


@pytest.fixture
def project(fill_store: FillStore, make_project: MakeProject) -> Path:
    fill_store(
        ("toplib", "1.0", None, {"requires": ["midlib"]}),
        ("midlib", "1.0", None, {"requires": ["leaflib>=1"]}),
        ("leaflib", "1.0"),
    )
    return make_project("app", ["toplib"])


def _traces(stderr: str) -> dict[str, list[str]]:
    """The import lines of a debug trace, by import name."""
    found: dict[str, list[str]] = {}
    for line in stderr.splitlines():
        name, arrow, _ = line.removeprefix("vimport: ").partition(" -> ")
        if arrow:
            found.setdefault(name, []).append(line)
    return found


@pytest.mark.parametrize(
    ("args", "env"),
    [((), {"VIMPORT_DEBUG": "1"}), (("-X", "vimport=debug"), {})],
    ids=["VIMPORT_DEBUG", "-X vimport=debug"],
)
def test_each_answered_import_is_traced_with_its_requirement_chain(
    project: Path,
    store: Store,
    run_hooked: RunHooked,
    args: tuple[str, ...],
    env: dict[str, str],
) -> None:
    done = run_hooked(project, *args, "-c", _CODE, env_extra=env)

    assert done.returncode == 0, done.stderr
    traces = _traces(done.stderr)
    assert sorted(traces) == ["leaflib", "midlib", "toplib"]
    assert all(len(lines) == 1 for lines in traces.values()), traces
    site = f"{store.root}/entries/leaflib/1.0/py3-none-any/site"
    leaf = traces["leaflib"][0]
    assert leaf.startswith(f"vimport: leaflib -> leaflib 1.0 [py3-none-any] {site} (app")
    assert leaf.endswith(
        " requires toplib -> toplib 1.0 requires midlib -> midlib 1.0 requires leaflib>=1)"
    )


def test_without_the_flag_nothing_is_printed(project: Path, run_hooked: RunHooked) -> None:
    first, second = run_hooked(project, "-c", _CODE), run_hooked(project, "-c", _CODE)

    # The first run computes the plan, the second loads it: both stay silent.
    assert (first.returncode, first.stdout, first.stderr) == (0, "ran\n", "")
    assert (second.returncode, second.stdout, second.stderr) == (0, "ran\n", "")
