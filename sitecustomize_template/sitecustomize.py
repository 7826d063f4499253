# versioned-import hook: written by `vimport hook install`; `vimport hook uninstall` restores
# what was here before. It runs in every start of this interpreter, so it stays this small.
"""Start versioned-import's runtime, then the sitecustomize that was here before, if any."""

_VIMPORT_TOOL_PATHS: list[str] = []
_VIMPORT_CHAINED = ""


def _vimport_start() -> None:
    import os
    import sys

    if os.environ.get("VIMPORT_DISABLE") == "1" or not _VIMPORT_TOOL_PATHS:
        return
    saved = sys.path[:]
    try:
        sys.path.insert(0, _VIMPORT_TOOL_PATHS[0])
        from versioned_import.runtime import start
    except Exception as exc:
        sys.stderr.write(
            f"vimport: the hook cannot load versioned-import from {_VIMPORT_TOOL_PATHS[0]} "
            f"({exc!r}); run `vimport hook install` again, or set VIMPORT_DISABLE=1\n"
        )
        return
    finally:
        sys.path[:] = saved
    start(_VIMPORT_TOOL_PATHS)


_vimport_start()
if _VIMPORT_CHAINED:
    __import__(_VIMPORT_CHAINED)
