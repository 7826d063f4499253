"""Private copies at run time: a second version of a pure-Python distribution in one process.

A private copy loads under a prefixed module name (``_vimport_private_<hash>.urllib3``), since
``sys.modules`` is keyed by name. The modules that must see it (the dependents it was locked
for, and the copies themselves) each get their own builtins dict whose ``__import__`` maps the
copied top-level names to the prefixed ones: ``import`` reads ``__import__`` from the importing
frame's builtins, so the answer depends on who imports, and nothing global is swapped while
importing (threads are safe). Relative imports need nothing: ``__package__`` carries the prefix.
``importlib.import_module`` and ``importlib.metadata`` bypass ``__import__``; they look at the
caller's frame instead.

A process whose plan has no private copies never calls ``install``: its imports pay nothing.
"""

import builtins
import sys
from _frozen_importlib import ModuleSpec
from _frozen_importlib_external import (  # type: ignore[attr-defined]
    FileFinder,
    PathFinder,
    _get_supported_file_loaders,
)

from versioned_import._runtime.finder import _normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from importlib.abc import Loader
    from importlib.metadata import DistributionFinder, PathDistribution
    from types import FrameType, ModuleType, SimpleNamespace
    from typing import TypeVar

    from versioned_import._runtime.plan import Packed, Scope

    T = TypeVar("T")

__all__ = ["PrivateFinder", "install_private"]

# Frames of these modules stand between a caller and the finder: the caller is beyond them.
_PLUMBING = ("importlib", "importlib_metadata", "_vimport_runtime", "versioned_import._runtime")


class _View:
    """What one scope's modules see: copied top-level names -> prefixed names."""

    def __init__(self, scope: "Scope") -> None:
        self.prefix = scope["prefix"]
        self.copies = scope["copies"]
        self.modules = scope["modules"]
        self.names = {name: f"{self.prefix}.{name}" for name in self.modules}
        self.dists = {_normalize(d["name"]): d for d in self.copies}
        self.builtins = dict(builtins.__dict__, __import__=_scoped_import(self.names))

    def mapped(self, name: str) -> str:
        head, dot, rest = name.partition(".")
        target = self.names.get(head)
        return name if target is None else f"{target}{dot}{rest}"


def _scoped_import(names: "dict[str, str]") -> "Callable[..., ModuleType]":
    original = builtins.__import__

    def __import__(
        name: str,
        globals: "dict[str, object] | None" = None,
        locals: "dict[str, object] | None" = None,
        fromlist: "Sequence[str]" = (),
        level: int = 0,
    ) -> "ModuleType":
        if level == 0:
            head, dot, rest = name.partition(".")
            target = names.get(head)
            if target is not None:
                module = original(f"{target}{dot}{rest}", globals, locals, fromlist, 0)
                # `import urllib3.util` binds `urllib3`: the copy's package, not the prefix.
                return module if fromlist else sys.modules[target]
        return original(name, globals, locals, fromlist, level)

    return __import__


class _PrefixLoader:
    """The prefix itself is an empty package; its submodules are found by ``PrivateFinder``."""

    @staticmethod
    def create_module(spec: "ModuleSpec") -> None:
        return None

    @staticmethod
    def exec_module(module: "ModuleType") -> None:
        module.__path__ = []


_SCOPED_LOADERS: "dict[type, type]" = {}


def _scoped_loader(loader: "Loader", builtins_dict: "dict[str, object]") -> "Loader":
    """``loader``, made to execute its module with ``builtins_dict``. The loader becomes an
    instance of a subclass of its own class, so code dispatching on the loader's type (pkgutil,
    importlib.resources) still finds it."""
    base = type(loader)
    if not hasattr(base, "exec_module") or not hasattr(loader, "__dict__"):
        return loader
    scoped = _SCOPED_LOADERS.get(base)
    if scoped is None:

        def exec_module(self: "Loader", module: "ModuleType") -> None:
            module.__builtins__ = self._vimport_builtins  # type: ignore[attr-defined]
            base.exec_module(self, module)

        scoped = type(base.__name__, (base,), {"exec_module": exec_module})
        _SCOPED_LOADERS[base] = scoped
    new: Loader = object.__new__(scoped)
    new.__dict__.update(loader.__dict__)
    new._vimport_builtins = builtins_dict  # type: ignore[attr-defined]
    return new


