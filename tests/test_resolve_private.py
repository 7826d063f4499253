"""The split resolution against a store of wheels built here: which version keeps the plain name,
what is copied, what is shared, and what is refused."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.tags import sys_tags

from tests.conftest import FillStore
from versioned_import.errors import ResolutionError
from versioned_import.resolve_private import PREFIX, Split, is_pure, resolve_split

COMPILED = {"tag": str(next(iter(sys_tags())))}


def _split(fill_store: FillStore, requirements: list[str], *specs: tuple[object, ...]) -> Split:
    store = fill_store(*specs)
    return resolve_split([Requirement(r) for r in requirements], store, "app", ["lib"])


def _versions(split: Split) -> dict[str, str]:
    return {r.entry.name: r.entry.version for r in split.plain}


def _copies(split: Split) -> list[tuple[str, str, str, list[str]]]:
    return [
        (c.entry.name, c.entry.version, c.entry.tag, scope.seers)
        for scope in split.scopes
        for c in scope.copies
    ]


def test_without_a_conflict_nothing_splits(fill_store: FillStore) -> None:
    split = _split(
        fill_store, ["user"], ("lib", "1.0"), ("user", "1.0", None, {"requires": ["lib"]})
    )

    assert _versions(split) == {"lib": "1.0", "user": "1.0"}
    assert split.scopes == []


def test_the_projects_own_requirement_keeps_the_plain_name(fill_store: FillStore) -> None:
    split = _split(
        fill_store,
        ["lib<2", "new-user"],
        ("lib", "1.0"),
        ("lib", "2.0"),
        ("new-user", "1.0", None, {"requires": ["lib>=2"]}),
    )

    assert _versions(split) == {"lib": "1.0", "new-user": "1.0"}
    assert _copies(split) == [("lib", "2.0", "py3-none-any", ["new-user"])]
    assert split.scopes[0].prefix.startswith(PREFIX)


def test_else_the_version_most_dependents_accept_keeps_it(fill_store: FillStore) -> None:
    split = _split(
        fill_store,
        ["a", "b", "c"],
        ("lib", "1.0"),
        ("lib", "2.0"),
        ("a", "1.0", None, {"requires": ["lib<2"]}),
        ("b", "1.0", None, {"requires": ["lib<2"]}),
        ("c", "1.0", None, {"requires": ["lib>=2"]}),
    )

    assert _versions(split)["lib"] == "1.0"
    assert _copies(split) == [("lib", "2.0", "py3-none-any", ["c"])]
    assert [r.why for r in split.plain if r.entry.name == "lib"] == [
        "hoisted: the version most dependents accept (a, b)"
    ]


def test_a_copys_own_dependencies_are_shared_compiled_or_not(fill_store: FillStore) -> None:
    split = _split(
        fill_store,
        ["lib>=2", "old-user"],
        ("lib", "1.0", None, {"requires": ["fast", "extra"]}),
        ("lib", "2.0"),
        ("fast", "1.0", None, COMPILED),
        ("extra", "1.0"),
        ("old-user", "1.0", None, {"requires": ["lib<2"]}),
    )

    assert _versions(split) == {"extra": "1.0", "fast": "1.0", "lib": "2.0", "old-user": "1.0"}
    assert _copies(split) == [("lib", "1.0", "py3-none-any", ["old-user"])]


def test_dependents_that_need_the_same_copy_share_one(fill_store: FillStore) -> None:
    split = _split(
        fill_store,
        ["lib>=2", "a", "b"],
        ("lib", "1.0"),
        ("lib", "2.0"),
        ("a", "1.0", None, {"requires": ["lib<2"]}),
        ("b", "1.0", None, {"requires": ["lib<2"]}),
    )

    assert _copies(split) == [("lib", "1.0", "py3-none-any", ["a", "b"])]


def test_a_copy_uses_the_pure_wheel_beside_a_compiled_one(fill_store: FillStore) -> None:
    split = _split(
        fill_store,
        ["lib>=2", "old-user"],
        ("lib", "1.0", None, COMPILED),
        ("lib", "1.0"),
        ("lib", "2.0"),
        ("old-user", "1.0", None, {"requires": ["lib<2"]}),
    )

    assert _copies(split) == [("lib", "1.0", "py3-none-any", ["old-user"])]


def test_a_conflict_over_a_name_not_opted_in_names_that_opt_in(fill_store: FillStore) -> None:
    with pytest.raises(ResolutionError, match=r'private-copies = \["other"\]'):
        _split(
            fill_store,
            ["a", "b"],
            ("other", "1.0"),
            ("other", "2.0"),
            ("a", "1.0", None, {"requires": ["other<2"]}),
            ("b", "1.0", None, {"requires": ["other>=2"]}),
        )


@pytest.mark.parametrize(
    ("tag", "pure"),
    [
        ("py3-none-any", True),
        ("py2.py3-none-any", True),
        ("cp311-abi3-manylinux_2_17_x86_64", False),
        ("py3-none-manylinux1_x86_64", False),
        ("cp311-cp311-any", False),
    ],
)
def test_pure_means_no_abi_and_any_platform(tag: str, pure: bool) -> None:
    assert is_pure(tag) is pure
