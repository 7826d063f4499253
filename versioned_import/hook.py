"""Install the sitecustomize hook into an interpreter, prove it runs, and remove it again.

Two ways in, chosen per interpreter: ``sitecustomize.py`` in its site directory (an existing one
is renamed and chained), or, when another ``sitecustomize`` earlier on ``sys.path`` would shadow
that (distributions ship their own), a ``.pth`` file that imports the same code under another
name.
"""

from __future__ import annotations

import contextlib
import os
import py_compile
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from versioned_import.errors import HookError

__all__ = [
    "HookStatus",
    "install",
    "site_dir_of",
    "status",
    "template_text",
    "tool_paths",
    "uninstall",
]

MARKER = "# versioned-import hook"
RUNTIME_MODULE = "_vimport_runtime"
# The start-up modules, dependencies first; lines ending in BUNDLED import from one another.
BUNDLE = ("locations", "plan", "finder", "runtime")
BUNDLED = "# bundled"
SITECUSTOMIZE = "sitecustomize.py"
CHAINED = "_vimport_chained_sitecustomize"
PTH_MODULE = "_vimport_hook"
# .pth files run in name order; sorting last lets the hook see the paths the others add.
PTH_FILE = "zzzz-versioned-import-hook.pth"
_TOOL_DEPENDENCIES = ("packaging", "installer", "resolvelib", "filelock", "platformdirs")


@dataclass(frozen=True)
class HookStatus:
    python: str
    active: bool
    hook_file: str | None
    detail: str


def _probe(python: str, code: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIMPORT_", "PYTHON"))}
    try:
        done = subprocess.run(
            [os.path.abspath(python), "-c", code],
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


def template_text(paths: list[str], chained: str) -> str:
    """The sitecustomize template with discover.py inlined and the tool's paths filled in."""
    here = Path(__file__).resolve().parent
    candidates = [here / "sitecustomize_template", here.parent / "sitecustomize_template"]
    template = next(p / SITECUSTOMIZE for p in candidates if (p / SITECUSTOMIZE).is_file())
    text = template.read_text(encoding="utf-8")
    discover = (here / "discover.py").read_text(encoding="utf-8")
    for placeholder, value in [
        ("from versioned_import.discover import project_for_process\n", discover),
        ("_VIMPORT_TOOL_PATHS: list[str] = []", f"_VIMPORT_TOOL_PATHS = {paths!r}"),
        ('_VIMPORT_CHAINED = ""', f"_VIMPORT_CHAINED = {chained!r}"),
    ]:
        if placeholder not in text:
            raise HookError(f"{template}: the placeholder {placeholder.strip()!r} is missing")
        text = text.replace(placeholder, value)
    return text


def runtime_bundle() -> str:
    """The start-up modules as one module's source: each import costs ~0.1 ms at start-up, so
    the hook imports one file instead of a package and four modules. The modules import only the
    standard library and one another (those lines are marked, and dropped here)."""
    from versioned_import import __version__

    here = Path(__file__).resolve().parent
    parts = [f"{MARKER}: written by `vimport hook install` from {', '.join(BUNDLE)}\n",
             f"__version__ = {__version__!r}\n"]  # fmt: skip
    for name in BUNDLE:
        source = (here / f"{name}.py").read_text(encoding="utf-8")
        kept = [line for line in source.splitlines() if not line.rstrip().endswith(BUNDLED)]
        parts.append(f"\n# --- versioned_import/{name}.py ---\n" + "\n".join(kept) + "\n")
    return "".join(parts)


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
    tmp = path.with_name(path.name + ".vimport-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    if path.suffix == ".py":
        # Written here so start-up never compiles it, even with PYTHONDONTWRITEBYTECODE set.
        py_compile.compile(str(path), doraise=True)


def install(python: str, site_dir: str | None = None) -> str:
    """Install the hook for ``python``; returns a sentence saying how."""
    site = Path(site_dir or site_dir_of(python))
    if not site.is_dir():
        raise HookError(f"{site}: no such site directory; pass an existing one with --site-dir")
    paths = tool_paths()
    _check_tool_runs(python, paths)
    uninstall(str(site))
    _precompile(paths[0])
    _write(site / f"{RUNTIME_MODULE}.py", runtime_bundle())
    shadow = _shadowing_sitecustomize(python, site)
    if shadow:
        _write(site / f"{PTH_MODULE}.py", template_text(paths, ""))
        _write(site / PTH_FILE, f"import {PTH_MODULE}\n")
        return f"installed {site / PTH_FILE} (a .pth file: {shadow} shadows sitecustomize)"
    existing = site / SITECUSTOMIZE
    chained = ""
    if existing.exists():
        existing.rename(site / f"{CHAINED}.py")
        chained = CHAINED
    _write(existing, template_text(paths, chained))
    return f"installed {existing}" + (
        f" (chaining the previous one as {chained})" if chained else ""
    )


def _check_tool_runs(python: str, paths: list[str]) -> None:
    """Refuse a hook whose plans could never be computed: the tool's dependencies must import
    in ``python`` from ``paths`` (another Python version may need others, e.g. tomli)."""
    try:
        _probe(
            python,
            f"import sys; sys.path[:0] = {paths!r}; import versioned_import.resolve, "
            "versioned_import.install; __import__('tomllib' if sys.version_info >= (3, 11) "
            "else 'tomli')",
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
    from importlib.util import cache_from_source

    path.unlink()
    if path.suffix == ".py":
        compiled = Path(cache_from_source(str(path)))
        compiled.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # only when nothing else is cached there
            compiled.parent.rmdir()


def uninstall(site_dir: str) -> list[str]:
    """Remove the hook from ``site_dir`` and restore a chained sitecustomize; what was done."""
    site = Path(site_dir)
    done = []
    for name in (PTH_FILE, f"{PTH_MODULE}.py", f"{RUNTIME_MODULE}.py"):
        if (site / name).exists():
            _remove(site / name)
            done.append(f"removed {site / name}")
    ours = site / SITECUSTOMIZE
    if _is_ours(ours):
        _remove(ours)
        done.append(f"removed {ours}")
        chained = site / f"{CHAINED}.py"
        if chained.exists():
            from importlib.util import cache_from_source

            Path(cache_from_source(str(chained))).unlink(missing_ok=True)
            chained.rename(ours)
            done.append(f"restored the previous {ours}")
    return done


def status(python: str) -> HookStatus:
    """Start ``python`` outside any project and report whether the hook ran in it."""
    out = _probe(
        python,
        "import sys; h = sys.modules.get('_vimport_hook') or sys.modules.get('sitecustomize'); "
        "print(hasattr(h, '_vimport_start')); print(getattr(h, '__file__', '') or '')",
    )
    loaded, _, hook_file = out.partition("\n")
    active = loaded == "True"
    detail = "the hook runs at start-up" if active else "the hook does not run in this interpreter"
    return HookStatus(python, active, hook_file or None, detail)
