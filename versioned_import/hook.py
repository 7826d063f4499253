"""Install the sitecustomize hook into an interpreter, prove it runs, and remove it again
(what it writes is built by ``bundle``).

Two ways in, chosen per interpreter: ``sitecustomize.py`` in its site directory (an existing one
is renamed and chained), or, when another ``sitecustomize`` earlier on ``sys.path`` would shadow
that (distributions ship their own), a ``.pth`` file that imports the same code under another
name.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from versioned_import._runtime.activate import PTH_MODULE, RUNTIME_MODULE, START_FUNCTION
from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import.bundle import (
    MARKER,
    SITECUSTOMIZE,
    lazy_dir,
    lazy_file,
    lazy_sources,
    runtime_source,
    sitecustomize_source,
)
from versioned_import.errors import HookError

__all__ = [
    "HookStatus",
    "install",
    "is_active_here",
    "site_dir_of",
    "status",
    "tool_paths",
    "uninstall",
]

CHAINED = "_vimport_chained_sitecustomize"
# .pth files run in name order; sorting last lets the hook see the paths the others add.
PTH_FILE = "zzzz-versioned-import-hook.pth"
_TOOL_DEPENDENCIES = (
    "packaging",
    "installer",
    "platformdirs",
    "pyproject_hooks",
)


@dataclass(frozen=True)
class HookStatus:
    python: str
    active: bool
    hook_file: str | None
    detail: str


def _probe(python: str, code: str, *flags: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIMPORT_", "PYTHON"))}
    try:
        done = subprocess.run(
            [os.path.abspath(python), *flags, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=os.sep,
            check=True,
        )
    except OSError as exc:
        raise HookError(f"{python}: cannot run this interpreter ({exc})") from exc
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit code {exc.returncode}"]
        raise HookError(f"{python}: {last[0]}") from exc
    return done.stdout.strip()


def site_dir_of(python: str) -> str:
    """The ``purelib`` site directory of the interpreter ``python``."""
    return _probe(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])")


def tool_paths() -> list[str]:
    """Directories the hook needs: the one holding ``versioned_import`` first, then its deps'."""
    import importlib

    names = ["versioned_import", *_TOOL_DEPENDENCIES]
    if sys.version_info < (3, 11):
        names.append("tomli")
    found: list[str] = []
    for name in names:
        module = importlib.import_module(name)
        directory = str(Path(module.__file__ or "").resolve().parent.parent)
        if directory not in found:
            found.append(directory)
    return found