class PrivateFinder:
    """Before the project finder (``finder.project_finder``) on ``sys.meta_path``: finds the
    private copies under their prefixes, gives the modules of every scope its builtins, and
    answers ``importlib.metadata`` for callers inside a scope."""

    def __init__(self, plan: "Packed", plain: "SimpleNamespace", debug: bool) -> None:
        self._plain = plain
        self._debug = debug
        self._views = [_View(scope) for scope in plan["private"]]
        self._by_prefix = {view.prefix: view for view in self._views}
        self._by_seer = {name: view for view, s in zip(self._views, plan["private"], strict=True)
                         for name in s["seers"]}  # fmt: skip
        self._by_builtins = {id(view.builtins): view for view in self._views}

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        head, _, rest = fullname.partition(".")
        view = self._by_prefix.get(head)
        if view is not None:
            return self._private_spec(view, fullname, rest, path, target)
        view = self._by_seer.get(head)
        if view is None:
            return None
        spec: ModuleSpec | None
        if rest:
            spec = PathFinder.find_spec(fullname, path, target)
        else:
            spec = self._plain.find_spec(fullname, None, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _scoped_loader(spec.loader, view.builtins)
        return spec

    def _private_spec(
        self,
        view: _View,
        fullname: str,
        rest: str,
        path: "Sequence[str] | None",
        target: "ModuleType | None",
    ) -> "ModuleSpec | None":
        if not rest:
            prefix = ModuleSpec(fullname, _PrefixLoader, is_package=True)  # type: ignore[arg-type]
            prefix.submodule_search_locations = []
            return prefix
        top, _, sub = rest.partition(".")
        spec: ModuleSpec | None
        if sub:
            spec = PathFinder.find_spec(fullname, path, target)
        else:
            index = view.modules.get(top)
            if index is None:
                return None
            copy = view.copies[index]
            # Not through sys.path_importer_cache: a copy at the plain version shares its site,
            # whose finder there answers the plain names only.
            finder = FileFinder(copy["site"], *_get_supported_file_loaders())
            spec = finder.find_spec(fullname, target)
            if self._debug:
                sys.stderr.write(
                    f"vimport: {top} -> private copy {copy['name']} {copy['version']} "
                    f"[{copy['tag']}] as {fullname} {copy['site']} ({copy['why']})\n"
                )
        if spec is not None and spec.loader is not None:
            spec.loader = _scoped_loader(spec.loader, view.builtins)
        return spec

    def invalidate_caches(self) -> None:
        """Nothing to do: the store's entries never change once published."""

    def caller_view(self, frame: "FrameType | None") -> "_View | None":
        """The scope of the first frame from ``frame`` outward that is not import plumbing."""
        while frame is not None:
            view = self._by_builtins.get(id(frame.f_builtins))
            if view is not None:
                return view
            name = frame.f_globals.get("__name__") or ""
            if not name.startswith(_PLUMBING):
                return None
            frame = frame.f_back
        return None

    def find_distributions(
        self, context: "DistributionFinder.Context | None" = None
    ) -> "Iterator[PathDistribution]":
        """A caller inside a scope asking for a copied distribution by name gets the copy;
        The project finder answers next, so the copy comes first. Listings without a name see
        only the plain distributions: a private copy's entry points are not seen."""
        if context is None or not context.name or context.path is not sys.path:
            return
        view = self.caller_view(sys._getframe(1))
        copy = view.dists.get(_normalize(context.name)) if view is not None else None
        if view is None or copy is None:
            return
        import pathlib
        from importlib.metadata import PathDistribution

        if self._debug:
            sys.stderr.write(
                f"vimport: importlib.metadata {context.name} -> private copy {copy['name']} "
                f"{copy['version']} for a caller in {view.prefix}\n"
            )
        yield PathDistribution(pathlib.Path(copy["site"], copy["dist_info"]))


def install_private(plan: "Packed", plain: "SimpleNamespace", debug: bool) -> None:
    """Put a ``PrivateFinder`` before ``plain`` (the project finder) on ``sys.meta_path``, and
    make the functions that take a module's name as a string map it for callers in a scope:
    ``importlib.import_module`` (which ``importlib.resources.files`` uses too) and
    ``pkgutil.get_data`` (jsonschema 3 loads its schemas with it)."""
    import importlib
    import pkgutil

    finder = PrivateFinder(plan, plain, debug)
    sys.meta_path.insert(sys.meta_path.index(plain), finder)
    importlib.import_module = _by_caller(finder, importlib.import_module)
    pkgutil.get_data = _by_caller(finder, pkgutil.get_data)


def _by_caller(finder: PrivateFinder, function: "Callable[..., T]") -> "Callable[..., T]":
    """``function``, whose first argument is an absolute module name, mapped by the caller's
    scope; callers outside every scope see ``function`` unchanged."""

    def by_caller(name: str, *args: object, **kwargs: object) -> "T":
        if isinstance(name, str) and not name.startswith("."):
            view = finder.caller_view(sys._getframe(1))
            if view is not None:
                name = view.mapped(name)
        return function(name, *args, **kwargs)

    by_caller.__name__ = function.__name__
    by_caller.__qualname__ = function.__qualname__
    by_caller.__doc__ = function.__doc__
    by_caller.__wrapped__ = function  # type: ignore[attr-defined]
    return by_caller
