# versioned-import hook: written by `vimport hook install`; `vimport hook uninstall` restores
# what was here before. It runs in every start of this interpreter, so it stays this small.
"""Start versioned-import in a project, then the sitecustomize that was here before, if any."""

import os
import sys

# Replaced by the source of versioned_import/_runtime/discover.py when installed: outside a project,
# start-up then imports nothing.
from versioned_import._runtime.discover import project_for_process, stranded_project

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

_VIMPORT_TOOL_PATHS: list[str] = []
_VIMPORT_CHAINED = ""
_VIMPORT_RUNTIME = ""


def _vimport_start() -> None:
    if os.environ.get("VIMPORT_DISABLE") == "1" or not _VIMPORT_TOOL_PATHS:
        return
    project = project_for_process()
    if project is None:
        stranded = stranded_project()
        if stranded:
            sys.stderr.write(
                f"vimport: {sys.argv[0]} is outside the project {stranded}, so it runs without "
                f"the project's versions; to run it in the project, set VIMPORT_PROJECT={stranded}"
                ", or give the tool the project's view (`vimport venv`: .venv/bin/python)\n"
            )
        return
    try:
        runtime = _vimport_load_runtime()
    except Exception as exc:
        sys.modules.pop(_VIMPORT_RUNTIME, None)
        sys.stderr.write(
            f"vimport: the hook cannot load its runtime ({exc!r}); run `vimport hook install` "
            "again, or set VIMPORT_DISABLE=1\n"
        )
        return
    if not runtime.start(project, _VIMPORT_TOOL_PATHS):
        del sys.modules[_VIMPORT_RUNTIME]  # left alone: nothing of the hook stays loaded


def _vimport_load_runtime() -> "ModuleType":
    """The runtime in one module, written beside this file by `vimport hook install` with its
    bytecode. Loaded from there by name: an import would first ask every finder and search
    ``sys.path``, which was a sixth of the runtime's loading (measured in instructions)."""
    from _frozen_importlib_external import SourceFileLoader

    path = os.path.join(os.path.dirname(__file__), f"{_VIMPORT_RUNTIME}.py")
    loader = SourceFileLoader(_VIMPORT_RUNTIME, path)
    module = type(sys)(_VIMPORT_RUNTIME)
    module.__file__, module.__loader__ = path, loader
    sys.modules[_VIMPORT_RUNTIME] = module
    code = loader.get_code(_VIMPORT_RUNTIME)  # None only for a package's __init__
    exec(code, module.__dict__)  # type: ignore[arg-type]
    return module


_vimport_start()
if _VIMPORT_CHAINED:
    __import__(_VIMPORT_CHAINED)
