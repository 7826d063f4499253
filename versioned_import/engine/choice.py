"""Which index engine a command uses: uv when there is one and it can honour the user's pip
settings, pip otherwise; ``VIMPORT_ENGINE=pip|uv`` forces one."""

from __future__ import annotations

import os

from versioned_import.engine import Engine
from versioned_import.engine.pipconfig import read_pip_config
from versioned_import.errors import UsageError
from versioned_import.progress import Reporter

__all__ = ["ENGINES", "default_engine"]

ENGINES = ("pip", "uv")


def default_engine(reporter: Reporter) -> Engine:
    """The engine for this process, given pip's configuration as pip would read it; with
    ``-v``, why pip was chosen when uv was not forced off."""
    from versioned_import.engine.pip import PipEngine
    from versioned_import.engine.uv import UvEngine, find_uv
    from versioned_import.engine.uvoptions import NoUvEquivalent, uv_options

    forced = os.environ.get("VIMPORT_ENGINE", "").strip().lower()
    if forced and forced not in ENGINES:
        raise UsageError(
            f"VIMPORT_ENGINE={os.environ['VIMPORT_ENGINE']}: not an engine; use "
            f"{' or '.join(ENGINES)}, or unset it to let versioned-import choose"
        )
    config = read_pip_config()
    if forced == "pip":
        return PipEngine(config)
    uv = find_uv()
    try:
        options = uv_options(config)
    except NoUvEquivalent as exc:
        if forced == "uv":
            raise UsageError(
                f"VIMPORT_ENGINE=uv, but pip's setting {exc} (uv would resolve differently); "
                "unset VIMPORT_ENGINE to use pip, or remove the setting"
            ) from exc
        _why(reporter, f"pip's setting {exc}")
        return PipEngine(config)
    if uv is None:
        if forced == "uv":
            raise UsageError(
                "VIMPORT_ENGINE=uv, but no uv was found (neither the `uv` package nor uv on "
                "PATH); install it (`pip install uv`) or unset VIMPORT_ENGINE"
            )
        _why(reporter, "no uv was found (neither the `uv` package nor uv on PATH)")
        return PipEngine(config)
    return UvEngine(uv, options, config)


def _why(reporter: Reporter, reason: str) -> None:
    if reporter.verbose:
        reporter.stream.write(f"Using pip as the engine: {reason}\n")
