"""Fetching the exact wheels a lock names, concurrently, hash-checked while streaming.

A resolver's lock already says which file, at which URL, with which sha256: fetching it needs
no pip process (half a second of start-up) and no uv install into a throwaway target. Only
``file:`` and ``http(s):`` wheels are fetched here; sdists are built by pip. The user's pip
settings hold: certificate bundle, client certificate, trusted hosts, proxy, timeout and
retries, and credentials given in index URLs or ``~/.netrc``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import BinaryIO

from versioned_import.engine import Fetched, Pick, hosts
from versioned_import.engine.pipconfig import PipConfig
from versioned_import.errors import PackageIndexError
from versioned_import.progress import Reporter, count

__all__ = [
    "CredentialsRefused",
    "DownloadSettings",
    "Opener",
    "can_download",
    "download",
    "local_path",
]

_CHUNK = 256 * 1024
_WORKERS = 8
"""Copies of local wheels at a time: each takes milliseconds, and more threads would only contend
with the installs that unpack beside them for the GIL (not measured for copies)."""
_NETWORK_WORKERS = 32
"""Downloads at a time where a wheel comes over the network: each mostly waits on its server.
The 30 wheels of the benchmark from the default index: 0.34 s 8 at a time, 0.23 s 16, 0.18 s 30
(medians of 5 alternating runs). uv fetches 50 at a time; pip one."""


@dataclass(frozen=True)
class DownloadSettings:
    cafile: str | None = None
    client_cert: str | None = None
    trusted_hosts: frozenset[str] = frozenset()
    proxy: str | None = None
    timeout: float = 15.0
    retries: int = 5
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Host to (user, password), from the index URLs of pip's configuration."""

    @classmethod
    def from_pip_config(cls, config: PipConfig) -> DownloadSettings:
        """pip's own defaults (15 s, 5 retries), overridden by the user's settings."""
        urls = [*config.items("index-url"), *config.items("extra-index-url")]
        urls += config.items("find-links")
        credentials = {}
        for url in urls:
            parts = urllib.parse.urlsplit(url)
            if parts.username and parts.hostname:
                password = urllib.parse.unquote(parts.password or "")
                credentials[parts.hostname] = (urllib.parse.unquote(parts.username), password)
        return cls(
            cafile=config.get("cert"),
            client_cert=config.get("client-cert"),
            trusted_hosts=frozenset(h.split(":")[0] for h in config.items("trusted-host")),
            proxy=config.get("proxy"),
            timeout=float(config.get("timeout") or 15),
            retries=int(config.get("retries") or 5),
            credentials=credentials,
        )


def can_download(pick: Pick) -> bool:
    """Whether ``download`` fetches this pick: a wheel at a path, ``file:`` or ``http(s):``."""
    location = pick.artifact.location
    scheme = urllib.parse.urlsplit(location).scheme if "://" in location else "file"
    return pick.artifact.is_wheel and scheme in ("file", "http", "https")


def local_path(url: str) -> str:
    """The path a ``file:`` URL names."""
    return urllib.request.url2pathname(urllib.parse.urlsplit(url).path)


def download(
    picks: Sequence[Pick],
    directory: str,
    settings: DownloadSettings,
    reporter: Reporter,
    each: Callable[[Fetched], object] | None = None,
) -> list[Fetched]:
    """Fetch the wheels of ``picks`` into ``directory``, each checked against its sha256 (and
    size, when known) as it streams, and handed to ``each`` as soon as it is whole; the first
    failure is raised once every download stopped."""
    if not picks:
        return []
    reporter.step(f"Downloading {count(len(picks), 'wheel')}")
    opener = Opener(settings)

    def fetch(pick: Pick) -> str:
        wheel = _fetch(pick, directory, opener)
        if each is not None:
            each(Fetched(pick, wheel))
        return wheel

    remote = any(_is_remote(pick.artifact.location) for pick in picks)
    with ThreadPoolExecutor(min(_NETWORK_WORKERS if remote else _WORKERS, len(picks))) as pool:
        futures = [pool.submit(fetch, pick) for pick in picks]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    reporter.done(f"Downloaded {count(len(picks), 'wheel')}")
    return [Fetched(pick, f.result()) for pick, f in zip(picks, futures, strict=True)]


class CredentialsRefused(PackageIndexError):
    """The server wants credentials this module does not have (it knows those of index URLs and
    ``~/.netrc``; pip also asks keyring): pip should fetch instead."""


class _Interrupted(Exception):
    """The transfer stopped before the whole file came: worth another try."""


