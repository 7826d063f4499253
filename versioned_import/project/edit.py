"""Edit a dependency array of a ``pyproject.toml`` in place, as ``uv add``/``remove`` do:
``[project].dependencies``, a ``[dependency-groups]`` group (``--group``, ``--dev``) or an extra of
``[project.optional-dependencies]`` (``--optional``).

Only the array changes: comments, key order, other tables and the array's own layout (one item
per line or inline, indentation, trailing comma, quote style, line endings) are kept. Input is
checked before the file is read, every problem in the file is reported at once, and the new
file replaces the old one atomically, or not at all when nothing changes.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from versioned_import._compat import tomllib
from versioned_import._runtime.fs import write_atomic
from versioned_import.errors import ManifestError

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from tomlkit.items import Array, String, _ArrayItemGroup
    from tomlkit.toml_document import TOMLDocument

__all__ = ["DEPENDENCIES", "add_requirements", "extra_field", "group_field", "remove_requirements"]

DEPENDENCIES = ("project", "dependencies")
"""The keys of ``[project].dependencies``; ``group_field`` and ``extra_field`` give the others."""


def group_field(group: str) -> tuple[str, ...]:
    return ("dependency-groups", group)


def extra_field(extra: str) -> tuple[str, ...]:
    return ("project", "optional-dependencies", extra)


# The PEP 508 name at the start of an entry: enough to match entries that do not parse.
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def add_requirements(
    pyproject: str, requirements: Sequence[str], field: Sequence[str] = DEPENDENCIES
) -> list[str]:
    """Add PEP 508 ``requirements`` to the array at ``field``; returns its requirements.

    A requirement whose name is listed replaces that entry where it stands (the entries of that
    name with the same marker when there are such, else every entry of that name: the first
    becomes the new requirement, the others go); a new name is appended. The array and the
    tables above it are created when missing.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    wanted: list[tuple[str, Requirement]] = []
    problems: list[str] = []
    for text in requirements:
        try:
            wanted.append((text.strip(), Requirement(text)))
        except InvalidRequirement as exc:
            problems.append(f"{text!r} is not a valid requirement ({exc})")
    if problems:
        raise ManifestError(pyproject, problems)
    original, document = _load(pyproject)
    array = _array(pyproject, document, field, adding=bool(wanted))
    if array is None:
        return []
    had_trailing_comma = _trailing_comma(array)
    for text, requirement in wanted:
        _add(array, text, requirement)
    _restore_trailing_comma(array, had_trailing_comma)
    return _save(pyproject, original, document, array, field)


def remove_requirements(
    pyproject: str, names: Sequence[str], field: Sequence[str] = DEPENDENCIES
) -> list[str]:
    """Remove every entry of each of ``names`` (extras, markers and versions do not matter).

    Every name must be listed; otherwise nothing is written. Returns the resulting dependencies.
    """
    from packaging.utils import InvalidName, canonicalize_name

    original, document = _load(pyproject)
    array = _array(pyproject, document, field, adding=False)
    entries = [] if array is None else _entries(array)
    listed = [_name_of(entry) for entry in entries]
    problems: list[str] = []
    for name in names:
        try:
            canonical = canonicalize_name(name, validate=True)
        except InvalidName:
            problems.append(
                f"{name!r} is not a project name; give the name alone, without a version, "
                "extras or a marker"
            )
            continue
        if canonical not in listed:
            shown = ", ".join(_shown_name(entry) for entry in entries if entry) or "nothing"
            problems.append(f"{'.'.join(field)}: {name!r} is not listed; listed: {shown}")
    if problems:
        raise ManifestError(pyproject, problems)
    if array is None:
        return []
    had_trailing_comma = _trailing_comma(array)
    doomed = {canonicalize_name(name) for name in names}
    for index in reversed(range(len(entries))):
        if listed[index] in doomed:
            del array[index]
    if entries and not array and "#" not in array.as_string():
        array.clear()  # `[\n]` left by removing the last item reads better as `[]`, as uv has it
    _restore_trailing_comma(array, had_trailing_comma)
    return _save(pyproject, original, document, array, field)


