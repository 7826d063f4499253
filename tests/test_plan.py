"""The plan: what the hook needs, computed once and reused while its inputs are unchanged."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import pytest

from tests.conftest import FillStore, MakeProject
from tests.owndist import backend_calls, write_backend_project
from versioned_import import __version__, hook, planner
from versioned_import._runtime import newplan, plan
from versioned_import.own_dist import ensure, read_own
from versioned_import.progress import Reporter
from versioned_import.store import Store, layout


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Plans are saved under this test's own cache directory."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def filled(fill_store: FillStore) -> Store:
    return fill_store(
        ("alpha", "1.0", {"alpha/__init__.py": "", "alpha-init.pth": "import os\n"}),
        ("beta", "2.0", {"beta.py": "", "beta_helpers/__init__.py": ""}),
    )


@pytest.fixture
def project(make_project: MakeProject, filled: Store) -> Path:
    return make_project("app", ["alpha", "beta==2.0"])


def _touch(path: Path) -> None:
    """Give ``path`` a different modification time, whatever the clock's resolution."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_compute_describes_the_resolution(project: Path, filled: Store) -> None:
    computed = planner.compute(str(project), filled.root)
    alpha, beta = filled.entries()
    assert computed["format"] == plan.FORMAT
    assert computed["tool"] == __version__
    assert (computed["project"], computed["store"]) == (str(project), filled.root)
    assert computed["active"] is True
    assert computed["error"] is None
    assert computed["manifest"] == str(project / "pyproject.toml")
    assert computed["system_site"] is False
    assert computed["paths"] == [str(project)]
    assert computed["dists"] == [
        {
            "name": "alpha",
            "canonical": "alpha",
            "version": "1.0",
            "tag": "py3-none-any",
            "site": alpha.site_dir,
            "dist_info": alpha.dist_info,
            "why": "app requires alpha",
        },
        {
            "name": "beta",
            "canonical": "beta",
            "version": "2.0",
            "tag": "py3-none-any",
            "site": beta.site_dir,
            "dist_info": beta.dist_info,
            "why": "app requires beta==2.0",
        },
    ]
    assert computed["modules"] == {"alpha": [0], "beta": [1], "beta_helpers": [1]}
    assert computed["pth"] == [(alpha.site_dir, "alpha-init.pth")]


def test_compute_follows_system_site_packages(make_project: MakeProject, filled: Store) -> None:
    project = make_project("app", tool="system-site-packages = true")
    assert planner.compute(str(project), filled.root)["system_site"] is True


def test_compute_of_a_project_without_the_table_is_inactive(tmp_path: Path, filled: Store) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "plain"\n', encoding="utf-8")
    computed = planner.compute(str(project), filled.root)
    assert computed["active"] is False
    assert computed["dists"] == []


def test_compute_records_a_manifest_error_instead_of_raising(
    make_project: MakeProject, filled: Store
) -> None:
    # The hook shows the error and keeps the project isolated, so the plan stays active.
    project = make_project("app", tool="colour = 1")
    computed = planner.compute(str(project), filled.root)
    assert computed["active"] is True
    assert computed["error"] is not None
    assert str(project / "pyproject.toml") in computed["error"]
    assert "tool.vimport.colour" in computed["error"]


def test_compute_records_an_unsatisfiable_requirement(
    make_project: MakeProject, filled: Store
) -> None:
    project = make_project("app", ["alpha>=5"])
    error = planner.compute(str(project), filled.root)["error"]
    assert error is not None
    # The hook prints this one line, so it names the manifest as well as the requirement.
    assert error.startswith(str(project / "pyproject.toml"))
    assert "cannot satisfy alpha>=5 (required by app)" in error


def test_a_name_with_a_local_source_is_never_served_the_stores_index_entry(
    make_project: MakeProject, filled: Store, tmp_path: Path
) -> None:
    (tmp_path / "alpha").mkdir()  # a source never built: no lock names a build of it
    extra = '[tool.uv.sources]\nalpha = { path = "../alpha" }\n'
    project = make_project("app", ["alpha"], extra=extra)

    found = planner.compute(str(project), filled.root)

    assert found["dists"] == []
    assert found["error"] is not None
    assert "cannot satisfy alpha (required by app)" in found["error"]
    assert "a local source that `vimport sync` has not built" in found["error"]


def test_compute_records_a_missing_store(make_project: MakeProject, tmp_path: Path) -> None:
    project = make_project("app", ["alpha"])
    error = planner.compute(str(project), str(tmp_path / "no-store"))["error"]
    assert error is not None
    assert "no store here" in error


def test_compute_uses_src_as_the_import_root(project: Path, filled: Store) -> None:
    (project / "src").mkdir()
    assert planner.compute(str(project), filled.root)["paths"] == [str(project / "src")]


def test_a_saved_plan_is_loaded_while_fresh(project: Path, filled: Store, cache_home: Path) -> None:
    computed = planner.compute(str(project), filled.root)
    newplan.save(computed)
    assert plan.plan_file(str(project), filled.root).startswith(str(cache_home))
    loaded = plan.load_fresh(str(project), filled.root)
    assert loaded is not None
    assert newplan.unpacked(loaded) == computed


def test_a_stored_plan_holds_the_sites_and_the_records_packed(project: Path, filled: Store) -> None:
    computed = planner.compute(str(project), filled.root)
    stored = newplan.save(computed)
    assert "dists" not in stored
    assert stored["sites"] == [d["site"] for d in computed["dists"]]
    assert plan.records(stored) == computed["dists"]
    assert plan.load_fresh(str(project), filled.root) == stored