def _is_ours(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8").startswith(MARKER)
    except OSError:
        return False


def _shadowing_sitecustomize(python: str, site_dir: Path) -> str | None:
    origin = _probe(
        python,
        "import importlib.util as u; s = u.find_spec('sitecustomize'); "
        "print(s.origin if s and s.origin else '')",
    )
    if origin and Path(origin).resolve().parent != site_dir.resolve():
        return origin
    return None


def _write(path: Path, text: str) -> None:
    make_dirs(str(path.parent))
    write_atomic(str(path), text.encode("utf-8"))
    if path.suffix == ".py":
        # Made here, 0755 at most: the next interpreter started (a probe) may compile what it
        # imports from this directory, and would create __pycache__ by the umask (0777 under
        # umask 000, so anyone could swap the bytecode every interpreter start runs).
        make_dirs(str(path.parent / "__pycache__"))


_COMPILE = """
import importlib.util, os, py_compile
for path, optimize in {paths!r}:
    compiled = importlib.util.cache_from_source(path)
    py_compile.compile(path, cfile=compiled, doraise=True, optimize=optimize)
    os.chmod(compiled, 0o644)
"""


def _compile_in(python: str, ours: list[Path], chained: Path | None = None) -> None:
    """Compile the hook's files (``ours``) and a ``chained`` sitecustomize with ``python``
    itself, so start-up never compiles them, even with PYTHONDONTWRITEBYTECODE set: the tool's
    own interpreter may be another version, whose bytecode ``python`` would ignore. Each file is
    made 0644, whatever the umask. The probe runs without site (``-S``), so it imports nothing
    of the hook's, and writes no other bytecode.

    The hook's files are compiled without their docstrings (``optimize=2``, written where a
    plain start reads): unmarshalling those cost every start in a project ~0.05 M instructions
    (valgrind). That also drops ``assert`` statements, which they have none of
    (``tests/test_bundle.py``). The chained sitecustomize, the user's code, stays as it is."""
    paths = [(str(p), 2) for p in ours] + ([(str(chained), -1)] if chained else [])
    _probe(python, _COMPILE.format(paths=paths), "-S", "-B")


def install(python: str, site_dir: str | None = None) -> str:
    """Install the hook for ``python``; returns a sentence saying how."""
    site = Path(site_dir or site_dir_of(python))
    if not site.is_dir():
        raise HookError(f"{site}: no such site directory; pass an existing one with --site-dir")
    paths = tool_paths()
    _check_tool_runs(python, paths)
    uninstall(str(site))
    _precompile(paths[0])
    modules = {f"{RUNTIME_MODULE}.py": runtime_source()}
    modules.update({lazy_file(RUNTIME_MODULE, m): text for m, text in lazy_sources().items()})
    for name, text in modules.items():
        _write(site / name, text)
    compiled = [site / name for name in modules]
    shadow = _shadowing_sitecustomize(python, site)
    if shadow:
        _write(site / f"{PTH_MODULE}.py", sitecustomize_source(paths, ""))
        _write(site / PTH_FILE, f"import {PTH_MODULE}\n")
        _compile_in(python, [*compiled, site / f"{PTH_MODULE}.py"])
        return f"installed {site / PTH_FILE} (a .pth file: {shadow} shadows sitecustomize)"
    existing = site / SITECUSTOMIZE
    chained = ""
    if existing.exists():
        existing.rename(site / f"{CHAINED}.py")
        chained = CHAINED
    _write(existing, sitecustomize_source(paths, chained))
    # The chained one is imported at every start after the hook.
    _compile_in(python, [*compiled, existing], site / f"{CHAINED}.py" if chained else None)
    return f"installed {existing}" + (
        f" (chaining the previous one as {chained})" if chained else ""
    )


def _check_tool_runs(python: str, paths: list[str]) -> None:
    """Refuse a hook whose plans could never be computed: the tool's dependencies must import
    in ``python`` from ``paths`` (another Python version may need others, e.g. tomli). The
    probe also records the interpreter's tags, so that even its first pinned project is planned
    in-process."""
    try:
        _probe(
            python,
            f"import sys; sys.path[:0] = {paths!r}; import versioned_import.resolve, "
            "versioned_import.store.install; __import__('tomllib' if sys.version_info >= (3, 11) "
            "else 'tomli'); from versioned_import.planner import record_interpreter; "
            "record_interpreter()",
        )
    except HookError as exc:
        raise HookError(
            f"{exc}: versioned-import cannot run in that interpreter from {paths}; install "
            "versioned-import into it and run its own `vimport hook install`"
        ) from exc


def _precompile(tool_dir: str) -> None:
    import compileall

    # Best effort: a read-only install was compiled by whoever installed it.
    compileall.compile_dir(os.path.join(tool_dir, "versioned_import"), quiet=2)


def _remove(path: Path) -> None:
    """Remove a file the hook wrote, and the bytecode compiled from it."""
    path.unlink()
    if path.suffix == ".py":
        _remove_bytecode(path)


def _remove_bytecode(source: Path) -> None:
    """The bytecode of ``source`` for every interpreter version, and ``__pycache__`` when
    nothing else is cached there."""
    cache = source.parent / "__pycache__"
    for compiled in cache.glob(f"{source.stem}.*.pyc"):
        compiled.unlink()
    with contextlib.suppress(OSError):
        cache.rmdir()


def uninstall(site_dir: str) -> list[str]:
    """Remove the hook from ``site_dir`` and restore a chained sitecustomize; what was done."""
    site = Path(site_dir)
    done = []
    fixed = [site / name for name in (PTH_FILE, f"{PTH_MODULE}.py", f"{RUNTIME_MODULE}.py")]
    # Lazy modules were written beside the runtime module before they had a directory.
    lazy = [*site.glob(lazy_file(RUNTIME_MODULE, "*")), *site.glob(f"{RUNTIME_MODULE}_*.py")]
    for path in [*fixed, *(p for p in lazy if _is_ours(p))]:
        if path.exists():
            _remove(path)
            done.append(f"removed {path}")
    with contextlib.suppress(OSError):
        (site / lazy_dir(RUNTIME_MODULE)).rmdir()
    ours = site / SITECUSTOMIZE
    if _is_ours(ours):
        _remove(ours)
        done.append(f"removed {ours}")
        chained = site / f"{CHAINED}.py"
        if chained.exists():
            _remove_bytecode(chained)
            chained.rename(ours)
            done.append(f"restored the previous {ours}")
    return done


def _hook_module() -> object:
    return sys.modules.get(PTH_MODULE) or sys.modules.get("sitecustomize")


def is_active_here() -> bool:
    """Whether this interpreter started with the hook (``vimport`` itself runs under it)."""
    return hasattr(_hook_module(), START_FUNCTION)


def status(python: str) -> HookStatus:
    """Start ``python`` outside any project and report whether the hook ran in it."""
    out = _probe(
        python,
        f"import sys; h = sys.modules.get({PTH_MODULE!r}) or sys.modules.get('sitecustomize'); "
        f"print(hasattr(h, {START_FUNCTION!r})); print(getattr(h, '__file__', '') or '')",
    )
    loaded, _, hook_file = out.partition("\n")
    active = loaded == "True"
    detail = "the hook runs at start-up" if active else "the hook does not run in this interpreter"
    return HookStatus(python, active, hook_file or None, detail)
