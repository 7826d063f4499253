"""Local sources: where a distribution comes from when it must not come from an index.

uv's ``[tool.uv.sources]`` table is the spelling users already have; it is read here, entry by
entry. A source this tool can honour becomes a ``LocalSource``; one it cannot (``git``, ``url``,
``index``, markers, anything unknown) is a problem naming the entry, never skipped: a skipped
source would send its name to the index, where anyone may have published a distribution of that
name (dependency confusion).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

__all__ = ["LocalSource", "read_uv_sources"]

_REFUSED = {
    "git": "git sources",
    "url": "url sources",
    "index": "index pinning",
    "marker": "sources with markers",
    "extra": "sources for an extra",
    "group": "sources for a dependency group",
}


@dataclass(frozen=True)
class LocalSource:
    """A distribution built from local files, never looked up on an index."""

    name: str
    """Canonical."""
    path: str
    """Absolute: a source directory, a wheel or an sdist."""
    editable: bool
    where: str
    """The file and field that named it, for messages: ``pyproject.toml: tool.uv.sources.x``."""


def read_uv_sources(
    data: dict[str, Any], manifest: str, problems: list[str]
) -> dict[str, LocalSource]:
    """The ``[tool.uv.sources]`` of the parsed ``manifest``, by canonical name; relative paths
    are taken from the manifest's directory."""
    from packaging.utils import canonicalize_name

    tool = data.get("tool", {})
    uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
    table = uv.get("sources", {}) if isinstance(uv, dict) else {}
    if not isinstance(table, dict):
        problems.append("tool.uv.sources must be a table")
        return {}
    found: dict[str, LocalSource] = {}
    for name, spec in table.items():
        where = f"tool.uv.sources.{name}"
        source = _read_entry(name, spec, os.path.dirname(manifest), where, problems)
        if source is not None:
            found[canonicalize_name(name)] = source
    return found


def _read_entry(
    name: str, spec: object, directory: str, where: str, problems: list[str]
) -> LocalSource | None:
    if isinstance(spec, list):
        problems.append(
            f"{where}: several sources chosen by markers are not supported by versioned-import; "
            "give one source"
        )
        return None
    if not isinstance(spec, dict):
        problems.append(f'{where}: must be a table such as {{ path = "../{name}" }}')
        return None
    refused = [_REFUSED[key] for key in spec if key in _REFUSED]
    unknown = sorted(set(spec) - set(_REFUSED) - {"path", "editable", "workspace"})
    if refused:
        problems.append(
            f"{where}: {', '.join(refused)} are not supported by versioned-import, and the "
            f"name is not looked up on the index instead; use a path source, or remove the "
            f"entry to take {name} from the index"
        )
        return None
    if unknown:
        problems.append(f"{where}: unknown key {', '.join(unknown)} (known: path, editable)")
        return None
    return _path_source(name, spec, directory, where, problems)


def _path_source(
    name: str, spec: dict[str, Any], directory: str, where: str, problems: list[str]
) -> LocalSource | None:
    from packaging.utils import canonicalize_name

    if "workspace" in spec:
        problems.append(f"{where}: workspace sources are not supported by versioned-import yet")
        return None
    path, editable = spec.get("path"), spec.get("editable", False)
    if not isinstance(path, str) or not isinstance(editable, bool):
        problems.append(f'{where}: needs path = "..." (a string) and editable = true or false')
        return None
    full = os.path.normpath(os.path.join(directory, os.path.expanduser(path)))
    if not os.path.exists(full):
        problems.append(f"{where}: the path {full} does not exist")
        return None
    if editable and not os.path.isdir(full):
        problems.append(f"{where}: editable = true needs a source directory, {full} is a file")
        return None
    problems.append(
        f"{where}: path sources are not supported by versioned-import yet, and the name is not "
        "looked up on the index instead"
    )
    return LocalSource(canonicalize_name(name), full, editable, where)
