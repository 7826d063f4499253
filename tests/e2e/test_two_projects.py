"""The user story: two projects, two versions of one library, plain ``python`` in each."""

from __future__ import annotations

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e


def test_each_project_imports_its_own_version(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(("projectc", "1.0.0"), ("projectc", "2.0.0"))
    a = make_project("ProjectA", ["projectc==1.0.0"])
    b = make_project("ProjectB", ["projectc>=2"])
    code = "import projectc; print(projectc.__version__)"
    assert run_hooked(a, "-c", code).stdout.strip() == "1.0.0"
    assert run_hooked(b, "-c", code).stdout.strip() == "2.0.0"
