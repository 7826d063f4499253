"""Real distributions from the package index, installed into a store and used through the hook.

One of each kind that breaks naive multi-version schemes: C extensions, a distribution whose
name is not its import name, a namespace split over distributions, a ``.pth`` file, data files,
two top-level names without ``top_level.txt``, a single-module distribution, entry points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.conftest import MakeProject, RunHooked, vimport

pytestmark = [pytest.mark.e2e, pytest.mark.network]

PINS = {
    "MarkupSafe": "3.0.2",
    "PyYAML": "6.0.2",
    "msgpack": "1.1.0",
    "jaraco.functools": "4.1.0",
    "jaraco.context": "6.0.1",
    "backports.tarfile": "1.2.0",
    "more-itertools": "10.5.0",
    "setuptools": "75.3.0",
    "certifi": "2024.8.30",
    "six": "1.16.0",
    "attrs": "24.2.0",
}

EXERCISE = r"""
import importlib.metadata as md, importlib.resources, json, sys
import attr, attrs, certifi, distutils, markupsafe, msgpack, six, yaml
import jaraco.context, jaraco.functools, more_itertools
from markupsafe import _speedups
from msgpack import _cmsgpack

@attrs.define
class Point:
    x: int

pins = json.loads(sys.argv[1])
print(json.dumps({
    "escape": str(markupsafe.escape("<a>")),
    "speedups": _speedups.__file__,
    "yaml": yaml.load("a: [1, 2]", Loader=yaml.CSafeLoader),
    "msgpack": msgpack.unpackb(msgpack.packb([1, "x"])),
    "cmsgpack": _cmsgpack.__file__,
    "jaraco": sorted(jaraco.__path__),
    "compose": jaraco.functools.compose(str, abs)(-1),
    "chunked": list(more_itertools.chunked([1, 2, 3], 2)),
    "distutils_hack": "_distutils_hack" in sys.modules,
    "distutils": distutils.__file__,
    "cacert": certifi.where(),
    "pem": "BEGIN CERTIFICATE" in (importlib.resources.files("certifi") / "cacert.pem").read_text(),
    "six": six.PY3,
    "attrs": repr(Point(1)) + attr.__name__,
    "versions": {name: md.version(name) for name in pins},
    "yaml_dist": md.packages_distributions()["yaml"],
    "build_py": md.entry_points(group="distutils.commands", name="build_py")[0].load().__name__,
}))
"""


def _cache() -> Path:
    configured = os.environ.get("VIMPORT_TEST_WHEELS")
    return Path(configured or platformdirs.user_cache_dir("versioned-import-tests")) / "wheels"


@pytest.fixture(scope="session")
def real_wheels() -> list[Path]:
    """The pinned wheels for this interpreter, fetched with pip once and kept in a cache."""
    cache = _cache()
    cache.mkdir(parents=True, exist_ok=True)

    def cached() -> dict[str, Path]:
        found: dict[str, Path] = {}
        for wheel in cache.glob("*.whl"):
            name, version, _, _ = parse_wheel_filename(wheel.name)
            if PINS.get(_display(name)) == str(version) and _fits(wheel):
                found[canonicalize_name(name)] = wheel
        return found

    missing = [f"{n}=={v}" for n, v in PINS.items() if canonicalize_name(n) not in cached()]
    if missing:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
             "--no-deps", "--dest", str(cache), *missing],
            check=True,
        )  # fmt: skip
    found = cached()
    assert sorted(found) == sorted(canonicalize_name(n) for n in PINS)
    return list(found.values())


def _display(name: str) -> str:
    return next(n for n in PINS if canonicalize_name(n) == canonicalize_name(name))


def _fits(wheel: Path) -> bool:
    from packaging.tags import sys_tags

    tags = set(sys_tags())
    return any(tag in tags for tag in parse_wheel_filename(wheel.name)[3])


def test_real_distributions_work_through_the_hook(
    real_wheels: list[Path],
    make_project: MakeProject,
    run_hooked: RunHooked,
    hook_env: dict[str, str],
) -> None:
    installed = vimport("install", *map(str, real_wheels), env=hook_env)
    assert installed.returncode == 0, installed.stderr
    project = make_project("real", [f"{n}=={v}" for n, v in PINS.items()])

    done = run_hooked(project, "-c", EXERCISE, json.dumps(PINS))

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    store = hook_env["VIMPORT_STORE"]
    assert seen["escape"] == "&lt;a&gt;"
    assert seen["speedups"].startswith(store) and ".so" in seen["speedups"]
    assert seen["yaml"] == {"a": [1, 2]}
    assert seen["msgpack"] == [1, "x"]
    assert seen["cmsgpack"].startswith(store)
    # The namespace spans both distributions, and setuptools' _vendor/jaraco that it appends.
    assert {p.split(os.sep)[-5] for p in seen["jaraco"]} >= {"jaraco-functools", "jaraco-context"}
    assert all(p.startswith(store) for p in seen["jaraco"])
    assert seen["compose"] == "1"
    assert seen["chunked"] == [[1, 2], [3]]
    # setuptools' distutils-precedence.pth ran from the store and redirected distutils.
    assert seen["distutils_hack"] is True
    assert "setuptools" in seen["distutils"] and seen["distutils"].startswith(store)
    assert seen["cacert"].startswith(store) and seen["pem"] is True
    assert seen["six"] is True
    assert seen["attrs"] == "Point(x=1)attr"
    assert seen["versions"] == PINS
    assert seen["yaml_dist"] == ["PyYAML"]
    assert seen["build_py"] == "build_py"
