"""Calling a build backend's hooks with pypa's ``pyproject-hooks``, never an imitation of one.

The hooks run in a subprocess of this interpreter started with ``-S``: no site-packages and no
hook, only the backend's isolated environment (``PYTHONPATH``) and the standard library, as
``build`` isolates a build.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import.backend.env import build_env
from versioned_import.errors import BuildBackendError, PackageIndexError
from versioned_import.progress import Reporter

if TYPE_CHECKING:
    import pyproject_hooks

__all__ = ["DEFAULT_SYSTEM", "BuildSystem", "prepare_metadata"]

T = TypeVar("T")


@dataclass(frozen=True)
class BuildSystem:
    """A ``[build-system]`` table, read and checked."""

    requires: list[str]
    backend: str
    backend_path: list[str] | None = None


DEFAULT_SYSTEM = BuildSystem(["setuptools>=40.8.0"], "setuptools.build_meta:__legacy__")
"""What PEP 517 says a project without ``build-backend`` is built with."""


def _runner(paths: Sequence[str]) -> Callable[..., None]:
    def run(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        env = {k: v for k, v in os.environ.items() if k != "VIMPORT_PROJECT"}
        env.update(extra_environ or {}, PYTHONPATH=os.pathsep.join(paths), VIMPORT_DISABLE="1")
        # An in-tree backend (backend-path) would leave __pycache__ in the project.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [cmd[0], "-S", *cmd[1:]]
        # Captured: in the plan's child interpreter, stdout carries the plan.
        subprocess.run(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True
        )

    return run


def _last_line(output: bytes | None) -> str:
    lines = [line.strip() for line in (output or b"").decode(errors="replace").splitlines()]
    return next((line for line in reversed(lines) if line), "no output")


def _call(where: str, system: BuildSystem, hook: str, call: Callable[[], T]) -> T:
    """``call()``, with every way a backend fails turned into one line naming it."""
    import pyproject_hooks

    try:
        with warnings.catch_warnings():
            # A backend's deprecation notes are for its maintainers, not for this process.
            warnings.simplefilter("ignore", pyproject_hooks.BuildBackendWarning)
            return call()
    except subprocess.CalledProcessError as exc:
        problem = _last_line(exc.output)
    except pyproject_hooks.BackendUnavailable as exc:
        problem = f"cannot import it ({_last_line(exc.traceback.encode())})"
    except pyproject_hooks.HookMissing:
        raise
    except pyproject_hooks.UnsupportedOperation as exc:
        problem = _last_line(exc.traceback.encode())
    raise BuildBackendError(
        f"{where}: the build backend {system.backend} failed in {hook}: {problem}"
    )


def _env(requirements: Sequence[str], reporter: Reporter, where: str, offline: bool) -> str:
    try:
        return build_env(requirements, reporter, offline=offline)
    except PackageIndexError as exc:
        raise BuildBackendError(f"{where}: build-system.requires: {exc}") from exc


def prepare_metadata(
    project_dir: str,
    system: BuildSystem,
    into: str,
    reporter: Reporter,
    where: str,
    *,
    offline: bool = False,
) -> str:
    """Have the backend write the project's ``.dist-info`` into ``into``; its name.

    As pip and ``build`` do: PEP 660's ``prepare_metadata_for_build_editable``, else PEP 517's
    ``prepare_metadata_for_build_wheel``, else the ``.dist-info`` of an editable wheel that the
    backend builds. The prepared metadata may hold less than the wheel's (hatchling's is METADATA
    alone, without ``entry_points.txt``): then the wheel's is taken too, as pip installs the
    wheel's. ``where`` (the manifest) starts every error message; ``offline`` installs no build
    requirements."""
    import pyproject_hooks

    hooks = _caller(project_dir, system, [_env(system.requires, reporter, where, offline)])
    extra = _call(
        where, system, "get_requires_for_build_editable", hooks.get_requires_for_build_editable
    )
    if extra:
        environment = _env([*system.requires, *extra], reporter, where, offline)
        hooks = _caller(project_dir, system, [environment])
    for hook in (hooks.prepare_metadata_for_build_editable, hooks.prepare_metadata_for_build_wheel):
        try:
            name = _call(where, system, hook.__name__, functools.partial(hook, into, None, False))
        except pyproject_hooks.HookMissing:
            continue
        if os.path.isfile(os.path.join(into, name, "entry_points.txt")):
            return name
        return _from_editable_wheel(hooks, into, name, where, system)
    return _from_editable_wheel(hooks, into, None, where, system)


def _caller(
    project_dir: str, system: BuildSystem, paths: Sequence[str]
) -> pyproject_hooks.BuildBackendHookCaller:
    import pyproject_hooks

    return pyproject_hooks.BuildBackendHookCaller(
        project_dir, system.backend, system.backend_path, runner=_runner(paths)
    )


def _from_editable_wheel(
    hooks: pyproject_hooks.BuildBackendHookCaller,
    into: str,
    prepared: str | None,
    where: str,
    system: BuildSystem,
) -> str:
    """Build the editable wheel and put its ``.dist-info`` into ``into`` in place of
    ``prepared``; only the metadata is kept: the project's code imports from its own roots."""
    import pyproject_hooks

    metadata = os.path.join(into, prepared) if prepared else None
    with tempfile.TemporaryDirectory(prefix="vimport-editable-") as wheels:
        try:
            build = functools.partial(hooks.build_editable, wheels, None, metadata)
            wheel = _call(where, system, "build_editable", build)
        except pyproject_hooks.HookMissing as exc:
            raise BuildBackendError(
                f"{where}: the build backend {system.backend} has no {exc.hook_name} hook "
                "(PEP 660), so the project cannot be used editable; use a backend that has it"
            ) from exc
        if metadata:
            shutil.rmtree(metadata)
        return _extract_dist_info(os.path.join(wheels, wheel), into, where)


def _extract_dist_info(wheel: str, into: str, where: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        tops = {
            n.split("/")[0] for n in archive.namelist() if n.split("/")[0].endswith(".dist-info")
        }
        if len(tops) != 1:
            raise BuildBackendError(f"{where}: the editable wheel {wheel} has no one .dist-info")
        (top,) = tops
        for member in archive.namelist():
            parts = member.split("/")
            # RECORD lists the wheel's files, which are not installed here.
            if parts[0] != top or ".." in parts or member.endswith("/") or parts[-1] == "RECORD":
                continue
            target = os.path.join(into, *parts)
            make_dirs(os.path.dirname(target))
            write_atomic(target, archive.read(member))
    return top
