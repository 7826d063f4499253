"""A project directory's manifest: ``[project]``, ``[dependency-groups]`` and
``[tool.vimport]`` of its ``pyproject.toml``.

Every problem in the file is collected and reported at once, each naming the field.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from versioned_import.errors import ManifestError
from versioned_import.project.manifest import (
    Manifest,
    Selection,
    check_requires_python,
    load_toml,
    parse_requirements,
)
from versioned_import.project.sources import read_uv_sources

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["LOCK", "MANIFEST", "import_roots", "read_manifest"]

MANIFEST = "pyproject.toml"
LOCK = "pylock.toml"
_KNOWN_KEYS = {"system-site-packages", "extras", "groups", "default-groups", "requirements"}


def read_manifest(project_dir: str, selection: Selection | None = None) -> Manifest:
    """Read and validate ``project_dir/pyproject.toml``, with the groups and extras
    ``selection`` changes."""
    path = os.path.join(project_dir, MANIFEST)
    data = load_toml(path)
    name = os.path.basename(project_dir)
    tool = data.get("tool", {})
    table = tool.get("vimport") if isinstance(tool, dict) else None
    if table is None:
        return Manifest(path, project_dir, name, active=False, requirements=[])
    problems: list[str] = []
    project = data.get("project", {})
    if not isinstance(project, dict):
        problems.append("[project] must be a table")
        project = {}
    if isinstance(project.get("name"), str):
        name = project["name"]
    if not isinstance(table, dict):
        problems.append("tool.vimport must be a table")
        table = {}
    _unknown_keys(table, problems)
    selection = selection or Selection()
    extras = list(dict.fromkeys([*_strings(table, "extras", problems), *selection.extras]))
    chosen_groups = _chosen_groups(data, table, selection, problems)
    dependencies = project.get("dependencies", [])
    requirements = parse_requirements(dependencies, "project.dependencies", problems)
    requirements += _extras(project, extras, problems)
    requirements += _groups(data, chosen_groups, problems)
    sources = _requirements_file(project_dir, table.get("requirements"), requirements, problems)
    requires_python = project.get("requires-python")
    check_requires_python(requires_python, "project.requires-python", problems)
    system_site = _system_site(table, problems)
    local = read_uv_sources(data, path, problems)
    if problems:
        raise ManifestError(path, problems)
    return Manifest(
        path,
        project_dir,
        name,
        True,
        requirements,
        system_site,
        lock=os.path.join(project_dir, LOCK),
        sources=sources,
        requires_python=requires_python,
        selection={"extras": extras, "groups": chosen_groups},
        asked=selection,
        version=project["version"] if isinstance(project.get("version"), str) else None,
        local=local,
    )


def _unknown_keys(table: dict[str, Any], problems: list[str]) -> None:
    known = ", ".join(sorted(_KNOWN_KEYS))
    for key in sorted(set(table) - _KNOWN_KEYS):
        problems.append(f"tool.vimport.{key}: unknown key (known: {known})")


def _strings(table: dict[str, Any], key: str, problems: list[str]) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"tool.vimport.{key} must be an array of strings")
        return []
    return value


def _chosen_groups(
    data: dict[str, Any], table: dict[str, Any], selection: Selection, problems: list[str]
) -> list[str]:
    """``groups``, then the default groups (as uv has them: ``dev`` when it is defined, unless
    ``default-groups`` says otherwise or ``--no-dev``), then the command's ``--group``s."""
    defined = data.get("dependency-groups", {})
    defined = defined if isinstance(defined, dict) else {}
    value = table.get("default-groups")
    if selection.no_default_groups:
        defaults = []
    elif value is None:
        defaults = ["dev"] if "dev" in defined else []
    elif value == "all":
        defaults = list(defined)
    else:
        defaults = _strings(table, "default-groups", problems)
    chosen = [*_strings(table, "groups", problems), *defaults]
    if selection.no_dev:
        chosen = [g for g in chosen if g != "dev"]
    return list(dict.fromkeys([*chosen, *selection.groups]))


def _system_site(table: dict[str, Any], problems: list[str]) -> bool:
    system_site = table.get("system-site-packages", False)
    if not isinstance(system_site, bool):
        problems.append("tool.vimport.system-site-packages must be true or false")
        return False
    return system_site


def _extras(project: dict[str, Any], extras: list[str], problems: list[str]) -> list[Requirement]:
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        problems.append("project.optional-dependencies must be a table")
        return []
    found = []
    for extra in extras:
        if extra not in optional:
            listed = ", ".join(sorted(optional)) or "none"
            problems.append(
                f"tool.vimport.extras: {extra!r} is not in [project.optional-dependencies] "
                f"(defined: {listed})"
            )
            continue
        where = f"project.optional-dependencies.{extra}"
        found += parse_requirements(optional[extra], where, problems)
    return found


def _groups(data: dict[str, Any], groups: list[str], problems: list[str]) -> list[Requirement]:
    from packaging.dependency_groups import resolve_dependency_groups
    from packaging.errors import ExceptionGroup

    if not groups:
        return []
    table = data.get("dependency-groups", {})
    if not isinstance(table, dict):
        problems.append("[dependency-groups] must be a table")
        return []
    defined = ", ".join(sorted(table)) or "none"
    try:
        strings = resolve_dependency_groups(table, *groups)
    except ExceptionGroup as group:
        problems.extend(f"dependency-groups: {e} (defined: {defined})" for e in group.exceptions)
        return []
    except (LookupError, ValueError, TypeError) as exc:
        problems.append(f"dependency-groups: {exc} (defined: {defined})")
        return []
    return parse_requirements(list(strings), f"dependency-groups({', '.join(groups)})", problems)


def _requirements_file(
    project_dir: str, value: object, into: list[Requirement], problems: list[str]
) -> list[str]:
    """Add the requirements of ``tool.vimport.requirements`` (and its ``-r`` includes)."""
    if value is None:
        return []
    if not isinstance(value, str):
        problems.append("tool.vimport.requirements must be a path (a string)")
        return []
    seen: list[str] = []
    _read_requirements_file(os.path.join(project_dir, value), into, problems, seen)
    return seen


def _read_requirements_file(
    path: str, into: list[Requirement], problems: list[str], seen: list[str]
) -> None:
    if path in seen:
        return
    seen.append(path)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        problems.append(f"tool.vimport.requirements: cannot read {path!r} ({exc})")
        return
    for number, raw in enumerate(lines, 1):
        line = raw.split(" #")[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            include = line.split(maxsplit=1)[1]
            _read_requirements_file(
                os.path.join(os.path.dirname(path), include), into, problems, seen
            )
        elif line.startswith("-"):
            problems.append(
                f"{path}:{number}: the option {line.split()[0]} is not supported here; put index "
                "settings in pip's configuration, which `vimport sync` honours"
            )
        else:
            into += parse_requirements([line], f"{path}:{number}", problems)


def import_roots(project_dir: str) -> list[str]:
    """Where the project's own code imports from: ``src/`` when it exists, else the root."""
    src = os.path.join(project_dir, "src")
    return [src] if os.path.isdir(src) else [project_dir]
