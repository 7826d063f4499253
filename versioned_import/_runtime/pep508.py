"""The part of PEP 440 and PEP 508 that pinned projects meet, with the standard library alone.

``quickplan`` plans a project at its first run in the project's own process, where importing
``packaging`` (~25 ms, and maybe another version than the project's) is not an option. Every
function here answers exactly as ``packaging`` 26 does, or raises ``Unsure``: versions in their
canonical form, the specifier operators but ``===``, markers on the standard variables.
Anything else (local versions, ``1.0-beta``, ``===``, a comparison ``packaging`` versions
answer differently) is the child interpreter's job. ``tests/test_pep508.py`` checks the answers
against ``packaging``.
"""

__all__ = [
    "Requirement",
    "Unsure",
    "canonical_name",
    "contains",
    "evaluate",
    "parse_requirement",
    "version_key",
]

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
            parts.append(f"[{','.join(sorted(set(self.extras)))}]")
        parts.append(",".join(sorted(op + version for op, version in self.specifiers)))
        if self.marker is not None:
            parts.append(f"; {_format(self.marker)}")
        return "".join(parts)


class Unsure(Exception):
    """``packaging`` might answer otherwise: leave this project to the full planner."""


# Hand-written scanners, not `re`: importing it costs ~10 ms of a first run here (enum).
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARS = _ALNUM | frozenset("._-")
_WORD_CHARS = _ALNUM | frozenset("_")
_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")
_BLANK = " \t"
_VERSION_VARIABLES = {"implementation_version", "platform_release", "python_full_version",
                      "python_version"}  # fmt: skip
_STRING_VARIABLES = {"implementation_name", "os_name", "platform_machine",
                     "platform_python_implementation", "platform_system", "platform_version",
                     "sys_platform", "extra"}  # fmt: skip


_PARSED: "dict[str, tuple[list[int], str | None, str | None, str | None, str | None]]" = {}


def _parts(text: str) -> "tuple[list[int], str | None, str | None, str | None, str | None]":
    """Release, pre-release letter and number, post and dev numbers of a canonical version:
    ``N(.N)*[{a|b|rc}N][.postN][.devN]``. Planning asks for the same few versions hundreds of
    times, so each is read once."""
    found = _PARSED.get(text)
    if found is None:
        found = _PARSED[text] = _read_parts(text)
    return found


def _read_parts(text: str) -> "tuple[list[int], str | None, str | None, str | None, str | None]":
    rest, dev = _suffix(text, ".dev")
    rest, post = _suffix(rest, ".post")
    start = next((i for i, c in enumerate(rest) if c in "abr"), len(rest))
    release, pre_text = rest[:start], rest[start:]
    pre = next((p for p in ("rc", "a", "b") if pre_text.startswith(p)), None)
    pre_number = pre_text[len(pre) :] if pre is not None else None
    parts = release.split(".")
    numbers = [*parts, pre_number] if pre_number is not None else parts
    if (pre_text and pre is None) or not all(_number(p) for p in numbers):
        raise Unsure(text)
    return [int(p) for p in parts], pre, pre_number, post, dev


def _suffix(text: str, label: str) -> "tuple[str, str | None]":
    head, found, number = text.rpartition(label)
    if not found:
        return text, None
    if not _number(number):
        raise Unsure(text)
    return head, number


def _number(text: str) -> bool:
    """A decimal number as a canonical version writes it: no sign, no leading zero."""
    return text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")


def version_key(text: str) -> "tuple[tuple[int, ...], tuple[int, ...], int, tuple[int, int]]":
    """What orders ``text`` among versions (``packaging.version.Version``'s key, restated)."""
    parsed, pre, pre_number, post, dev = _parts(text)
    release = list(parsed)
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
        release, pre, pre_number, _, _ = _parts(version)
        base = ".".join(map(str, release)) + (f"{pre}{pre_number}" if pre else "")
        post_base = version_key(base)
        return _agreed(key[0] != wanted[0], post_base != wanted)
    raise Unsure(operator)


def _agreed(earlier: bool, now: bool) -> bool:
    """The answer when ``packaging`` releases agree on it."""
    if earlier != now:
        raise Unsure("packaging releases answer this comparison differently")
    return now


