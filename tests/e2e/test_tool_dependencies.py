"""The tool's own dependencies never show in a project: it gets only what it declares."""

from __future__ import annotations

import pytest

from tests.conftest import FillStore, MakeProject
from tests.e2e.conftest import Imports, missing

pytestmark = pytest.mark.e2e

_TOOL_DEPENDENCIES = ("packaging", "installer", "platformdirs", "pyproject_hooks")


def test_the_tools_dependencies_are_not_importable_in_a_project(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(("projectc", "1.0"))
    project = make_project("app", ["projectc"])

    found = imports(project, *_TOOL_DEPENDENCIES)

    assert {name: missing(outcome) for name, outcome in found.items()} == dict.fromkeys(
        _TOOL_DEPENDENCIES, True
    )


def test_a_project_gets_its_own_packaging_from_the_store(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    # The plan is computed with the tool's packaging while the project sees this one.
    fill_store(("packaging", "0.1"))
    project = make_project("app", ["packaging==0.1"])

    assert imports(project, "packaging") == {"packaging": "0.1"}