class Opener:
    """Opens URLs with the user's pip settings (certificates, proxy, timeout, credentials)."""

    def __init__(self, settings: DownloadSettings) -> None:
        self.settings = settings
        self._openers: dict[bool, urllib.request.OpenerDirector] = {}
        self._building = threading.Lock()
        self._lookups = hosts.Lookups()

    def _opener(self, *, verify: bool) -> urllib.request.OpenerDirector:
        """Built at first use, once: a TLS context loads the whole certificate bundle (~50 ms),
        which a lock of local files never needs."""
        with self._building:
            if verify not in self._openers:
                proxies = {"http": p, "https": p} if (p := self.settings.proxy) else None
                try:
                    context = self._context(verify=verify)
                except OSError as exc:  # ssl.SSLError among them
                    named = self.settings.cafile or "the system's certificates"
                    raise PackageIndexError(
                        f"cannot load {named} (pip's `cert`/`client-cert` setting): {exc}; fix "
                        "it in pip's configuration (`pip config list`); nothing was installed"
                    ) from exc
                self._openers[verify] = self._build(context, proxies, self._lookups)
            return self._openers[verify]

    def _context(self, *, verify: bool) -> ssl.SSLContext:
        cafile = self.settings.cafile
        if cafile and os.path.isdir(cafile):
            context = ssl.create_default_context(capath=cafile)
        else:
            context = ssl.create_default_context(cafile=cafile)
        if self.settings.client_cert:
            context.load_cert_chain(self.settings.client_cert)
        if not verify:  # pip's trusted-host: this host's certificate is not checked
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @staticmethod
    def _build(
        context: ssl.SSLContext, proxies: dict[str, str] | None, lookups: hosts.Lookups
    ) -> urllib.request.OpenerDirector:
        handlers = hosts.handlers(context, lookups)
        if proxies is not None:  # otherwise urllib takes *_PROXY from the environment, as pip
            handlers.append(urllib.request.ProxyHandler(proxies))
        return urllib.request.build_opener(*handlers)

    def open(self, url: str) -> tuple[BinaryIO, int | None]:
        """The response for ``url``, and its length when the server says it."""
        response = self._open(url, {})
        length = response.headers.get("Content-Length")
        return response, int(length) if length and length.isdigit() else None

    def read_page(self, url: str, accept: str) -> tuple[bytes, str, str]:
        """The page at ``url`` in one of the ``accept`` types: its body, its content type, and
        the URL it came from once redirected (what its relative links are relative to)."""
        with self._open(url, {"Accept": accept}) as response:
            return response.read(), response.headers.get_content_type(), response.geturl()

    def _open(self, url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        request = urllib.request.Request(url, headers={"User-Agent": "versioned-import", **headers})
        login = self.settings.credentials.get(host) or _netrc(host)
        if login:
            token = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        opener = self._opener(verify=host not in self.settings.trusted_hosts)
        response: http.client.HTTPResponse = opener.open(request, timeout=self.settings.timeout)
        return response


def _netrc(host: str) -> tuple[str, str] | None:
    import netrc

    try:
        found = netrc.netrc().authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    return (found[0], found[2]) if found else None


def _is_remote(location: str) -> bool:
    return "://" in location and not location.startswith("file:")


def _fetch(pick: Pick, directory: str, opener: Opener) -> str:
    artifact = pick.artifact
    target = os.path.join(directory, artifact.filename)
    location = artifact.location
    if not _is_remote(location):
        path = location
        if "://" in location:
            path = local_path(location)
        try:
            with open(path, "rb") as source:
                _copy_checked(pick, source, target, None)
        except OSError as exc:
            raise PackageIndexError(f"{pick.name}: cannot read {path}: {exc.strerror}") from exc
        return target
    for attempt in range(opener.settings.retries + 1):
        try:
            response, length = opener.open(location)
            with response:
                _copy_checked(pick, response, target, length)
            return target
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection
            if exc.code in (401, 403):
                refused = _network_error(pick, f"HTTP {exc.code} {exc.reason}")
                raise CredentialsRefused(str(refused)) from exc
            if exc.code < 500 or attempt == opener.settings.retries:
                raise _network_error(pick, f"HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, HTTPException, OSError, _Interrupted) as exc:
            if attempt == opener.settings.retries:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                raise _network_error(pick, str(reason) or type(exc).__name__) from exc
        time.sleep(min(0.25 * 2**attempt, 4))
    raise AssertionError("unreachable: the last attempt raises")


def _network_error(pick: Pick, reason: str) -> PackageIndexError:
    return PackageIndexError(
        f"{pick.name} {pick.version}: could not download {pick.artifact.location} ({reason}); "
        "nothing was installed; check the network, and the proxy and certificate settings in "
        "pip's configuration (`pip config list`)"
    )


def _copy_checked(pick: Pick, source: BinaryIO, target: str, length: int | None) -> None:
    """Copy ``source`` to ``target``, hashing as it goes; a short transfer is ``_Interrupted``,
    a file that is not the one the lock names is a ``PackageIndexError``."""
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if length is not None and size < length:
        raise _Interrupted(f"the connection closed after {size} of {length} bytes")
    artifact = pick.artifact
    if digest.hexdigest() != artifact.sha256 or artifact.size not in (None, size):
        os.unlink(target)
        raise PackageIndexError(
            f"{artifact.location}: the downloaded file does not match the sha256 the lock gives "
            f"(expected {artifact.sha256}, got {digest.hexdigest()}, {size} bytes); the file "
            "changed or was "
            "tampered with, so nothing was installed; if the new file is trusted, delete the "
            "lock and sync again"
        )