def _load(path: str) -> tuple[str, TOMLDocument]:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        with open(path, "rb") as f:
            # Bytes, not text mode: text mode would turn CRLF into LF and we write back what
            # we read.
            text = f.read().decode("utf-8")
    except FileNotFoundError as exc:
        raise ManifestError(
            path, ["file not found; create it with a [tool.vimport] table"]
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(path, [f"cannot read the file ({exc})"]) from exc
    try:
        return text, tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ManifestError(path, [f"invalid TOML: {_where(exc, text)}; fix it there"]) from exc


def _where(exc: Exception, text: str) -> str:
    """tomlkit's message, which names the line, or else tomllib's.

    tomlkit reports a key repeated inside a table (``KeyAlreadyPresent``) without a position.
    """
    from tomlkit.exceptions import ParseError

    if isinstance(exc, ParseError):  # its end of file shows as "Unexpected character: '\x00'"
        return str(exc).replace("character: '\\x00'", "end of file")
    try:
        tomllib.loads(text)
    except ValueError as positioned:  # tomllib.TOMLDecodeError
        return str(positioned)
    return str(exc)


def _array(path: str, document: TOMLDocument, field: Sequence[str], adding: bool) -> Array | None:
    """The array at ``field``, created (with its tables) when ``adding``; None when absent."""
    import tomlkit
    from tomlkit.items import Array, InlineTable

    where = ".".join(field)
    table: Any = document
    for depth, key in enumerate(field[:-1]):
        inner = table.get(key)
        if inner is None:
            if not adding:
                return None
            table[key] = inner = tomlkit.table()
        if not isinstance(inner, dict):
            name = ".".join(field[: depth + 1])
            raise ManifestError(path, [f"{name} must be a table, not {_kind(inner)}; make it one"])
        table = inner
    problems = _dynamic(document, field)
    array: object = table.get(field[-1])
    if array is None and adding and not problems:
        # A new array is laid out one item per line, as uv does, except inside an inline
        # table, which is meant to stay on one line.
        array = tomlkit.array()
        array.multiline(not isinstance(table, InlineTable))
        if isinstance(table, InlineTable) and table and table.as_string()[-2:-1] != " ":
            array.trivia.indent = " "  # else tomlkit writes `{name = "x",dependencies = []}`
        table[field[-1]] = array
    elif array is not None and not isinstance(array, Array):
        problems.append(f"{where} must be an array of PEP 508 strings, not {_kind(array)}")
    elif isinstance(array, Array):
        if adding and not array and "#" not in array.as_string():
            # An empty `[]` has no layout of its own to keep: take the new array's.
            array.multiline(not isinstance(table, InlineTable))
        problems += [
            f"{where}[{index}] must be a string, not {_kind(item)}; fix or remove it"
            for index, item in enumerate(array)
            if not isinstance(item, str) and not _includes_group(field, item)
        ]
    if problems:
        raise ManifestError(path, problems)
    return array if isinstance(array, Array) else None


def _dynamic(document: TOMLDocument, field: Sequence[str]) -> list[str]:
    """A problem when the build backend computes the ``[project]`` field being edited."""
    project = document.get("project")
    dynamic = project.get("dynamic") if isinstance(project, dict) else None
    if field[0] != "project" or not isinstance(dynamic, list) or field[1] not in dynamic:
        return []
    build = document.get("build-system")
    backend = build.get("build-backend") if isinstance(build, dict) else None
    return [
        f"project.{field[1]} is listed in project.dynamic, so the build backend"
        + (f" ({backend})" if isinstance(backend, str) else "")
        + f" computes them; change them where it reads them, or drop '{field[1]}' from "
        f"project.dynamic and list them in project.{field[1]}"
    ]


def _includes_group(field: Sequence[str], item: object) -> bool:
    """A PEP 735 ``{include-group = "..."}`` item, which a dependency group may hold."""
    return field[0] == "dependency-groups" and isinstance(item, dict) and "include-group" in item


def _add(array: Array, text: str, requirement: Requirement) -> None:
    from packaging.utils import canonicalize_name

    entries = _entries(array)
    name = canonicalize_name(requirement.name)
    same_name = [i for i, entry in enumerate(entries) if _name_of(entry) == name]
    same_marker = [i for i in same_name if _same_marker(entries[i], requirement)]
    targets = same_marker or same_name
    if not targets:
        strings = [item for item in array if _is_string(item)]
        _append(array, _string(text, like=strings[-1] if strings else None))
        return
    first, *others = targets
    for index in reversed(others):
        del array[index]
    if _requirement_of(entries[first]) != requirement:  # an equal one keeps its spelling
        array[first] = _string(text, like=array[first])


def _append(array: Array, value: String) -> None:
    """Append ``value`` right after the last item, in that item's layout.

    tomlkit's ``Array.append`` puts the new item after any comment lines that close a
    multi-line array (and then without a trailing comma); uv puts it right after the last
    item, keeping those closing comments last. So, for an array with one item per line, the
    item group (indent, value, comma, comment) is inserted here, through tomlkit's private
    ``_value`` groups: the public API cannot place an item there.
    """
    from tomlkit.items import Null, Whitespace, _ArrayItemGroup

    groups = array._value
    last = max(
        (i for i, g in enumerate(groups) if g.value is not None and not isinstance(g.value, Null)),
        default=None,
    )
    indent = groups[last].indent if last is not None else None
    if last is None or indent is None or "\n" not in indent.s or "," in indent.s:
        array.append(value)  # inline, empty or comma-first: tomlkit lays these out well
        return
    if groups[last].comma is None:
        groups[last].comma = Whitespace(",")
    groups.insert(last + 1, _ArrayItemGroup(value=value, indent=Whitespace(indent.s)))
    list.append(array, value)  # the list view of the values, kept in step with the groups
    array._reindex()


def _trailing_comma(array: Array) -> bool:
    """Whether the last item of a multi-line ``array`` has a comma (uv's style when empty)."""
    group = _last_group(array)
    return group is None or group.comma is not None


def _restore_trailing_comma(array: Array, trailing_comma: bool) -> None:
    """Give the last item the trailing comma the array had, or not, before the edit.

    tomlkit keeps the comma of the item that is last after a removal, and adds none after
    an append that followed closing comments.
    """
    from tomlkit.items import Whitespace

    group = _last_group(array)
    if group is None or group.indent is None or "\n" not in group.indent.s:
        return  # inline arrays keep their commas right by themselves
    if trailing_comma != (group.comma is not None):
        group.comma = Whitespace(",") if trailing_comma else None


def _last_group(array: Array) -> _ArrayItemGroup | None:
    """The private item group of the last item of ``array``, or None when it is empty."""
    from tomlkit.items import Null

    values = [g for g in array._value if g.value is not None and not isinstance(g.value, Null)]
    return values[-1] if values else None


def _string(text: str, like: object) -> String:
    """``text`` as a TOML string quoted like ``like``, unless that quoting cannot hold it."""
    import tomlkit
    from tomlkit.items import StringType

    literal = _is_string(like) and like.type in (StringType.SLL, StringType.MLL)
    if literal and ("'" in text or not text.isprintable()):
        literal = False
    elif not literal and '"' in text and "'" not in text and text.isprintable():
        literal = True  # `'a; b == "1"'` reads better than `"a; b == \"1\""`
    return tomlkit.string(text, literal=literal)


def _is_string(item: object) -> TypeGuard[String]:
    from tomlkit.items import String

    return isinstance(item, String)


def _entries(array: Array) -> list[str]:
    """Each item's text, by index; an ``include-group`` table's is empty (it has no name)."""
    return [str(item) if isinstance(item, str) else "" for item in array]


def _name_of(entry: str) -> str | None:
    from packaging.utils import canonicalize_name

    match = _NAME.match(entry)
    return canonicalize_name(match[1]) if match else None


def _shown_name(entry: str) -> str:
    match = _NAME.match(entry)
    return match[1] if match else repr(entry)


def _same_marker(entry: str, requirement: Requirement) -> bool:
    listed = _requirement_of(entry)
    return listed is not None and listed.marker == requirement.marker


def _requirement_of(entry: str) -> Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(entry)
    except InvalidRequirement:
        return None


def _kind(value: object) -> str:
    kinds: list[tuple[type, str]] = [
        (bool, "a boolean"),
        (str, "a string"),
        (int, "an integer"),
        (float, "a float"),
        (list, "an array"),
        (dict, "a table"),
    ]
    return next((word for kind, word in kinds if isinstance(value, kind)), "a date or time")


def _save(
    path: str, original: str, document: TOMLDocument, array: Array, field: Sequence[str]
) -> list[str]:
    """Write ``document`` over ``path`` unless it is unchanged; returns the requirements."""
    text = document.as_string()
    if "\r\n" in original and original.count("\n") == original.count("\r\n"):
        # tomlkit writes the lines it makes up with LF; in a CRLF file, so should we.
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if text != original:
        _check_reads_back(path, text, field, array.unwrap())
        _write_atomically(path, text)
    return [str(item) for item in array if isinstance(item, str)]


def _check_reads_back(path: str, text: str, field: Sequence[str], expected: list[Any]) -> None:
    """Refuse to write a file that a TOML reader would not read back to ``expected``."""
    found: Any
    try:
        found = tomllib.loads(text)
        for key in field:
            found = found.get(key) if isinstance(found, dict) else None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        found = exc
    if found != expected:
        raise ManifestError(
            path,
            [
                f"{'.'.join(field)}: the edited file would read back as {found!r}, not "
                f"{expected!r}, so it was left as it was; edit the array by hand (and report this)"
            ],
        )


def _write_atomically(path: str, text: str) -> None:
    # Through a symlink to the file it points at, not over the link; with the file's mode, less
    # any write bit for group or others (the one rule for what the tool writes).
    target = os.path.realpath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
        write_atomic(target, text.encode("utf-8"), mode, durable=True)
    except OSError as exc:
        raise ManifestError(
            path, [f"cannot write the file ({exc}); it was left as it was"]
        ) from exc
