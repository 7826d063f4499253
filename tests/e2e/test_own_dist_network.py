"""The project's own distribution with real build backends fetched from the index (hatchling,
setuptools), in the flat and src layouts, compared with what ``pip install -e .`` gives.

Each project is synced with ``vimport sync`` into one store the module shares, then run by an
interpreter with versioned-import installed and hooked, as a user's is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compat.harness import isolated_env, run, sync, tool_venv

pytestmark = [pytest.mark.e2e, pytest.mark.network]

Completed = subprocess.CompletedProcess[str]

HATCH_SRC = {
    "pyproject.toml": """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "myproject"
dynamic = ["version"]
dependencies = ["pytest==8.4.1", "setuptools<81"]

[project.scripts]
greet = "myproject.cli:main"

[project.entry-points.pytest11]
myproject = "myproject.plugin"

[tool.hatch.version]
path = "src/myproject/__about__.py"

[tool.vimport]
""",
    "src/myproject/__about__.py": '__version__ = "0.3.1"\n',
    "src/myproject/__init__.py": (
        "import importlib.metadata\n\n__version__ = importlib.metadata.version('myproject')\n"
    ),
    "src/myproject/cli.py": (
        "import sys\n\nimport myproject\n\n\ndef main():\n"
        "    print('hello', myproject.__version__, sys.argv[1:])\n    return 0\n"
    ),
    "src/myproject/plugin.py": (
        "import pytest\n\n\n@pytest.fixture\ndef greeting():\n    return 'from the plugin'\n"
    ),
    "tests/test_plugin.py": (
        "def test_the_plugin_gives_its_fixture(greeting):\n"
        "    assert greeting == 'from the plugin'\n"
    ),
}

SETUPTOOLS_FLAT = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "myproject"
dynamic = ["version"]
dependencies = ["six==1.16.0"]

[project.scripts]
greet = "myproject.cli:main"

[tool.setuptools]
packages = ["myproject"]

[tool.setuptools.dynamic]
version = {attr = "myproject.__version__"}

[tool.vimport]
""",
    "myproject/__init__.py": '__version__ = "0.3.1"\n',
    "myproject/cli.py": (
        "import importlib.metadata\nimport sys\n\n\ndef main():\n"
        "    print('hello', importlib.metadata.version('myproject'), sys.argv[1:])\n"
        "    return 0\n"
    ),
}

# What a process sees of the distribution "myproject": as JSON, for comparison with pip's.
_METADATA = """
import importlib.metadata as md, json
d = md.distribution("myproject")
print(json.dumps({
    "version": d.version,
    "requires": sorted(d.requires or []),
    "entry_points": sorted([e.group, e.name, e.value] for e in d.entry_points),
    "direct_url": json.loads(d.read_text("direct_url.json") or "null"),
}))
"""


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tool_venv(tmp_path_factory.mktemp("tool") / "venv")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("own-network")
    return isolated_env(root / "store", root / "cache")


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _synced(directory: Path, files: dict[str, str], env: dict[str, str]) -> Path:
    _write(directory, files)
    done = sync(directory, env)
    assert done.returncode == 0, done.stderr
    return directory


def _python(python: Path, project: Path, env: dict[str, str], *args: str) -> Completed:
    return run([python, *args], cwd=project, env=env)


def _version(python: Path, project: Path, env: dict[str, str]) -> str:
    done = _python(python, project, env, "-c", "import myproject; print(myproject.__version__)")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _pip_editable(project: Path, directory: Path) -> dict[str, object]:
    """What ``pip install -e .`` (without dependencies) makes the process see."""
    subprocess.run([sys.executable, "-m", "venv", directory], check=True, capture_output=True)
    venv = directory / "bin" / "python"
    done = run(
        [venv, "-m", "pip", "install", "-q", "--no-deps", "-e", project], project, os.environ
    )
    assert done.returncode == 0, done.stderr
    shown = run([venv, "-c", _METADATA], cwd=directory, env=os.environ)
    assert shown.returncode == 0, shown.stderr
    seen: dict[str, object] = json.loads(shown.stdout)
    return seen


def test_hatch_src_layout_dynamic_version_script_and_pytest_plugin(
    python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    project = _synced(tmp_path / "hatch-src", HATCH_SRC, env)

    version = _version(python, project, env)
    legacy = _python(
        python,
        project,
        env,
        "-W",
        "ignore::UserWarning",
        "-c",
        "import pkg_resources; print(pkg_resources.get_distribution('myproject').version)",
    )
    greet = _python(python, project, env, "-m", "versioned_import", "run", "greet", "x")
    tests = _python(python, project, env, "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert version == "0.3.1"
    assert (legacy.returncode, legacy.stdout) == (0, "0.3.1\n"), legacy.stderr
    assert (greet.returncode, greet.stdout) == (0, "hello 0.3.1 ['x']\n"), greet.stderr
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout


def test_hatch_edits_show_and_a_version_bump_shows_at_the_next_start(
    python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    project = _synced(tmp_path / "hatch-src", HATCH_SRC, env)
    assert _version(python, project, env) == "0.3.1"

    cli = project / "src" / "myproject" / "cli.py"
    cli.write_text(cli.read_text().replace("'hello'", "'edited'"))
    greet = _python(python, project, env, "-m", "versioned_import", "run", "greet")
    (project / "src" / "myproject" / "__about__.py").write_text('__version__ = "0.3.2"\n')
    bumped = _python(python, project, env, "-c", "import myproject; print(myproject.__version__)")
    again = _python(python, project, env, "-c", "import myproject; print(myproject.__version__)")

    assert (greet.stdout, greet.stderr) == ("edited 0.3.1 []\n", "")
    assert bumped.stdout == again.stdout == "0.3.2\n"
    assert bumped.stderr.startswith("vimport: built the metadata of myproject 0.3.2 with hatchling")
    assert again.stderr == ""


def test_setuptools_flat_layout_dynamic_version(
    python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    project = _synced(tmp_path / "setuptools-flat", SETUPTOOLS_FLAT, env)

    version = _python(
        python, project, env, "-c", "import importlib.metadata as m; print(m.version('myproject'))"
    )
    greet = _python(python, project, env, "-m", "versioned_import", "run", "greet")
    (project / "myproject" / "__init__.py").write_text('__version__ = "0.4.0"\n')
    bumped = _python(python, project, env, "-m", "versioned_import", "run", "greet")

    assert version.stdout == "0.3.1\n", version.stderr
    assert (greet.returncode, greet.stdout) == (0, "hello 0.3.1 []\n"), greet.stderr
    assert bumped.stdout == "hello 0.4.0 []\n", bumped.stderr
    assert bumped.stderr.startswith("vimport: built the metadata of myproject 0.4.0 with setup")


@pytest.mark.parametrize(("files", "name"), [(HATCH_SRC, "hatch"), (SETUPTOOLS_FLAT, "setuptools")])
def test_what_is_seen_is_what_pip_install_editable_gives(
    python: Path, env: dict[str, str], tmp_path: Path, files: dict[str, str], name: str
) -> None:
    ours = _synced(tmp_path / name / "ours", files, env)
    theirs = _write(tmp_path / name / "theirs", files)

    shown = _python(python, ours, env, "-c", _METADATA)
    assert shown.returncode == 0, shown.stderr
    seen = json.loads(shown.stdout)
    pip = _pip_editable(theirs, tmp_path / name / "pip-venv")

    assert seen["direct_url"] == {"url": ours.as_uri(), "dir_info": {"editable": True}}
    pip["direct_url"] = seen["direct_url"]
    assert seen == pip
