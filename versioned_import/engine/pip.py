"""The pip engine: the package index through pip, for where uv is absent or cannot honour the
user's pip settings (``engine.choice``).

Resolution is one ``pip lock`` process (pip >= 25.3, which reads PEP 658 metadata instead of
downloading wheels to learn their dependencies); its lock names each file with its sha256, so
the wheels are then fetched without pip (``engine.download``). Only sdists take a second pip
process, ``pip wheel --no-deps``, which builds them. pip is handed the settings versioned-import
read (``engine.pipconfig``) as ``PIP_*`` variables, so both engines answer from one reading.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence

from versioned_import.engine import Fetched, Pick
from versioned_import.engine.lockfile import resolved_picks
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.engine.prefer import requirements_file, resolve_preferring
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter, count

__all__ = [
    "MINIMUM_PIP",
    "PipEngine",
    "build",
    "child_environment",
    "fetch",
    "install_into",
    "pure_wheel",
]

MINIMUM_PIP = (25, 3)


class PipEngine:
    """``Engine`` through ``python -m pip`` of the tool's own interpreter."""

    name = "pip"

    def __init__(self, config: PipConfig) -> None:
        self.config = config

    def close(self) -> None:
        """Nothing runs between calls."""

    def resolve(
        self,
        requirements: Sequence[str],
        reporter: Reporter,
        prefer: Mapping[str, str] | None = None,
    ) -> list[Pick]:
        return resolve_preferring(
            self.name,
            requirements,
            prefer,
            lambda pins: self._resolve_once(requirements, pins, reporter),
            reporter,
        )

    def _resolve_once(
        self, requirements: Sequence[str], pins: Mapping[str, str], reporter: Reporter
    ) -> list[Pick]:
        """``requirements`` resolved with ``pins`` as constraints: one ``pip lock``."""
        with tempfile.TemporaryDirectory(prefix="vimport-") as tmp:
            lock = os.path.join(tmp, "pylock.toml")
            listed = requirements_file(tmp, requirements, pins)
            _pip(["lock", "--output", lock, "-r", listed], self.config, reporter,
                 f"resolve {', '.join(requirements)}")  # fmt: skip
            with open(lock, encoding="utf-8") as f:
                return resolved_picks(f.read(), "pip lock")

    def fetch(
        self,
        picks: Sequence[Pick],
        directory: str,
        reporter: Reporter,
        each: Callable[[Fetched], object] | None = None,
    ) -> list[Fetched]:
        return fetch(picks, self.config, directory, reporter, each)

    def offered(self, pins: Mapping[str, str]) -> list[Pick]:
        from versioned_import.engine.offers import offered

        return offered(pins, self.config)

    def build(self, source: str, directory: str, reporter: Reporter) -> str:
        return build(source, self.config, directory, reporter)


def fetch(
    picks: Sequence[Pick],
    config: PipConfig,
    directory: str,
    reporter: Reporter,
    each: Callable[[Fetched], object] | None = None,
) -> list[Fetched]:
    """What every engine does once it has picks: the wheels downloaded here, hash-checked, with
    ``config``'s network settings; the sdists built into wheels by one ``pip wheel``, and
    everything by pip when a server refuses the credentials known here (pip asks keyring).
    ``each`` gets every wheel as soon as it is whole (``Engine.fetch``)."""
    # Imported here: ssl and urllib (~25 ms) are not needed to resolve, and a sync imports them
    # while the resolver runs (``sync._import_meanwhile``).
    from versioned_import.engine.download import (
        CredentialsRefused,
        DownloadSettings,
        can_download,
        download,
    )

    settings = DownloadSettings.from_pip_config(config)
    wheels = [p for p in picks if can_download(p)]
    try:
        fetched = download(wheels, directory, settings, reporter, each)
        rest = [p for p in picks if not can_download(p)]
    except CredentialsRefused:
        # pip fetches all of them then, into a directory of its own: the wheels downloaded
        # here may be installing already.
        fetched, rest, directory = [], list(picks), tempfile.mkdtemp(dir=directory)
    built = _build_wheels(rest, config, directory, reporter)
    if each is not None:
        for wheel in built:
            each(wheel)
    return fetched + built


