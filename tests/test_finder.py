"""The meta-path finders, in process: specs and distributions from a plan, and the last word on
imports that nothing answered."""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib.metadata import DistributionFinder
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from tests.conftest import FillStore, MakeProject
from versioned_import import planner
from versioned_import._runtime import newplan, plan
from versioned_import._runtime.finder import missing_finder, project_finder, site_path_hook
from versioned_import.store import Key, Store

# Names no other test or installed distribution uses, so nothing cached can answer for them.
_LIB = "vimport_finder_lib"
_NS = "vimport_finder_ns"


def _plan(project: Path, store: Store) -> plan.Packed:
    """The plan of ``project`` as a start reads it."""
    computed = planner.compute(str(project), store.root)
    assert computed["error"] is None, computed["error"]
    return newplan.packed(computed)


def _site(store: Store, name: str, version: str) -> str:
    # Entries live under the canonical name: vimport-finder-lib for vimport_finder_lib.
    return os.path.join(
        store.entry_dir(Key(canonicalize_name(name), version, "py3-none-any")), "site"
    )


@pytest.fixture
def two_versions(fill_store: FillStore) -> Store:
    return fill_store(
        (_LIB, "1.0", {f"{_LIB}/__init__.py": "VERSION = '1.0'\n"}),
        (_LIB, "2.0", {f"{_LIB}/__init__.py": "VERSION = '2.0'\n", f"{_LIB}/extra.py": ""}),
    )


def test_a_top_level_name_is_found_in_the_planned_version(
    two_versions: Store, make_project: MakeProject
) -> None:
    finder = project_finder(_plan(make_project("old", [f"{_LIB}<2"]), two_versions), False)
    spec = finder.find_spec(_LIB)
    assert spec is not None
    assert spec.origin == os.path.join(_site(two_versions, _LIB, "1.0"), _LIB, "__init__.py")
    assert spec.loader is not None
    # Loading the spec runs the store's file of that version, without touching sys.modules.
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VERSION == "1.0"


def test_two_plans_see_two_versions(two_versions: Store, make_project: MakeProject) -> None:
    old = project_finder(_plan(make_project("old", [f"{_LIB}==1.0"]), two_versions), False)
    new = project_finder(_plan(make_project("new", [_LIB]), two_versions), False)
    old_spec, new_spec = old.find_spec(_LIB), new.find_spec(_LIB)
    assert old_spec is not None and new_spec is not None
    assert old_spec.submodule_search_locations == [
        os.path.join(_site(two_versions, _LIB, "1.0"), _LIB)
    ]
    assert new_spec.submodule_search_locations == [
        os.path.join(_site(two_versions, _LIB, "2.0"), _LIB)
    ]


def test_names_outside_the_plan_are_left_to_other_finders(
    two_versions: Store, make_project: MakeProject
) -> None:
    finder = project_finder(_plan(make_project("app", [_LIB]), two_versions), False)
    assert finder.find_spec("json") is None
    assert finder.find_spec("vimport_finder_unknown") is None


def test_submodules_are_left_to_the_package_path(
    two_versions: Store, make_project: MakeProject
) -> None:
    finder = project_finder(_plan(make_project("app", [_LIB]), two_versions), False)
    package_path = [os.path.join(_site(two_versions, _LIB, "2.0"), _LIB)]
    assert finder.find_spec(f"{_LIB}.extra", package_path) is None
    # Also a top-level name is not answered when asked for as a submodule.
    assert finder.find_spec(_LIB, package_path) is None


def test_a_package_extended_by_another_distribution_spans_both(
    fill_store: FillStore, make_project: MakeProject
) -> None:
    store = fill_store(
        ("core", "1.0", {f"{_LIB}/__init__.py": "", f"{_LIB}/core.py": ""}),
        ("plugin", "1.0", {f"{_LIB}/plugin.py": ""}),
    )
    finder = project_finder(_plan(make_project("app", ["core", "plugin"]), store), False)
    spec = finder.find_spec(_LIB)
    assert spec is not None
    assert spec.origin == os.path.join(_site(store, "core", "1.0"), _LIB, "__init__.py")
    assert spec.submodule_search_locations == [
        os.path.join(_site(store, "core", "1.0"), _LIB),
        os.path.join(_site(store, "plugin", "1.0"), _LIB),
    ]


def test_a_namespace_package_spans_every_portion(
    fill_store: FillStore, make_project: MakeProject
) -> None:
    store = fill_store(
        ("ns-one", "1.0", {f"{_NS}/one.py": ""}),
        ("ns-two", "1.0", {f"{_NS}/two.py": ""}),
    )
    finder = project_finder(_plan(make_project("app", ["ns-one", "ns-two"]), store), False)
    spec = finder.find_spec(_NS)
    assert spec is not None
    assert spec.submodule_search_locations is not None
    assert list(spec.submodule_search_locations) == [
        os.path.join(_site(store, "ns-one", "1.0"), _NS),
        os.path.join(_site(store, "ns-two", "1.0"), _NS),
    ]


