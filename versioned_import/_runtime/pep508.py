"""The part of PEP 440 and PEP 508 that pinned projects meet, with the standard library alone.

``quickplan`` plans a project at its first run in the project's own process, where importing
``packaging`` (~25 ms, and maybe another version than the project's) is not an option. Every
function here answers exactly as ``packaging`` 26 does, or raises ``Unsure``: versions in their
canonical form, the specifier operators but ``===``, markers on the standard variables.
Anything else (local versions, ``1.0-beta``, ``===``, a comparison ``packaging`` versions
answer differently) is the child interpreter's job. ``tests/test_pep508.py`` checks the answers
against ``packaging``.
"""

import re

__all__ = ["Requirement", "Unsure", "contains", "evaluate", "parse_requirement", "version_key"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    Atom = tuple[str, str, str, bool]
    """A comparison: variable, operator, value, and whether the variable stood on the left."""
    Marker = list["Atom | str | Marker"]
    """A marker as ``packaging`` parses it: atoms and nested lists joined by "and" and "or"."""


class Requirement:
    """A parsed requirement line."""

    __slots__ = ("extras", "marker", "name", "specifiers")

    def __init__(
        self,
        name: str,
        extras: "list[str]",
        specifiers: "list[tuple[str, str]]",
        marker: "Marker | None",
    ) -> None:
        self.name = name
        """As written."""
        self.extras = extras
        self.specifiers = specifiers
        """(operator, version), as written."""
        self.marker = marker

    def text(self) -> str:
        """The requirement as ``str(packaging.requirements.Requirement(...))`` spells it."""
        parts = [self.name]
        if self.extras:
            parts.append(f"[{','.join(sorted(self.extras))}]")
        parts.append(",".join(sorted(op + version for op, version in self.specifiers)))
        if self.marker is not None:
            parts.append(f"; {_format(self.marker)}")
        return "".join(parts)


class Unsure(Exception):
    """``packaging`` might answer otherwise: leave this project to the full planner."""


_VERSION = re.compile(r"(0|[1-9]\d*)((?:\.(?:0|[1-9]\d*))*)(?:(a|b|rc)(0|[1-9]\d*))?"
                      r"(?:\.post(0|[1-9]\d*))?(?:\.dev(0|[1-9]\d*))?")  # fmt: skip
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_OPERATOR = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*")
_VERSION_VARIABLES = {"implementation_version", "platform_release", "python_full_version",
                      "python_version"}  # fmt: skip
_STRING_VARIABLES = {"implementation_name", "os_name", "platform_machine",
                     "platform_python_implementation", "platform_system", "platform_version",
                     "sys_platform", "extra"}  # fmt: skip


def _parts(text: str) -> "tuple[list[int], str | None, str | None, str | None, str | None]":
    """Release, pre-release letter and number, post and dev numbers of a canonical version."""
    match = _VERSION.fullmatch(text)
    if match is None:
        raise Unsure(text)
    first, rest, pre, pre_number, post, dev = match.groups()
    return [int(first), *(int(p) for p in rest.split(".")[1:])], pre, pre_number, post, dev


def version_key(text: str) -> "tuple[tuple[int, ...], tuple[int, ...], int, tuple[int, int]]":
    """What orders ``text`` among versions (``packaging.version.Version``'s key, restated)."""
    release, pre, pre_number, post, dev = _parts(text)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if pre is not None:
        pre_key: tuple[int, ...] = (1, _PRE_RANK[pre], int(str(pre_number)))
    else:
        pre_key = (0,) if dev is not None and post is None else (2,)
    dev_key = (1, 0) if dev is None else (0, int(dev))
    return (tuple(release), pre_key, -1 if post is None else int(post), dev_key)


def _is_pre(text: str) -> bool:
    _, pre, _, _, dev = _parts(text)
    return pre is not None or dev is not None


def contains(operator: str, spec: str, version: str) -> bool:
    """``Specifier(operator + spec).contains(version, prereleases=True)``."""
    key = version_key(version)
    if spec.endswith(".*"):
        if operator not in ("==", "!="):
            raise Unsure(operator + spec)
        prefix, *suffixes = _parts(spec[:-2])
        if any(suffixes):
            raise Unsure(spec)
        padded = (_parts(version)[0] + [0] * len(prefix))[: len(prefix)]
        return (padded == prefix) == (operator == "==")
    wanted = version_key(spec)
    if operator == "~=":
        prefix = _parts(spec)[0]
        if len(prefix) < 2:
            raise Unsure(operator + spec)
        return key >= wanted and contains("==", ".".join(map(str, prefix[:-1])) + ".*", version)
    if operator in ("==", "!="):
        return (key == wanted) == (operator == "==")
    if operator == "<=":
        return key <= wanted
    if operator == ">=":
        return key >= wanted
    if operator == "<":
        if key >= wanted or _is_pre(spec) or not _is_pre(version):
            return key < wanted
        # `<V` admits no pre-release "of V": packaging 26.2 means any at or after V.dev0,
        # earlier releases any of V's base version; where they differ, the answer is unsure.
        return _agreed(key[0] != wanted[0], key < version_key(f"{spec}.dev0"))
    if operator == ">":
        if key <= wanted or wanted[2] != -1 or key[2] == -1:
            return key > wanted
        # Likewise `>V` and the post-releases "of V": of V itself, or of V's base version.
        post_base = version_key(re.sub(r"\.post\d+(\.dev\d+)?$", "", version))
        return _agreed(key[0] != wanted[0], post_base != wanted)
    raise Unsure(operator)


def _agreed(earlier: bool, now: bool) -> bool:
    """The answer when ``packaging`` releases agree on it."""
    if earlier != now:
        raise Unsure("packaging releases answer this comparison differently")
    return now


def parse_requirement(text: str) -> "Requirement":
    """A PEP 508 line without a URL."""
    text = text.strip()
    match = _NAME.match(text)
    if match is None:
        raise Unsure(text)
    name, rest = match.group(), text[match.end() :].lstrip()
    extras: list[str] = []
    if rest.startswith("["):
        inside, _, rest = rest[1:].partition("]")
        extras = [e.strip() for e in inside.split(",") if e.strip()]
        rest = rest.lstrip()
    spec_text, semicolon, marker_text = rest.partition(";")
    spec_text = spec_text.strip()
    if spec_text.startswith("(") and spec_text.endswith(")"):
        spec_text = spec_text[1:-1]
    specifiers = [_specifier(part) for part in spec_text.split(",")] if spec_text.strip() else []
    marker = _parse_marker(marker_text) if semicolon else None
    return Requirement(name, extras, specifiers, marker)


def _specifier(text: str) -> tuple[str, str]:
    match = _OPERATOR.match(text)
    if match is None:
        raise Unsure(text)
    version = text[match.end() :].strip()
    star = version.endswith(".*")
    if _VERSION.fullmatch(version[:-2] if star else version) is None:
        raise Unsure(text)
    return match.group(1), version


# -- markers ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(and|or)\b|(not\s+in|in)\b|(==|!=|<=|>=|<|>|~=)|"
                    r"'([^']*)'|\"([^\"]*)\"|([A-Za-z_][A-Za-z0-9_]*))")  # fmt: skip


