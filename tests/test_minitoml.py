"""The TOML reader of the in-process planner gives ``tomllib``'s answer, or says it is unsure."""

from __future__ import annotations

import contextlib
import sys

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from versioned_import._runtime import minitoml
from versioned_import._runtime.pep508 import Unsure

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REALISTIC = '''\
[build-system]
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "demo"  # a comment
dynamic = ["version"]
description = "A \\"demo\\" \\u00e9t\\u00e9 \\U0001F600 project"
readme = 'README.md'
requires-python = ">=3.10"
authors = [{ name = "A. Person", email = "a@example.invalid" }, {name="B"}]
license = { text = "MIT" }
dependencies = [
    "requests>=2",   # why
    'tomli>=2; python_version < "3.11"',
    # a comment line
    "rich",
]
"optional-dependencies".test = ["pytest>=8"]

[project.scripts]
demo = "demo.cli:main"

[dependency-groups]
dev = ["pytest", {include-group = "lint"}]
lint = ["ruff"]

[tool.vimport]

[tool.ruff]
line-length = 100
lint.select = ["E", "F"]
lint.ignore = []

[tool.ruff.format]
quote-style = "double"

[[tool.mypy.overrides]]
module = ["a.*"]
ignore_missing_imports = true

[[tool.mypy.overrides]]
module = "b"
strict = false

[tool.hatch.version]
path = "demo/__init__.py"
notes = """
first line
  "quoted" and \\t tab\"""
raw = \'\'\'C:\\path\\no\\escapes\'\'\'
empty = ""
"quoted key" = -12
site."dotted.key" = +0
'''

TRICKY = [
    "a = 1\n",
    "a = 1",
    "a=1\nb=[1,2,]\n",
    "[a.b]\nc = 1\n[a]\nd = 2\n",
    "[[a]]\nb = 1\n[a.c]\nd = 2\n[[a]]\nb = 2\n[a.c]\nd = 3\n",
    "[[a]]\n[[a.b]]\nc = 1\n[[a.b]]\n[a.b.d]\n[[a]]\n[[a.b]]\n[a.b.d]\n",
    "a.b.c = 1\na.b.d = 2\n",
    "a = { b.c = 1, b.d = 2 }\n",
    "a = [[1, 2], [], ['x']]\n",
    "'' = 1\n\"a\" = 2\n",
    'a = """\\n"""\n',
    "a = '''\n'''\n",
    'a = """a"b""c"""\n',
    "a = '#'\n# [not a table]\n",
    'a = "x\\\\"\n',
]
INVALID = [
    "a = 1\na = 2\n",
    "[a]\n[a]\n",
    "a.b = 1\n[a]\n",
    "a = {b = 1}\na.c = 2\n",
    "a = {b = 1}\n[a]\n",
    "[[a]]\n[a]\n",
    "a = []\n[[a]]\n",
    "[a]\nb = 1\n[a.b]\n",
    "[[a]]\n[a.b]\n[a.b]\n",
    "a = {b = 1,}\n",
    "a = {b = 1\n}\n",
    "a = 1 b = 2\n",
    "a = 01\n",
    "a = 1.5\n",
    "a = 1979-05-27\n",
    "a = inf\n",
    "a = 0x10\n",
    "a = 1_000\n",
    'a = "\\e"\n',
    'a = "\\ud800"\n',
    'a = "line\nbreak"\n',
    "a = 'x\n",
    'a = """x\\\n  y"""\n',
    'a = "x""\n',
    'a = """x"""""\n',
    "a = 1\r\n",
    'a = "\x01"\n',
    "[ [a] ]\n",
    "a = truex\n",
    "é = 1\n",
    "a = [1 2]\n",
    "[a\n",
    "=1\n",
]


def test_a_realistic_manifest_reads_as_tomllib_reads_it() -> None:
    assert minitoml.loads(REALISTIC) == tomllib.loads(REALISTIC)


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_read_as_tomllib_reads_them(text: str) -> None:
    assert minitoml.loads(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", INVALID)
def test_what_it_does_not_take_is_unsure(text: str) -> None:
    with pytest.raises(Unsure):
        minitoml.loads(text)


KEYS = st.text(max_size=6)
SCALARS = st.text(max_size=12) | st.booleans() | st.integers(-(10**20), 10**20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


@given(DOCUMENTS, st.booleans())
def test_documents_tomli_w_writes_read_as_tomllib_reads_them(
    document: dict[str, object], multiline: bool
) -> None:
    text = tomli_w.dumps(document, multiline_strings=multiline)
    try:
        assert minitoml.loads(text) == tomllib.loads(text)
    except Unsure:
        # Only what it refuses by design: a carriage return or control character, which
        # tomli_w writes raw in multi-line strings.
        assert multiline


EDITS = st.sampled_from(list("[]{}\"'=.,#\n \\x1-")) | st.just("")


WRITTEN = DOCUMENTS.map(tomli_w.dumps) | st.sampled_from([REALISTIC, *TRICKY, *INVALID])


@given(WRITTEN, st.integers(0, 10**6), EDITS, st.integers(0, 3))
def test_a_damaged_document_is_read_as_tomllib_reads_it_or_not_at_all(
    text: str, where: int, edit: str, width: int
) -> None:
    if not text:
        return
    where %= len(text)
    damaged = text[:where] + edit + text[where + width :]
    try:
        expected = tomllib.loads(damaged)
    except tomllib.TOMLDecodeError:
        with pytest.raises(Unsure):
            minitoml.loads(damaged)
        return
    with contextlib.suppress(Unsure):
        assert minitoml.loads(damaged) == expected
