"""The pip engine: the package index through pip, which honours the user's pip configuration
(index URLs, find-links, constraints, certificates, proxies), what users have already set up.

Resolution is ``pip install --dry-run --ignore-installed --report``, for the running interpreter;
fetching is ``pip wheel --no-deps`` on the exact files the report chose, hash-checked, which
copies wheels and builds sdists into wheels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from versioned_import.engine import Artifact, Fetched, Pick
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter, count

__all__ = ["PipEngine", "install_into"]


class PipEngine:
    """``Engine`` through ``python -m pip`` of the tool's own interpreter."""

    def resolve(
        self,
        requirements: Sequence[str],
        reporter: Reporter,
        prefer: Mapping[str, str] | None = None,
    ) -> list[Pick]:
        return resolve(requirements, reporter, prefer)

    def fetch(self, picks: Sequence[Pick], directory: str, reporter: Reporter) -> list[Fetched]:
        return fetch(picks, directory, reporter)


def _pip_env() -> dict[str, str]:
    # pip must see its own interpreter, not a project: `vimport sync` runs inside projects.
    env = {k: v for k, v in os.environ.items() if k != "VIMPORT_PROJECT"}
    env["VIMPORT_DISABLE"] = "1"
    # The plan's child interpreter may be one without pip of its own (a `venv --without-pip`
    # with the hook): it sees the tool's directories, where pip was installed beside the tool.
    import importlib.util

    spec = importlib.util.find_spec("pip")
    if spec is not None and spec.origin:
        found = os.path.dirname(os.path.dirname(spec.origin))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [found, env.get("PYTHONPATH")]))
    return env


def _pip(args: Sequence[str], reporter: Reporter, what: str) -> str:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    if not reporter.verbose:
        command.append("--quiet")
    env = _pip_env()
    done = subprocess.run(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=None if reporter.verbose else subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PackageIndexError(f"pip could not {what}: {_errors(done.stderr or '')}")
    return done.stdout


def _errors(stderr: str) -> str:
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


def resolve(
    requirements: Sequence[str], reporter: Reporter, prefer: Mapping[str, str] | None = None
) -> list[Pick]:
    """The exact files pip would install for ``requirements`` into this interpreter, keeping
    the versions of ``prefer`` wherever they still satisfy.

    pip has no notion of a preferred version, only of constraints, which are hard. So the
    preferences go in as constraints in tiers, each tried when the one before cannot be
    satisfied: first every preferred version the requirements still admit; then only those of
    the direct requirements (a new requirement may need a newer transitive dependency); then
    none. The last attempt's error is the one reported, so a real error reads as without a lock.
    """
    reporter.step(f"Resolving {len(requirements)} requirements with pip")
    *tries, last = _preference_tiers(requirements, prefer or {})
    for pins in tries:
        try:
            return _resolve_once(requirements, pins, reporter)
        except PackageIndexError:
            continue
    return _resolve_once(requirements, last, reporter)


def _preference_tiers(
    requirements: Sequence[str], prefer: Mapping[str, str]
) -> list[dict[str, str]]:
    """The constraint sets to try in turn, ending with none."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    direct: dict[str, list[Requirement]] = {}
    for text in requirements:
        requirement = Requirement(text)
        direct.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    admitted = {
        name: version
        for name, version in prefer.items()
        if all(
            r.url is None and r.specifier.contains(version, prereleases=True)
            for r in direct.get(name, [])
        )
    }
    tiers: list[dict[str, str]] = []
    for tier in (admitted, {n: v for n, v in admitted.items() if n in direct}, {}):
        if tier not in tiers:
            tiers.append(tier)
    return tiers


def _resolve_once(
    requirements: Sequence[str], pins: Mapping[str, str], reporter: Reporter
) -> list[Pick]:
    with tempfile.TemporaryDirectory(prefix="vimport-") as tmp:
        report_file = os.path.join(tmp, "report.json")
        lines = list(requirements)
        if pins:
            # In the requirements file, so pip's own configured constraints still apply too.
            constraints = [f"{name}=={version}" for name, version in sorted(pins.items())]
            lines.append(f"-c {_requirements_file(tmp, constraints, 'constraints.txt')}")
        _pip(
            ["install", "--dry-run", "--ignore-installed", "--report", report_file,
             "-r", _requirements_file(tmp, lines)],
            reporter,
            f"resolve {', '.join(requirements)}",
        )  # fmt: skip
        with open(report_file, encoding="utf-8") as f:
            report = json.load(f)
    picks = [_pick(item) for item in report.get("install", [])]
    kept = sum(1 for p in picks if pins.get(_canonical(p.name)) == p.version)
    reporter.done(
        f"Resolved {count(len(picks), 'package')}" + (f", keeping {kept} locked" if pins else "")
    )
    return picks


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _pick(item: dict[str, object]) -> Pick:
    metadata = item["metadata"]
    info = item["download_info"]
    assert isinstance(metadata, dict) and isinstance(info, dict)
    archive = info.get("archive_info")
    if not isinstance(archive, dict) or "sha256" not in archive.get("hashes", {}):
        raise PackageIndexError(
            f"{metadata['name']}: pip chose {info.get('url')}, which is not an archive with a "
            "sha256 hash; versioned-import installs wheels and sdists from an index"
        )
    url = str(info["url"])
    artifact = Artifact(url, archive["hashes"]["sha256"], None, url.endswith(".whl"))
    return Pick(str(metadata["name"]), str(metadata["version"]), artifact)


def _requirements_file(directory: str, lines: Sequence[str], name: str = "requirements.txt") -> str:
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def fetch(packages: Sequence[Pick], directory: str, reporter: Reporter) -> list[Fetched]:
    """Download (and build, for sdists) exactly ``packages`` into ``directory``."""
    if not packages:
        return []
    reporter.step(f"Downloading {count(len(packages), 'package')}")
    lines = [
        f"{p.name} @ {_as_url(p.artifact.location)} --hash=sha256:{p.artifact.sha256}"
        for p in packages
    ]
    requirements = _requirements_file(directory, lines)
    _pip(
        ["wheel", "--no-deps", "--wheel-dir", directory, "-r", requirements],
        reporter,
        f"fetch {', '.join(f'{p.name}=={p.version}' for p in packages)}",
    )
    fetched = [Fetched(p, _wheel_for(p, directory)) for p in packages]
    reporter.done(f"Downloaded {count(len(fetched), 'package')}")
    return fetched


def install_into(requirements: Sequence[str], target: str, reporter: Reporter) -> None:
    """Install ``requirements`` and their dependencies into the directory ``target`` (a build
    backend's environment, outside the store)."""
    _pip(
        ["install", "--target", target, "--no-warn-script-location",
         "-r", _requirements_file(target, requirements)],
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
