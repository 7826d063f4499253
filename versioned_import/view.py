"""``vimport venv``: a project's view as a virtual environment, for editors that choose one.

A view copies nothing: ``pyvenv.cfg``, ``bin/python`` (a symbolic link to the base
interpreter) and one ``.pth`` file in its site-packages naming the project's import roots and
its resolved store directories, a few KB in all. Pyright and Pylance read that ``.pth`` file
without running Python; jedi and mypy run ``bin/python``, which is then a plain venv that sees
exactly the resolved distributions. Every ``vimport sync`` rewrites the views it wrote, so they
follow the lock; ``sync`` never creates one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from typing import TYPE_CHECKING

from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.paths import user_cache_dir
from versioned_import.errors import UsageError

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Plan

__all__ = ["PTH_FILE", "refresh_views", "view_project", "views_of", "write_view"]

PTH_FILE = "_versioned_import_view.pth"
_PROJECT_KEY = "versioned-import-project"


def _base_python() -> str:
    """The real interpreter behind this one (a venv's ``bin/python`` is a link to it)."""
    return os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)


def _site_packages(view: str) -> str:
    major, minor = sys.version_info[:2]
    return os.path.join(view, "lib", f"python{major}.{minor}", "site-packages")


def _config(project: str) -> bytes:
    major, minor, micro = sys.version_info[:3]
    lines = [
        f"home = {os.path.dirname(_base_python())}",
        "include-system-site-packages = false",
        f"version = {major}.{minor}.{micro}",
        f"executable = {_base_python()}",
        f"{_PROJECT_KEY} = {project}",
    ]
    return ("\n".join(lines) + "\n").encode()


def view_project(view: str) -> str | None:
    """The project whose view ``view`` is, or None when it is no view of ours."""
    try:
        with open(os.path.join(view, "pyvenv.cfg"), encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition("=")
                if key.strip() == _PROJECT_KEY:
                    return value.strip()
    except OSError:
        pass
    return None


def write_view(plan: Plan, view: str) -> None:
    """Write (or rewrite) the view of ``plan``'s project at ``view``, and remember it, so that
    ``sync`` keeps it current."""
    if os.name != "posix":
        raise UsageError("vimport venv: views are made on POSIX systems only, for now")
    view = os.path.abspath(view)
    project = plan["project"]
    if os.path.lexists(view) and view_project(view) is None:
        raise UsageError(
            f"{view}: exists and is not a view written by `vimport venv`; remove it, or name "
            "another directory: `vimport venv DIR`"
        )
    site_packages = _site_packages(view)
    bin_dir = os.path.join(view, "bin")
    make_dirs(site_packages)
    make_dirs(bin_dir)
    sites = dict.fromkeys(d["site"] for d in plan["dists"])
    write_atomic(os.path.join(site_packages, PTH_FILE), _pth_text([*plan["paths"], *sites]))
    major, minor = sys.version_info[:2]
    for name in ("python", f"python{major}", f"python{major}.{minor}"):
        _link(_base_python(), os.path.join(bin_dir, name))
    write_atomic(os.path.join(view, "pyvenv.cfg"), _config(project))
    _remember(project, view)


def _pth_text(paths: list[str]) -> bytes:
    # Only directory lines: Pyright reads them without running Python, and ignores imports.
    return "".join(f"{path}\n" for path in paths).encode()


def _link(target: str, path: str) -> None:
    """``path`` -> ``target``, replaced at once (a fresh name, then a rename)."""
    temporary = f"{path}.{os.getpid()}.tmp"
    os.symlink(target, temporary)
    os.replace(temporary, path)


def _record(project: str) -> str:
    key = hashlib.sha256(project.encode()).hexdigest()[:32]
    return os.path.join(user_cache_dir(), "views", key)


def views_of(project: str) -> list[str]:
    """The views written for ``project`` (some may have been deleted since)."""
    try:
        with open(_record(project), encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def _remember(project: str, view: str) -> None:
    views = views_of(project)
    if view not in views:
        make_dirs(os.path.dirname(_record(project)))
        write_atomic(_record(project), "".join(f"{v}\n" for v in [*views, view]).encode())


def refresh_views(plan: Plan) -> list[str]:
    """Rewrite every view of ``plan``'s project that still exists; returns their paths. A view
    deleted since (or replaced by something else) is forgotten."""
    project = plan["project"]
    kept = [v for v in views_of(project) if view_project(v) == project]
    for view in kept:
        write_view(plan, view)
    if kept != views_of(project):
        write_atomic(_record(project), "".join(f"{v}\n" for v in kept).encode())
    return kept
