"""The resolved graph: drawn as ``uv tree`` draws it, and every chain to a distribution."""

from __future__ import annotations

from packaging.requirements import Requirement

from versioned_import.tree import Graph, Node, build, chains, draw


def _graph(requirements: list[str], nodes: dict[str, tuple[str, list[str]]]) -> Graph:
    return build(
        "app",
        "0.1",
        [Requirement(r) for r in requirements],
        {
            name: Node(name, version, tuple(Requirement(r) for r in requires))
            for name, (version, requires) in nodes.items()
        },
    )


# alpha and gamma both require beta, which requires delta; zeta is in no one's requirements.
DIAMOND = _graph(
    ["alpha", "gamma"],
    {
        "alpha": ("1.0", ["beta>=2"]),
        "beta": ("2.0", ["delta"]),
        "gamma": ("1.0", ["beta"]),
        "delta": ("1.0", []),
    },
)


def test_a_repeated_subtree_is_drawn_once_then_marked() -> None:
    assert draw(DIAMOND) == [
        "app v0.1",
        "├── alpha v1.0",
        "│   └── beta v2.0",
        "│       └── delta v1.0",
        "└── gamma v1.0",
        "    └── beta v2.0 (*)",
    ]


def test_inverted_the_leaves_come_first_and_lead_up_to_the_project() -> None:
    assert draw(DIAMOND, invert=True) == [
        "delta v1.0",
        "└── beta v2.0",
        "    ├── alpha v1.0",
        "    │   └── app v0.1",
        "    └── gamma v1.0",
        "        └── app v0.1",
    ]


def test_depth_and_package_choose_what_is_drawn() -> None:
    assert draw(DIAMOND, depth=1) == ["app v0.1", "├── alpha v1.0", "└── gamma v1.0"]
    assert draw(DIAMOND, package="Beta") == ["beta v2.0", "└── delta v1.0"]


def test_outdated_versions_show_the_latest() -> None:
    lines = draw(DIAMOND, depth=1, latest={"alpha": "1.0", "gamma": "3.0"})
    assert lines == ["app v0.1", "├── alpha v1.0", "└── gamma v1.0 (latest: v3.0)"]


def test_every_chain_to_a_distribution_is_listed() -> None:
    assert chains(DIAMOND, "delta") == (
        [
            "app requires alpha -> alpha 1.0 requires beta>=2 -> beta 2.0 requires delta",
            "app requires gamma -> gamma 1.0 requires beta -> beta 2.0 requires delta",
        ],
        False,
    )
    assert chains(DIAMOND, "delta", limit=1)[1] is True


def test_extras_asked_for_switch_on_their_requirements() -> None:
    graph = _graph(
        ["x[fast]"],
        {
            "x": ("1.0", ['y; extra == "fast"', 'z; extra == "slow"']),
            "y": ("2.0", []),
            "z": ("1.0", []),
        },
    )
    assert draw(graph) == ["app v0.1", "└── x[fast] v1.0", "    └── y v2.0"]


def test_a_cycle_ends_each_chain_once() -> None:
    graph = _graph(["a"], {"a": ("1", ["b"]), "b": ("1", ["a"])})
    assert chains(graph, "a") == (["app requires a"], False)
    assert chains(graph, "b") == (["app requires a -> a 1 requires b"], False)
    assert draw(graph) == ["app v0.1", "└── a v1", "    └── b v1", "        └── a v1 (*)"]
