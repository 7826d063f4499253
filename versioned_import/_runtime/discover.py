"""Which project, if any, this process belongs to.

``vimport hook install`` copies this module's source into the installed sitecustomize, so that a
process outside any project imports nothing at all: it may use only ``os`` and ``sys``, and no
``from __future__`` import.

A main script with PEP 723 inline metadata is its own project. Otherwise the main script's
directory decides; for ``-c``, ``-m``, stdin and the REPL the current directory does. The first
``pyproject.toml`` found walking up ends the search: with a ``[tool.vimport]`` table it names the
project, without one the process is left alone, unless a uv workspace root with the table lies
above it (a member of the workspace).
"""

import os
import sys

__all__ = [
    "find_project",
    "inline_script",
    "is_tool_process",
    "project_for_process",
    "start_directory",
    "stranded_project",
]

_WORKSPACE = b"\n[tool.uv.workspace]"


def start_directory() -> str:
    """Where the search for this process's project begins."""
    main = sys.argv[0] if sys.argv else ""
    if main in ("", "-", "-c", "-m"):
        return os.getcwd()
    path = os.path.realpath(main)
    return path if os.path.isdir(path) else os.path.dirname(path)


def is_tool_process() -> bool:
    """True for ``vimport`` itself, which must see its own dependencies, not a project's."""
    if not sys.argv:
        return False
    if sys.argv[0] == "-m":
        arg = sys.orig_argv[len(sys.orig_argv) - len(sys.argv)]
        module = arg[arg.index("m") + 1 :] if arg.startswith("-") else arg
        return module.partition(".")[0] == "versioned_import"
    return os.path.basename(sys.argv[0]) in ("vimport", "vimport.exe")


def find_project(start: str) -> str | None:
    """The directory of the project that ``start`` lies in, or None.

    A ``pyproject.toml`` without the table may be a member of a uv workspace: as uv does, the
    walk goes on up to a workspace root (``[tool.uv.workspace]``), which is the project when it
    has the table."""
    directory = _nearest_manifest(os.path.abspath(start))
    if directory is None:
        return None
    if _opts_in(_manifest_text(directory)):
        return directory
    while True:
        parent = os.path.dirname(directory)
        directory = _nearest_manifest(parent) if parent != directory else None
        if directory is None:
            return None
        text = _manifest_text(directory)
        if _WORKSPACE in text:
            return directory if _opts_in(text) else None


def _opts_in(text: bytes) -> bool:
    """Whether a manifest's text (``_manifest_text``) has a ``[tool.vimport]`` table."""
    return b"\n[tool.vimport]" in text or b"\n[tool.vimport." in text


def _nearest_manifest(directory: str) -> str | None:
    """``directory`` (absolute) or the nearest directory above it that holds a
    ``pyproject.toml``. Outside a project every start walks up to the root, so a level is one
    ``os.access`` (which raises nothing: a caught FileNotFoundError was half of the walk) and a
    slice, not ``os.path``'s Python code (~13 K instructions a level, valgrind)."""
    if not directory.endswith(os.sep):  # as a root does (/, C:\\)
        directory += os.sep
    while not os.access(f"{directory}pyproject.toml", os.F_OK):
        directory = directory[: directory.rstrip(os.sep).rfind(os.sep) + 1]
        if not directory:  # above the root
            return None
    return os.path.dirname(f"{directory}pyproject.toml")


def _manifest_text(directory: str) -> bytes:
    """The ``pyproject.toml`` of ``directory`` without blanks, for the markers to be looked up
    in: a cheap pre-filter, as the real parse happens when the plan is computed, and a false
    positive (the table name in a string or comment) is then remembered as inactive."""
    try:
        with open(os.path.join(directory, "pyproject.toml"), "rb") as f:
            text = f.read()
    except OSError:
        return b""
    return b"\n" + text.replace(b" ", b"").replace(b"\t", b"")


def project_for_process() -> str | None:
    """``VIMPORT_PROJECT`` if set, else the project found from the start directory."""
    if is_tool_process():
        return None
    forced = os.environ.get("VIMPORT_PROJECT")
    if forced:
        if os.path.isfile(forced):
            return forced
        return find_project(forced) or os.path.abspath(forced)
    return inline_script() or find_project(start_directory())


def inline_script() -> str | None:
    """The main script, when it carries PEP 723 metadata: it is its own project, wherever it is."""
    main = sys.argv[0] if sys.argv else ""
    if main in ("", "-", "-c", "-m"):
        return None
    path = os.path.realpath(main)
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError:
        return None
    return path if b"\n# /// script" in b"\n" + text else None


def stranded_project() -> str | None:
    """The working directory's project, when this process's main script lies outside it (and
    outside any project): a tool's helper started from a project, as mypy's ``pyinfo.py`` or
    jedi's subprocess, runs without the project, and the hook says so rather than hand it the
    base site-packages in silence. The interpreter's own commands (``bin/pip``) are not asked
    about: they belong to the interpreter, not to a project."""
    main = sys.argv[0] if sys.argv else ""
    if main in ("", "-", "-c", "-m") or is_tool_process():
        return None
    if os.path.dirname(os.path.abspath(main)) == os.path.dirname(sys.executable):
        return None
    return find_project(os.getcwd())
