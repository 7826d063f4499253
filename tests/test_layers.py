"""The package's layers, held by its imports: the start-up layer imports only the standard
library, the store knows nothing of projects, planning or engines, and no module imports
another that imports it back. Imports under ``if TYPE_CHECKING:`` do not count: they never run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import versioned_import

PACKAGE = Path(versioned_import.__file__).parent
TOP = "versioned_import"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> list[str]:
    """Every module ``tree`` imports at run time, at any depth; for ``from A import b`` the
    submodule ``A.b`` when there is one, else ``A``."""
    found: list[str] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            found += [m for child in node.orelse for m in _imports(child)]
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append(submodule if submodule in MODULES else node.module)
        found += _imports(node)
    return found


IMPORTS = {
    name: _imports(ast.parse(path.read_text(encoding="utf-8"))) for name, path in MODULES.items()
}


def _own(module: str) -> bool:
    return module == TOP or module.startswith(f"{TOP}.")


def _in(module: str, *layers: str) -> bool:
    return any(
        module == f"{TOP}.{layer}" or module.startswith(f"{TOP}.{layer}.") for layer in layers
    )


def test_the_start_up_layer_imports_the_standard_library_and_itself_only() -> None:
    for name in (m for m in MODULES if _in(m, "_runtime")):
        for module in IMPORTS[name]:
            top = module.partition(".")[0]
            allowed = module == TOP or _in(module, "_runtime") or top in sys.stdlib_module_names
            assert allowed, f"{name} imports {module}"


def test_the_start_up_layer_has_no_future_imports() -> None:
    # The bundle's modules are joined into one file, where a __future__ import must come first.
    for name in (m for m in MODULES if _in(m, "_runtime")):
        assert "__future__" not in IMPORTS[name], name


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("store", ("project", "planner", "engine", "sync", "resolve", "cli", "hook", "run")),
        ("project", ("store", "planner", "sync", "resolve", "cli", "hook", "run")),
        ("engine", ("project", "store", "planner", "sync", "resolve", "cli", "hook", "run")),
        (
            "backend",
            ("project", "store", "planner", "sync", "resolve", "cli", "hook", "run", "own_dist"),
        ),
    ],
)
def test_lower_layers_do_not_import_higher_ones(layer: str, forbidden: tuple[str, ...]) -> None:
    for name in (m for m in MODULES if _in(m, layer)):
        wrong = [m for m in IMPORTS[name] if _in(m, *forbidden)]
        assert wrong == [], f"{name} imports {wrong}"


def test_no_module_imports_itself_back() -> None:
    graph = {name: {m for m in IMPORTS[name] if m in MODULES and m != name} for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for module in sorted(graph[name]):
            visit(module, (*path, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_every_module_is_seen() -> None:
    # A guard for the tests above: they see the layers, and the imports inside functions.
    assert {"versioned_import._runtime.plan", "versioned_import.store.install"} <= set(MODULES)
    assert "packaging.utils" in IMPORTS["versioned_import.store.install"]
