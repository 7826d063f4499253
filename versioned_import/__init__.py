"""versioned-import: one multi-version store, and a meta-path finder that gives each project its
own versions under plain ``python``.

This module is imported by every interpreter that has the hook installed, so it imports nothing.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
