"""The hook's start-up in a project: load its plan, isolate the process, install the finders.

The sitecustomize template calls ``start`` once it has found a project (a process outside any
project never imports this module). With a fresh plan it reads one ``marshal`` file. It must
never crash an interpreter, so every failure becomes one line on stderr.

Loops rather than comprehensions here: on Python 3.11 each comprehension is a code object of its
own, unmarshalled and made a function at every start (~7 K instructions each, valgrind).
"""

import atexit
import os
import site  # imported already: site.py is what runs the hook
import sys

from versioned_import._runtime.finder import missing_finder, project_finder, site_path_hook
from versioned_import._runtime.paths import store_root
from versioned_import._runtime.plan import load_fresh

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from versioned_import._runtime.plan import Packed

__all__ = ["PTH_MODULE", "RUNTIME_MODULE", "START_FUNCTION", "activate", "debug_enabled", "start"]

RUNTIME_MODULE = "_vimport_runtime"
"""This package joined into one module, written beside the installed sitecustomize."""
PTH_MODULE = "_vimport_hook"
"""The sitecustomize's code under another name, for a ``.pth`` file to import."""
START_FUNCTION = "_vimport_start"
"""Defined by the installed hook: its presence in a process says the hook ran."""

# Modules the hook itself runs from, which must survive isolation even when they live in the
# base site-packages.
_OWN_MODULES = frozenset(
    {"sitecustomize", "usercustomize", PTH_MODULE, RUNTIME_MODULE, "versioned_import"}
)


def debug_enabled() -> bool:
    """``VIMPORT_DEBUG=1`` or ``python -X vimport=debug``."""
    return os.environ.get("VIMPORT_DEBUG") == "1" or sys._xoptions.get("vimport") == "debug"


def _say(message: str) -> None:
    sys.stderr.write(f"vimport: {message}\n")


def start(project: str, tool_paths: list[str]) -> bool:
    """Activate ``project`` (found by ``discover``); ``tool_paths`` hold the tool and its deps.
    False when the process is left alone (the manifest has no real ``[tool.vimport]`` table)."""
    try:
        return _start(project, tool_paths)
    except Exception as exc:
        _say(f"the hook failed and is off for this process ({exc!r}); VIMPORT_DISABLE=1 skips it")
        return False


def _start(project: str, tool_paths: list[str]) -> bool:
    store = store_root()
    found = load_fresh(project, store)
    if found is None:
        from versioned_import._runtime.newplan import new_plan

        found, how = new_plan(project, store, tool_paths)
        if debug_enabled():
            _say(f"computed the plan of {project} against the store {store} {how}")
        for notice in found["notices"]:  # said once: the next start reads the saved plan
            _say(notice)
    if found["active"]:
        activate(found, debug_enabled())
    return bool(found["active"])


def activate(plan: "Packed", debug: bool) -> None:
    """Make this process see exactly the plan's distributions."""
    os.environ["VIMPORT_PROJECT"] = plan["project"]
    for problem in [plan["error"], *plan["warnings"]]:
        if problem:
            _say(problem)
    if not plan["system_site"]:
        _isolate()
    # The resolved sites go on sys.path too, after the project's roots, as a venv's
    # site-packages is: tools that search sys.path rather than import (mypy, pylint, jedi, pip,
    # pyright) then find them. Each site holds one resolved distribution and nothing else, so
    # nothing undeclared becomes visible; the project finder still answers first.
    sites = list(dict.fromkeys(plan["sites"]))
    known = set(sys.path)  # a list's `in` over 40-odd sites costs ~60 us
    for path in dict.fromkeys([*plan["paths"], *sites]):
        if path not in known:
            sys.path.append(path)
            known.add(path)
    path_hook = site_path_hook(frozenset(sites), plan["modules"])
    sys.path_hooks.insert(0, path_hook)
    _show_sites(sites, plan["system_site"])
    position = len(sys.meta_path)  # before PathFinder, or last
    for i, found in enumerate(sys.meta_path):
        if getattr(found, "__name__", "") == "PathFinder":
            position = i
            break
    finder = project_finder(plan, debug)
    sys.meta_path.insert(position, finder)
    if plan["private"]:
        # Only here: a project without private copies never loads (or, in the hook's runtime
        # module, compiles) their code.
        from versioned_import._runtime.private import install_private

        install_private(plan, finder, debug)
    missing = missing_finder(plan["manifest"], plan["error"])
    sys.meta_path.append(missing)
    atexit.register(_withdraw, [finder, missing], path_hook, sites)
    if plan["pth"]:
        _run_pth_files(plan["pth"], known)
    if debug:
        _say(
            f"project {plan['project']}: {len(plan['sites'])} distributions from "
            f"{plan['store']}, manifest {plan['manifest']}"
        )


