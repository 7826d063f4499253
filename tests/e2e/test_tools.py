"""Everyday tools in a project under the hook: ``vimport run``, shims, ``python -m pytest``,
pip, multiprocessing, ``python -m venv``, compileall, and ``vimport sync`` itself.

Each runs in an interpreter that has versioned-import installed and hooked, as a user's has.
Tests that need real pytest or pip fetch it with pip (marker ``network``); the rest build their
wheels on the fly.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.compat.harness import TIMEOUT_TESTS, isolated_env, run, sync, tool_venv, write_project
from tests.conftest import vimport
from versioned_import.hook import site_dir_of
from versioned_import.wheelbuild import build_wheel

pytestmark = pytest.mark.e2e

Completed = subprocess.CompletedProcess[str]

_SYSTEM_PATH = os.pathsep.join(["/usr/bin", "/bin"])  # sh and coreutils, no pytest


@pytest.fixture(scope="module")
def tool_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tool_venv(tmp_path_factory.mktemp("tool") / "venv")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path / "store", tmp_path / "cache")


def _cli(python: Path, cwd: Path, env: dict[str, str], *args: str) -> Completed:
    """``python -m versioned_import ARGS``: the CLI run by the hooked interpreter itself."""
    return run([python, "-m", "versioned_import", *args], cwd=cwd, env=env)


def _install(env: dict[str, str], wheels: list[Path]) -> None:
    done = vimport("install", *map(str, wheels), env=env)
    assert done.returncode == 0, done.stderr


def _lib(directory: Path, version: str) -> Path:
    """``projectc`` at ``version``: a package whose ``__version__`` says which one it is."""
    return build_wheel(
        directory, "projectc", version, {"projectc/__init__.py": f"__version__ = {version!r}\n"}
    )


class Synced:
    """Projects synced from the index into one store, for the module's network tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = isolated_env(root / "store", root / "cache")

    def project(self, name: str, dependencies: list[str]) -> Path:
        directory = self.root / name
        if not (directory / "pylock.toml").exists():
            write_project(directory, dependencies)
            done = sync(directory, self.env)
            assert done.returncode == 0, done.stderr
        return directory

    def new(self) -> Path:
        return self.project("new", ["pytest==8.4.1", "pytest-timeout==2.4.0"])

    def old(self) -> Path:
        return self.project("old", ["pytest==8.3.5"])

    def bare(self) -> Path:
        self.new()  # the store must exist for a project to resolve against it
        directory = self.root / "bare"
        if not directory.exists():
            write_project(directory, [])
        return directory


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    return Synced(tmp_path_factory.mktemp("synced"))


# --- vimport run ---------------------------------------------------------------------------


@pytest.mark.network
def test_vimport_run_pytest_runs_the_projects_pytest(tool_python: Path, synced: Synced) -> None:
    new, old = synced.new(), synced.old()
    tests = new / "run_tests"  # a subdirectory: `vimport run` finds the project above it
    tests.mkdir(exist_ok=True)
    (tests / "test_timeouts.py").write_text(TIMEOUT_TESTS)

    versions = [_cli(tool_python, p, synced.env, "run", "pytest", "--version") for p in (new, old)]
    suite = _cli(tool_python, tests, synced.env, "run", "pytest", "-q", "-p", "no:cacheprovider")

    assert [(v.returncode, v.stdout + v.stderr) for v in versions] == [
        (0, "pytest 8.4.1\n"),
        (0, "pytest 8.3.5\n"),
    ]
    assert suite.returncode == 1, suite.stdout + suite.stderr
    assert "Failed: Timeout" in suite.stdout and "1 failed, 1 passed" in suite.stdout


