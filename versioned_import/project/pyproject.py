"""A project directory's manifest: ``[project]``, ``[dependency-groups]`` and
``[tool.vimport]`` of its ``pyproject.toml``.

Every problem in the file is collected and reported at once, each naming the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from versioned_import._runtime.paths import LOCK, MANIFEST, import_roots
from versioned_import.errors import ManifestError
from versioned_import.project.manifest import (
    Manifest,
    Selection,
    check_requires_python,
    load_toml,
    parse_requirements,
)
from versioned_import.project.sources import (
    LocalSource,
    path_requirement,
    read_uv_sources,
    take_file_references,
)
from versioned_import.project.workspace import read_workspace

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["LOCK", "MANIFEST", "import_roots", "read_manifest"]

_KNOWN_KEYS = {
    "system-site-packages",
    "extras",
    "groups",
    "default-groups",
    "requirements",
    "private-copies",
}


def read_manifest(project_dir: str, selection: Selection | None = None) -> Manifest:
    """Read and validate ``project_dir/pyproject.toml``, with the groups and extras
    ``selection`` changes."""
    from packaging.requirements import Requirement

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
    private_copies = _private_copies(table, problems)
    dependencies = project.get("dependencies", [])
    members = read_workspace(data, path, problems)
    local = {**members, **read_uv_sources(data, path, problems, members)}
    requirements = parse_requirements(dependencies, "project.dependencies", problems)
    # The workspace's environment holds every member, as in `uv sync --all-packages`.
    requirements += [Requirement(name) for name in members]
    requirements += _extras(project, extras, problems)
    requirements += _groups(data, chosen_groups, problems)
    requirements = take_file_references(requirements, path, "requirement", local, problems)
    files = Files(project_dir, requirements, local, problems)
    sources = files.read(table.get("requirements"))
    requires_python = project.get("requires-python")
    check_requires_python(requires_python, "project.requires-python", problems)
    system_site = _system_site(table, problems)
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
        private_copies=private_copies,
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


def _private_copies(table: dict[str, Any], problems: list[str]) -> list[str]:
    from packaging.utils import InvalidName, canonicalize_name

    found = set()
    for name in _strings(table, "private-copies", problems):
        try:
            found.add(canonicalize_name(name, validate=True))
        except InvalidName:
            problems.append(f"tool.vimport.private-copies: {name!r} is not a distribution name")
    return sorted(found)


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


@dataclass
class Files:
    """Reads ``tool.vimport.requirements`` and its ``-r`` includes into ``into``; their
    ``./dir``, ``-e ./dir`` and ``name @ file:`` lines into ``local``."""

    project_dir: str
    into: list[Requirement]
    local: dict[str, LocalSource]
    problems: list[str]
    seen: list[str] = field(default_factory=list)

    def read(self, value: object) -> list[str]:
        """Read the file ``value`` names; returns every file read."""
        if value is None:
            return []
        if not isinstance(value, str):
            self.problems.append("tool.vimport.requirements must be a path (a string)")
            return []
        self._read(os.path.join(self.project_dir, value))
        return self.seen

    def _read(self, path: str) -> None:
        if path in self.seen:
            return
        self.seen.append(path)
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            self.problems.append(f"tool.vimport.requirements: cannot read {path!r} ({exc})")
            return
        for number, raw in enumerate(lines, 1):
            line = raw.split(" #")[0].strip() if not raw.lstrip().startswith("#") else ""
            if line:
                self._line(path, f"{path}:{number}", line)

    def _line(self, path: str, where: str, line: str) -> None:
        here = os.path.dirname(path)
        option, _, value = (
            line.replace("=", " ", 1).partition(" ") if line[0] == "-" else ("", "", "")
        )
        if option in ("-r", "--requirement"):
            self._read(os.path.join(here, value.strip()))
        elif option in ("-e", "--editable"):
            self._path(os.path.join(here, value.strip()), True, where)
        elif option:
            self.problems.append(
                f"{where}: the option {option} is not supported here; put index settings in "
                "pip's configuration, which `vimport sync` honours"
            )
        elif line.startswith((".", "/", "~")):
            self._path(os.path.join(here, os.path.expanduser(line)), False, where)
        else:
            found = parse_requirements([line], where, self.problems)
            self.into += take_file_references(found, path, where, self.local, self.problems)

    def _path(self, path: str, editable: bool, where: str) -> None:
        path = os.path.normpath(path)
        requirement = path_requirement(path, editable, where, self.local, self.problems)
        if requirement is not None:
            self.into.append(requirement)
