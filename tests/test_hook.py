"""The hook's runtime bundle: start-up modules joined into one self-contained module."""

from __future__ import annotations

import ast
from pathlib import Path

from versioned_import import hook

PACKAGE = Path(hook.__file__).parent
_SHARED = {"__all__", "TYPE_CHECKING"}


def _top_level_names(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names - _SHARED


def test_the_bundle_is_self_contained_and_defines_start() -> None:
    namespace: dict[str, object] = {"__name__": "_vimport_runtime"}
    exec(compile(hook.runtime_bundle(), "_vimport_runtime.py", "exec"), namespace)
    assert callable(namespace["start"])
    tree = ast.parse(hook.runtime_bundle())
    package_imports = [
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("versioned_import")
    ]
    assert package_imports == []


def test_bundled_modules_define_no_name_twice() -> None:
    # One module's helper would silently replace another's of the same name in the bundle.
    seen: dict[str, str] = {}
    for module in hook.BUNDLE:
        for name in _top_level_names(module):
            assert name not in seen, f"{name} is defined in {seen.get(name)}.py and {module}.py"
            seen[name] = module
