"""A project's PEP 517 build backend, run as pip and ``build`` run it: in a subprocess through
pypa's ``pyproject-hooks``, with an isolated environment holding the backend's requirements.

``env`` makes and keeps those environments; ``hooks`` calls the backend.
"""

from __future__ import annotations

from versioned_import.backend.hooks import DEFAULT_SYSTEM, BuildSystem, prepare_metadata

__all__ = ["DEFAULT_SYSTEM", "BuildSystem", "prepare_metadata"]
