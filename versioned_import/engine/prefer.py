"""Keeping a lock's versions when resolving again: neither pip nor uv (through ``uv pip
compile`` without its own output file) takes preferred versions, only constraints, which are hard.
So the preferences go in as constraints in tiers, each tried when the one before cannot be
satisfied: first every preferred version the requirements still admit; then only those of the
direct requirements (a new requirement may need a newer transitive dependency); then none. The
last attempt's error is the one reported, so a real error reads as without a lock.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from versioned_import.engine import Pick
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter, count

__all__ = ["preference_tiers", "requirements_file", "resolve_preferring"]


def resolve_preferring(
    engine: str,
    requirements: Sequence[str],
    prefer: Mapping[str, str] | None,
    once: Callable[[Mapping[str, str]], list[Pick]],
    reporter: Reporter,
) -> list[Pick]:
    """``once(pins)`` for each tier in turn until one resolves, reported as ``engine``'s."""
    reporter.step(f"Resolving {count(len(requirements), 'requirement')} with {engine}")
    *tries, last = preference_tiers(requirements, prefer or {})
    for pins in tries:
        try:
            picks = once(pins)
        except PackageIndexError:
            continue
        reporter.done(_kept(picks, pins))
        return picks
    picks = once(last)
    reporter.done(_kept(picks, last))
    return picks


def preference_tiers(
    requirements: Sequence[str], prefer: Mapping[str, str]
) -> list[dict[str, str]]:
    """The constraint sets to try in turn, ending with none."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    direct: dict[str, list[Requirement]] = {}
    for text in requirements:
        requirement = Requirement(text)
        direct.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    admitted = {
        name: version
        for name, version in prefer.items()
        if all(
            r.url is None and r.specifier.contains(version, prereleases=True)
            for r in direct.get(name, [])
        )
    }
    tiers: list[dict[str, str]] = []
    for tier in (admitted, {n: v for n, v in admitted.items() if n in direct}, {}):
        if tier not in tiers:
            tiers.append(tier)
    return tiers


def requirements_file(directory: str, requirements: Sequence[str], pins: Mapping[str, str]) -> str:
    """A requirements file of ``requirements``, constrained to ``pins`` (in the file, so the
    user's own configured constraints still apply too)."""
    lines = list(requirements)
    if pins:
        constraints = os.path.join(directory, "constraints.txt")
        _write(constraints, [f"{name}=={version}" for name, version in sorted(pins.items())])
        lines.append(f"-c {constraints}")
    path = os.path.join(directory, "requirements.txt")
    _write(path, lines)
    return path


def _write(path: str, lines: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _kept(picks: Sequence[Pick], pins: Mapping[str, str]) -> str:
    """``Resolved N packages[, keeping K locked]``."""
    from packaging.utils import canonicalize_name

    done = f"Resolved {count(len(picks), 'package')}"
    if not pins:
        return done
    same = sum(1 for p in picks if pins.get(canonicalize_name(p.name)) == p.version)
    return f"{done}, keeping {same} locked"
