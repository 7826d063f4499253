"""A project's manifest: ``[project]``, ``[dependency-groups]`` and ``[tool.vimport]`` of its
``pyproject.toml``, or the inline metadata of a single-file script (``script.py``).

Every problem in the file is collected and reported at once, each naming the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from versioned_import.errors import ManifestError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "MANIFEST",
    "Manifest",
    "check_requires_python",
    "import_roots",
    "load_toml",
    "lock_file",
    "manifest_for",
    "parse_requirements",
    "read_manifest",
]

MANIFEST = "pyproject.toml"
LOCK = "pylock.toml"
_KNOWN_KEYS = {"system-site-packages", "extras", "groups", "requirements"}


@dataclass(frozen=True)
class Manifest:
    path: str
    """The file that declares the requirements: a pyproject.toml or a script."""
    root: str
    name: str
    active: bool
    """False when the file has no ``[tool.vimport]`` table: such a project is left alone."""
    requirements: list[Requirement]
    system_site_packages: bool = False
    lock: str = ""
    """Where this manifest's ``pylock.toml`` lives."""
    sources: list[str] = field(default_factory=list)
    """Other files the requirements come from (a requirements.txt), watched like the manifest."""
    requires_python: str | None = None
    selection: dict[str, list[str]] = field(default_factory=dict)
    """The extras and dependency groups chosen, as the lock records them."""

    def inputs_hash(self) -> str:
        """What a lock must have been made from to be fresh for this manifest."""
        data = {
            "requirements": sorted(str(r) for r in self.requirements),
            "requires-python": self.requires_python,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def read_manifest(project_dir: str, groups: Sequence[str] = ()) -> Manifest:
    """Read and validate ``project_dir/pyproject.toml``; ``groups`` adds dependency groups."""
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
    extras = _strings(table, "extras", problems)
    chosen_groups = list(dict.fromkeys([*_strings(table, "groups", problems), *groups]))
    dependencies = project.get("dependencies", [])
    requirements = parse_requirements(dependencies, "project.dependencies", problems)
    requirements += _extras(project, extras, problems)
    requirements += _groups(data, chosen_groups, problems)
    sources = _requirements_file(project_dir, table.get("requirements"), requirements, problems)
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
        lock=lock_file(project_dir),
        sources=sources,
        requires_python=requires_python,
        selection={"extras": extras, "groups": chosen_groups},
    )


def lock_file(target: str) -> str:
    """Where the lock of a project directory, or of a script, lives."""
    if os.path.isfile(target):
        from versioned_import.script import lock_path

        return lock_path(target)
    return os.path.join(target, LOCK)


def manifest_for(target: str, groups: Sequence[str] = ()) -> Manifest:
    """The manifest of a project directory, or of a script with inline metadata."""
    if os.path.isfile(target):
        from versioned_import.script import read_script

        return read_script(target)
    return read_manifest(target, groups)


def import_roots(project_dir: str) -> list[str]:
    """Where the project's own code imports from: ``src/`` when it exists, else the root."""
    src = os.path.join(project_dir, "src")
    return [src] if os.path.isdir(src) else [project_dir]


def load_toml(path: str, text: str | None = None) -> dict[str, Any]:
    """Parse the TOML file ``path`` (or ``text`` read from it); errors name the file and line."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        if text is not None:
            return tomllib.loads(text)
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as exc:
        message = "file not found; create it with a [tool.vimport] table"
        raise ManifestError(path, [message]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(path, [f"cannot read the file ({exc})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(path, [f"invalid TOML: {exc}; fix the syntax there"]) from exc


def parse_requirements(value: object, where: str, problems: list[str]) -> list[Requirement]:
    """PEP 508 requirements from a TOML array; each bad item is a problem naming its index."""
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(value, list):
        problems.append(f"{where} must be an array of PEP 508 strings")
        return []
    found = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(f"{where}[{index}] must be a string, not {type(item).__name__}")
            continue
        try:
            found.append(Requirement(item))
        except InvalidRequirement as exc:
            problems.append(f"{where}[{index}]: {item!r} is not a valid requirement ({exc})")
    return found


def check_requires_python(value: object, where: str, problems: list[str]) -> None:
    """A problem unless ``value`` is absent or admits the running interpreter."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if value is None:
        return
    if not isinstance(value, str):
        problems.append(f"{where} must be a string")
        return
    try:
        specifier = SpecifierSet(value)
    except InvalidSpecifier as exc:
        problems.append(f"{where}: {exc}")
        return
    running = ".".join(map(str, sys.version_info[:3]))
    if not specifier.contains(running, prereleases=True):
        problems.append(
            f"{where} is {value!r} but this interpreter is Python {running}; "
            "run the project with a matching python"
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
