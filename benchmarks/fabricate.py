"""A fabricated dependency graph of a few hundred distributions, as wheels, for timing resolvers.

The graph is layered, so it has no cycles: a distribution depends only on distributions of lower
layers. Each has several versions; each version's ``Requires-Dist`` names 1-6 lower
distributions (newer versions add one now and then) with the specifiers real metadata uses:
lower bounds, ``<2`` caps, ``~=`` and ``!=`` exclusions, and a few markers that do not apply.
Every specifier admits ``1.2.0``, so a resolution always exists; the caps make resolvers that
pick the newest version first back off now and then. Every distribution below the top layer is
required by some distribution of the layer above it in every version, so the roots' closure is
the whole graph. The same seed always gives the same wheels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Graph", "fabricate"]

VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "2.0.0")
# Every specifier admits 1.2.0; the weights are how often each is drawn.
_SPECIFIERS = (">=1.0", ">=1.1", "<2", "~=1.1", ">=1.0,!=1.1.0", "")
_WEIGHTS = (35, 20, 12, 10, 8, 10)
_DEAD_MARKER = ">=1.0; python_version < '3.8'"


@dataclass(frozen=True)
class Graph:
    wheels: list[Path]
    roots: list[str]
    """The requirements of a project that needs the whole graph: the top layer's names."""
    distributions: int


def _name(layer: int, index: int) -> str:
    return f"fab-l{layer}-{index:02d}"


def fabricate(directory: Path, *, layers: int = 8, width: int = 40, seed: int = 20261125) -> Graph:
    """Write ``layers * width`` distributions, ``len(VERSIONS)`` wheels each, into ``directory``."""
    from versioned_import.wheelbuild import build_wheel

    rng = random.Random(seed)
    # base[layer, index]: the names every version of that distribution requires.
    base: dict[tuple[int, int], list[str]] = {}
    for layer in range(1, layers):
        below = [_name(lower, i) for lower in range(layer) for i in range(width)]
        near = [_name(layer - 1, i) for i in range(width)]
        for index in range(width):
            fan_out = rng.randint(1, 6)
            # Most edges go one layer down, as real stacks do; the rest anywhere below.
            picks = {rng.choice(near) for _ in range(fan_out // 2 + 1)}
            picks |= {rng.choice(below) for _ in range(fan_out - len(picks))}
            base[layer, index] = sorted(picks)
        required = {n for index in range(width) for n in base[layer, index]}
        for orphan in sorted(set(near) - required):
            base[layer, rng.randrange(width)].append(orphan)
    wheels = []
    for layer in range(layers):
        below = [_name(lower, i) for lower in range(layer) for i in range(width)]
        for index in range(width):
            name = _name(layer, index)
            # The base edges never carry a marker that fails, so every name stays required.
            named = list(base.get((layer, index), []))
            requires = [f"{dep}{rng.choices(_SPECIFIERS, _WEIGHTS)[0]}" for dep in named]
            for version in VERSIONS:
                if below and version != VERSIONS[0] and rng.random() < 0.3:
                    # A newer version adds a dependency, now and then only on old Pythons.
                    added = rng.choice([n for n in below if n not in named])
                    extra = rng.choices([*_SPECIFIERS, _DEAD_MARKER], [*_WEIGHTS, 5])[0]
                    named.append(added)
                    requires.append(f"{added}{extra}")
                package = name.replace("-", "_")
                files = {f"{package}/__init__.py": f"__version__ = {version!r}\n"}
                wheels.append(build_wheel(directory, name, version, files, requires=requires))
    roots = [_name(layers - 1, i) for i in range(width)]
    return Graph(wheels, roots, layers * width)
