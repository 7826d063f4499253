"""PEP 723 inline script metadata: a single-file script that declares its own dependencies.

# /// script
# requires-python = ">=3.11"
# dependencies = ["requests<3", "rich"]
# ///
"""

from __future__ import annotations

import os
import re

from versioned_import.errors import ManifestError
from versioned_import.project.manifest import (
    Manifest,
    check_requires_python,
    load_toml,
    parse_requirements,
)
from versioned_import.project.sources import read_uv_sources, take_file_references

__all__ = ["lock_path", "read_script"]

# The reference regular expression of PEP 723.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


def lock_path(script: str) -> str:
    """``pylock.<stem>.toml`` beside the script (PEP 751 names; one directory, many scripts)."""
    stem = os.path.splitext(os.path.basename(script))[0]
    return os.path.join(os.path.dirname(script), f"pylock.{stem}.toml")


def read_script(path: str) -> Manifest:
    """The manifest of the script at ``path`` (inactive when it has no ``script`` block)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(path, [f"cannot read the script ({exc})"]) from exc
    root = os.path.dirname(path)
    name = os.path.basename(path)
    blocks = [m for m in _BLOCK.finditer(text) if m.group("type") == "script"]
    if not blocks:
        return Manifest(path, root, name, active=False, requirements=[])
    if len(blocks) > 1:
        raise ManifestError(path, ["more than one `# /// script` block; keep one"])
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in blocks[0].group("content").splitlines(keepends=True)
    )
    data = load_toml(path, content)
    problems: list[str] = []
    requirements = parse_requirements(data.get("dependencies", []), "script.dependencies", problems)
    # PEP 723 has uv's sources too: the script's own [tool.uv.sources], from its directory.
    local = read_uv_sources(data, path, problems)
    requirements = take_file_references(requirements, path, "requirement", local, problems)
    requires_python = data.get("requires-python")
    check_requires_python(requires_python, "script.requires-python", problems)
    tool = data.get("tool", {})
    table = tool.get("vimport", {}) if isinstance(tool, dict) else {}
    system_site = table.get("system-site-packages", False) if isinstance(table, dict) else False
    if not isinstance(system_site, bool):
        problems.append("script.tool.vimport.system-site-packages must be true or false")
    if problems:
        raise ManifestError(path, problems)
    return Manifest(
        path,
        root,
        name,
        True,
        requirements,
        bool(system_site),
        lock=lock_path(path),
        requires_python=requires_python,
        local=local,
    )