def child_environment(config: PipConfig | None = None) -> dict[str, str]:
    """The environment of an engine's child: not the project's (``vimport sync`` runs inside
    projects), with the hook off; for pip, the settings of ``config`` and no others."""
    env = {k: v for k, v in os.environ.items() if k != "VIMPORT_PROJECT"}
    env["VIMPORT_DISABLE"] = "1"
    if config is not None:
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env.update(config.as_environment())
    return env


def _check_pip_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("pip")
    except PackageNotFoundError:
        found = "none"
    numbers = tuple(int(part) for part in found.split(".")[:2] if part.isdigit())
    if numbers < MINIMUM_PIP:
        raise PackageIndexError(
            f"the pip engine needs pip >= {'.'.join(map(str, MINIMUM_PIP))} in "
            f"versioned-import's environment ({sys.prefix}), which has pip {found}; upgrade it "
            f"(`{sys.executable} -m pip install -U pip`), or install uv there to use uv instead"
        )


def _pip_env(config: PipConfig | None) -> dict[str, str]:
    env = child_environment(config)
    # The plan's child interpreter may be one without pip of its own (a `venv --without-pip`
    # with the hook): it sees the tool's directories, where pip was installed beside the tool.
    import importlib.util

    spec = importlib.util.find_spec("pip")
    if spec is not None and spec.origin:
        found = os.path.dirname(os.path.dirname(spec.origin))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [found, env.get("PYTHONPATH")]))
    return env


