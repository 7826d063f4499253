"""Filling the store for a project whose conflict splits into private copies.

pip cannot resolve such a project: it holds one version of each name. So each of the project's
requirements is resolved by the engine on its own, the results are merged into the store, and
the split itself is computed against the store (``resolve_private``). A copy must be pure
Python: where the engine chose a compiled wheel for a copy's version, the release's
``py3-none-any`` wheel is fetched too, and the store holds both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

from packaging.utils import canonicalize_name

from versioned_import.engine import Engine, Pick
from versioned_import.engine.pip import pure_wheel
from versioned_import.errors import ResolutionError
from versioned_import.progress import Reporter
from versioned_import.project import Manifest
from versioned_import.resolve_private import Split, is_pure, resolve_split
from versioned_import.store import Entry, Store

__all__ = ["batches", "not_held", "sync_split"]

Install = Callable[[Sequence[Pick]], list[Entry]]
"""Fetch the picks and install them; returns the entries added."""


def sync_split(
    manifest: Manifest, store: Store, reporter: Reporter, engine: Engine, install: Install
) -> tuple[Split, list[Entry]]:
    """Resolve each requirement of ``manifest`` alone, install the union, then split."""
    picks: dict[tuple[str, str, str], Pick] = {}
    for requirement in manifest.requirements:
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            for pick in engine.resolve([str(requirement)], reporter):
                picks[(canonicalize_name(pick.name), pick.version, pick.artifact.filename)] = pick
    _refuse_compiled_only(list(picks.values()), manifest.private_copies, reporter)
    installed = _install(list(picks.values()), store, install)
    private = manifest.private_copies
    loose = resolve_split(manifest.requirements, store, manifest.name, private, require_pure=False)
    compiled = [
        copy.entry for scope in loose.scopes for copy in scope.copies if not is_pure(copy.entry.tag)
    ]
    pure = [p for e in compiled if (p := pure_wheel(e.name, e.version, reporter))]
    installed += _install(pure, store, install)
    # A compiled copy without a pure wheel is refused here, with its reason.
    return resolve_split(manifest.requirements, store, manifest.name, private), installed


def _install(picks: Sequence[Pick], store: Store, install: Install) -> list[Entry]:
    return [entry for batch in batches(not_held(picks, store)) for entry in install(batch)]


def not_held(picks: Sequence[Pick], store: Store) -> list[Pick]:
    """The picks the store lacks, wheels by tag: a copy's pure wheel joins the compiled wheel of
    the same version."""
    entries = store.entries() if os.path.isdir(store.root) else []
    held = {(e.key.name, e.version, e.tag) for e in entries}
    versions = {(e.key.name, e.version) for e in entries}
    return [
        p
        for p in picks
        if (canonicalize_name(p.name), p.version, _tag(p)) not in held
        if p.artifact.is_wheel or (canonicalize_name(p.name), p.version) not in versions
    ]


def batches(picks: Iterable[Pick]) -> list[list[Pick]]:
    """The picks in batches that hold each name once: pip fetches no two versions at once."""
    batches: list[list[Pick]] = []
    names: list[set[str]] = []
    for pick in picks:
        name = canonicalize_name(pick.name)
        index = next((i for i, held in enumerate(names) if name not in held), len(batches))
        if index == len(batches):
            batches.append([])
            names.append(set())
        batches[index].append(pick)
        names[index].add(name)
    return batches


def _refuse_compiled_only(
    picks: Sequence[Pick], private: Sequence[str], reporter: Reporter
) -> None:
    """Before anything is fetched: a name that splits but has no pure-Python wheel in any of
    the versions it splits into can never be copied, whichever keeps the plain name."""
    versions: dict[str, list[Pick]] = {}
    for pick in picks:
        versions.setdefault(canonicalize_name(pick.name), []).append(pick)
    for name, found in sorted(versions.items()):
        if name not in private or len({p.version for p in found}) < 2:
            continue
        if any(is_pure(_tag(p)) or pure_wheel(p.name, p.version, reporter) for p in found):
            continue
        held = ", ".join(sorted({p.version for p in found}))
        raise ResolutionError(
            f"{name} cannot be a private copy: none of the versions the project needs ({held}) "
            "has a pure-Python (py3-none-any) wheel, and compiled code imports by plain name, so "
            f"a copy would load the other version's modules; remove {name} from private-copies "
            "in [tool.vimport] and choose versions that agree"
        )


def _tag(pick: Pick) -> str:
    """``py3-none-any`` of ``name-1.0-py3-none-any.whl``; an sdist's is never pure."""
    filename = pick.artifact.filename
    if not filename.endswith(".whl"):
        return "source-unknown-unknown"
    return "-".join(filename.removesuffix(".whl").split("-")[-3:])
