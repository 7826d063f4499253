"""The corpus's side inside a hooked child: import and exercise every case of one project.

Run as ``python -I -c <this source> CASES.json OUT.json`` with the project as the current
directory, so the child is plain ``python`` in the project. Standard library only. Each case's
outcome is caught, so one failure hides no other; outcomes go to a file, not stdout, which
libraries may write to.
"""

import contextlib
import datetime
import importlib
import importlib.metadata as md
import importlib.resources
import io
import json
import os
import subprocess
import sys
import traceback
import types
import typing
import warnings
import zoneinfo

# What the interpreter imported before any case ran: the hook and the `.pth` files it ran.
STARTUP = frozenset(sys.modules)
STORE = os.path.realpath(os.environ["VIMPORT_STORE"])


def in_store(path: str | None) -> bool:
    """Whether ``path`` lies in the store."""
    return bool(path) and os.path.realpath(str(path)).startswith(STORE + os.sep)


def entry_of(path: str) -> str:
    """The store entry's distribution name of a path in the store, else ``"elsewhere"``."""
    if not in_store(path):
        return "elsewhere"
    return os.path.relpath(os.path.realpath(path), STORE).split(os.sep)[1]


def portions(package: object) -> list[str]:
    """The distributions whose directories make up a package's ``__path__``."""
    return sorted(entry_of(p) for p in getattr(package, "__path__", []))


def loaded(fragment: str) -> bool:
    """Whether a shared library whose path contains ``fragment`` is mapped, from the store."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = {line.split()[-1] for line in maps if "/" in line}
    return any(fragment in p and in_store(p) for p in paths)


def python(code: str, **env: str) -> str:
    """Run ``sys.executable -c code`` (a child of this child); its stdout, stripped."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"exit code {done.returncode}: {done.stderr.strip()}")
    return done.stdout.strip()


PRELUDE: dict[str, object] = {
    "__name__": "corpus",  # classes made by type() in an exercise get a __module__
    "contextlib": contextlib,
    "datetime": datetime,
    "importlib": importlib,
    "io": io,
    "json": json,
    "md": md,
    "os": os,
    "subprocess": subprocess,
    "sys": sys,
    "types": types,
    "typing": typing,
    "warnings": warnings,
    "zoneinfo": zoneinfo,
    "STARTUP": STARTUP,
    "STORE": STORE,
    "in_store": in_store,
    "entry_of": entry_of,
    "portions": portions,
    "loaded": loaded,
    "python": python,
}


def _error() -> str:
    lines = traceback.format_exc().strip().splitlines()
    return "\n".join(lines[-6:])


def _module_version(name: str) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # markupsafe warns that __version__ is deprecated
        version = getattr(sys.modules.get(name), "__version__", None)
    return None if version is None else str(version)


def exercise(case: dict[str, typing.Any]) -> dict[str, object]:
    """Import a case's modules, evaluate its exercise, and read the versions."""
    outcome: dict[str, object] = {"error": None, "value": None, "version": None}
    outcome["module_version"] = None
    namespace = dict(PRELUDE)
    try:
        for name in case["imports"]:
            importlib.import_module(name)
            top = name.partition(".")[0]
            namespace[top] = sys.modules[top]
        value = eval(case["exercise"], namespace)
        outcome["value"] = json.loads(json.dumps(value, default=repr))
        outcome["version"] = md.version(case["distribution"])
        outcome["module_version"] = _module_version(case["version_module"])
    except Exception:
        outcome["error"] = _error()
    return outcome


def main() -> None:
    cases_file, out_file = sys.argv[1:3]
    with open(cases_file, encoding="utf-8") as f:
        cases = json.load(f)
    outcomes = {case["id"]: exercise(case) for case in cases}
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(outcomes, f, indent=1)


if __name__ == "__main__":
    main()
