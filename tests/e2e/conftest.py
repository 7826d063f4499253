"""Fixtures of the end-to-end tests: the hooked interpreter's base site-packages, import probes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.conftest import RunHooked
from versioned_import.hook import site_dir_of

Imports = Callable[..., dict[str, str]]

# Run in the hooked child: one outcome per name, as JSON on the last line of stdout.
_PROBE = """
import importlib, json, sys
def outcome(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        return f"{type(exc).__name__}: {exc}"
    return getattr(module, "__version__", "imported")
print(json.dumps({name: outcome(name) for name in sys.argv[1:]}))
"""


@pytest.fixture(scope="session")
def hooked_site(hooked_python: Path) -> Path:
    return Path(site_dir_of(str(hooked_python)))


@pytest.fixture
def base_site(hooked_site: Path) -> Iterator[Path]:
    """The hooked interpreter's own site-packages, for a test to install into directly.

    The interpreter is shared by the session, so whatever the test (or bytecode written by its
    children) adds is removed afterwards.
    """
    before = set(hooked_site.rglob("*"))
    yield hooked_site
    added = set(hooked_site.rglob("*")) - before
    # Deepest first, so each directory is empty when its turn comes.
    for path in sorted(added, key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()


@pytest.fixture
def imports(run_hooked: RunHooked) -> Imports:
    """``imports(cwd, *names, args=(), env_extra=None)`` imports each name in one hooked child
    started in ``cwd`` (``args`` go before ``-c``) and returns, per name, its ``__version__``
    (``"imported"`` when it has none) or ``"ModuleNotFoundError: message"``."""

    def probe(
        cwd: Path,
        *names: str,
        args: Sequence[str] = (),
        env_extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        done = run_hooked(cwd, *args, "-c", _PROBE, *names, env_extra=env_extra)
        assert done.returncode == 0, done.stderr
        outcomes: dict[str, str] = json.loads(done.stdout.splitlines()[-1])
        return outcomes

    return probe


def missing(outcome: str) -> bool:
    """Whether an ``imports`` outcome says the module could not be found."""
    return outcome.startswith("ModuleNotFoundError: ")
