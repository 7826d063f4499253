"""The one root error type and its kinds.

Every error carries a message that names the file (and the field, where there is one) and says
what to do about it; the CLI prints that message and exits 1, the hook prints it on one line.
"""

from __future__ import annotations

from versioned_import._runtime.errors import PlanError, VersionedImportError

__all__ = [
    "BuildBackendError",
    "CommandNotFoundError",
    "HookError",
    "LocalSourceError",
    "ManifestError",
    "PackageIndexError",
    "PlanError",
    "ProjectNotFoundError",
    "ResolutionError",
    "StoreError",
    "UsageError",
    "VersionedImportError",
    "WheelError",
    "split_hint",
]


def split_hint(name: str) -> str:
    """The opt-in that lets each side of a conflict over ``name`` have its own version."""
    return (
        f"or give each side its own version of {name} (pure-Python distributions only): add "
        f'private-copies = ["{name}"] to [tool.vimport]'
    )


class ManifestError(VersionedImportError, ValueError):
    """A ``pyproject.toml`` that cannot be used: bad TOML, wrong types, bad requirements."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        # packaging draws a caret diagram under a bad requirement: the hook prints one line.
        self.problems = [" ".join(problem.split()) for problem in problems]
        super().__init__(f"{path}: " + "; ".join(self.problems))


class ResolutionError(VersionedImportError):
    """The requirements cannot be satisfied from what the store holds."""


class StoreError(VersionedImportError, OSError):
    """The store is missing, unreadable or holds a damaged entry."""


class WheelError(VersionedImportError, ValueError):
    """A wheel that cannot be installed: corrupt, malicious or not a wheel at all."""

    def __init__(self, wheel: str, problem: str) -> None:
        self.wheel = wheel
        super().__init__(f"{wheel}: {problem}")


class LocalSourceError(VersionedImportError, ValueError):
    """A local source (a path dependency) that cannot be built or used; the message names the
    file and field that named it."""


class HookError(VersionedImportError):
    """The sitecustomize hook cannot be installed into, or removed from, an interpreter."""


class PackageIndexError(VersionedImportError, LookupError):
    """The package index cannot give what was asked: unknown name, no such version, no wheel for
    this interpreter, network down. Raised before anything enters the store."""


class ProjectNotFoundError(VersionedImportError, LookupError):
    """No project where one was asked for: no ``pyproject.toml`` with a ``[tool.vimport]``
    table at or above a directory, or a manifest that does not opt in."""


class CommandNotFoundError(VersionedImportError, LookupError):
    """``vimport run`` was asked for a command neither the project nor ``PATH`` provides."""


class BuildBackendError(VersionedImportError):
    """A project's build backend cannot be installed or run, or failed; the message names the
    project's ``pyproject.toml``, the backend and the backend's last error line."""


class UsageError(VersionedImportError, ValueError):
    """A command line that cannot be carried out as given."""
