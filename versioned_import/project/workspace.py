"""A uv workspace: ``[tool.uv.workspace]`` of the root ``pyproject.toml``, whose ``members`` and
``exclude`` globs name the member directories.

Every member is an editable local source of the workspace: it is resolved from its directory,
never from an index, and its code is imported from where it is. The workspace has one lock, at
its root, which a process started in a member's directory uses too (``_runtime.discover``).
"""

from __future__ import annotations

import glob
import os
from typing import Any

from versioned_import.project.sources import LocalSource, name_of

__all__ = ["read_workspace"]


def read_workspace(
    data: dict[str, Any], manifest: str, problems: list[str]
) -> dict[str, LocalSource]:
    """The members of the workspace whose root manifest ``manifest`` parsed to ``data``, by
    canonical name; none when it is no workspace root."""
    from packaging.utils import canonicalize_name

    tool = data.get("tool", {})
    uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
    table = uv.get("workspace") if isinstance(uv, dict) else None
    if table is None:
        return {}
    root = os.path.dirname(manifest)
    members = _globbed(table, "members", root, problems)
    excluded = set(_globbed(table, "exclude", root, problems))
    found: dict[str, LocalSource] = {}
    where = f"{manifest}: tool.uv.workspace.members"
    for directory in members:
        if directory in excluded or os.path.normpath(directory) == os.path.normpath(root):
            continue
        name = (
            name_of(directory)
            if os.path.isfile(os.path.join(directory, "pyproject.toml"))
            else None
        )
        if name is None:
            problems.append(
                f"tool.uv.workspace.members: {directory} has no pyproject.toml with a static "
                "[project].name; add one, or exclude the directory"
            )
            continue
        found[canonicalize_name(name)] = LocalSource(
            canonicalize_name(name), directory, True, where
        )
    return found


def _globbed(table: object, key: str, root: str, problems: list[str]) -> list[str]:
    """The directories each glob of ``table[key]`` matches, in order; a glob of ``members``
    that matches none is a problem."""
    patterns = table.get(key, []) if isinstance(table, dict) else None
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        problems.append(f"tool.uv.workspace.{key} must be an array of glob strings")
        return []
    found: list[str] = []
    for pattern in patterns:
        matches = sorted(m for m in glob.glob(os.path.join(root, pattern)) if os.path.isdir(m))
        if not matches and key == "members":
            problems.append(f"tool.uv.workspace.members: {pattern!r} matches no directory")
        found += [os.path.normpath(m) for m in matches if os.path.normpath(m) not in found]
    return found
