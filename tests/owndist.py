"""Projects that are distributions themselves, built by a small in-tree PEP 517 backend
(``backend-path``), so tests of the own distribution run offline. The backend is a real one as
far as the hooks go: it reads its version from ``VERSION`` (a dynamic version), writes its
metadata and editable wheels, and logs each hook it runs to ``$DEMO_BACKEND_LOG``.

``backend_wheel`` packs the same backend as a wheel named ``demo-backend``, for a project that
requires it (``in_tree=False``) as most projects require theirs: pip installs it from a local
directory.

The real backends, hatchling and setuptools, are exercised by the network tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from versioned_import.wheelbuild import build_wheel

__all__ = [
    "ALL_HOOKS",
    "backend_calls",
    "backend_wheel",
    "watch_version_file",
    "write_backend_project",
]

ALL_HOOKS = (
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
    "build_editable",
)

_COMMON = """
import os
import zipfile

NAME = "demo"


def _log(hook):
    with open(os.environ["DEMO_BACKEND_LOG"], "a") as f:
        f.write(hook + "\\n")


def _files(entry_points):
    with open("VERSION") as f:
        version = f.read().strip()
    if version == "fail":
        raise RuntimeError("VERSION says fail, so this backend fails")
    dist_info = f"{NAME}-{version}.dist-info"
    files = {"METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {version}\\n"}
    if entry_points:
        files["entry_points.txt"] = (
            "[console_scripts]\\ngreet = demo.cli:main\\n\\n"
            "[demo.plugins]\\nhello = demo.plugin:hello\\n"
        )
    return dist_info, files


def _metadata(hook, directory):
    _log(hook)
    dist_info, files = _files(entry_points=PREPARED_ENTRY_POINTS)
    os.makedirs(os.path.join(directory, dist_info))
    for name, text in files.items():
        with open(os.path.join(directory, dist_info, name), "w") as f:
            f.write(text)
    return dist_info
"""

_HOOKS = {
    "prepare_metadata_for_build_editable": """
def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _metadata("prepare_metadata_for_build_editable", metadata_directory)
""",
    "prepare_metadata_for_build_wheel": """
def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _metadata("prepare_metadata_for_build_wheel", metadata_directory)
""",
    "build_editable": """
def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _log("build_editable")
    dist_info, files = _files(entry_points=True)
    files["WHEEL"] = "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    files["RECORD"] = ""
    version = dist_info[len(NAME) + 1 : -len(".dist-info")]
    wheel = f"{NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as archive:
        archive.writestr("_demo_editable.pth", os.getcwd() + "\\n")
        for name, text in files.items():
            archive.writestr(f"{dist_info}/{name}", text)
    return wheel
""",
}

_PACKAGE = {
    "__init__.py": "",
    "cli.py": "import sys\n\ndef main():\n    print('hello', sys.argv[1:])\n    return 0\n",
    "plugin.py": "def hello():\n    return 'plugin says hello'\n",
}


def _backend_source(hooks: Sequence[str], prepared_entry_points: bool) -> str:
    source = _COMMON.replace("PREPARED_ENTRY_POINTS", repr(prepared_entry_points))
    return source + "".join(_HOOKS[hook] for hook in hooks)


def backend_wheel(directory: Path) -> Path:
    """The backend with every hook, as the wheel ``demo-backend 1.0`` in ``directory``."""
    source = _backend_source(ALL_HOOKS, prepared_entry_points=True)
    return build_wheel(directory, "demo-backend", "1.0", {"demo_backend.py": source})


def write_backend_project(
    directory: Path,
    version: str = "0.3.1",
    hooks: Sequence[str] = ALL_HOOKS,
    prepared_entry_points: bool = True,
    dependencies: Sequence[str] = (),
    in_tree: bool = True,
) -> Path:
    """A project named ``demo`` (package ``demo`` in ``src/``) with an in-tree backend that has
    ``hooks``; ``prepared_entry_points`` false makes its prepared metadata METADATA alone, as
    hatchling's is. ``in_tree`` false requires ``demo-backend`` (``backend_wheel``) instead."""
    directory.mkdir(parents=True, exist_ok=True)
    if in_tree:
        (directory / "_backend").mkdir(exist_ok=True)
        source = _backend_source(hooks, prepared_entry_points)
        (directory / "_backend" / "demo_backend.py").write_text(source, encoding="utf-8")
    (directory / "VERSION").write_text(version + "\n", encoding="utf-8")
    package = directory / "src" / "demo"
    package.mkdir(parents=True, exist_ok=True)
    for name, text in _PACKAGE.items():
        (package / name).write_text(text, encoding="utf-8")
    deps = ", ".join(f'"{d}"' for d in dependencies)
    build = 'requires = []\nbuild-backend = "demo_backend"\nbackend-path = ["_backend"]\n'
    if not in_tree:
        build = 'requires = ["demo-backend"]\nbuild-backend = "demo_backend"\n'
    (directory / "pyproject.toml").write_text(
        f"[build-system]\n{build}\n"
        f'[project]\nname = "demo"\ndynamic = ["version"]\ndependencies = [{deps}]\n\n'
        "[tool.vimport]\n",
        encoding="utf-8",
    )
    return directory


def backend_calls(log: Path) -> list[str]:
    """The hooks the backend ran, in order."""
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def watch_version_file(directory: Path) -> None:
    """Name ``VERSION`` as the version's source in ``pyproject.toml``, as setuptools'
    ``version = {file = ...}`` does, so that a change to it is seen."""
    manifest = directory / "pyproject.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text + '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n', encoding="utf-8"
    )
