"""The uv engine: ``uv pip compile`` resolves, fed pip's settings translated to uv's options.

uv resolves 5-20x faster than pip (it reads only the metadata it needs, by PEP 658 files or range
requests, and prefetches in parallel); it writes a PEP 751 lock on stdout, read here as the
project's own lock is. uv has no download-only command, and versioned-import installs wheels
itself (RECORD checked), so the wheels the lock names are fetched by ``engine.download``; sdists
are built by pip. ``--no-config`` keeps uv's own configuration files out: the user's settings
are pip's, as for the pip engine.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from versioned_import.engine import Pick
from versioned_import.engine.lockfile import resolved_picks
from versioned_import.engine.pip import PipEngine, child_environment
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.engine.prefer import requirements_file
from versioned_import.engine.uvoptions import UvOptions
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter

__all__ = ["UvEngine", "find_uv"]

_KEPT_VARIABLES = frozenset(
    {"UV_CACHE_DIR", "UV_NO_CACHE", "UV_CONCURRENT_DOWNLOADS", "UV_CONCURRENT_BUILDS"}
)


def find_uv() -> str | None:
    """The uv binary: the ``uv`` package's (the version versioned-import depends on), else the
    first on ``PATH``."""
    try:
        from uv import find_uv_bin
    except ImportError:
        pass
    else:
        try:
            return find_uv_bin()
        except FileNotFoundError:
            pass
    import shutil

    return shutil.which("uv")


class UvEngine(PipEngine):
    """``Engine`` through the uv binary at ``uv``: uv resolves; the lock's wheels are fetched,
    and local sources built, as by the pip engine, since uv has no download-only or build-only
    command that honours pip's settings.

    A caller may ``start`` a resolution before it knows for sure what it will ask (a first sync
    starts one as soon as it has read the manifest's requirement lines, before it imports the
    rest of itself): ``resolve`` takes that answer when asked the same, and stops it otherwise;
    ``close`` stops one never asked for."""

    name = "uv"

    def __init__(self, uv: str, options: UvOptions, config: PipConfig) -> None:
        super().__init__(config)
        self.uv = uv
        self.options = options
        self._started: _Started | None = None

    def start(self, requirements: Sequence[str], reporter: Reporter) -> None:
        """Start resolving ``requirements``, without pins; a uv that cannot start is left to
        ``resolve`` to report."""
        self.close()
        with contextlib.suppress(PackageIndexError):
            self._started = self._begin(requirements, {}, reporter)

    def close(self) -> None:
        """Stop a started resolution that no ``resolve`` took."""
        started, self._started = self._started, None
        if started is not None:
            started.stop()

    def _resolve_once(
        self, requirements: Sequence[str], pins: Mapping[str, str], reporter: Reporter
    ) -> list[Pick]:
        """``requirements`` resolved with ``pins`` as constraints: one ``uv pip compile``, or
        the one started for the same."""
        started, self._started = self._started, None
        if started is not None and (pins or not started.asks(requirements)):
            started.stop()
            started = None
        started = started or self._begin(requirements, pins, reporter)
        try:
            text = self._finish(started, f"resolve {', '.join(requirements)}")
        finally:
            started.stop()
        return resolved_picks(text, "uv pip compile")

    def _begin(
        self, requirements: Sequence[str], pins: Mapping[str, str], reporter: Reporter
    ) -> _Started:
        started = _Started(requirements, tempfile.TemporaryDirectory(prefix="vimport-"))
        try:
            started.process = self._launch(started.command(self, pins, reporter), reporter)
        except BaseException:
            started.stop()
            raise
        return started

    def _launch(self, command: list[str], reporter: Reporter) -> subprocess.Popen[str]:
        # uv starts this interpreter to learn its markers and tags: without the hook. The
        # settings are pip's alone, as for the pip engine: uv's own variables that would change
        # its answer are dropped; those for its cache and concurrency are kept.
        env = {
            k: v
            for k, v in child_environment().items()
            if not k.startswith("UV_") or k in _KEPT_VARIABLES
        }
        env.update(self.options.env)
        try:
            return subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.PIPE,
                stderr=None if reporter.verbose else subprocess.PIPE,
                text=True,
            )
        except OSError as exc:
            raise PackageIndexError(f"{self.uv}: uv cannot be started ({exc.strerror})") from exc

    def _finish(self, started: _Started, what: str) -> str:
        assert started.process is not None
        stdout, stderr = started.process.communicate()
        if started.process.returncode < 0:
            raise PackageIndexError(
                f"{self.uv} crashed ({_signal_name(-started.process.returncode)}) trying to "
                f"{what}; nothing was installed; run again with VIMPORT_ENGINE=pip to use pip "
                "instead"
            )
        if started.process.returncode != 0:
            raise PackageIndexError(f"uv could not {what}: {_errors(stderr or '')}")
        return stdout


class _Started:
    """One ``uv pip compile``: its requirements, the directory of their file, its process."""

    def __init__(self, requirements: Sequence[str], directory: tempfile.TemporaryDirectory[str]):
        self.requirements = list(requirements)
        self.directory = directory
        self.process: subprocess.Popen[str] | None = None

    def command(self, engine: UvEngine, pins: Mapping[str, str], reporter: Reporter) -> list[str]:
        listed = requirements_file(self.directory.name, self.requirements, pins)
        command = [engine.uv, "pip", "compile", "--no-config", "--format", "pylock.toml",
                   "--python", sys.executable, *engine.options.args, listed]  # fmt: skip
        command.append("--verbose" if reporter.verbose else "--quiet")
        return command

    def asks(self, requirements: Sequence[str]) -> bool:
        """Whether ``requirements`` mean what this one's do, however spelled."""
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            parsed = [Requirement(r) for r in requirements]
            return parsed == [Requirement(r) for r in self.requirements]
        except InvalidRequirement:
            return False

    def stop(self) -> None:
        """Kill the process if it still runs, reap it, and remove the directory. Its pipes are
        closed, not read to their end: a child of uv's may hold them open."""
        process = self.process
        if process is not None and process.returncode is None:
            process.kill()
            process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        self.directory.cleanup()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _errors(stderr: str) -> str:
    """uv's explanation, on one line: its ``error:`` line and the ``cause:`` lines under it."""
    lines = [" ".join(line.split()) for line in stderr.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    found = (
        " ".join(lines[start:]).removeprefix("error: ").rstrip(".")
        if start is not None
        else (lines[-1] if lines else "no output (run with -v to see uv's)")
    )
    return (
        f"{found}. Check the requirement's name and version, and the index settings in pip's "
        "configuration (`pip config list`), which uv is given"
    )
