"""The meta-path finders that give a process its project's versions (standard library only).

``project_finder`` does no loading itself, like ``importlib.machinery.PathFinder``: it maps a
top-level name to the store directories of the distributions that provide it and lets
``PathFinder`` find the spec there. ``missing_finder`` sits last and turns an import that
nothing answered into an error that names the active manifest.

Every start in a project installs these, and a class is ~0.1 M instructions for a start to
create (valgrind), a twentieth of the hook's whole start: both finders are namespaces of
functions, and the sites' path-entry finder class is created when a site is first searched.
"""

import os
import sys

# importlib.machinery re-exports these; importing it would cost ~1 ms at every start-up.
from _frozen_importlib_external import (  # type: ignore[attr-defined]
    FileFinder,
    PathFinder,
    _get_supported_file_loaders,
    _NamespacePath,
)

from versioned_import._runtime.plan import records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Container, Iterator, Sequence
    from importlib.machinery import ModuleSpec
    from importlib.metadata import DistributionFinder, PathDistribution
    from types import ModuleType
    from types import SimpleNamespace as _Namespace

    from versioned_import._runtime.plan import Dist, Packed
else:
    _Namespace = type(sys.implementation)  # types.SimpleNamespace, without importing types

__all__ = ["missing_finder", "project_finder", "site_path_hook"]


def project_finder(plan: "Packed", debug: bool) -> "_Namespace":
    """The finder of the top-level names that a project's resolved distributions provide: a
    namespace of functions, as ``missing_finder`` is, since a class costs every start in a
    project ~0.08 M instructions to create (valgrind)."""
    modules, sites = plan["modules"], plan["sites"]
    unpacked: list[list[Dist]] = []

    def dists() -> "list[Dist]":
        """The distributions' records, unpacked when first asked for."""
        if not unpacked:
            unpacked.append(records(plan))
        return unpacked[0]

    def find_spec(
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        """A spec for ``fullname`` from the store, or None for names the plan does not know.

        Submodules are found through their package's ``__path__``, so only top-level names
        (``path is None``) are answered here.
        """
        indices = modules.get(fullname) if path is None else None
        if indices is None:
            return None
        found = [sites[i] for i in indices]
        spec = PathFinder.find_spec(fullname, found, target)
        if spec is None:
            return None
        if spec.loader is None:
            spec = _namespace_spec(fullname, found)
        elif len(found) > 1 and spec.submodule_search_locations:
            # A regular package that other distributions extend: one __path__ over all of them.
            portions = [os.path.join(site, fullname) for site in found]
            spec.submodule_search_locations = [p for p in portions if os.path.isdir(p)]
        if debug:
            for i in indices:
                d = dists()[i]
                sys.stderr.write(
                    f"vimport: {fullname} -> {d['name']} {d['version']} [{d['tag']}] "
                    f"{d['site']} ({d['why']})\n"
                )
        return spec

    def find_distributions(
        context: "DistributionFinder.Context | None" = None,
    ) -> "Iterator[PathDistribution]":
        """The resolved distribution of ``context.name``, for ``importlib.metadata``, found
        without scanning ``sys.path``. Listings (no name) are left to ``PathFinder``, which
        finds the resolved sites on ``sys.path``: answering them here too would list each
        distribution twice."""
        import pathlib
        from importlib.metadata import DistributionFinder, PathDistribution

        context = context or DistributionFinder.Context()
        if context.path is not sys.path or not context.name:
            return
        wanted = _normalize(context.name)
        for dist in dists():
            if _normalize(dist["name"]) == wanted:
                yield PathDistribution(pathlib.Path(dist["site"], dist["dist_info"]))

    # The store's entries never change once published: there is no cache to invalidate.
    return _Namespace(
        find_spec=find_spec,
        find_distributions=find_distributions,
        invalidate_caches=_nothing_cached,
    )


def site_path_hook(
    sites: "Container[str]", known: "Container[str]"
) -> "Callable[[str], FileFinder]":
    """A ``sys.path_hooks`` entry that gives each of ``sites`` a finder for the top-level names
    in ``known`` (``_site_finder_class``), and declines every other path."""
    created: list[Callable[[str, Container[str]], FileFinder]] = []

    def hook(path: str) -> FileFinder:
        if path not in sites:
            raise ImportError("not a resolved site", path=path)
        if not created:
            created.append(_site_finder_class())
        return created[0](path, known)

    return hook


def _site_finder_class() -> "Callable[[str, Container[str]], FileFinder]":
    """The path-entry finder class of the resolved sites: created at the first search of a
    site, which a process that imports nothing from the store never makes."""

    class SiteFinder(FileFinder):
        """A site holds only names that the plan knows, so a search of ``sys.path`` for any
        other top-level name (libraries probe for missing optional dependencies at every
        start) passes it without a ``stat``."""

        def __init__(self, path: str, known: "Container[str]") -> None:
            super().__init__(path, *_get_supported_file_loaders())
            self._known = known

        def find_spec(
            self, fullname: str, target: "ModuleType | None" = None
        ) -> "ModuleSpec | None":
            if fullname not in self._known:
                return None
            spec: ModuleSpec | None = super().find_spec(fullname, target)
            return spec

    return SiteFinder


def _namespace_spec(fullname: str, sites: list[str]) -> "ModuleSpec | None":
    """A PEP 420 namespace spans the store's portions and every portion on ``sys.path``, also
    after ``sys.path`` changes (setuptools appends its ``_vendor`` directory, which holds
    ``jaraco.text``, to a ``jaraco`` namespace that the store provides too)."""

    def find(name: str, parent_path: "Sequence[str]") -> "ModuleSpec | None":
        # The resolved sites are on sys.path as well: each portion once.
        spec = PathFinder.find_spec(name, list(dict.fromkeys([*sites, *parent_path])))
        if spec is not None and spec.loader is None and spec.submodule_search_locations:
            spec.submodule_search_locations = list(spec.submodule_search_locations)
        return spec

    spec = find(fullname, sys.path)
    if spec is not None and spec.loader is None and spec.submodule_search_locations:
        portions = list(spec.submodule_search_locations)
        spec.submodule_search_locations = _NamespacePath(fullname, portions, find)
    return spec


def _normalize(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def missing_finder(manifest: str, error: str | None) -> "_Namespace":
    """The finder last on ``sys.meta_path``: an ``import`` that nothing answered says why and
    what to do.

    ``importlib.util.find_spec`` must keep returning None for a missing module (libraries probe
    optional dependencies that way), so the error is raised only when the caller is the import
    statement's own ``_find_and_load_unlocked``.
    """

    def find_spec(
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> None:
        if path is not None or sys._getframe(2).f_code.co_name != "_find_and_load_unlocked":
            return
        if error:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: the project cannot be resolved: {error}",
                name=fullname,
            )
        raise ModuleNotFoundError(
            f"No module named {fullname!r} in the project of {manifest} (versioned-import): "
            "add the distribution that provides it to [project].dependencies there, or set "
            "system-site-packages = true in [tool.vimport] to see the base site-packages",
            name=fullname,
        )

    return _Namespace(find_spec=find_spec, invalidate_caches=_nothing_cached)


def _nothing_cached() -> None:
    """``invalidate_caches`` of a finder that caches nothing."""
