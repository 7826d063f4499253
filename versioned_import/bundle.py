"""What ``vimport hook install`` writes: the start-up layer (``_runtime``) as one module's
source, and the sitecustomize with discovery copied in.

Each import costs ~0.1 ms at start-up, so the hook imports one file instead of a package and its
modules. The rules follow from the package, not from markers: every module of ``_runtime``
except ``discover`` is joined, dependencies first; every import from ``versioned_import`` is
dropped (the names it brought are then defined earlier in the same file); names imported from
the top package itself (``__version__``) are injected as literals. Modules only some processes
need (``LAZY``) are written to files of their own beside it (``lazy_sources``), compiled by
``vimport hook install`` like it, and loaded when first asked for: an import from one becomes
``name = _lazy(module, name)``. ``tests/test_bundle.py`` fails when the joined
source uses a name it does not define or imports anything outside the standard library.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import versioned_import
from versioned_import._runtime.activate import RUNTIME_MODULE
from versioned_import.errors import HookError

__all__ = [
    "LAZY",
    "MARKER",
    "lazy_dir",
    "lazy_file",
    "lazy_sources",
    "runtime_modules",
    "runtime_source",
    "sitecustomize_source",
]

MARKER = "# versioned-import hook"
PACKAGE = "versioned_import"
RUNTIME_PACKAGE = f"{PACKAGE}._runtime"
DISCOVER = "discover"
"""Copied into the sitecustomize itself, so a process outside any project imports nothing."""
SITECUSTOMIZE = "sitecustomize.py"
LAZY = (
    "private",
    "newplan",
    "quickplan",
    "ownrecord",
    "pep508",
    "minitoml",
    "minijson",
    "roots",
    "storelayout",
    "fs",
    "errors",
)
"""Runtime modules that only some starts use (private copies, computing and saving a new plan):
every other start would pay ~50 us each to unmarshal and define them (an exception class alone
costs ~25 us to create)."""
_LAZY_LOADER = '''
_LAZY_LOADED = {}


def _lazy(module, name):
    """``name`` of the lazily loaded ``module``, which sees every name of this file. Its source
    lies in the directory beside this file and its bytecode in ``__pycache__`` there, both
    written by ``vimport hook install``: loading it costs an unmarshal (compiling the planner's
    ~600 lines, 10-30 ms)."""
    namespace = _LAZY_LOADED.get(module)
    if namespace is None:
        from _frozen_importlib_external import SourceFileLoader

        path = os.path.join(os.path.dirname(__file__), f"{__name__}.lazy", f"{module}.py")
        loader = SourceFileLoader(f"{__name__}_{module}", path)
        namespace = dict(globals())
        exec(loader.get_code(loader.name), namespace)
        _LAZY_LOADED[module] = namespace
    return namespace[name]
'''
_HERE = Path(__file__).resolve().parent


def runtime_modules() -> list[str]:
    """The joined modules of ``_runtime``, each after the modules it imports from."""
    names = sorted(p.stem for p in (_HERE / "_runtime").glob("*.py"))
    wanted = [n for n in names if n not in ("__init__", DISCOVER, *LAZY)]
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise HookError(f"{RUNTIME_PACKAGE}: import cycle {' -> '.join((*path, name))}")
        for dependency in _runtime_imports(_source(name)):
            if dependency not in LAZY:
                visit(dependency, (*path, name))
        ordered.append(name)

    for name in wanted:
        visit(name, ())
    return ordered


def runtime_source() -> str:
    """The source of ``_vimport_runtime``."""
    modules = runtime_modules()
    parts = [f"{MARKER}: written by `vimport hook install` from {RUNTIME_PACKAGE}: "
             f"{', '.join(modules)}\n"]  # fmt: skip
    injected: dict[str, object] = {}
    for name in modules:
        source = _source(name)
        injected.update(_top_package_names(source))
        parts.append(f"\n# --- {RUNTIME_PACKAGE}.{name} ---\n{_as_written(source)}")
    header = "".join(f"{name} = {value!r}\n" for name, value in sorted(injected.items()))
    parts.append(f"\n# --- loaded when first used, from files of their own: {', '.join(LAZY)}\n")
    parts.append(_LAZY_LOADER)
    return parts[0] + header + "".join(parts[1:])


def lazy_dir(runtime_module: str) -> str:
    """The directory of the lazy modules, beside the runtime module ``runtime_module``: each
    file in the site directory costs every start (site.py and the import system list it; ~6 K
    instructions a file), and a name with a dot cannot be imported as a namespace package."""
    return f"{runtime_module}.lazy"


def lazy_file(runtime_module: str, module: str) -> str:
    """Where the lazy ``module`` goes, relative to the runtime module's directory."""
    return f"{lazy_dir(runtime_module)}/{module}.py"


def lazy_sources() -> dict[str, str]:
    """The source of each ``LAZY`` module, run by ``_lazy`` in a copy of the runtime module's
    namespace."""
    return {
        name: f"{MARKER}: written by `vimport hook install` from {RUNTIME_PACKAGE}.{name}\n"
        + _as_written(_source(name))
        for name in LAZY
    }


