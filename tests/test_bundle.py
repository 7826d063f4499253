"""What ``vimport hook install`` writes: the start-up layer joined into one module, and the
sitecustomize with discovery copied in. Each must define every name it uses and import only the
standard library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from versioned_import import bundle
from versioned_import._runtime.activate import RUNTIME_MODULE

RUNTIME = Path(bundle.__file__).parent / "_runtime"
_SHARED = {"__all__", "TYPE_CHECKING"}


def _undefined_names(source: str) -> list[str]:
    """ruff's findings of names ``source`` uses (or exports) without defining them."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select",
         "F821,F822", "--output-format", "concise", "--stdin-filename", "bundle.py", "-"],
        input=source, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if line.startswith("bundle.py:")]


def _non_stdlib_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        tops = {name.partition(".")[0] for name in names}
        found += sorted(tops - set(sys.stdlib_module_names))
    return found


def _problems(source: str) -> list[str]:
    return _undefined_names(source) + _non_stdlib_imports(source)


def test_the_runtime_bundle_defines_what_it_uses_and_imports_only_the_standard_library() -> None:
    assert _problems(bundle.runtime_source()) == []


def test_the_sitecustomize_defines_what_it_uses_and_imports_only_the_standard_library() -> None:
    source = bundle.sitecustomize_source(["/tool"], "chained")
    assert _problems(source) == []
    assert f"_VIMPORT_RUNTIME = {RUNTIME_MODULE!r}" in source


@pytest.mark.parametrize(
    ("source", "found"),
    [
        # A package import used inside a function: dropped when joining, so the name is unbound.
        ("from versioned_import.store import layout\n\n\ndef plan_file():\n    return layout\n",
         "F821"),
        ("import packaging.version\n", "packaging"),
        ("def f():\n    from installer import install\n    return install\n", "installer"),
    ],
)  # fmt: skip
def test_the_checks_catch_a_broken_bundle(source: str, found: str) -> None:
    problems = _problems(bundle._without_own_imports(source))
    assert any(found in problem for problem in problems), problems