def test_debug_says_which_entry_answered_and_why(
    two_versions: Store, make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    finder = project_finder(_plan(make_project("app", [f"{_LIB}>=2"]), two_versions), True)
    finder.find_spec(_LIB)
    site = _site(two_versions, _LIB, "2.0")
    assert capsys.readouterr().err == (
        f"vimport: {_LIB} -> {_LIB} 2.0 [py3-none-any] {site} (app requires {_LIB}>=2)\n"
    )


def test_without_debug_the_finder_is_silent(
    two_versions: Store, make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project_finder(_plan(make_project("app", [_LIB]), two_versions), False).find_spec(_LIB)
    assert capsys.readouterr().err == ""


def test_a_distribution_is_the_planned_version(
    two_versions: Store, make_project: MakeProject
) -> None:
    finder = project_finder(_plan(make_project("app", [f"{_LIB}==1.0"]), two_versions), False)
    found = list(finder.find_distributions(DistributionFinder.Context(name=_LIB)))
    assert [(d.metadata["Name"], d.version) for d in found] == [(_LIB, "1.0")]


def test_a_listing_is_left_to_the_path_finder(
    two_versions: Store, make_project: MakeProject
) -> None:
    # The resolved sites are on sys.path, where PathFinder lists them: listing them here too
    # would give every distribution twice.
    finder = project_finder(_plan(make_project("app", [_LIB]), two_versions), False)
    assert list(finder.find_distributions(DistributionFinder.Context())) == []


def test_distributions_are_found_by_any_spelling_of_the_name(
    two_versions: Store, make_project: MakeProject
) -> None:
    finder = project_finder(_plan(make_project("app", [_LIB]), two_versions), False)
    spelled = _LIB.replace("_", "-").upper()
    found = list(finder.find_distributions(DistributionFinder.Context(name=spelled)))
    assert [d.version for d in found] == ["2.0"]
    assert list(finder.find_distributions(DistributionFinder.Context(name="other"))) == []


def test_a_search_of_other_paths_gets_no_distributions(
    two_versions: Store, make_project: MakeProject, tmp_path: Path
) -> None:
    # importlib.metadata.distributions(path=[...]) asks about those directories only.
    finder = project_finder(_plan(make_project("app", [_LIB]), two_versions), False)
    context = DistributionFinder.Context(path=[str(tmp_path)])
    assert list(finder.find_distributions(context)) == []


# --- missing_finder --------------------------------------------------------------------------


def test_an_import_statement_that_nothing_answers_names_the_manifest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        sys, "meta_path", [*sys.meta_path, missing_finder("/p/pyproject.toml", None)]
    )
    # __import__ is what the import statement runs.
    with pytest.raises(ModuleNotFoundError) as excinfo:
        __import__("vimport_finder_nowhere")
    message = str(excinfo.value)
    assert "No module named 'vimport_finder_nowhere'" in message
    assert "/p/pyproject.toml" in message
    assert "[project].dependencies" in message
    assert excinfo.value.name == "vimport_finder_nowhere"


def test_an_unresolvable_project_shows_its_error_on_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = missing_finder("/p/pyproject.toml", "/p/pyproject.toml: cannot satisfy alpha>=9")
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, missing])
    with pytest.raises(ModuleNotFoundError, match=r"cannot be resolved: .*cannot satisfy alpha>=9"):
        importlib.import_module("vimport_finder_nowhere")


def test_find_spec_probes_still_get_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # Libraries probe optional dependencies with importlib.util.find_spec; that must not raise.
    monkeypatch.setattr(
        sys, "meta_path", [*sys.meta_path, missing_finder("/p/pyproject.toml", None)]
    )
    assert importlib.util.find_spec("vimport_finder_nowhere") is None


def test_missing_finder_called_directly_does_not_raise() -> None:
    # Only the import statement's own search gets the error; other callers get None.
    finder: Any = missing_finder("/p/pyproject.toml", None)
    finder.find_spec("vimport_finder_nowhere")
    finder.find_spec("pkg.sub", ["/somewhere"])


# --- the resolved sites on sys.path -----------------------------------------------------------


def test_a_resolved_site_answers_only_the_names_the_plan_knows(tmp_path: Path) -> None:
    # A missing optional dependency is probed on every start; each site then costs no stat.
    site = tmp_path / "site"
    site.mkdir()
    (site / "known.py").write_text("")
    (site / "unknown.py").write_text("")
    hook = site_path_hook(frozenset([str(site)]), {"known": [0]})

    finder = hook(str(site))

    known = finder.find_spec("known")
    assert known is not None and known.origin == str(site / "known.py")
    assert finder.find_spec("unknown") is None
    with pytest.raises(ImportError):
        hook(str(tmp_path))