def sitecustomize_source(paths: list[str], chained: str) -> str:
    """The sitecustomize template with discovery copied in, and the tool's paths and the runtime
    module's name filled in."""
    candidates = [_HERE / "sitecustomize_template", _HERE.parent / "sitecustomize_template"]
    template = next(p / SITECUSTOMIZE for p in candidates if (p / SITECUSTOMIZE).is_file())
    text = template.read_text(encoding="utf-8")
    discover = f"from {RUNTIME_PACKAGE}.{DISCOVER} import project_for_process, stranded_project\n"
    for placeholder, value in [
        (discover, _without_exports(_without_own_imports(_source(DISCOVER)))),
        ("_VIMPORT_TOOL_PATHS: list[str] = []", f"_VIMPORT_TOOL_PATHS = {paths!r}"),
        ('_VIMPORT_CHAINED = ""', f"_VIMPORT_CHAINED = {chained!r}"),
        ('_VIMPORT_RUNTIME = ""', f"_VIMPORT_RUNTIME = {RUNTIME_MODULE!r}"),
    ]:
        if placeholder not in text:
            raise HookError(f"{template}: the placeholder {placeholder.strip()!r} is missing")
        text = text.replace(placeholder, value)
    return _without_annotations(_without_type_checking(text))


def _source(module: str) -> str:
    return (_HERE / "_runtime" / f"{module}.py").read_text(encoding="utf-8")


def _own_imports(source: str) -> list[ast.ImportFrom]:
    """Every ``from versioned_import... import`` in ``source``, at any depth."""
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and node.module is not None
        and (node.module == PACKAGE or node.module.startswith(f"{PACKAGE}."))
    ]


def _runtime_imports(source: str) -> list[str]:
    """The ``_runtime`` modules that ``source`` imports from."""
    found = {str(node.module) for node in _own_imports(source)} - {PACKAGE}
    return sorted(module.removeprefix(f"{RUNTIME_PACKAGE}.") for module in found)


def _top_package_names(source: str) -> dict[str, object]:
    return {
        alias.name: getattr(versioned_import, alias.name)
        for node in _own_imports(source)
        if node.module == PACKAGE
        for alias in node.names
    }


def _as_written(source: str) -> str:
    """A module of ``_runtime`` as the hook writes it."""
    joined = _without_exports(_without_own_imports(source))
    return _without_annotations(_without_type_checking(joined))


def _without_exports(source: str) -> str:
    """``source`` without its ``__all__``, which says what the module exports to the linters:
    joined, the modules export nothing, and a start built each one's list (valgrind: ~2 K
    instructions apiece)."""
    lines = source.splitlines()
    for node in reversed(ast.parse(source).body):
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]:
            del lines[node.lineno - 1 : node.end_lineno]
    return "\n".join(lines) + "\n"


def _without_annotations(source: str) -> str:
    """``source`` without annotations, which are mypy's alone here: those of parameters and
    returns go, ``name: T = value`` becomes ``name = value`` and a bare ``name: T`` ``pass``.
    Python evaluates the first two kinds and keeps them with each function, class and module it
    creates: ~0.1 M instructions of every start in a project (valgrind)."""
    data = source.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:  # ast's columns count UTF-8 bytes
        return starts[line - 1] + column

    def end(node: ast.expr) -> int:
        return offset(node.end_lineno or node.lineno, node.end_col_offset or 0)

    spans: list[tuple[int, int, bytes]] = []  # from, to, what goes there
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg) and node.annotation is not None:
            name_end = offset(node.lineno, node.col_offset) + len(node.arg.encode())
            spans.append((name_end, end(node.annotation), b""))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            start = offset(node.returns.lineno, node.returns.col_offset)
            arrow = data.rindex(b"->", 0, start)
            stop = end(node.returns)
            for _ in range(data.count(b"(", arrow, start)):  # a formatter's parentheses
                stop = data.index(b")", stop) + 1
            spans.append((len(data[:arrow].rstrip()), stop, b""))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            spans.append((end(node.target), end(node.annotation), b""))
        elif isinstance(node, ast.AnnAssign):  # a bare declaration: it may be a block's only line
            spans.append((offset(node.lineno, node.col_offset), end(node.annotation), b"pass"))
    for first, last, put in sorted(spans, reverse=True):
        data = data[:first] + put + data[last:]
    return data.decode("utf-8")


def _without_type_checking(source: str) -> str:
    """``source`` without what its module-level ``if TYPE_CHECKING:`` blocks hold for mypy
    alone; an ``else`` stays, dedented. Never run, such a block's code objects were still
    unmarshalled at every start (~0.04 M instructions in a project, valgrind)."""
    original = source.splitlines()
    lines: list[str | None] = list(original)
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        end = node.end_lineno or node.lineno
        kept: list[str | None] = []
        if node.orelse:
            body = original[node.orelse[0].lineno - 1 : node.orelse[-1].end_lineno]
            kept = list(textwrap.dedent("\n".join(body)).splitlines())
        count = end - node.lineno + 1
        lines[node.lineno - 1 : end] = kept + [None] * (count - len(kept))
    return "\n".join(line for line in lines if line is not None) + "\n"


def _without_own_imports(source: str) -> str:
    """``source`` with its imports from the package dropped: removed at module level, ``pass``
    inside a block (which it may otherwise leave empty); an import from a ``LAZY`` module
    becomes ``name = _lazy(module, name)``."""
    lines: list[str | None] = list(source.splitlines())
    for node in _own_imports(source):
        end = node.end_lineno or node.lineno
        nested = node.col_offset > 0
        module = str(node.module).removeprefix(f"{RUNTIME_PACKAGE}.")
        replacement = " " * node.col_offset + "pass" if nested else None
        if module in LAZY:
            replacement = "; ".join(
                f"{alias.asname or alias.name} = _lazy({module!r}, {alias.name!r})"
                for alias in node.names
            )
            replacement = " " * node.col_offset + replacement
        lines[node.lineno - 1 : end] = [replacement] + [None] * (end - node.lineno)
    return "\n".join(line for line in lines if line is not None) + "\n"
