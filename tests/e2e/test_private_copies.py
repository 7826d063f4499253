"""Private copies at run time, with wheels built here: two versions of one library in one
hooked process, each seen by the dependents it was resolved for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.tags import sys_tags

from tests.conftest import FillStore, MakeProject, RunHooked

pytestmark = pytest.mark.e2e

# lib 1 and lib 2 differ in every way a dependent can reach them: the package, a submodule
# imported absolutely and relatively, a lazy import in a function, and its metadata.
_LIB = {
    "lib/__init__.py": (
        "import importlib.metadata\n"
        "from lib.util import MAJOR\n"
        "from . import util as _util\n"
        "__version__ = importlib.metadata.version('lib')\n"
        "def major():\n"
        "    import lib.util\n"
        "    return lib.util.MAJOR\n"
        "class Thing:\n"
        "    def __init__(self, n):\n"
        "        self.n = n\n"
    ),
    "lib/util.py": "MAJOR = {major}\n",
}

# Each user reports what it sees, every way it can look.
_USER = (
    "import importlib, importlib.metadata, importlib.resources, pkgutil\n"
    "import lib\n"
    "import lib.util\n"
    "from lib import util\n"
    "def seen():\n"
    "    return {{\n"
    "        'import': lib.__version__,\n"
    "        'dotted': lib.util.MAJOR,\n"
    "        'from': util.MAJOR,\n"
    "        'lazy': lib.major(),\n"
    "        'import_module': importlib.import_module('lib.util').MAJOR,\n"
    "        'dunder': __import__('lib').__version__,\n"
    "        'metadata': importlib.metadata.version('lib'),\n"
    "        'resources': importlib.resources.files('lib').joinpath('util.py').read_text(),\n"
    "        'pkgutil': pkgutil.get_data('lib', 'util.py').decode(),\n"
    "        'module': lib.__name__,\n"
    "    }}\n"
    "def thing(n):\n"
    "    return lib.Thing(n)\n"
)


@pytest.fixture
def split_project(fill_store: FillStore, make_project: MakeProject) -> Path:
    """``old-user`` needs lib<2, ``new-user`` and the project need lib>=2."""

    def lib(major: int) -> dict[str, str]:
        return {k: v.format(major=major) for k, v in _LIB.items()}

    fill_store(
        ("lib", "1.0", lib(1)),
        ("lib", "2.0", lib(2)),
        ("old-user", "1.0", {"old_user/__init__.py": _USER.format()}, {"requires": ["lib<2"]}),
        ("new-user", "1.0", {"new_user/__init__.py": _USER.format()}, {"requires": ["lib>=2"]}),
    )
    return make_project("app", ["old-user", "new-user"], tool='private-copies = ["lib"]')


_BOTH = (
    "import json, importlib.metadata, sys, old_user, new_user, lib\n"
    "print(json.dumps({'old': old_user.seen(), 'new': new_user.seen(),\n"
    "    'plain': [sys.modules['lib'].__version__, importlib.metadata.version('lib')]}))\n"
)


def test_each_dependent_sees_its_own_version_every_way_it_imports(
    split_project: Path, run_hooked: RunHooked
) -> None:
    done = run_hooked(split_project, "-c", _BOTH)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    old, new = seen["old"], seen["new"]
    assert {k: v for k, v in old.items() if k != "module"} == {
        "import": "1.0", "dotted": 1, "from": 1, "lazy": 1, "import_module": 1,
        "dunder": "1.0", "metadata": "1.0", "resources": "MAJOR = 1\n", "pkgutil": "MAJOR = 1\n",
    }  # fmt: skip
    assert old["module"].startswith("_vimport_private_") and old["module"].endswith(".lib")
    assert {k: v for k, v in new.items() if k != "module"} == {
        "import": "2.0", "dotted": 2, "from": 2, "lazy": 2, "import_module": 2,
        "dunder": "2.0", "metadata": "2.0", "resources": "MAJOR = 2\n", "pkgutil": "MAJOR = 2\n",
    }  # fmt: skip
    assert new["module"] == "lib"
    assert seen["plain"] == ["2.0", "2.0"]


_THREADS = """
import sys, threading, old_user, new_user
results, barrier = {}, threading.Barrier(2)
def run(name, user):
    barrier.wait()
    for _ in range(200):
        results.setdefault(name, set()).add(user.late())
