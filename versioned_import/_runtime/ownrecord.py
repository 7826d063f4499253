"""The record of a project's own distribution: where its metadata is kept, what it was made from,
and the metadata read back when nothing changed since.

``own_dist`` runs the project's build backend and writes the record (``current``, JSON: the
inputs' hash, the build directory, the ``.dist-info`` name). ``quickplan`` plans a packaged
project at its first run in the project's own process, where importing ``json``, ``hashlib``,
``email`` or ``packaging`` costs more than planning: so whatever both sides compute (the record's
path, the watched files, the inputs' hash, the plan's entry) is defined here once, with the
standard library alone, and this side gives up (``Unsure``) wherever a build would be needed or
the answer might differ from ``own_dist``'s.
"""

import os

from versioned_import import __version__
from versioned_import._runtime.fs import sha256_hex
from versioned_import._runtime.minijson import dumps, loads
from versioned_import._runtime.paths import MANIFEST, build_flavour, user_cache_dir
from versioned_import._runtime.pep508 import Unsure, canonical_name, parse_requirement

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from versioned_import._runtime.plan import Dist

__all__ = [
    "EDITABLE_TAG",
    "editable_dist",
    "fresh_dist",
    "inputs_hash",
    "metadata_file",
    "quick_system",
    "read_record",
    "record_file",
    "table_at",
    "watched_files",
]

EDITABLE_TAG = "editable"
"""The ``tag`` of the project's own distribution in a plan (store entries have wheel tags)."""
_ALWAYS_WATCHED = (MANIFEST, "setup.py", "setup.cfg")


def record_file(project_dir: str) -> str:
    """The record of the current build of ``project_dir``'s metadata, for this interpreter kind."""
    key = sha256_hex(project_dir.encode("utf-8", "surrogateescape"))[:20]
    return os.path.join(user_cache_dir(), "projects", build_flavour(), key, "current")


def table_at(data: object, *keys: str) -> "dict[str, Any]":
    """``data[keys[0]][keys[1]]...``, or an empty table where one is missing or no table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def watched_files(project_dir: str, data: "dict[str, Any]") -> "list[str]":
    """The files the metadata is made from, as far as the manifest (``data``) names them."""
    return [
        *(os.path.join(project_dir, name) for name in _ALWAYS_WATCHED),
        *_version_files(project_dir, data),
    ]


def _version_files(project_dir: str, data: "dict[str, Any]") -> "list[str]":
    """The file a backend reads the version from, where the manifest names it: hatch's and
    pdm's ``path``, setuptools' ``version = {attr | file}``. A version from a VCS is not here."""
    names = []
    for table in (
        table_at(data, "tool", "hatch", "version"),
        table_at(data, "tool", "pdm", "version"),
    ):
        if isinstance(table.get("path"), str):
            names.append(table["path"])
    setuptools = table_at(data, "tool", "setuptools")
    version = table_at(setuptools, "dynamic").get("version")
    if isinstance(version, dict):
        files = version.get("file", [])
        files = [files] if isinstance(files, str) else files if isinstance(files, list) else []
        names += [f for f in files if isinstance(f, str)]
        if isinstance(version.get("attr"), str):
            root = table_at(setuptools, "package-dir").get("", "")
            names += _module_files(project_dir, version["attr"], root)
    return [os.path.join(project_dir, name) for name in names]


def _module_files(project_dir: str, attr: str, package_root: object) -> "list[str]":
    """The files that ``module.attribute`` may be read from, relative to the project."""
    parts = attr.split(".")[:-1]
    if not parts:
        return []
    roots = [package_root] if isinstance(package_root, str) and package_root else ["src", ""]
    candidates = [
        candidate
        for root in roots
        for candidate in (
            os.path.join(root, *parts, "__init__.py"),
            os.path.join(root, *parts[:-1], f"{parts[-1]}.py"),
        )
    ]
    return [c for c in candidates if os.path.isfile(os.path.join(project_dir, c))]


def inputs_hash(system: "dict[str, Any]", watched: "list[str]") -> str:
    """What the metadata is made from: the tool, the build system (``BuildSystem``'s fields, in
    order) and the watched files' contents."""
    parts = [dumps([__version__, system]).encode()]
    for path in watched:
        try:
            with open(path, "rb") as f:
                content = f.read()
        except OSError:
            content = b"\0absent"
        parts += [f"\0{path}\0{len(content)}\0".encode("utf-8", "surrogateescape"), content]
    return sha256_hex(b"".join(parts))


