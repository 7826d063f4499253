"""Which index engine a command uses."""

from __future__ import annotations

from versioned_import.engine import Engine

__all__ = ["default_engine"]


def default_engine() -> Engine:
    """The engine for this process: pip, whose configuration users already have."""
    from versioned_import.engine.pip import PipEngine

    return PipEngine()
