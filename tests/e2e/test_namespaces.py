"""Packages that several distributions (or the project) contribute to, and .pth files."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import FillStore, MakeProject, RunHooked
from tests.e2e.conftest import Imports
from versioned_import.store import Key, Store

pytestmark = pytest.mark.e2e


def test_a_namespace_package_split_over_two_distributions(
    fill_store: FillStore, make_project: MakeProject, imports: Imports
) -> None:
    fill_store(
        ("ns-a", "1.0", {"ns/a/__init__.py": "__version__ = 'a'\n"}),
        ("ns-b", "1.0", {"ns/b/__init__.py": "__version__ = 'b'\n"}),
    )
    project = make_project("app", ["ns-a", "ns-b"])

    assert imports(project, "ns.a", "ns.b") == {"ns.a": "a", "ns.b": "b"}


def test_a_namespace_portion_survives_invalidate_caches(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # Installers and test runners call invalidate_caches() all the time; it makes a namespace
    # package recompute its __path__, which must still reach the store.
    fill_store(
        ("ns-a", "1.0", {"ns/a/__init__.py": "VALUE = 'a'\n"}),
        ("ns-b", "1.0", {"ns/b/__init__.py": "VALUE = 'b'\n"}),
    )
    project = make_project("app", ["ns-a", "ns-b"])
    code = "import importlib, ns.a; importlib.invalidate_caches(); import ns.b; print(ns.b.VALUE)"

    done = run_hooked(project, "-c", code)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "b"


def test_a_namespace_shared_by_the_project_and_a_distribution(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # A company namespace: the project's own acme.app next to acme.lib from the store.
    fill_store(("acme-lib", "1.0", {"acme/lib/__init__.py": "VALUE = 'lib'\n"}))
    project = make_project("app", ["acme-lib"])
    (project / "acme" / "app").mkdir(parents=True)
    (project / "acme" / "app" / "__init__.py").write_text("VALUE = 'app'\n")

    done = run_hooked(
        project, "-c", "import acme.app, acme.lib; print(acme.app.VALUE, acme.lib.VALUE)"
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "app lib"


def test_a_regular_package_extended_by_another_distribution(
    store: Store, fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # pkg-addon sorts first, so the portion without __init__.py is the first one found.
    fill_store(
        ("pkg-core", "1.0", {"pkg/__init__.py": "CORE = True\n", "pkg/base.py": ""}),
        ("pkg-addon", "1.0", {"pkg/plugin.py": "NAME = 'plugin'\n"}),
    )
    project = make_project("app", ["pkg-core", "pkg-addon"])
    code = (
        "import json, pkg, pkg.base, pkg.plugin; "
        "print(json.dumps([pkg.CORE, pkg.plugin.NAME, sorted(pkg.__path__)]))"
    )

    done = run_hooked(project, "-c", code)

    assert done.returncode == 0, done.stderr
    portions = sorted(
        os.path.join(store.entry_dir(Key(name, "1.0", "py3-none-any")), "site", "pkg")
        for name in ("pkg-addon", "pkg-core")
    )
    assert json.loads(done.stdout) == [True, "plugin", portions]


def test_a_pth_file_inside_a_distribution_is_honoured(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # Path lines are relative to the site directory, here the entry's read-only site/.
    fill_store(
        (
            "pthdist",
            "1.0",
            {
                "pthdist.pth": "pthdist-vendored\nimport sys; sys.pthdist_ran = True\n",
                "pthdist-vendored/vendored_mod.py": "VALUE = 'vendored'\n",
            },
        )
    )
    project = make_project("app", ["pthdist"])
    code = "import sys, vendored_mod; print(vendored_mod.VALUE, getattr(sys, 'pthdist_ran', False))"

    done = run_hooked(project, "-c", code)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "vendored True"