threads = [threading.Thread(target=run, args=a) for a in (("old", old_user), ("new", new_user))]
for t in threads: t.start()
for t in threads: t.join()
print(sorted(results["old"]), sorted(results["new"]))
"""


def test_two_threads_import_through_both_copies_at_once(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # A fresh import of a submodule at each call: each user drops its own copy's first.
    user = (
        "import sys, lib as own\n"
        "def late():\n"
        "    sys.modules.pop(own.__name__ + '.late', None)\n"
        "    import lib.late\n"
        "    return lib.late.MAJOR\n"
    )
    fill_store(
        ("lib", "1.0", {"lib/__init__.py": "", "lib/late.py": "MAJOR = 1\n"}),
        ("lib", "2.0", {"lib/__init__.py": "", "lib/late.py": "MAJOR = 2\n"}),
        ("old-user", "1.0", {"old_user/__init__.py": user}, {"requires": ["lib<2"]}),
        ("new-user", "1.0", {"new_user/__init__.py": user}, {"requires": ["lib>=2"]}),
    )
    project = make_project("app", ["old-user", "new-user"], tool='private-copies = ["lib"]')

    done = run_hooked(project, "-c", _THREADS)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[1]", "[2]"], done.stderr


_SPAWN = """
import multiprocessing as mp, pickle, old_user, new_user
def main():
    things = [old_user.thing(1), new_user.thing(2)]
    with mp.get_context("spawn").Pool(1) as pool:
        back = pool.apply(echo, (things,))
    print([(type(t).__module__.rpartition(".")[0] or "plain", t.n) for t in back])
def echo(things):
    return things
if __name__ == "__main__":
    main()
"""


def test_objects_of_both_copies_pickle_through_a_spawned_child(
    split_project: Path, run_hooked: RunHooked
) -> None:
    (split_project / "spawn_main.py").write_text(_SPAWN, encoding="utf-8")

    done = run_hooked(split_project, "spawn_main.py")

    assert done.returncode == 0, done.stderr
    (old_module, one), (new_module, two) = eval(done.stdout)
    assert old_module.startswith("_vimport_private_") and one == 1
    assert (new_module, two) == ("plain", 2)


def test_whatever_requires_a_copy_is_copied_with_it(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    # lib-ext extends whichever lib imports it, and both versions of lib require it: lib 1's
    # lib-ext must see lib 1, so it is copied with it.
    ext = "import lib\ndef major():\n    return lib.MAJOR\n"

    def lib(major: int) -> dict[str, str]:
        code = (
            f"MAJOR = {major}\ndef ext_major():\n    import lib_ext\n    return lib_ext.major()\n"
        )
        return {"lib/__init__.py": code}

    fill_store(
        ("lib", "1.0", lib(1), {"requires": ["lib-ext"]}),
        ("lib", "2.0", lib(2), {"requires": ["lib-ext"]}),
        ("lib-ext", "1.0", {"lib_ext/__init__.py": ext}, {"requires": ["lib"]}),
        ("old-user", "1.0", {"old_user/__init__.py": "import lib\n"}, {"requires": ["lib<2"]}),
    )
    project = make_project("app", ["old-user", "lib>=2"], tool='private-copies = ["lib"]')

    code = "import old_user, lib; print(old_user.lib.ext_major(), lib.ext_major())"
    done = run_hooked(project, "-c", code)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2"]


def test_without_the_opt_in_a_conflict_is_one_error_that_names_it(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    fill_store(
        ("lib", "1.0"),
        ("lib", "2.0"),
        ("old-user", "1.0", None, {"requires": ["lib<2"]}),
        ("new-user", "1.0", None, {"requires": ["lib>=2"]}),
    )
    project = make_project("app", ["old-user", "new-user"])

    done = run_hooked(project, "-c", "import new_user")

    assert done.returncode == 1
    assert "lib<2 (required by old-user 1.0)" in done.stderr
    assert "lib>=2 (required by new-user 1.0)" in done.stderr
    assert 'private-copies = ["lib"]' in done.stderr


def test_a_compiled_distribution_is_refused_as_a_private_copy(
    fill_store: FillStore, make_project: MakeProject, run_hooked: RunHooked
) -> None:
    compiled = {"tag": str(next(iter(sys_tags())))}  # the best tag of this interpreter
    fill_store(
        ("lib", "1.0", None, compiled),
        ("lib", "2.0", None, compiled),
        ("old-user", "1.0", None, {"requires": ["lib<2"]}),
        ("new-user", "1.0", None, {"requires": ["lib>=2"]}),
    )
    project = make_project("app", ["old-user", "new-user"], tool='private-copies = ["lib"]')

    done = run_hooked(project, "-c", "import new_user")

    assert done.returncode == 1
    assert "lib 1.0 cannot be a private copy for old-user 1.0" in done.stderr
    assert "compiled code" in done.stderr


def test_the_debug_trace_says_which_copy_answered_and_why(
    split_project: Path, run_hooked: RunHooked
) -> None:
    done = run_hooked(split_project, "-X", "vimport=debug", "-c", "import old_user, new_user")

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    private = [line for line in lines if line.startswith("vimport: lib -> private copy lib 1.0")]
    assert len(private) == 1
    assert " as _vimport_private_" in private[0]
    assert private[0].endswith("(private copy: old-user 1.0 requires lib<2; lib 2.0 keeps the "
                               "plain name (hoisted: the version most dependents accept "
                               "(new-user)))")  # fmt: skip
    assert any(line.startswith("vimport: lib -> lib 2.0 [py3-none-any]") for line in lines)
    assert any(
        line.startswith("vimport: importlib.metadata lib -> private copy lib 1.0 for a caller in")
        for line in lines
    )
