"""The root error type, here because start-up code raises it too (``versioned_import.errors``
holds the rest of the hierarchy and re-exports these)."""

__all__ = ["PlanError", "VersionedImportError"]


class VersionedImportError(Exception):
    """Root of every error this project raises on purpose."""


class PlanError(VersionedImportError, RuntimeError):
    """A project cannot be planned: the child interpreter computing its plan failed, or the plan
    carries an error (a broken manifest, requirements the store cannot satisfy)."""
