"""The plan: everything the hook needs for one project, precomputed and stored with ``marshal``.

Loading a fresh plan is the hook's whole warm path. A plan records the ``os.stat`` signature of
its inputs (the manifest, the store's generation file, the lock, the ``src/`` directory, a
requirements file); when any differs, the plan is computed again (``versioned_import.planner``),
in a child interpreter so that TOML, ``packaging`` and the resolver never enter the project's
process.

Its file holds it ``packed``: each distribution's site alone, and the rest of their records as
one ``marshal`` blob that only the debug output, ``importlib.metadata`` and the tool unpack.
Unmarshalling the records' ~200 strings and 30 dicts was a sixth of what a start in a project
adds to a venv's (~0.3 M instructions, valgrind).
"""

import marshal
import os
import sys

from versioned_import import __version__
from versioned_import._runtime.paths import plans_dir

# ``typing`` costs milliseconds at start-up; mypy treats this name as true. marshal stores plain
# dicts, lists and tuples, so the types below exist for mypy only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    Signature = tuple[str, int, int, int] | tuple[str]
    """A watched path and its (mtime_ns, size, inode), or the path alone when it is absent."""

    class Dist(TypedDict):
        """One resolved distribution."""

        name: str
        """As its METADATA spells it."""
        canonical: str
        """With ``version`` and ``tag``, the store entry's key (its directory names)."""
        version: str
        tag: str
        site: str
        """The entry's import root. For the project's own distribution (tag ``editable``), a
        cache directory holding only its ``.dist-info``: its code imports from ``paths``."""
        dist_info: str
        why: str
        """The requirement chain that selected it."""

    class Scope(TypedDict):
        """Private copies and the distributions whose modules see them."""

        prefix: str
        """The package the copies load under, e.g. ``_vimport_private_0a1b2c3d4e5f``."""
        copies: list[Dist]
        modules: dict[str, int]
        """Top-level import name of a copy -> index into ``copies``."""
        seers: list[str]
        """Top-level import names of the plain distributions that see the copies."""

    class _Common(TypedDict):
        """What a plan holds, as computed and as stored."""

        format: int
        tool: str
        project: str
        """A project directory, or a script with inline metadata."""
        store: str
        inputs: list[Signature]
        active: bool
        """False when the manifest does not opt in: the process is left alone."""
        error: str | None
        notices: list[str]
        """Said once on stderr when the plan is computed (the metadata built again)."""
        warnings: list[str]
        """Said at every start that uses the plan: a stale lock, the project's own metadata that
        could not be built."""
        manifest: str
        system_site: bool
        paths: list[str]
        """The project's own import roots."""
        modules: dict[str, list[int]]
        """Top-level import name -> indices into the distributions."""
        pth: list[tuple[str, str]]
        """``.pth`` files to run: (site directory, file name)."""
        private: list[Scope]
        """Empty unless ``[tool.vimport] private-copies`` split a conflict."""

    class Plan(_Common):
        """A plan as the planners compute it and the tool reads it."""

        dists: list[Dist]

    class Packed(_Common):
        """A plan as its file holds it and a start reads it."""

        sites: list[str]
        """Each distribution's ``site``, in the order of ``dists``."""
        records: bytes
        """``dists``, marshalled."""


__all__ = [
    "FORMAT",
    "PLANNER",
    "interpreter_file",
    "load_fresh",
    "plan_file",
    "records",
    "signature",
]

FORMAT = 7
PLANNER = "versioned_import.planner"
"""The module whose ``main`` computes a plan in the child interpreter."""


def signature(paths: "list[str]") -> "list[Signature]":
    found: list[Signature] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            found.append((path,))
        else:
            found.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
    return found


_KEY_PRIME = 0xFFFFFFFFFFFFFFC5
"""The largest prime below 2**64."""


def _key(text: str) -> str:
    """A stable 64-bit hash of ``text`` for a file name: its bytes read as one integer, modulo
    a prime; one operation in C, where a loop over the bytes cost ~60 us at every start (and
    hashlib ~2 ms). Not for security: a plan found under its name is checked for its project
    and store."""
    number = int.from_bytes(text.encode("utf-8", "surrogateescape"), "little")
    return f"{number % _KEY_PRIME:016x}"


def _flavour() -> str:
    return os.path.join(plans_dir(), f"{sys.implementation.cache_tag}-{sys.platform}")


def plan_file(project: str, store: str) -> str:
    """Where this interpreter keeps the plan of ``project`` against ``store``."""
    key = _key(f"{project}\0{store}\0{sys.executable}")
    return os.path.join(_flavour(), f"{key}.plan")


def interpreter_file() -> str:
    """Where the full planner records this interpreter's wheel tags and marker environment, for
    ``quickplan``."""
    return os.path.join(_flavour(), f"{_key(sys.executable)}.interpreter")


def records(plan: "Packed") -> "list[Dist]":
    """The records of ``plan``'s distributions."""
    found: list[Dist] = marshal.loads(plan["records"])
    return found


def load_fresh(project: str, store: str) -> "Packed | None":
    """The stored plan, if it exists and its inputs have not changed since."""
    try:
        with open(plan_file(project, store), "rb") as f:
            # One read, then loads: marshal.load on a file object costs ~8x more here.
            plan: Packed = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if (
        plan.get("format") != FORMAT
        or plan.get("tool") != __version__
        or plan.get("project") != project
        or plan.get("store") != store
        or plan["inputs"] != signature([i[0] for i in plan["inputs"]])
    ):
        return None
    return plan
