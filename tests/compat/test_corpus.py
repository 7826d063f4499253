"""Real distributions, synced from the index into one store, imported and exercised by plain
``python`` in projects under the hook: as compatible as a venv (the table is corpus.txt)."""

from __future__ import annotations

import json

import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.compat.conftest import Corpus
from tests.compat.corpus import CASES, PROJECTS, Case

# Case id -> why that family cannot work under the hook (strict: a pass is reported).
XFAIL: dict[str, str] = {}

# Each family of the issue, with at least two distributions in the table.
FAMILIES = (
    "c-extension",
    "bundled .libs",
    "name differs from import",
    "no top_level.txt",
    "PEP 420 namespace",
    "-nspkg.pth namespace",
    "package extended by another distribution",
    ".pth in a wheel",
    "data files",
    "entry points",
    "pkg_resources",
    "single module",
    "major versions",
)


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        for project in case.projects:
            reason = XFAIL.get(case.id)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(project, case, id=f"{project}/{case.id}", marks=marks))
    return params


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@pytest.mark.e2e
@pytest.mark.network
@pytest.mark.parametrize(("project", "case"), _params())
def test_a_distribution_is_imported_and_exercised_in_its_project(
    project: str, case: Case, corpus: Corpus
) -> None:
    outcome = corpus.outcomes(project)[case.id]

    assert outcome["error"] is None, (
        f"{case.requirement} ({case.family}) in {project}:\n{outcome['error']}\n"
        f"the child's stderr:\n{corpus.child_stderr(project)}"
    )
    assert outcome["value"] == json.loads(json.dumps(case.expected))
    assert outcome["version"] == case.version
    assert corpus.locked(project)[canonicalize_name(case.distribution)] == case.version
    module_version = outcome["module_version"]
    if module_version is not None:
        assert isinstance(module_version, str)
        assert _same_version(module_version, case.version)


@pytest.mark.e2e
@pytest.mark.network
@pytest.mark.parametrize("project", PROJECTS)
def test_the_lock_holds_exactly_the_tables_distributions(project: str, corpus: Corpus) -> None:
    # A transitive dependency missing from the table would go unexercised: list it there.
    table = {canonicalize_name(c.distribution): c.version for c in CASES if project in c.projects}

    assert corpus.locked(project) == table


def test_the_table_covers_every_family_with_several_distributions() -> None:
    members = {family: {c.requirement for c in CASES if family in c.family} for family in FAMILIES}

    assert {f: sorted(d) for f, d in members.items() if len(d) < 2} == {}
    assert len({c.distribution for c in CASES}) >= 30
