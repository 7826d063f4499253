"""pip's configuration, read the way pip reads it, without starting pip.

``pip config list`` costs 0.2-0.4 s of interpreter start and imports; reading the same files with
``configparser`` costs a millisecond. The order is pip's (``pip/_internal/configuration.py``):
the global files (each ``$XDG_CONFIG_DIRS`` entry's ``pip/pip.conf``, then ``/etc/pip.conf``), the
user files (``~/.pip/pip.conf``, then ``$XDG_CONFIG_HOME/pip/pip.conf``; skipped when
``PIP_CONFIG_FILE`` names an existing file), the site file (``sys.prefix/pip.conf``), the file
``PIP_CONFIG_FILE`` names, and last the ``PIP_*`` environment variables. A later value replaces an
earlier one; within the files ``[global]`` comes before the command's section (``[install]``:
what versioned-import does is an install). ``PIP_CONFIG_FILE=os.devnull`` skips every file.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from versioned_import.errors import PackageIndexError

__all__ = ["PipConfig", "config_files", "read_pip_config"]

SECTIONS = ("global", "install")

# pip options that have two spellings; the settings are keyed by the first.
_ALIASES = {"default-timeout": "timeout", "extra-index": "extra-index-url"}

# Environment variables named PIP_* that are not options (pip ignores these too).
_NOT_OPTIONS = {"config-file", "version", "help"}


@dataclass(frozen=True)
class PipConfig:
    """The settings pip would use for an install, and where each came from."""

    values: dict[str, str] = field(default_factory=dict)
    """Option name (long form, dashes) to its raw value."""
    origins: dict[str, str] = field(default_factory=dict)
    """Option name to the file (or ``PIP_*`` variable) that set it."""
    files: tuple[str, ...] = ()
    """The files read, in order."""

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def items(self, name: str) -> list[str]:
        """A list option (find-links, extra-index-url, ...): pip splits its value on whitespace."""
        return (self.values.get(name) or "").split()

    def flag(self, name: str) -> bool:
        """A yes/no option, as pip's ``strtobool`` reads it; unset is no."""
        value = self.values.get(name)
        return value is not None and value.strip().lower() in ("y", "yes", "t", "true", "on", "1")

    def as_environment(self) -> dict[str, str]:
        """The same settings as ``PIP_*`` variables: what a pip child sees with
        ``PIP_CONFIG_FILE=os.devnull``, so pip and uv answer from one reading."""
        env = {
            f"PIP_{name.upper().replace('-', '_')}": value for name, value in self.values.items()
        }
        env["PIP_CONFIG_FILE"] = os.devnull
        return env

    def origin(self, name: str) -> str:
        return self.origins.get(name, "pip's configuration")


def config_files(
    environ: Mapping[str, str], *, etc: str = "/etc", prefix: str = sys.prefix
) -> list[str]:
    """The files pip reads, in the order it reads them (later wins); none under
    ``PIP_CONFIG_FILE=os.devnull``."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    xdg_dirs = environ.get("XDG_CONFIG_DIRS") or os.path.join(etc, "xdg")
    files = [os.path.join(d, "pip", "pip.conf") for d in xdg_dirs.split(os.pathsep) if d]
    files.append(os.path.join(etc, "pip.conf"))
    if not (env_file and os.path.exists(env_file)):
        home = environ.get("HOME") or os.path.expanduser("~")
        config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        files += [
            os.path.join(home, ".pip", "pip.conf"),
            os.path.join(config_home, "pip", "pip.conf"),
        ]
    files.append(os.path.join(prefix, "pip.conf"))
    if env_file:
        files.append(env_file)
    return files


def read_pip_config(
    environ: Mapping[str, str] | None = None, *, etc: str = "/etc", prefix: str = sys.prefix
) -> PipConfig:
    """pip's settings for an install: ``[global]`` of its files in order, then ``[install]`` of
    them, then ``PIP_*`` variables (so ``[install]`` in ``/etc/pip.conf`` beats ``[global]`` in
    the user's file, as in pip)."""
    environ = os.environ if environ is None else environ
    sections: dict[str, list[tuple[str, str, str]]] = {s: [] for s in SECTIONS}
    read = []
    for path in config_files(environ, etc=etc, prefix=prefix):
        parser = _parse(path)
        if parser is None:
            continue
        read.append(path)
        for section in SECTIONS:
            if parser.has_section(section):
                origin = f"{path} [{section}]"
                sections[section] += [(key, value, origin) for key, value in parser.items(section)]
    variables = [(v[4:].lower(), value, v) for v, value in environ.items() if v.startswith("PIP_")]
    config = PipConfig(files=tuple(read))
    for key, value, origin in [*sections["global"], *sections["install"], *variables]:
        name = _option(key)
        if name not in _NOT_OPTIONS:
            config.values[name] = value
            config.origins[name] = origin
    return config


def _parse(path: str) -> configparser.RawConfigParser | None:
    parser = configparser.RawConfigParser()
    try:
        return parser if parser.read(path, encoding="utf-8") else None
    except (configparser.Error, UnicodeDecodeError) as exc:
        # pip refuses to run with such a file; so does every engine reading it.
        problem = " ".join(str(exc).split())
        raise PackageIndexError(
            f"{path}: pip's configuration file cannot be read ({problem}); fix it, or set "
            "PIP_CONFIG_FILE to another file"
        ) from exc


def _option(key: str) -> str:
    name = key.replace("_", "-").removeprefix("--")
    return _ALIASES.get(name, name)
