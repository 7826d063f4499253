"""Local sources: where a distribution comes from when it must not come from an index.

uv's ``[tool.uv.sources]`` table is the spelling users already have; it is read here, entry by
entry. A source this tool can honour becomes a ``LocalSource``; one it cannot (``git``, ``url``,
``index``, markers, anything unknown) is a problem naming the entry, never skipped: a skipped
source would send its name to the index, where anyone may have published a distribution of that
name (dependency confusion).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "LocalSource",
    "name_of",
    "path_requirement",
    "read_uv_sources",
    "take_file_references",
]

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
    """The file and field that named it, for messages: ``/p/pyproject.toml: tool.uv.sources.x``."""


def read_uv_sources(
    data: dict[str, Any],
    manifest: str,
    problems: list[str],
    members: Mapping[str, LocalSource] | None = None,
) -> dict[str, LocalSource]:
    """The ``[tool.uv.sources]`` of the parsed ``manifest``, by canonical name; relative paths
    are taken from the manifest's directory, ``{ workspace = true }`` from ``members``, the
    workspace's members."""
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
        source = _read_entry(name, spec, manifest, where, problems, members or {})
        if source is not None:
            found[canonicalize_name(name)] = source
    return found


def _read_entry(
    name: str,
    spec: object,
    manifest: str,
    where: str,
    problems: list[str],
    members: Mapping[str, LocalSource],
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
        known = "path, editable, workspace"
        problems.append(f"{where}: unknown key {', '.join(unknown)} (known: {known})")
        return None
    if "workspace" in spec:
        return _member(name, spec, where, problems, members)
    return _path_source(name, spec, manifest, where, problems)


def _member(
    name: str,
    spec: dict[str, Any],
    where: str,
    problems: list[str],
    members: Mapping[str, LocalSource],
) -> LocalSource | None:
    from packaging.utils import canonicalize_name

    if spec != {"workspace": True}:
        problems.append(f"{where}: a workspace source is {{ workspace = true }}, alone")
        return None
    member = members.get(canonicalize_name(name))
    if member is None:
        known = ", ".join(sorted(members)) or "none: no [tool.uv.workspace] above"
        problems.append(f"{where}: {name} is not a member of the workspace (members: {known})")
    return member


def _path_source(
    name: str, spec: dict[str, Any], manifest: str, where: str, problems: list[str]
) -> LocalSource | None:
    from packaging.utils import canonicalize_name

    path, editable = spec.get("path"), spec.get("editable", False)
    if not isinstance(path, str) or not isinstance(editable, bool):
        problems.append(f'{where}: needs path = "..." (a string) and editable = true or false')
        return None
    full = os.path.normpath(os.path.join(os.path.dirname(manifest), os.path.expanduser(path)))
    if not os.path.exists(full):
        problems.append(f"{where}: the path {full} does not exist")
        return None
    if editable and not os.path.isdir(full):
        problems.append(f"{where}: editable = true needs a source directory, {full} is a file")
        return None
    return LocalSource(canonicalize_name(name), full, editable, f"{manifest}: {where}")


def take_file_references(
    requirements: list[Requirement],
    manifest: str,
    where: str,
    local: dict[str, LocalSource],
    problems: list[str],
) -> list[Requirement]:
    """``requirements`` with each ``name @ file:...`` reference turned into a plain ``name``
    and a ``LocalSource`` in ``local``; a relative ``file:`` path is taken from the directory
    of ``manifest``, the file that names them (``where`` says where in it, for problems)."""
    from urllib.parse import unquote, urlsplit

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found = []
    for requirement in requirements:
        url = requirement.url
        if url is None or not url.startswith("file:"):
            found.append(requirement)
            continue
        parts = urlsplit(url)
        full = os.path.normpath(os.path.join(os.path.dirname(manifest), unquote(parts.path)))
        here = f"{where}: {requirement}"
        if parts.netloc not in ("", "localhost"):
            problems.append(f"{here}: a file URL on another host is not a local path")
        elif not os.path.exists(full):
            problems.append(f"{here}: the path {full} does not exist")
        else:
            name = canonicalize_name(requirement.name)
            source = LocalSource(name, full, False, f"{manifest}: {requirement}")
            _add(local, source, problems)
            plain = Requirement(str(requirement))
            plain.url = None
            found.append(plain)
    return found


def path_requirement(
    path: str, editable: bool, where: str, local: dict[str, LocalSource], problems: list[str]
) -> Requirement | None:
    """A requirements file's ``./dir`` or ``-e ./dir`` line (a directory, wheel or sdist at the
    absolute ``path``): its name, from the file name or the directory's static
    ``[project].name``, as a requirement; the source goes into ``local``."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    if not os.path.exists(path):
        problems.append(f"{where}: the path {path} does not exist")
        return None
    name = name_of(path)
    if name is None:
        problems.append(
            f"{where}: cannot tell the distribution name of {path} (no static [project].name "
            "there); write `NAME @ file:PATH` instead"
        )
        return None
    if editable and not os.path.isdir(path):
        problems.append(f"{where}: -e needs a source directory, {path} is a file")
        return None
    _add(local, LocalSource(canonicalize_name(name), path, editable, where), problems)
    return Requirement(name)


def name_of(path: str) -> str | None:
    """The distribution name of a wheel or sdist file (from its file name), or of a source
    directory (its static ``[project].name``); None when it cannot be told."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    from versioned_import.errors import ManifestError
    from versioned_import.project.manifest import load_toml

    base = os.path.basename(path)
    try:
        if base.endswith(".whl"):
            return parse_wheel_filename(base)[0]
        if os.path.isfile(path):
            return parse_sdist_filename(base)[0]
        project = load_toml(os.path.join(path, "pyproject.toml")).get("project", {})
    except (InvalidWheelFilename, InvalidSdistFilename, ManifestError):
        return None
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None


def _add(local: dict[str, LocalSource], source: LocalSource, problems: list[str]) -> None:
    """Add ``source``; two different sources for one name cannot both be honoured."""
    other = local.setdefault(source.name, source)
    if other.path != source.path or other.editable != source.editable:
        problems.append(
            f"{source.where}: {source.name} already comes from {other.path} ({other.where}); "
            "give one source"
        )
