"""JSON read and quoted without the json module, as the json module does."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from versioned_import._runtime import minijson

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(VALUES, st.sampled_from([None, 2]))
def test_what_json_writes_reads_as_json_reads_it(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert repr(minijson.loads(text)) == repr(json.loads(text))


@given(st.text())
def test_strings_are_quoted_as_json_quotes_them(text: str) -> None:
    assert minijson.quote(text) == json.dumps(text)


@given(VALUES, st.integers(0, 10**6), st.sampled_from(list('{}[]",:e.-x \n')) | st.just(""))
def test_what_json_refuses_is_refused(value: object, where: int, edit: str) -> None:
    text = json.dumps(value)
    where %= len(text)
    damaged = text[:where] + edit + text[where + 1 :]
    try:
        expected = json.loads(damaged)
    except ValueError:
        with pytest.raises(ValueError):
            minijson.loads(damaged)
        return
    assert repr(minijson.loads(damaged)) == repr(expected)


@pytest.mark.parametrize("text", ["", "  ", "{} {}", "[1,]", "{'a': 1}", "nul"])
def test_not_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        minijson.loads(text)


RECORDS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(RECORDS)
def test_records_are_written_as_json_writes_them(value: object) -> None:
    assert minijson.dumps(value) == json.dumps(value)


@pytest.mark.parametrize("value", [1.5, {1: "a"}, {"a": {2}}, b"x"])
def test_what_records_never_hold_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        minijson.dumps(value)