def test_no_plan_is_loaded_before_one_is_saved(project: Path, filled: Store) -> None:
    assert plan.load_fresh(str(project), filled.root) is None


def test_touching_the_manifest_makes_the_plan_stale(project: Path, filled: Store) -> None:
    newplan.save(planner.compute(str(project), filled.root))
    _touch(project / "pyproject.toml")
    assert plan.load_fresh(str(project), filled.root) is None


def test_a_new_store_generation_makes_the_plan_stale(project: Path, filled: Store) -> None:
    newplan.save(planner.compute(str(project), filled.root))
    filled.touch_generation()
    assert plan.load_fresh(str(project), filled.root) is None


def test_creating_src_makes_the_plan_stale(project: Path, filled: Store) -> None:
    # The import root moves to src/, so the saved paths are wrong.
    newplan.save(planner.compute(str(project), filled.root))
    (project / "src").mkdir()
    assert plan.load_fresh(str(project), filled.root) is None


@pytest.mark.parametrize(("key", "value"), [("tool", "0.0.0-other"), ("format", -1)])
def test_a_plan_of_another_tool_or_format_is_not_used(
    project: Path, filled: Store, key: str, value: object
) -> None:
    computed = planner.compute(str(project), filled.root)
    cast("dict[str, object]", computed)[key] = value
    newplan.save(computed)
    assert plan.load_fresh(str(project), filled.root) is None


def test_a_plan_for_another_store_is_kept_apart(project: Path, filled: Store) -> None:
    newplan.save(planner.compute(str(project), filled.root))
    other = str(Path(filled.root).with_name("other-store"))
    assert plan.plan_file(str(project), other) != plan.plan_file(str(project), filled.root)
    assert plan.load_fresh(str(project), other) is None


def test_a_damaged_plan_file_is_ignored(project: Path, filled: Store) -> None:
    path = Path(plan.plan_file(str(project), filled.root))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00not marshal")
    assert plan.load_fresh(str(project), filled.root) is None


def test_saving_into_an_unwritable_cache_does_not_raise(
    project: Path, filled: Store, cache_home: Path
) -> None:
    # A regular file where the cache directory should be: no directory can be made there, even
    # for root, who ignores permission bits.
    cache_home.write_text("", encoding="utf-8")
    newplan.save(planner.compute(str(project), filled.root))
    assert plan.load_fresh(str(project), filled.root) is None
    assert cache_home.read_text(encoding="utf-8") == ""


def test_compute_in_child_gives_the_same_plan(project: Path, filled: Store) -> None:
    child = newplan.compute_in_child(str(project), filled.root, hook.tool_paths())
    assert child == planner.compute(str(project), filled.root)


def test_computing_writes_nothing_and_a_use_remembers_the_root(
    project: Path, filled: Store
) -> None:
    # `vimport show` and `vimport gc` compute plans: neither may write into the store.
    roots = Path(layout.roots_dir(filled.root))
    planner.compute(str(project), filled.root)
    assert not roots.exists()
    planner.compute_for_use(str(project), filled.root)
    assert filled.roots() == {str(roots / os.listdir(roots)[0]): str(project)}


# --- the project's own distribution ---------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path, filled: Store, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project that is a distribution itself, built by an in-tree backend."""
    monkeypatch.setenv("DEMO_BACKEND_LOG", str(tmp_path / "calls.log"))
    return write_backend_project(tmp_path / "demo", dependencies=["alpha"])


def test_compute_adds_the_projects_own_distribution(
    demo: Path, filled: Store, tmp_path: Path
) -> None:
    computed = planner.compute(str(demo), filled.root)
    own = computed["dists"][-1]
    assert (own["name"], own["version"], own["tag"]) == ("demo", "0.3.1", "editable")
    assert [d["name"] for d in computed["dists"]] == ["alpha", "demo"]
    # Its code imports from the project's own root, not through the finder.
    assert "demo" not in computed["modules"]
    assert computed["paths"] == [str(demo / "src")]
    assert computed["notices"] == [
        "built the metadata of demo 0.3.1 with demo_backend: its inputs changed since the last "
        "build (or there was none)"
    ]
    again = planner.compute(str(demo), filled.root)
    assert again["dists"] == computed["dists"] and again["notices"] == []
    assert backend_calls(tmp_path / "calls.log") == ["prepare_metadata_for_build_editable"]


def test_a_failing_backend_leaves_the_dependencies_working(
    demo: Path, filled: Store, tmp_path: Path
) -> None:
    (demo / "VERSION").write_text("fail\n")
    computed = planner.compute(str(demo), filled.root)
    assert computed["error"] is None
    assert [d["name"] for d in computed["dists"]] == ["alpha"]
    assert computed["warnings"] == [
        f"{demo / 'pyproject.toml'}: the build backend demo_backend failed in "
        "prepare_metadata_for_build_editable: RuntimeError: VERSION says fail, so this backend "
        "fails; the project's own distribution is left out"
    ]


def test_new_own_metadata_makes_the_plan_stale(demo: Path, filled: Store) -> None:
    newplan.save(planner.compute(str(demo), filled.root))
    own = read_own(str(demo))
    assert own is not None
    ensure(own, Reporter(-1), force=True)  # what `vimport sync` does
    assert plan.load_fresh(str(demo), filled.root) is None


def test_compute_without_own_runs_no_backend(demo: Path, filled: Store, tmp_path: Path) -> None:
    computed = planner.compute(str(demo), filled.root, own=False)
    assert [d["name"] for d in computed["dists"]] == ["alpha"]
    assert backend_calls(tmp_path / "calls.log") == []
