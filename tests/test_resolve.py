"""Resolution against the store, driven by the cases in ``tests/data/resolve/*.json``.

Each case is a JSON object (the way sarugaku/resolvelib tests its resolver):

``index``
    the wheels to build and install: ``name``, ``version`` and optionally ``requires``
    (Requires-Dist lines), ``extras`` (Provides-Extra), ``tag`` (default ``py3-none-any``; the
    placeholder ``{native}`` is this interpreter's most specific tag) and ``requires_python``;
``requirements``
    the root's PEP 508 requirements, asked for by ``project``;
``expected``
    name -> version of the whole resolution; or ``error``, substrings of the ResolutionError;
``tags``, ``why``
    optional name -> the chosen entry's tag, and name -> the chain that explains the choice;
``prefer``
    optional name -> version to prefer (a stale lock's), tried before newer ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

from tests.conftest import MakeWheel
from versioned_import.errors import ResolutionError, StoreError
from versioned_import.resolve import resolve_from_store as resolve
from versioned_import.store import Entry, Key, Store, layout
from versioned_import.store.install import install_wheel

ROOT = "project"
CASES = sorted((Path(__file__).parent / "data" / "resolve").glob("*.json"))
# The first of sys_tags() is the most specific tag this interpreter accepts.
NATIVE_TAG = str(next(iter(sys_tags())))


def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8").replace("{native}", NATIVE_TAG)
    case: dict[str, Any] = json.loads(text)
    assert ("expected" in case) != ("error" in case), f"{path}: give expected or error"
    return case


def _install_index(store: Store, make_wheel: MakeWheel, index: list[dict[str, Any]]) -> None:
    for spec in index:
        metadata = [("Provides-Extra", extra) for extra in spec.get("extras", [])]
        if "requires_python" in spec:
            metadata.append(("Requires-Python", spec["requires_python"]))
        wheel = make_wheel(
            spec["name"],
            spec["version"],
            requires=spec.get("requires", []),
            tag=spec.get("tag", "py3-none-any"),
            metadata=metadata,
        )
        install_wheel(store, str(wheel))


@pytest.mark.parametrize("case_file", CASES, ids=[p.stem for p in CASES])
def test_resolution_case(case_file: Path, store: Store, make_wheel: MakeWheel) -> None:
    case = _load(case_file)
    _install_index(store, make_wheel, case["index"])
    requirements = [Requirement(r) for r in case["requirements"]]
    if "error" in case:
        with pytest.raises(ResolutionError) as excinfo:
            resolve(requirements, store, ROOT, prefer=case.get("prefer"))
        message = str(excinfo.value)
        for expected in case["error"]:
            assert expected in message
        assert store.root in message
        return
    resolved = {
        canonicalize_name(r.entry.name): r
        for r in resolve(requirements, store, ROOT, prefer=case.get("prefer"))
    }
    versions = {name: r.entry.version for name, r in resolved.items()}
    assert versions == {canonicalize_name(k): v for k, v in case["expected"].items()}
    for name, tag in case.get("tags", {}).items():
        assert resolved[canonicalize_name(name)].entry.tag == tag
    for name, why in case.get("why", {}).items():
        assert resolved[canonicalize_name(name)].why == why


def test_the_cases_are_found() -> None:
    # A wrong glob would turn the parametrized test into zero tests that all "pass".
    assert len(CASES) >= 10


def test_resolving_against_a_missing_store_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here"):
        resolve([Requirement("anything")], Store(str(tmp_path / "nowhere")), ROOT)


def test_no_requirements_resolve_to_nothing(store: Store, make_wheel: MakeWheel) -> None:
    _install_index(store, make_wheel, [{"name": "alpha", "version": "1.0"}])
    assert resolve([], store, ROOT) == []


def test_resolved_entries_point_into_the_store(store: Store, make_wheel: MakeWheel) -> None:
    _install_index(store, make_wheel, [{"name": "alpha", "version": "1.0"}])
    (resolved,) = resolve([Requirement("alpha")], store, ROOT)
    assert resolved.entry.path == store.entry_dir(Key("alpha", "1.0", "py3-none-any"))


def _fabricate_entries(store: Store, count: int) -> None:
    """``count`` entries of other names, written directly: thousands cost a second, not an
    install each."""
    for i in range(count):
        name = f"filler-{i:05d}"
        directory = Path(layout.entry_path(store.root, Key(name, "1.0", "py3-none-any")))
        directory.mkdir(parents=True)
        entry = Entry(name, "1.0", "py3-none-any", "", "", 0, "", [])
        (directory / layout.ENTRY_FILE).write_text(entry.to_json(), encoding="utf-8")


def test_resolution_reads_only_the_entries_of_the_names_it_meets(
    store: Store, make_wheel: MakeWheel, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_index(
        store,
        make_wheel,
        [
            {"name": "alpha", "version": "1.0", "requires": ["beta"]},
            {"name": "alpha", "version": "2.0", "requires": ["beta"]},
            {"name": "beta", "version": "1.0"},
            {"name": "unasked", "version": "1.0"},
        ],
    )
    _fabricate_entries(store, 3000)
    read: list[str] = []
    real_read = Entry.read.__func__  # type: ignore[attr-defined]

    def counting_read(cls: type[Entry], directory: str) -> Entry:
        read.append(layout.key_of(directory).name)
        return real_read(cls, directory)  # type: ignore[no-any-return]

    monkeypatch.setattr(Entry, "read", classmethod(counting_read))
    resolved = resolve([Requirement("alpha")], store, ROOT)
    assert [(r.entry.name, r.entry.version) for r in resolved] == [
        ("alpha", "2.0"),
        ("beta", "1.0"),
    ]
    assert sorted(read) == ["alpha", "alpha", "beta"]


def test_an_unsatisfiable_name_lists_what_the_store_holds_of_it(
    store: Store, make_wheel: MakeWheel
) -> None:
    # Read lazily, the held versions still include those this interpreter cannot use.
    _install_index(
        store,
        make_wheel,
        [
            {"name": "alpha", "version": "1.0", "tag": "py2-none-any"},
            {"name": "alpha", "version": "1.1"},
        ],
    )
    with pytest.raises(ResolutionError) as excinfo:
        resolve([Requirement("alpha>=2")], store, ROOT)
    assert "has 1.0 [py2-none-any], 1.1 [py3-none-any] of alpha" in str(excinfo.value)
