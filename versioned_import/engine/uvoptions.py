"""pip's settings as uv's options: uv reads none of pip's configuration, and the user's index,
certificates and proxies must still hold when uv resolves.

A setting either has a uv spelling (``TRANSLATED``), or does not change which files an install
picks (``IGNORED``), or has no uv equivalent (``NO_EQUIVALENT``, and any setting not known
here): then pip must be the engine, and ``NoUvEquivalent`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from versioned_import.engine.pipconfig import PipConfig

__all__ = ["NoUvEquivalent", "UvOptions", "uv_options"]


@dataclass(frozen=True)
class UvOptions:
    args: list[str] = field(default_factory=list)
    """Options for ``uv pip compile``."""
    env: dict[str, str] = field(default_factory=dict)
    """Variables for uv's environment (certificates, timeouts, proxies)."""


class NoUvEquivalent(Exception):
    """A pip setting uv cannot honour; the message names it, where it is set, and why."""


def _index_url(config: PipConfig, options: UvOptions) -> None:
    options.args.extend(["--default-index", config.items("index-url")[0]])


def _extra_index_url(config: PipConfig, options: UvOptions) -> None:
    for url in config.items("extra-index-url"):
        options.args.extend(["--index", url])
    # pip takes the best version from any index; uv's default stops at the first index that has
    # the name (against dependency confusion), which would choose differently.
    options.args.extend(["--index-strategy", "unsafe-best-match"])


def _repeated(flag: str, name: str) -> Callable[[PipConfig, UvOptions], None]:
    def add(config: PipConfig, options: UvOptions) -> None:
        for value in config.items(name):
            options.args.extend([flag, value])

    return add


def _switch(name: str, *args: str) -> Callable[[PipConfig, UvOptions], None]:
    def add(config: PipConfig, options: UvOptions) -> None:
        if config.flag(name):
            options.args.extend(args)

    return add


def _variables(name: str, *variables: str) -> Callable[[PipConfig, UvOptions], None]:
    def add(config: PipConfig, options: UvOptions) -> None:
        for variable in variables:
            options.env[variable] = config.values[name]

    return add


def _keyring(config: PipConfig, options: UvOptions) -> None:
    provider = config.values["keyring-provider"].strip()
    if provider == "subprocess":
        options.args.extend(["--keyring-provider", "subprocess"])
    elif provider != "disabled":
        raise NoUvEquivalent(
            f"keyring-provider = {provider} ({config.origin('keyring-provider')}): uv asks "
            "keyring only through its `keyring` command (`subprocess`)"
        )


TRANSLATED: dict[str, Callable[[PipConfig, UvOptions], None]] = {
    "index-url": _index_url,
    "extra-index-url": _extra_index_url,
    "find-links": _repeated("--find-links", "find-links"),
    "no-index": _switch("no-index", "--no-index"),
    "constraint": _repeated("--constraint", "constraint"),
    "trusted-host": _repeated("--allow-insecure-host", "trusted-host"),
    "only-binary": _repeated("--only-binary", "only-binary"),
    "no-binary": _repeated("--no-binary", "no-binary"),
    "pre": _switch("pre", "--prerelease", "allow"),
    "cert": _variables("cert", "SSL_CERT_FILE"),
    "client-cert": _variables("client-cert", "SSL_CLIENT_CERT"),
    "timeout": _variables("timeout", "UV_HTTP_TIMEOUT"),
    "retries": _variables("retries", "UV_HTTP_RETRIES"),
    "proxy": _variables("proxy", "HTTP_PROXY", "HTTPS_PROXY"),
    "keyring-provider": _keyring,
}

# Settings that do not change which files are chosen (output, caches, where pip installs, how
# pip builds sdists: sdists are still built by pip).
IGNORED = frozenset(
    {
        "cache-dir",
        "no-cache-dir",
        "disable-pip-version-check",
        "no-input",
        "quiet",
        "verbose",
        "log",
        "log-file",
        "progress-bar",
        "no-color",
        "root-user-action",
        "no-warn-script-location",
        "no-warn-conflicts",
        "exists-action",
        "require-virtualenv",
        "break-system-packages",
        "user",
        "target",
        "prefix",
        "root",
        "compile",
        "no-compile",
        "upgrade",
        "upgrade-strategy",
        "force-reinstall",
        "ignore-installed",
        "use-pep517",
        "no-build-isolation",
        "check-build-dependencies",
        "no-clean",
        "src",
        "use-feature",
        "use-deprecated",
        "no-python-version-warning",
        "resume-retries",
        "require-hashes",
    }
)

NO_EQUIVALENT = {
    "prefer-binary": "uv has no option to prefer an older wheel over a newer sdist",
    "ignore-requires-python": "uv always honours Requires-Python",
    "platform": "uv resolves for one of its named platforms, not arbitrary platform tags",
    "abi": "uv cannot resolve for an arbitrary ABI tag",
    "implementation": "uv cannot resolve for another Python implementation",
    "python-version": "uv resolves for the interpreter it is given",
}


def uv_options(config: PipConfig) -> UvOptions:
    """``config`` as uv options, or ``NoUvEquivalent`` for the first setting uv cannot honour."""
    options = UvOptions()
    for name in sorted(config.values):
        if name in TRANSLATED:
            if config.values[name].strip():
                TRANSLATED[name](config, options)
        elif name in NO_EQUIVALENT and _set(config, name):
            raise NoUvEquivalent(f"{name} ({config.origin(name)}): {NO_EQUIVALENT[name]}")
        elif name not in IGNORED and name not in NO_EQUIVALENT:
            raise NoUvEquivalent(
                f"{name} ({config.origin(name)}): versioned-import knows no uv equivalent"
            )
    return options


def _set(config: PipConfig, name: str) -> bool:
    """Whether ``name`` asks for something: ``prefer-binary = false`` asks for nothing."""
    value = config.values[name].strip().lower()
    return value not in ("", "0", "false", "no", "off", "n", "f")
