# versioned-import hook: written by `vimport hook install`; `vimport hook uninstall` restores
# what was here before. It runs in every start of this interpreter, so it stays this small.
"""Start versioned-import in a project, then the sitecustomize that was here before, if any."""

import os
import sys

# Replaced by the source of versioned_import/_runtime/discover.py when installed: outside a project,
# start-up then imports nothing.
from versioned_import._runtime.discover import project_for_process, stranded_project

_VIMPORT_TOOL_PATHS: list[str] = []
_VIMPORT_CHAINED = ""


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
        # Written beside this file by `vimport hook install`: the runtime in one module.
        from _vimport_runtime import start  # type: ignore[import-not-found]
    except Exception as exc:
        sys.stderr.write(
            f"vimport: the hook cannot load its runtime ({exc!r}); run `vimport hook install` "
            "again, or set VIMPORT_DISABLE=1\n"
        )
        return
    if not start(project, _VIMPORT_TOOL_PATHS):
        del sys.modules["_vimport_runtime"]  # left alone: nothing of the hook stays loaded


_vimport_start()
if _VIMPORT_CHAINED:
    __import__(_VIMPORT_CHAINED)
