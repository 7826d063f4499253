"""What every kind of manifest says, once read: a ``Manifest``, and the readers they share."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from versioned_import.errors import ManifestError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from versioned_import.project.sources import LocalSource

__all__ = ["Manifest", "Selection", "check_requires_python", "load_toml", "parse_requirements"]


@dataclass(frozen=True)
class Selection:
    """What a command adds to, or takes from, the groups and extras a manifest chooses itself:
    uv's ``--group``, ``--extra``, ``--no-dev`` and ``--no-default-groups``. A lock records it,
    so the runtime reads the manifest as the sync that wrote the lock did."""

    groups: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    no_dev: bool = False
    no_default_groups: bool = False

    def as_toml(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "extras": list(self.extras),
            "no-dev": self.no_dev,
            "no-default-groups": self.no_default_groups,
        }

    @classmethod
    def from_toml(cls, value: object) -> Selection | None:
        """The selection a lock recorded; None when it recorded none (or not one of ours)."""
        if not isinstance(value, dict):
            return None
        groups, extras = value.get("groups", []), value.get("extras", [])
        if not all(isinstance(v, list) and all(isinstance(i, str) for i in v)
                   for v in (groups, extras)):  # fmt: skip
            return None
        return cls(
            tuple(groups),
            tuple(extras),
            value.get("no-dev") is True,
            value.get("no-default-groups") is True,
        )


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
    asked: Selection = Selection()
    """What the command asked for beyond the manifest's own choice."""
    version: str | None = None
    """The project's own version (``[project].version``), when it gives one."""
    local: dict[str, LocalSource] = field(default_factory=dict)
    """Distributions built from local files, by canonical name: never looked up on an index."""
    private_copies: list[str] = field(default_factory=list)
    """Canonical names allowed to split into private copies (``[tool.vimport] private-copies``)."""

    def inputs_hash(self) -> str:
        """What a lock must have been made from to be fresh for this manifest."""
        data: dict[str, object] = {
            "requirements": sorted(str(r) for r in self.requirements),
            "requires-python": self.requires_python,
        }
        if self.local:  # only then: locks written before local sources existed stay fresh
            data["local"] = sorted(
                [s.name, os.path.relpath(s.path, self.root), s.editable]
                for s in self.local.values()
            )
        if self.private_copies:  # likewise: a lock resolved without a split stays fresh
            data["private-copies"] = sorted(self.private_copies)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def load_toml(path: str, text: str | None = None) -> dict[str, Any]:
    """Parse the TOML file ``path`` (or ``text`` read from it); errors name the file and line."""
    from versioned_import._compat import tomllib

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