def _tokens(text: str) -> "list[tuple[str, str]]":
    found, position, text = [], 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise Unsure(text)
        kind = match.lastindex or 0
        value = match.group(kind)
        kinds = ["", "(", ")", "bool", "op", "op", "str", "str", "var"]
        found.append((kinds[kind], re.sub(r"\s+", " ", value) if kind == 4 else value))
        position = match.end()
    return found


def _parse_marker(text: str) -> "Marker":
    tokens = _tokens(text)
    marker, position = _expression(tokens, 0)
    if position != len(tokens):
        raise Unsure(text)
    return marker


def _expression(tokens: "list[tuple[str, str]]", position: int) -> "tuple[Marker, int]":
    found: Marker = []
    while True:
        if position < len(tokens) and tokens[position][0] == "(":
            inner, position = _expression(tokens, position + 1)
            if position >= len(tokens) or tokens[position][0] != ")":
                raise Unsure("unbalanced parentheses")
            found.append(inner)
            position += 1
        else:
            found.append(_atom(tokens[position : position + 3]))
            position += 3
        if position < len(tokens) and tokens[position][0] == "bool":
            found.append(tokens[position][1])
            position += 1
            continue
        return found, position


def _atom(tokens: "list[tuple[str, str]]") -> "Atom":
    kinds = [kind for kind, _ in tokens]
    if kinds == ["var", "op", "str"]:
        variable, op, value, left = tokens[0][1], tokens[1][1], tokens[2][1], True
    elif kinds == ["str", "op", "var"]:
        variable, op, value, left = tokens[2][1], tokens[1][1], tokens[0][1], False
    else:
        raise Unsure(str(tokens))
    if variable not in _VERSION_VARIABLES | _STRING_VARIABLES:
        raise Unsure(variable)
    if variable == "extra":
        value = re.sub(r"[-_.]+", "-", value).lower()
    return (variable, op, value, left)


def _format(marker: "Marker | Atom | str", first: bool = True) -> str:
    if isinstance(marker, list) and len(marker) == 1 and isinstance(marker[0], (list, tuple)):
        return _format(marker[0])
    if isinstance(marker, list):
        inner = " ".join(_format(m, first=False) for m in marker)
        return inner if first else f"({inner})"
    if isinstance(marker, tuple):
        variable, op, value, left = marker
        return f'{variable} {op} "{value}"' if left else f'"{value}" {op} {variable}'
    return marker


def evaluate(marker: "Marker", environment: "dict[str, str]") -> bool:
    """``Marker.evaluate`` with ``extra`` set to ""; ``environment`` is
    ``packaging.markers.default_environment()`` as the full planner recorded it."""
    groups: list[list[bool]] = [[]]
    for item in marker:
        if isinstance(item, list):
            groups[-1].append(evaluate(item, environment))
        elif isinstance(item, tuple):
            groups[-1].append(_compare(item, environment))
        elif item == "or":
            groups.append([])
    return any(all(group) for group in groups)


def _compare(atom: "Atom", environment: "dict[str, str]") -> bool:
    variable, op, value, left = atom
    current = "" if variable == "extra" else environment[variable]
    lhs, rhs = (current, value) if left else (value, current)
    if variable in _VERSION_VARIABLES and op not in ("in", "not in"):
        if re.match(r"\s*v?\d", rhs) is None:
            raise Unsure(rhs)  # not a version: packaging compares it as a string, or fails
        return contains(op, rhs, lhs)
    if op == "in":
        return lhs in rhs
    if op == "not in":
        return lhs not in rhs
    if op in ("==", "!=") and re.match(r"\s*v?\d", rhs) is None:
        return (lhs == rhs) == (op == "==")
    raise Unsure(op)  # ordering strings, or a number: packaging versions disagree here
