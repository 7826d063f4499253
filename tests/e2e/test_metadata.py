"""importlib.metadata sees exactly the project's resolved distributions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e

_REPORT = """
import json
from importlib import metadata

def version_or_missing(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None

hooks = metadata.entry_points(group="vimport_test.hooks")
print(json.dumps({
    "version": version_or_missing("plug"),
    "distribution": metadata.distribution("plug").version,
    "distributions": sorted(d.metadata["Name"] for d in metadata.distributions()),
    "unresolved": version_or_missing("projectd"),
    "entry_points": {ep.name: ep.load()() for ep in hooks},
    "packages": metadata.packages_distributions().get("plug_impl"),
}))
"""


def _plug(version: str) -> tuple[object, ...]:
    return (
        "plug",
        version,
        {"plug_impl/__init__.py": f"def hello():\n    return 'hello from {version}'\n"},
        {
            "requires": ["helper"],
            "entry_points": "[vimport_test.hooks]\nhello = plug_impl:hello\n",
        },
    )


def _report(run_hooked: RunHooked, project: Path) -> Any:
    done = run_hooked(project, "-c", _REPORT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_metadata_reports_the_resolved_set(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(_plug("1.0"), _plug("2.0"), ("helper", "1.0"), ("projectd", "1.0"))
    project = make_project("app", ["plug==1.0"])

    assert _report(run_hooked, project) == {
        "version": "1.0",
        "distribution": "1.0",
        "distributions": ["helper", "plug"],
        "unresolved": None,
        "entry_points": {"hello": "hello from 1.0"},
        "packages": ["plug"],
    }


def test_each_project_sees_the_metadata_of_its_own_version(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(_plug("1.0"), _plug("2.0"), ("helper", "1.0"))
    old = make_project("old", ["plug==1.0"])
    new = make_project("new", ["plug==2.0"])

    reports = [_report(run_hooked, project) for project in (old, new)]

    assert [(r["version"], r["entry_points"]["hello"]) for r in reports] == [
        ("1.0", "hello from 1.0"),
        ("2.0", "hello from 2.0"),
    ]