def _withdraw(finders: "list[object]", path_hook: object, sites: "list[str]") -> None:
    """At exit (the first exit handler registered, so the last to run): the hook's finders
    leave ``sys``. Held there through the interpreter's teardown, they kept the runtime and the
    modules it references alive past its collection, to be cleared one by one: ~0.4 M
    instructions at every exit (valgrind), a quarter of what the hook added to ``python -c
    pass``. What imports later (``__del__`` methods, exit handlers registered before the hook)
    still finds the plan's versions on ``sys.path``, each site holding one distribution."""
    ours = set(map(id, [*finders, path_hook]))
    _drop_hooks(lambda hook: id(hook) in ours)
    for site_dir in sites:  # their finders are the hook's, made by path_hook
        sys.path_importer_cache.pop(site_dir, None)


def _isolate() -> None:
    """Leave the base site-packages as a fresh venv would: unseen, and its modules unloaded."""
    site_dirs = {*site.getsitepackages(), site.getusersitepackages()}
    # Everything from the first site directory on was added by site.py and its .pth files.
    first = 0
    while first < len(sys.path) and sys.path[first] not in site_dirs:
        first += 1
    removed: tuple[str, ...] = ()
    for path in sys.path[first:]:
        removed += (os.path.join(path, ""),)
    del sys.path[first:]
    if not removed:
        return
    evicted = set()
    for name, module in list(sys.modules.items()):
        # Not getattr(module, "__file__"): for each built-in module it raises and catches an
        # AttributeError with a formatted message (~1 us each, a third of this loop).
        origin = getattr(module, "__dict__", {}).get("__file__")
        if origin and origin.startswith(removed) and name.partition(".")[0] not in _OWN_MODULES:
            del sys.modules[name]
            evicted.add(name)
    # Finders and path hooks registered from there go too (setuptools' editable installs put
    # a finder class on sys.meta_path); getattr covers classes, instances and functions.
    _drop_hooks(lambda hook: getattr(hook, "__module__", None) in evicted)


def _drop_hooks(doomed: "Callable[[object], bool]") -> None:
    """Take what ``doomed`` picks off ``sys.meta_path`` and ``sys.path_hooks``, by position:
    ``in`` and ``remove`` would call the others' ``__eq__``, whatever that does."""
    for hooks in (sys.meta_path, sys.path_hooks):
        for index in range(len(hooks) - 1, -1, -1):
            if doomed(hooks[index]):
                del hooks[index]


def _show_sites(sites: list[str], system_site: bool) -> None:
    """``site.getsitepackages()`` names the resolved sites, as a venv's names its
    site-packages: mypy adds what it returns to its search path, and coverage counts it as
    third-party code. Without system-site-packages the base and the user's are hidden too."""
    base = site.getsitepackages

    def getsitepackages(prefixes: "Iterable[str] | None" = None) -> list[str]:
        if prefixes is not None:
            return base(prefixes)
        return [*sites, *base()] if system_site else list(sites)

    site.getsitepackages = getsitepackages
    if not system_site:
        site.ENABLE_USER_SITE = False


def _run_pth_files(pth_files: list[tuple[str, str]], known: set[str]) -> None:
    """Run the resolved distributions' ``.pth`` files. ``known`` holds ``sys.path``: without
    it, ``site.addpackage`` would stat every entry of ``sys.path`` for each file (~0.5 ms with
    the resolved sites there)."""
    for site_dir, name in pth_files:
        site.addpackage(site_dir, name, known)