def _pip(
    args: Sequence[str],
    config: PipConfig | None,
    reporter: Reporter,
    what: str,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    """``python -m pip ARGS``; with ``config``, pip gets those settings and no others, without,
    it reads its own configuration; ``extra_env`` overrides."""
    _check_pip_version()
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    if not reporter.verbose:
        command.append("--quiet")
    done = subprocess.run(
        command,
        env={**_pip_env(config), **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=None if reporter.verbose else subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PackageIndexError(f"pip could not {what}: {_errors(done.stderr or '')}")
    return done.stdout


def _backend_error(stderr: str) -> str | None:
    """The last line a failed build backend printed: pip frames its output, which ends with
    ``[end of output]``."""
    lines = stderr.splitlines()
    ends = [i for i, line in enumerate(lines) if line.strip() == "[end of output]"]
    if not ends:
        return None
    before = [line.strip(" \t│") for line in lines[: ends[-1]]]
    return next((line for line in reversed(before) if line), None)


def pure_wheel(name: str, version: str, reporter: Reporter) -> Pick | None:
    """The ``py3-none-any`` wheel of ``name==version`` on the user's index, or None: a private
    copy must be pure even where the release also has compiled wheels, whichever engine chose
    them. pip told that the target platform is ``any``, the implementation ``py`` and the ABI
    ``none`` accepts no other file; it allows these options only with ``--target``, which
    ``--dry-run`` never writes to."""
    import json

    from versioned_import.engine import Artifact

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    with tempfile.TemporaryDirectory(prefix="vimport-") as tmp:
        report_file = os.path.join(tmp, "report.json")
        try:
            _pip(
                ["install", "--dry-run", "--ignore-installed", "--no-deps", "--report",
                 report_file, "--target", os.path.join(tmp, "unused"), "--only-binary", ":all:",
                 "--platform", "any", "--implementation", "py", "--abi", "none",
                 "--python-version", python, f"{name}=={version}"],
                None,
                reporter,
                f"find a pure-Python wheel of {name} {version}",
            )  # fmt: skip
        except PackageIndexError:
            return None
        with open(report_file, encoding="utf-8") as f:
            report = json.load(f)
    for item in report.get("install", []):
        info, url = item["download_info"], item["download_info"]["url"]
        sha256 = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        if url.endswith(".whl") and sha256:
            return Pick(item["metadata"]["name"], item["metadata"]["version"],
                        Artifact(url, sha256, None, True))  # fmt: skip
    return None


def _errors(stderr: str) -> str:
    backend = _backend_error(stderr)
    if backend is not None:
        return f"its build backend failed: {backend}"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if any("DO NOT MATCH THE HASHES" in line for line in lines):
        # pip lists each mismatch indented under the heading: name the files, not only the fact.
        details = [line for line in lines if line.startswith(("Expected", "Got")) or ".whl" in line
                   or ".tar.gz" in line]  # fmt: skip
        return (
            f"a downloaded file does not match the sha256 the lock or the index gave "
            f"({'; '.join(details)}); the file changed or was tampered with, so nothing was "
            "installed; if the new file is trusted, delete the lock and sync again"
        )
    errors = [
        line.removeprefix("ERROR: ").rstrip(".") for line in lines if line.startswith("ERROR:")
    ]
    found = "; ".join(errors or lines[-1:]) or "no output (run with -v to see pip's)"
    return (
        f"{found}. Check the requirement's name and version, and the index settings in pip's "
        "configuration (`pip config list`)"
    )


def _build_wheels(
    packages: Sequence[Pick], config: PipConfig, directory: str, reporter: Reporter
) -> list[Fetched]:
    """Fetch and build exactly ``packages`` (sdists, or wheels ``download`` cannot fetch) into
    wheels in ``directory``, hash-checked by pip."""
    if not packages:
        return []
    reporter.step(f"Building {count(len(packages), 'package')} with pip")
    lines = [
        f"{p.name} @ {_as_url(p.artifact.location)} --hash=sha256:{p.artifact.sha256}"
        for p in packages
    ]
    requirements = requirements_file(directory, lines, {})
    _pip(
        ["wheel", "--no-deps", "--wheel-dir", directory, "-r", requirements],
        config,
        reporter,
        f"fetch {', '.join(f'{p.name}=={p.version}' for p in packages)}",
    )
    fetched = [Fetched(p, _wheel_for(p, directory)) for p in packages]
    reporter.done(f"Built {count(len(fetched), 'package')}")
    return fetched


def build(source: str, config: PipConfig, directory: str, reporter: Reporter) -> str:
    """Build the local ``source`` (a source directory or an sdist) into a wheel in the empty
    ``directory`` with its own build backend, in an isolated build environment."""
    # With a log file configured, pip writes the backend's output there and not to stderr,
    # whose last error line is what a failed build must show.
    no_log = {"PIP_LOG": ""}
    _pip(["wheel", "--no-deps", "--wheel-dir", directory, source], config, reporter,
         f"build {source}", no_log)  # fmt: skip
    wheels = [name for name in os.listdir(directory) if name.endswith(".whl")]
    if len(wheels) != 1:
        raise PackageIndexError(f"{source}: its build backend made {len(wheels)} wheels, not one")
    return os.path.join(directory, wheels[0])


def install_into(requirements: Sequence[str], target: str, reporter: Reporter) -> None:
    """Install ``requirements`` and their dependencies into the directory ``target`` (a build
    backend's environment, outside the store)."""
    _pip(
        ["install", "--target", target, "--no-warn-script-location",
         "-r", requirements_file(target, requirements, {})],
        None,
        reporter,
        f"install the build requirements {', '.join(requirements)}",
    )  # fmt: skip


def _as_url(location: str) -> str:
    if "://" in location:
        return location
    from pathlib import Path

    return Path(location).resolve().as_uri()


def _wheel_for(package: Pick, directory: str) -> str:
    from packaging.utils import canonicalize_name, parse_wheel_filename

    if package.artifact.is_wheel:
        return os.path.join(directory, package.artifact.filename)
    for name in os.listdir(directory):
        if name.endswith(".whl"):
            wheel_name, version, _, _ = parse_wheel_filename(name)
            if canonicalize_name(wheel_name) == canonicalize_name(package.name) and str(
                version
            ) == str(package.version):
                return os.path.join(directory, name)
    raise PackageIndexError(f"{package.artifact.filename}: pip built no wheel from this sdist")
