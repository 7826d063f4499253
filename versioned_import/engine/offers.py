"""What the indexes offer for exact pins, read from their pages without resolving.

A sync fetches and installs these wheels while the resolver runs (``sync_ahead``), and publishes
each only once the resolver picked that very file, by URL and sha256: a wrong guess costs the
work spent on it, never the store or the lock. The guess follows the resolvers' order: the extra
indexes before the default one (uv's order; pip takes the best file of any), then find-links; in
the first that has a wheel of the pinned version for this interpreter, its best-ranked tag. Only
the places pip's configuration names are read: when it names no index, guesses come from
find-links alone, and the resolver alone asks the default index. Pages served over HTTP are
asked for as PEP 691 JSON, which an index that has it (a mirror of the default one) serves
instead of HTML: the pages of 30 popular projects are 6-8 MB, which ``json`` reads in 70 ms of
CPU and ``HTMLParser`` in 540 ms (measured), while the resolver needs the CPU too.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from http.client import HTTPException
from typing import TYPE_CHECKING

from versioned_import._runtime.fs import file_digest
from versioned_import.engine import Artifact, Pick
from versioned_import.engine.download import DownloadSettings, Opener, local_path
from versioned_import.engine.pipconfig import PipConfig

if TYPE_CHECKING:
    from packaging.tags import Tag

__all__ = ["offered"]

_WORKERS = 8
_JSON = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{_JSON}, application/vnd.pypi.simple.v1+html;q=0.1, text/html;q=0.01"
"""pip's ``Accept`` for an index page: JSON first, then either HTML."""


def offered(pins: Mapping[str, str], config: PipConfig) -> list[Pick]:
    """The wheel each index would most likely serve for each pin (canonical name to version);
    a pin with no such wheel, or whose pages cannot be read, has none."""
    from packaging.tags import sys_tags

    places = _places(config)
    if not places or not pins:
        return []
    ranks = {tag: rank for rank, tag in enumerate(sys_tags())}
    opener = Opener(DownloadSettings.from_pip_config(config))
    with ThreadPoolExecutor(min(_WORKERS, len(pins))) as pool:
        found = pool.map(lambda pin: _offer(pin[0], pin[1], places, opener, ranks), pins.items())
        return [pick for pick in found if pick is not None]


def _places(config: PipConfig) -> list[tuple[str, bool]]:
    """Where to look, in order: ``(URL or path, is an index)``. Only the places the
    configuration names: the default index is left to the resolver."""
    places = [(link, False) for link in config.items("find-links")]
    if config.flag("no-index"):
        return places
    indexes = [*config.items("extra-index-url"), *config.items("index-url")]
    return [(url, True) for url in indexes] + places


def _offer(
    name: str,
    version: str,
    places: list[tuple[str, bool]],
    opener: Opener,
    ranks: Mapping[Tag, int],
) -> Pick | None:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    try:
        wanted = Version(version)
    except InvalidVersion:
        return None
    for place, is_index in places:
        best: tuple[tuple[int, int], str, str] | None = None
        for url, sha256 in _files(place, name if is_index else None, opener):
            try:
                found, found_version, build, tags = parse_wheel_filename(_filename(url))
            except (InvalidWheelFilename, InvalidVersion):
                continue
            rank = min((ranks[t] for t in tags if t in ranks), default=None)
            if found != name or found_version != wanted or rank is None:
                continue
            key = (rank, -(build[0] if build else 0))
            if best is None or key < best[0]:
                best = key, url, sha256
        if best is not None:
            _, url, sha256 = best
            sha256 = sha256 or _local_sha256(url)
            return Pick(name, version, Artifact(url, sha256, None, True)) if sha256 else None
    return None


def _local_sha256(url: str) -> str:
    """A local file's sha256, which a directory listing does not give; nothing for others."""
    if not url.startswith("file:"):
        return ""
    try:
        return file_digest(local_path(url)).hex()
    except OSError:
        return ""


def _filename(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def _files(place: str, name: str | None, opener: Opener) -> Iterator[tuple[str, str]]:
    """The ``(URL, sha256)`` of the files at ``place``: an index's page for ``name``, or a
    find-links page or directory (``name`` None); the sha256 is empty where the page gives
    none. A page that cannot be read offers nothing."""
    if "://" not in place:
        place = urllib.request.pathname2url(os.path.abspath(place))
        place = f"file://{place}"
    if name is not None:
        place = f"{place.rstrip('/')}/{name}/"
    try:
        local = place.startswith("file:")
        files = _hashed(_links(place)) if local else _page(place, opener)
    # JSON's and Unicode's errors are ValueErrors; a JSON page not as PEP 691 says, the others.
    except (OSError, HTTPException, ValueError, KeyError, TypeError, AttributeError):
        return
    yield from files


def _hashed(links: list[str]) -> list[tuple[str, str]]:
    """Each link's URL and the sha256 its fragment gives (empty where none)."""
    found = []
    for link in links:
        url, _, fragment = link.partition("#")
        algorithm, _, digest = fragment.partition("=")
        found.append((url, digest if algorithm == "sha256" else ""))
    return found


def _page(url: str, opener: Opener) -> list[tuple[str, str]]:
    """The files of the index page at ``url``, from PEP 691's JSON where the index serves it."""
    body, kind, base = opener.read_page(url, _ACCEPT)
    if kind != _JSON:
        return _hashed(_anchors(body.decode("utf-8"), base))
    files = json.loads(body)["files"]
    return [(urllib.parse.urljoin(base, f["url"]), f["hashes"].get("sha256", "")) for f in files]


def _links(place: str) -> list[str]:
    """The absolute links of the local page at ``place``; a directory without an index.html
    lists its files, as pip and uv list a find-links directory."""
    path = local_path(place)
    page = os.path.join(path, "index.html")
    if os.path.isfile(page):
        with open(page, encoding="utf-8") as f:
            return _anchors(f.read(), urllib.parse.urljoin(place, "index.html"))
    return [urllib.parse.urljoin(place.rstrip("/") + "/", n) for n in sorted(os.listdir(path))]


def _anchors(page: str, base: str) -> list[str]:
    collector = _Anchors()
    collector.feed(page)
    return [urllib.parse.urljoin(base, href) for href in collector.hrefs]


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)
