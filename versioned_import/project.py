"""A project's manifest: the ``[tool.vimport]`` table and ``[project]`` of its ``pyproject.toml``.

Every problem in the file is collected and reported at once, each naming the field.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from versioned_import.errors import ManifestError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["MANIFEST", "Manifest", "import_roots", "read_manifest"]

MANIFEST = "pyproject.toml"
_KNOWN_KEYS = {"system-site-packages"}


@dataclass(frozen=True)
class Manifest:
    path: str
    root: str
    name: str
    active: bool
    """False when the file has no ``[tool.vimport]`` table: such a project is left alone."""
    requirements: list[Requirement]
    system_site_packages: bool = False


def read_manifest(project_dir: str) -> Manifest:
    """Read and validate ``project_dir/pyproject.toml``."""
    path = os.path.join(project_dir, MANIFEST)
    data = _load_toml(path)
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
    requirements = _requirements(project.get("dependencies", []), problems)
    _check_requires_python(project.get("requires-python"), problems)
    system_site = _tool_table(table, problems)
    if problems:
        raise ManifestError(path, problems)
    return Manifest(path, project_dir, name, True, requirements, system_site)


def import_roots(project_dir: str) -> list[str]:
    """Where the project's own code imports from: ``src/`` when it exists, else the root."""
    src = os.path.join(project_dir, "src")
    return [src] if os.path.isdir(src) else [project_dir]


def _load_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as exc:
        raise ManifestError(
            path, ["file not found; create it with a [tool.vimport] table"]
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(path, [f"cannot read the file ({exc})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(path, [f"invalid TOML: {exc}; fix the syntax there"]) from exc


def _requirements(value: object, problems: list[str]) -> list[Requirement]:
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(value, list):
        problems.append("project.dependencies must be an array of PEP 508 strings")
        return []
    found = []
    for index, item in enumerate(value):
        field = f"project.dependencies[{index}]"
        if not isinstance(item, str):
            problems.append(f"{field} must be a string, not {type(item).__name__}")
            continue
        try:
            found.append(Requirement(item))
        except InvalidRequirement as exc:
            problems.append(f"{field}: {item!r} is not a valid requirement ({exc})")
    return found


def _check_requires_python(value: object, problems: list[str]) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if value is None:
        return
    if not isinstance(value, str):
        problems.append("project.requires-python must be a string")
        return
    try:
        specifier = SpecifierSet(value)
    except InvalidSpecifier as exc:
        problems.append(f"project.requires-python: {exc}")
        return
    running = ".".join(map(str, sys.version_info[:3]))
    if not specifier.contains(running, prereleases=True):
        problems.append(
            f"project.requires-python is {value!r} but this interpreter is Python {running}; "
            "run the project with a matching python"
        )


def _tool_table(table: object, problems: list[str]) -> bool:
    if not isinstance(table, dict):
        problems.append("tool.vimport must be a table")
        return False
    for key in sorted(set(table) - _KNOWN_KEYS):
        problems.append(
            f"tool.vimport.{key}: unknown key (known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    system_site = table.get("system-site-packages", False)
    if not isinstance(system_site, bool):
        problems.append("tool.vimport.system-site-packages must be true or false")
        return False
    return system_site
