"""A TOML reader for what manifests and locks hold, that gives ``tomllib``'s answer or none.

``tomllib`` costs ~15 ms to import at a new project's first run (it brings ``typing``,
``datetime`` and ``re``), about half of planning a pinned project in-process. This reader takes
tables, arrays of tables, dotted and quoted keys, strings of all four kinds, decimal integers,
booleans, arrays and inline tables; anything else (dates, floats, other integer forms, a key or
table defined twice, a control character) raises ``Unsure``, and the project is planned by the
full planner. ``tests/test_minitoml.py`` compares it with ``tomllib`` on generated and mutated
documents.
"""

from versioned_import._runtime.pep508 import Unsure

__all__ = ["loads"]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_VALUE_END = frozenset(" \t\n#,]}")
_CONTROL = frozenset(chr(c) for c in [*range(32), 127] if chr(c) not in "\t\n")


def loads(text: str) -> "dict[str, object]":
    return _Reader(text).document()


class _Reader:
    def __init__(self, text: str) -> None:
        if not _CONTROL.isdisjoint(text):
            raise Unsure("a control character (or a carriage return)")
        self.text = text
        self.at = 0
        self.root: dict[str, object] = {}
        self.headers: set[tuple[str, ...]] = set()
        """Tables a header defined, and arrays of tables."""
        self.dotted: set[int] = set()
        """Tables dotted keys made: only dotted keys may extend them, no header may name them."""
        self.frozen: set[int] = set()
        """Inline tables and arrays (and what they hold): complete as written."""

    # -- characters --------------------------------------------------------------------------

    def peek(self, width: int = 1) -> str:
        return self.text[self.at : self.at + width]

    def expect(self, literal: str) -> None:
        if self.peek(len(literal)) != literal:
            raise Unsure(f"expected {literal!r} at {self.at}")
        self.at += len(literal)

    def blank(self) -> None:
        while self.peek() in (" ", "\t"):
            self.at += 1

    def blank_lines(self) -> None:
        """Whitespace, comments and newlines, as inside an array."""
        while True:
            self.blank()
            if self.peek() == "#":
                self.comment()
            elif self.peek() == "\n":
                self.at += 1
            else:
                return

    def comment(self) -> None:
        end = self.text.find("\n", self.at)
        self.at = len(self.text) if end < 0 else end

    def end_of_line(self) -> None:
        self.blank()
        if self.peek() == "#":
            self.comment()
        if self.at < len(self.text):
            self.expect("\n")

    # -- structure ---------------------------------------------------------------------------

    def document(self) -> "dict[str, object]":
        table = self.root
        while True:
            self.blank_lines()
            if self.at >= len(self.text):
                return self.root
            if self.peek(2) == "[[":
                self.at += 2
                table = self.array_table(self.key())
                self.blank()
                self.expect("]]")
            elif self.peek() == "[":
                self.at += 1
                table = self.header_table(self.key())
                self.blank()
                self.expect("]")
            else:
                self.key_value(table)
            self.end_of_line()

    def header_table(self, path: "tuple[str, ...]") -> "dict[str, object]":
        if path in self.headers:
            raise Unsure(f"table {'.'.join(path)} defined twice")
        self.headers.add(path)
        parent = self.descend(self.root, path[:-1])
        if isinstance(parent.get(path[-1]), list):
            raise Unsure(f"{'.'.join(path)} is an array")
        return self.descend(parent, path[-1:])

    def array_table(self, path: "tuple[str, ...]") -> "dict[str, object]":
        parent = self.descend(self.root, path[:-1])
        tables = parent.setdefault(path[-1], [])
        if not isinstance(tables, list) or id(tables) in self.frozen:
            raise Unsure(f"{'.'.join(path)} is not an array of tables")
        if path not in self.headers and tables:
            raise Unsure(f"{'.'.join(path)} is not an array of tables")
        # Headers below the array named the tables of its previous element, not of this one.
        self.headers = {h for h in self.headers if h[: len(path)] != path}
        self.headers.add(path)
        table: dict[str, object] = {}
        tables.append(table)
        return table

    def descend(self, table: "dict[str, object]", path: "tuple[str, ...]") -> "dict[str, object]":
        """The table at ``path`` below ``table``, made where missing; through an array of
        tables, its last table."""
        for part in path:
            found = table.setdefault(part, {})
            if isinstance(found, list) and found and isinstance(found[-1], dict):
                if id(found) in self.frozen:
                    raise Unsure(f"{part} is a static array")
                found = found[-1]
            if not isinstance(found, dict) or id(found) in self.frozen | self.dotted:
                raise Unsure(f"{part} is not a table a header can name")
            table = found
        return table

    def key_value(self, table: "dict[str, object]") -> None:
        path = self.key()
        self.blank()
        self.expect("=")
        self.blank()
        value = self.value()
        parent = table
        for part in path[:-1]:
            if part not in parent:
                made: dict[str, object] = {}
                parent[part] = made
                self.dotted.add(id(made))
            child = parent[part]
            if not isinstance(child, dict) or id(child) not in self.dotted:
                raise Unsure(f"{part} is not a table that dotted keys made")
            parent = child
        if path[-1] in parent:
            raise Unsure(f"{'.'.join(path)} defined twice")
        parent[path[-1]] = value

    def key(self) -> "tuple[str, ...]":
        parts = []
        while True:
            self.blank()
            if self.peek() == '"':
                parts.append(self.basic_string())
            elif self.peek() == "'":
                parts.append(self.literal_string())
            else:
                start, text = self.at, self.text
                while self.at < len(text) and text[self.at] in _BARE:
                    self.at += 1
                if self.at == start:
                    raise Unsure(f"a key expected at {self.at}")
                parts.append(text[start : self.at])
            self.blank()
            if self.peek() != ".":
                return tuple(parts)
            self.at += 1

    # -- values ------------------------------------------------------------------------------

    def value(self) -> object:
        char = self.peek()
        if self.peek(3) in ('"""', "'''"):
            return self.multi_line_string()
        if char == '"':
            return self.basic_string()
        if char == "'":
            return self.literal_string()
        if char == "[":
            return self.array()
        if char == "{":
            return self.inline_table()
        for word, meaning in (("true", True), ("false", False)):
            if self.peek(len(word)) == word:
                self.at += len(word)
                return meaning
        return self.integer()

    def integer(self) -> int:
        start = self.at
        if self.peek() in ("+", "-"):
            self.at += 1
        digits = self.at
        while self.peek() and self.peek() in _DIGITS:
            self.at += 1
        text = self.text[digits : self.at]
        following = self.peek()
        if not text or (len(text) > 1 and text[0] == "0") or following not in _VALUE_END | {""}:
            raise Unsure(f"a value this reader does not take at {start}")
        return int(self.text[start : self.at])

    def basic_string(self) -> str:
        start = self.at + 1
        end = self.text.find('"', start)
        if end < 0 or "\\" in self.text[start:end]:  # escapes: the quote may be one of them
            end = start
            while self.text[end : end + 1] not in ('"', "\n", ""):
                end += 2 if self.text[end] == "\\" else 1
        elif "\n" in self.text[start:end]:
            raise Unsure("an unterminated string")
        if self.text[end : end + 1] != '"':
            raise Unsure("an unterminated string")
        self.at = end + 1
        return _unescape(self.text[start:end])

    def literal_string(self) -> str:
        end = self.text.find("'", self.at + 1)
        newline = self.text.find("\n", self.at + 1)
        if end < 0 or 0 <= newline < end:
            raise Unsure("an unterminated string")
        found = self.text[self.at + 1 : end]
        self.at = end + 1
        return found

    def multi_line_string(self) -> str:
        quote = self.peek(3)
        self.at += 3
        if self.peek() == "\n":
            self.at += 1
        end = self.text.find(quote, self.at)
        if end < 0 or self.text[end + 3 : end + 4] == quote[0]:
            raise Unsure("a multi-line string this reader does not take")
        raw = self.text[self.at : end]
        self.at = end + 3
        if quote == "'''":
            return raw
        return _unescape(raw)

    def array(self) -> "list[object]":
        self.at += 1
        found: list[object] = []
        while True:
            self.blank_lines()
            if self.peek() == "]":
                self.at += 1
                self.frozen.add(id(found))
                return found
            found.append(self.value())
            self.blank_lines()
            if self.peek() == ",":
                self.at += 1
            elif self.peek() != "]":
                raise Unsure(f"',' or ']' expected at {self.at}")

    def inline_table(self) -> "dict[str, object]":
        self.at += 1
        found: dict[str, object] = {}
        self.blank()
        if self.peek() == "}":
            self.at += 1
        else:
            while True:
                self.key_value(found)
                self.blank()
                if self.peek() == "}":
                    self.at += 1
                    break
                self.expect(",")
        self.freeze(found)
        return found

    def freeze(self, value: object) -> None:
        """An inline table, and every table and array in it, is complete as written."""
        if isinstance(value, (dict, list)):
            self.frozen.add(id(value))
            for item in value.values() if isinstance(value, dict) else value:
                self.freeze(item)


def _unescape(raw: str) -> str:
    """A basic string's content with its escapes replaced."""
    found: list[str] = []
    at = 0
    while True:
        backslash = raw.find("\\", at)
        if backslash < 0:
            return "".join([*found, raw[at:]])
        found.append(raw[at:backslash])
        char = raw[backslash + 1 : backslash + 2]
        width = {"u": 4, "U": 8}.get(char, 0)
        digits = raw[backslash + 2 : backslash + 2 + width]
        if char in _ESCAPES:
            found.append(_ESCAPES[char])
        elif width and len(digits) == width and set(digits) <= _HEX:
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                raise Unsure("an escape of no character")
            found.append(chr(code))
        else:
            # Among them a line-ending backslash, which only multi-line strings may hold.
            raise Unsure("an escape this reader does not take")
        at = backslash + 2 + width