def _annotations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append(f"{node.lineno}: {node.arg}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            found.append(f"{node.lineno}: {node.name} ->")
        elif isinstance(node, ast.AnnAssign):
            found.append(f"{node.lineno}: {ast.unparse(node.target)}")
    return found


def test_nothing_the_hook_writes_holds_annotations() -> None:
    for name, source in _written().items():
        assert _annotations(source) == [], name
    assert _annotations(bundle._source("finder")) != []  # as the package holds it


def test_nothing_the_hook_writes_builds_an_export_list() -> None:
    for name, source in _written().items():
        assert "__all__" not in source, name
    assert "__all__" in bundle._source("finder")


def test_annotations_are_dropped_from_the_source_as_written() -> None:
    source = (
        'def f(a: "list[int]", /, b: int = 1, *args: str, c: "é" = "→ -> ", **kw: bytes'
        ") -> dict[str, int]:\n"
        '    local: "a declaration"\n'
        "    x: int = 2\n"
        "    return x\n\n\n"
        "def g(\n    a: int,\n    b: str,\n) -> (\n    int\n):\n    return 3\n\n\n"
        "class C:\n    field: int = 4\n\n\n"
        "NAME: str = 'x'\n"
    )

    written = bundle._without_annotations(source)

    assert written == (
        'def f(a, /, b = 1, *args, c = "→ -> ", **kw):\n'
        "    pass\n"
        "    x = 2\n"
        "    return x\n\n\n"
        "def g(\n    a,\n    b,\n):\n    return 3\n\n\n"
        "class C:\n    field = 4\n\n\n"
        "NAME = 'x'\n"
    )


def test_lazy_modules_define_what_they_use_with_the_joined_names() -> None:
    runtime = bundle.runtime_source()
    for module, source in bundle.lazy_sources().items():
        assert source.startswith(bundle.MARKER)
        assert _problems(runtime + source) == [], module


def test_a_lazy_module_is_loaded_from_its_file_only_when_first_asked_for(tmp_path: Path) -> None:
    runtime = tmp_path / f"{RUNTIME_MODULE}.py"
    runtime.write_text(bundle.runtime_source())
    for module, source in bundle.lazy_sources().items():
        lazy = tmp_path / bundle.lazy_file(RUNTIME_MODULE, module)
        lazy.parent.mkdir(exist_ok=True)
        lazy.write_text(source)
    namespace: dict[str, object] = {"__name__": RUNTIME_MODULE, "__file__": str(runtime)}
    exec(compile(runtime.read_text(), str(runtime), "exec"), namespace)
    assert namespace["_LAZY_LOADED"] == {}
    assert "install_private = _lazy('private', 'install_private')" in runtime.read_text()

    install = namespace["_lazy"]("private", "install_private")  # type: ignore[operator]

    assert callable(install)
    loaded = namespace["_LAZY_LOADED"]
    assert isinstance(loaded, dict) and set(loaded) == {"private"}
    # It sees the joined modules' names without importing them.
    assert loaded["private"]["signature"] is namespace["signature"]


def test_the_runtime_bundle_runs_on_its_own_and_defines_start() -> None:
    namespace: dict[str, object] = {"__name__": RUNTIME_MODULE}
    exec(compile(bundle.runtime_source(), f"{RUNTIME_MODULE}.py", "exec"), namespace)
    assert callable(namespace["start"])
    assert namespace["__version__"] == __import__("versioned_import").__version__


def test_every_runtime_module_but_discovery_is_joined_after_its_dependencies() -> None:
    modules = bundle.runtime_modules()
    on_disk = {p.stem for p in RUNTIME.glob("*.py")} - {"__init__", bundle.DISCOVER, *bundle.LAZY}
    assert set(modules) == on_disk
    for position, name in enumerate(modules):
        source = (RUNTIME / f"{name}.py").read_text(encoding="utf-8")
        joined_imports = set(bundle._runtime_imports(source)) - set(bundle.LAZY)
        assert joined_imports <= set(modules[:position]), name


def _top_level_names(module: str) -> set[str]:
    tree = ast.parse((RUNTIME / f"{module}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names - _SHARED


def test_joined_modules_define_no_name_twice() -> None:
    # One module's helper would silently replace another's of the same name in the bundle.
    seen: dict[str, str] = {}
    for module in bundle.runtime_modules():
        for name in _top_level_names(module):
            assert name not in seen, f"{name} is defined in {seen.get(name)}.py and {module}.py"
            seen[name] = module


def test_a_warm_start_loads_neither_the_errors_nor_the_file_writing() -> None:
    # Only computing or saving a plan uses them, so they are lazy: every start in a project
    # would otherwise unmarshal and create them (an exception class alone costs ~25 us).
    tree = ast.parse(bundle.runtime_source())
    joined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert joined.isdisjoint(_top_level_names("errors") | _top_level_names("fs"))


def _written() -> dict[str, str]:
    """Every file of Python ``vimport hook install`` writes, by name."""
    return {
        "runtime": bundle.runtime_source(),
        "sitecustomize": bundle.sitecustomize_source(["/tool"], ""),
        **bundle.lazy_sources(),
    }


def test_what_is_written_keeps_no_type_checking_block_but_its_else() -> None:
    # Such a block is for mypy alone; never run, its code still cost every start in a project
    # its unmarshalling.
    for name, source in _written().items():
        tests = [ast.unparse(n.test) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.If)]
        assert "TYPE_CHECKING" not in tests, name
    assert "\n_Namespace = type(sys.implementation)" in bundle.runtime_source()


def test_what_is_written_holds_nothing_that_compiling_without_docstrings_drops() -> None:
    # `vimport hook install` compiles these with optimize=2, for their docstrings' sake; that
    # would also drop an assert, and make __debug__ false.
    for name, source in _written().items():
        found = [
            ast.unparse(node)
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Assert)
            or (isinstance(node, ast.Name) and node.id == "__debug__")
        ]
        assert found == [], name
