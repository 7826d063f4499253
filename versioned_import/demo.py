"""``vimport demo``: two projects, two versions of one library, one store, plain ``python``.

Everything is built here, offline: the wheels, a throwaway interpreter (``venv --without-pip``,
so the machine's own interpreter is left untouched) with the hook installed, the store and the
projects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from versioned_import import hook
from versioned_import.store import Store, remove_tree
from versioned_import.store.install import install_wheel
from versioned_import.wheelbuild import build_wheel

__all__ = ["run_demo"]

_LIBRARY = '''"""projectc {version}: a sample library."""
__version__ = "{version}"


def greet():
    return "{greeting}"
'''

_MAIN = """import projectc
print("{project}: projectc", projectc.__version__, "says", repr(projectc.greet()))
"""

_PROJECTS = {"ProjectA": "projectc==1.0.0", "ProjectB": "projectc>=2"}


def _wheels(directory: Path) -> list[Path]:
    library = "projectc/__init__.py"
    return [
        build_wheel(
            directory,
            "projectc",
            "1.0.0",
            {
                library: _LIBRARY.format(version="1.0.0", greeting="hello"),
            },
        ),
        build_wheel(
            directory,
            "projectc",
            "2.0.0",
            {
                library: _LIBRARY.format(version="2.0.0", greeting="hello, world")
                + "\nimport projectd  # 2.0 brings a dependency of its own\n",
            },
            requires=["projectd>=1"],
        ),
        build_wheel(directory, "projectd", "1.0.0", {"projectd.py": "VERSION = '1.0.0'\n"}),
    ]


def _project(directory: Path, name: str, requirement: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1"\ndependencies = ["{requirement}"]\n\n'
        "[tool.vimport]\n",
        encoding="utf-8",
    )
    (directory / "main.py").write_text(_MAIN.format(project=name), encoding="utf-8")
    return directory


def run_demo(keep: str | None = None) -> int:
    """Run the demo; returns 0 when each project saw its own version."""
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="vimport-demo-"))
    try:
        return _run(root.resolve())
    finally:
        if not keep:
            remove_tree(str(root))


def _step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _run(root: Path) -> int:
    store = Store(str(root / "store"))
    _step(f"building sample wheels and installing them into the store {store.root}")
    for wheel in _wheels(root / "wheels"):
        entry, _new = install_wheel(store, str(wheel))
        print(f"  {entry.name} {entry.version} [{entry.tag}]")
    _step("creating an interpreter (venv --without-pip) and installing the hook into it")
    interpreter = root / "python"
    if not interpreter.exists():
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(interpreter)], check=True
        )
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = str(interpreter / bindir / Path(sys.executable).name)
    # The demo's own cache, also for the install, which records the interpreter's tags there.
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")
    print(" ", hook.install(python))
    env = dict(os.environ, VIMPORT_STORE=store.root)
    env.pop("VIMPORT_PROJECT", None)
    ok = True
    for name, requirement in _PROJECTS.items():
        project = root / name
        if project.exists():
            shutil.rmtree(project)
        _project(project, name, requirement)
        _step(f"{name} wants {requirement}: python -X vimport=debug main.py")
        done = subprocess.run(
            [python, "-X", "vimport=debug", "main.py"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(done.stderr.rstrip())
        print(done.stdout.rstrip())
        expected = "1.0.0" if name == "ProjectA" else "2.0.0"
        ok = ok and done.returncode == 0 and f"projectc {expected}" in done.stdout
    _step("each project got its own version, with no virtual environment" if ok else "FAILED")
    return 0 if ok else 1