def parse_requirement(text: str) -> "Requirement":
    """A PEP 508 line without a URL."""
    text = text.strip(_BLANK)
    end = 0
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    name = text[:end].rstrip("._-")
    rest = text[len(name) :].lstrip(_BLANK)
    extras: list[str] = []
    if rest.startswith("["):
        inside, closed, rest = rest[1:].partition("]")
        extras = [e.strip(_BLANK) for e in inside.split(",")] if inside.strip(_BLANK) else []
        if not closed:
            raise Unsure(text)
        rest = rest.lstrip(_BLANK)
    if not all(_is_name(n) for n in [name, *extras]):
        raise Unsure(text)
    spec_text, semicolon, marker_text = rest.partition(";")
    spec_text = spec_text.strip(_BLANK)
    if spec_text.startswith("(") and spec_text.endswith(")"):
        spec_text = spec_text[1:-1]
    specifiers = [_specifier(p) for p in spec_text.split(",")] if spec_text.strip(_BLANK) else []
    same = {
        (op, version if version.endswith("*") else version_key(version))
        for op, version in specifiers
    }
    if len(same) < len(specifiers):
        raise Unsure(f"{text}: a specifier twice, which packaging keeps once")
    marker = _parse_marker(marker_text) if semicolon else None
    return Requirement(name, extras, specifiers, marker)


def _is_name(text: str) -> bool:
    return bool(text) and text[0] in _ALNUM and text[-1] in _ALNUM and set(text) <= _NAME_CHARS


def _specifier(text: str) -> tuple[str, str]:
    text = text.strip(_BLANK)
    operator = next((op for op in _OPERATORS if text.startswith(op)), None)
    if operator is None:
        raise Unsure(text)
    version = text[len(operator) :].strip(_BLANK)
    _parts(version[:-2] if version.endswith(".*") else version)
    return operator, version


# -- markers ------------------------------------------------------------------------------------


def _tokens(text: str) -> "list[tuple[str, str]]":
    """Kinds: "(", ")", "bool" (and, or), "op", "str" (a quoted value), "var"."""
    found: list[tuple[str, str]] = []
    at = 0
    while True:
        while text[at : at + 1] in (" ", "\t") and at < len(text):
            at += 1
        if at >= len(text):
            return found
        char = text[at]
        operator = next((op for op in _OPERATORS if text.startswith(op, at)), None)
        if char in "()":
            found.append((char, char))
            at += 1
        elif operator is not None:
            found.append(("op", operator))
            at += len(operator)
        elif char in "'\"":
            end = text.find(char, at + 1)
            if end < 0:
                raise Unsure(text)
            found.append(("str", text[at + 1 : end]))
            at = end + 1
        elif char in _WORD_CHARS and not char.isdigit():
            end = at
            while end < len(text) and text[end] in _WORD_CHARS:
                end += 1
            word, at = text[at:end], end
            after = text[at:].lstrip(_BLANK)
            if word == "not" and after.startswith("in") and after[2:3] not in _WORD_CHARS:
                found.append(("op", "not in"))
                at = len(text) - len(after) + 2
                continue
            kind = "bool" if word in ("and", "or") else "op" if word == "in" else "var"
            found.append((kind, word))
        else:
            raise Unsure(text)


def _parse_marker(text: str) -> "Marker":
    tokens = _tokens(text)
    marker, position = _expression(tokens, 0)
    if position != len(tokens):
        raise Unsure(text)
    # packaging 26.2 normalizes the names `extra` is compared with at the top level alone,
    # 26.4 everywhere: inside parentheses the two disagree.
    if any(_mentions_extra(item) for item in marker if isinstance(item, list)):
        raise Unsure(f"{text}: extra inside parentheses")
    return [
        (item[0], item[1], canonical_name(item[2]), item[3])
        if isinstance(item, tuple) and item[0] == "extra"
        else item
        for item in marker
    ]


def _mentions_extra(marker: "Marker | Atom | str") -> bool:
    if isinstance(marker, list):
        return any(_mentions_extra(item) for item in marker)
    return isinstance(marker, tuple) and marker[0] == "extra"


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
        if not _version_like(rhs):
            raise Unsure(rhs)  # not a version: packaging compares it as a string, or fails
        return contains(op, rhs, lhs)
    if op == "in":
        return lhs in rhs
    if op == "not in":
        return lhs not in rhs
    if op in ("==", "!=") and not _version_like(rhs):
        return (lhs == rhs) == (op == "==")
    raise Unsure(op)  # ordering strings, or a number: packaging versions disagree here


def _version_like(text: str) -> bool:
    """Whether ``packaging`` might read ``text`` as a version: every version it reads starts
    with a digit, after whitespace and a ``v``."""
    text = text.lstrip()
    text = text[1:] if text[:1] in ("v", "V") else text
    return text[:1].isdigit()


def canonical_name(name: str) -> str:
    """``packaging.utils.canonicalize_name``: runs of ``-_.`` become one ``-``, lower case."""
    found: list[str] = []
    for char in name.lower():
        if char in "-_.":
            if found[-1:] != ["-"]:
                found.append("-")
        else:
            found.append(char)
    return "".join(found)