def read_record(path: str) -> "dict[str, str] | None":
    """The record, when there is one whose build's ``.dist-info`` is still there."""
    try:
        with open(path, encoding="utf-8") as f:
            record = loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not all(
        isinstance(record.get(key), str) for key in ("inputs", "build", "dist_info")
    ):
        return None
    return record if os.path.isdir(os.path.join(_site(path, record), record["dist_info"])) else None


def _site(path: str, record: "dict[str, str]") -> str:
    return os.path.join(os.path.dirname(path), record["build"], "site")


def metadata_file(path: str, record: "dict[str, str]") -> str:
    """The ``METADATA`` of the build ``record`` (kept in ``path``) names."""
    return os.path.join(_site(path, record), record["dist_info"], "METADATA")


def editable_dist(
    path: str, record: "dict[str, str]", name: str, version: str, backend: str
) -> "Dist":
    """The plan's entry of the build ``record`` (kept in ``path``) names."""
    return {
        "name": name,
        "canonical": canonical_name(name),
        "version": version,
        "tag": EDITABLE_TAG,
        "site": _site(path, record),
        "dist_info": record["dist_info"],
        "why": f"the project itself, editable (metadata by {backend})",
    }


# -- read back without a build (``quickplan``) ----------------------------------------------------


def quick_system(data: "dict[str, Any]") -> "dict[str, Any] | None":
    """The build system as ``own_dist.read_own`` reads it (its fields, as hashed), or None when
    the project is no distribution; ``Unsure`` for what only the full planner reads (the default
    backend, an in-tree one) or words (a malformed table)."""
    package = table_at(data, "tool", "uv").get("package")
    if package is not None and not isinstance(package, bool):
        raise Unsure("tool.uv.package is not a boolean")
    table = data.get("build-system")
    if package is False or (table is None and not package):
        return None
    if not isinstance(table, dict) or "build-backend" not in table:
        raise Unsure("the project's own distribution without a build-backend (the default one)")
    if "backend-path" in table:
        raise Unsure("the project's own distribution has an in-tree build backend (backend-path)")
    requires, backend = table.get("requires"), table["build-backend"]
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise Unsure("build-system.requires is not an array of strings")
    if not isinstance(backend, str) or not backend:
        raise Unsure("build-system.build-backend is not a string")
    # Spelled as packaging spells them (``str(Requirement)``), as read_own keeps them.
    spelled = [parse_requirement(text).text() for text in requires]
    return {"requires": spelled, "backend": backend, "backend_path": None}


def fresh_dist(path: str, system: "dict[str, Any]", watched: "list[str]") -> "Dist":
    """The plan's entry of the build recorded in ``path``, when it was made from what the
    project holds now; else ``Unsure`` (``own_dist.ensure`` builds it)."""
    record = read_record(path)
    if record is None:
        raise Unsure("the project's own metadata is not built (or its build is gone)")
    if record["inputs"] != inputs_hash(system, watched):
        raise Unsure("the project's own metadata is stale: its inputs changed since its build")
    name, version = _name_and_version(metadata_file(path, record))
    return editable_dist(path, record, name, version, system["backend"])


def _name_and_version(path: str) -> "tuple[str, str]":
    """The ``Name`` and ``Version`` headers, as ``email``'s ``HeaderParser`` gives them, when
    the headers are plain: each once, unfolded, ASCII."""
    # Read with universal newlines, as own_dist reads it: "\r\n" and "\r" end lines too.
    with open(path, encoding="utf-8") as f:
        headers = f.read().partition("\n\n")[0]
    if not headers.isascii():
        raise Unsure(f"{path}: headers not in ASCII")
    found: dict[str, list[str]] = {"name": [], "version": []}
    last = ""
    lines = headers.split("\n")
    if lines[-1] == "":  # a file of headers alone ends in one newline
        lines.pop()
    for line in lines:
        if line[:1] in (" ", "\t"):
            if last in found:
                raise Unsure(f"{path}: a folded {last} header")
            continue
        key, colon, value = line.partition(":")
        if not colon or not key or not all("!" <= c <= "~" for c in key):
            raise Unsure(f"{path}: a line that is not a header ({line!r})")
        last = key.lower()
        if last in found:
            found[last].append(value.lstrip(" \t"))
    if any(len(values) != 1 or not values[0] for values in found.values()):
        raise Unsure(f"{path}: Name and Version, once each")
    return found["name"][0], found["version"][0]