def test_vimport_run_runs_a_script_from_the_wheels_data_scripts(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    script = "#!python\nimport sys, greeter\nprint('greeter', greeter.__version__, sys.argv[1:])\n"
    wheels = [
        build_wheel(
            tmp_path / "wheels",
            "greeter",
            version,
            {
                "greeter/__init__.py": f"__version__ = {version!r}\n",
                f"greeter-{version}.data/scripts/greet": script,
            },
        )
        for version in ("1.0", "2.0")
    ]
    _install(env, wheels)
    project = write_project(tmp_path / "app", ["greeter==1.0"])

    done = _cli(tool_python, project, env, "run", "greet", "a", "b")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "greeter 1.0 ['a', 'b']\n"


# --- IPython and Jupyter kernels -------------------------------------------------------------

_KERNEL = """
from jupyter_client.manager import start_new_kernel

manager, client = start_new_kernel()
out = []
client.execute_interactive(
    "import six, sys; print(six.__version__, sys.executable)",
    output_hook=lambda message: out.append(message["content"].get("text", "")),
    timeout=120,
)
client.stop_channels()
manager.shutdown_kernel(now=True)
print("".join(out).strip())
"""


@pytest.mark.network
def test_ipython_and_a_jupyter_kernel_started_from_a_project_see_its_versions(
    tool_python: Path, synced: Synced
) -> None:
    # jupyter_client starts the kernel as a child of sys.executable: like a venv's kernel, it
    # inherits the project.
    project = synced.project("notebook", ["ipykernel==6.29.5", "six==1.16.0"])

    kernel = run([tool_python, "-c", _KERNEL], cwd=project, env=synced.env)
    ipython = _cli(
        tool_python,
        project,
        synced.env,
        "run",
        "ipython",
        "-c",
        "import six; print(six.__version__)",
    )

    assert kernel.returncode == 0, kernel.stderr
    assert kernel.stdout.splitlines()[-1] == f"1.16.0 {tool_python}"
    assert ipython.returncode == 0, ipython.stderr
    assert ipython.stdout.strip().splitlines()[-1] == "1.16.0"


# --- shims ---------------------------------------------------------------------------------


@pytest.mark.network
def test_a_pytest_shim_runs_the_projects_pytest_and_the_next_one_elsewhere(
    tool_python: Path, synced: Synced, tmp_path: Path
) -> None:
    new, old, bare = synced.new(), synced.old(), synced.bare()
    shims = tmp_path / "shims"
    installed = _cli(tool_python, tmp_path, synced.env, "shims", "install", "--dir", str(shims))
    assert installed.returncode == 0, installed.stderr
    other = tmp_path / "other-bin"
    other.mkdir()
    (other / "pytest").write_text('#!/bin/sh\necho "pytest from PATH $*"\n')
    (other / "pytest").chmod(0o755)
    outside = tmp_path / "outside"
    outside.mkdir()

    def pytest_version(cwd: Path, *path: Path) -> Completed:
        search = os.pathsep.join([str(shims), *map(str, path), _SYSTEM_PATH])
        return run(["pytest", "--version"], cwd=cwd, env={**synced.env, "PATH": search})

    in_new, in_old = pytest_version(new, other), pytest_version(old, other)
    elsewhere = pytest_version(outside, other)
    missing = pytest_version(bare)

    assert (in_new.returncode, in_new.stdout) == (0, "pytest 8.4.1\n"), in_new.stderr
    assert (in_old.returncode, in_old.stdout) == (0, "pytest 8.3.5\n"), in_old.stderr
    assert (elsewhere.returncode, elsewhere.stdout) == (0, "pytest from PATH --version\n")
    assert missing.returncode == 1
    assert str(bare / "pyproject.toml") in missing.stderr, missing.stderr
    assert "pytest" in missing.stderr and "vimport sync" in missing.stderr


def test_a_shim_in_a_project_that_lacks_its_command_says_so(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    # Falling through to another interpreter's `greet` would run it without the project.
    script = "#!python\nprint('greet from the store')\n"
    greeter = build_wheel(
        tmp_path / "wheels", "greeter", "1.0", {"greeter-1.0.data/scripts/greet": script}
    )
    _install(env, [greeter, _lib(tmp_path / "wheels", "1.0")])
    project = write_project(tmp_path / "app", ["projectc"])
    shims = tmp_path / "shims"
    installed = _cli(tool_python, tmp_path, env, "shims", "install", "--dir", str(shims))
    assert installed.returncode == 0, installed.stderr
    other = tmp_path / "other-bin"
    other.mkdir()
    (other / "greet").write_text('#!/bin/sh\necho "greet from PATH"\n')
    (other / "greet").chmod(0o755)
    search = os.pathsep.join([str(shims), str(other), _SYSTEM_PATH])

    inside = run(["greet"], cwd=project, env={**env, "PATH": search})
    outside = run(["greet"], cwd=tmp_path, env={**env, "PATH": search})

    assert inside.returncode == 1 and inside.stdout == ""
    assert f"greet: the project of {project / 'pyproject.toml'} has no such command" in (
        inside.stderr
    )
    assert (outside.returncode, outside.stdout) == (0, "greet from PATH\n"), outside.stderr


# --- python -m pytest with a plugin ---------------------------------------------------------


@pytest.mark.network
def test_python_m_pytest_loads_a_plugin_distribution(tool_python: Path, synced: Synced) -> None:
    project = synced.new()
    tests = project / "plugin_tests"
    tests.mkdir(exist_ok=True)
    (tests / "test_timeouts.py").write_text(TIMEOUT_TESTS)
    command: list[str | Path] = [tool_python, "-I", "-m", "pytest", "-p", "no:cacheprovider"]
    command.append("--strict-markers")

    loaded = run(command, cwd=tests, env=synced.env)
    blocked = run([*command, "-p", "no:timeout"], cwd=tests, env=synced.env)

    assert "plugins: timeout-2.4.0" in loaded.stdout, loaded.stdout + loaded.stderr
    assert loaded.returncode == 1 and "1 failed, 1 passed" in loaded.stdout
    assert "Failed: Timeout" in loaded.stdout
    assert blocked.returncode != 0
    assert "'timeout' not found in `markers`" in blocked.stdout + blocked.stderr


# --- pip -----------------------------------------------------------------------------------


@pytest.fixture
def pip_project(synced: Synced) -> Path:
    return synced.project("with-pip", ["pip==25.1.1", "six==1.17.0"])


@pytest.mark.network
def test_pip_in_a_project_is_the_projects_pip_and_describes_its_distributions(
    tool_python: Path, synced: Synced, pip_project: Path
) -> None:
    # As in a venv: pip scans the directories on sys.path, where the resolved sites are, and
    # nothing of the tool's own (versioned-import, packaging, ...) is there.
    def pip(*args: str) -> Completed:
        return run([tool_python, "-I", "-m", "pip", *args], cwd=pip_project, env=synced.env)

    version, listed = pip("--version"), pip("list", "--format=json")
    shown, checked, frozen = pip("show", "six"), pip("check"), pip("freeze")

    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("pip 25.1.1 from ")
    assert version.stdout.split(" from ")[1].startswith(synced.env["VIMPORT_STORE"])
    assert listed.returncode == 0, listed.stderr
    assert sorted((p["name"], p["version"]) for p in json.loads(listed.stdout)) == [
        ("pip", "25.1.1"),
        ("six", "1.17.0"),
    ]
    assert shown.returncode == 0 and "Version: 1.17.0" in shown.stdout, shown.stderr
    assert (checked.returncode, checked.stdout) == (0, "No broken requirements found.\n")
    assert frozen.stdout == "six==1.17.0\n", frozen.stderr


@pytest.mark.network
def test_pip_install_in_a_project_installs_into_the_interpreter_not_the_project(
    synced: Synced, pip_project: Path, tmp_path: Path
) -> None:
    # Another difference from a venv: the target is the interpreter's own site-packages,
    # which the project does not see; `vimport add` is the way to add a dependency.
    python = tool_venv(tmp_path / "tool")
    site = Path(site_dir_of(str(python)))

    def in_project(*args: str) -> Completed:
        return run([python, "-I", *args], cwd=pip_project, env=synced.env)

    installed = in_project("-m", "pip", "install", "--no-deps", "six==1.16.0")
    imported = in_project("-c", "import six; print(six.__version__)")

    assert installed.returncode == 0, installed.stderr
    assert (site / "six.py").exists()
    assert imported.stdout == "1.17.0\n", imported.stderr


def test_python_m_pip_in_a_project_without_pip_is_not_found(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    # The interpreter's base site-packages has pip; the project, like a venv without pip, not.
    _install(env, [_lib(tmp_path / "wheels", "1.0")])
    project = write_project(tmp_path / "app", ["projectc==1.0"])
    outside = tmp_path / "outside"
    outside.mkdir()

    inside = run([tool_python, "-I", "-m", "pip", "--version"], cwd=project, env=env)
    elsewhere = run([tool_python, "-I", "-m", "pip", "--version"], cwd=outside, env=env)

    assert inside.returncode == 1
    assert inside.stderr.strip() == f"{tool_python}: No module named pip"
    assert elsewhere.returncode == 0, elsewhere.stderr


# --- multiprocessing -----------------------------------------------------------------------

_WORKERS = """
import concurrent.futures
import importlib.metadata
import multiprocessing
import sys


def versions(_):
    import projectc
    return projectc.__version__, importlib.metadata.version("projectc"), projectc.__file__


if __name__ == "__main__":
    seen = {}
    for method in ("spawn", "forkserver"):
        with multiprocessing.get_context(method).Pool(1) as pool:
            seen[method] = pool.map(versions, [0])[0]
    with concurrent.futures.ProcessPoolExecutor(1) as executor:
        seen["executor"] = executor.submit(versions, 0).result()
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as executor:
        seen["executor-forkserver"] = executor.submit(versions, 0).result()
    print(__import__("json").dumps(seen))
"""


def test_multiprocessing_workers_see_the_projects_versions(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    _install(env, [_lib(tmp_path / "wheels", v) for v in ("1.0", "2.0")])
    project = write_project(tmp_path / "app", ["projectc==1.0"])
    (project / "main.py").write_text(_WORKERS)

    done = run([tool_python, "-I", "main.py"], cwd=project, env=env)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert sorted(seen) == ["executor", "executor-forkserver", "forkserver", "spawn"]
    for method, (version, metadata_version, origin) in seen.items():
        assert (method, version, metadata_version) == (method, "1.0", "1.0")
        assert origin.startswith(env["VIMPORT_STORE"]) and "/1.0/" in origin


# --- python -m venv ------------------------------------------------------------------------

_WHERE = "import sys; print(sys.prefix); import projectc"


def test_a_venv_made_in_a_project_is_a_plain_venv(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    # What a user expects: the new venv is its own environment, as one made anywhere else. It
    # has no hook (that belongs to the interpreter it was installed into), so neither in the
    # project directory nor as a child of a hooked process does it see the project's versions;
    # its pip installs into it.
    _install(env, [_lib(tmp_path / "wheels", "1.0")])
    project = write_project(tmp_path / "app", ["projectc==1.0"])

    made = run([tool_python, "-I", "-m", "venv", ".venv"], cwd=project, env=env)
    venv_python = project / ".venv" / "bin" / "python"
    direct = run([venv_python, "-c", _WHERE], cwd=project, env=env)
    from_hooked = run(
        [tool_python, "-I", "-c", f"import subprocess; subprocess.run([{str(venv_python)!r}, "
         f"'-c', {_WHERE!r}])"],
        cwd=project,
        env=env,
    )  # fmt: skip
    pip = run([venv_python, "-m", "pip", "--version"], cwd=project, env=env)
    hooked = run([tool_python, "-I", "-c", "import projectc; print(projectc.__version__)"],
                 cwd=project, env=env)  # fmt: skip

    assert made.returncode == 0, made.stderr
    for done in (direct, from_hooked):
        assert done.stdout == f"{project / '.venv'}\n"
        assert done.stderr.strip().endswith("ModuleNotFoundError: No module named 'projectc'")
        assert "versioned-import" not in done.stderr
    assert pip.returncode == 0 and str(project / ".venv") in pip.stdout, pip.stderr
    assert hooked.stdout == "1.0\n", hooked.stderr


# --- compileall / py_compile ---------------------------------------------------------------


def test_compileall_and_py_compile_on_the_projects_own_code(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    _install(env, [_lib(tmp_path / "wheels", "1.0")])
    project = write_project(tmp_path / "app", ["projectc==1.0"])
    package = project / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("import projectc\nVERSION = projectc.__version__\n")
    (project / "tool.py").write_text("print('tool')\n")
    entries = Path(env["VIMPORT_STORE"]) / "entries"
    entries_before = sorted(entries.rglob("*"))

    compiled = run([tool_python, "-I", "-m", "compileall", "-q", "-j", "0", "src"], project, env)
    single = run([tool_python, "-I", "-m", "py_compile", "tool.py"], cwd=project, env=env)
    imported = run(
        [tool_python, "-I", "-c",
         "import os, app.mod; print(app.mod.VERSION, os.path.exists(app.mod.__cached__))"],
        cwd=project,
        env=env,
    )  # fmt: skip

    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert sorted(p.name.split(".")[0] for p in (package / "__pycache__").iterdir()) == [
        "__init__",
        "mod",
    ]
    assert single.returncode == 0, single.stderr
    assert len(list((project / "__pycache__").glob("tool.*.pyc"))) == 1
    assert imported.stdout == "1.0 True\n", imported.stderr
    assert sorted(entries.rglob("*")) == entries_before  # nothing compiled into the store


# --- vimport sync under the hooked interpreter ---------------------------------------------


@pytest.mark.network
def test_vimport_sync_run_in_the_project_by_the_hooked_interpreter(
    tool_python: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    # The README's own steps: `vimport hook install`, `cd myproject`, `vimport sync`.
    project = write_project(tmp_path / "app", ["six==1.17.0"])

    synced = _cli(tool_python, project, env, "sync")
    imported = run([tool_python, "-I", "-c", "import six; print(six.__version__)"], project, env)

    assert synced.returncode == 0, synced.stderr
    assert imported.stdout == "1.17.0\n", imported.stderr
