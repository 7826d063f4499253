"""What a project's requirements resolve to: dependencies, markers, extras, versions."""

from __future__ import annotations

import pytest

from tests.conftest import FillStore, MakeProject
from tests.e2e.conftest import Imports, missing

pytestmark = pytest.mark.e2e


def test_dependencies_follow_requires_dist_and_its_markers(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(
        ("liba", "1.0", None, {"requires": ["libb>=1", 'legacy; python_version < "3"']}),
        ("libb", "1.0"),
        ("libb", "2.0", None, {"requires": ["libc"]}),
        ("libc", "1.0"),
        ("legacy", "1.0"),
    )
    project = make_project("app", ["liba"])

    found = imports(project, "liba", "libb", "libc", "legacy")

    # libb 2.0 is the highest that satisfies libb>=1, and it brings libc along.
    assert {name: found[name] for name in ("liba", "libb", "libc")} == {
        "liba": "1.0",
        "libb": "2.0",
        "libc": "1.0",
    }
    assert missing(found["legacy"])


def test_an_extra_pulls_in_its_dependencies_and_only_when_asked(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(
        (
            "projectc",
            "1.0",
            None,
            {"requires": ['speedup; extra == "fast"'], "metadata": [("Provides-Extra", "fast")]},
        ),
        ("speedup", "1.0"),
    )
    with_extra = make_project("with-extra", ["projectc[fast]"])
    without_extra = make_project("without-extra", ["projectc"])

    assert imports(with_extra, "projectc", "speedup") == {"projectc": "1.0", "speedup": "1.0"}
    found = imports(without_extra, "projectc", "speedup")
    assert found["projectc"] == "1.0"
    assert missing(found["speedup"])


def test_a_conflict_backtracks_to_an_older_version(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(
        ("toplib", "1.0"),
        ("toplib", "2.0", None, {"requires": ["pinned<1.5"]}),
        ("pinned", "1.0"),
        ("pinned", "2.0"),
    )
    project = make_project("app", ["toplib", "pinned==2.0"])

    assert imports(project, "toplib", "pinned") == {"toplib": "1.0", "pinned": "2.0"}
