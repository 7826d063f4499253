"""pip's settings as uv's options: each case is the settings pip would use and the options and
variables uv is given, or the reason uv cannot honour them."""

from __future__ import annotations

from typing import Any

import pytest

from versioned_import.engine.pipconfig import PipConfig
from versioned_import.engine.uvoptions import NoUvEquivalent, uv_options

TRANSLATED: list[dict[str, Any]] = [
    {"settings": {}, "args": [], "env": {}},
    {"settings": {"index-url": "https://mirror/simple"}, "args": ["--default-index", "https://mirror/simple"]},
    {
        "settings": {"extra-index-url": "https://a/simple  https://b/simple"},
        "args": ["--index", "https://a/simple", "--index", "https://b/simple",
                 "--index-strategy", "unsafe-best-match"],
    },
    {"settings": {"find-links": "/w1 /w2"}, "args": ["--find-links", "/w1", "--find-links", "/w2"]},
    {"settings": {"no-index": "yes"}, "args": ["--no-index"]},
    {"settings": {"no-index": "false"}, "args": []},
    {"settings": {"constraint": "/c.txt"}, "args": ["--constraint", "/c.txt"]},
    {"settings": {"trusted-host": "h1 h2:8080"},
     "args": ["--allow-insecure-host", "h1", "--allow-insecure-host", "h2:8080"]},
    {"settings": {"only-binary": ":all:"}, "args": ["--only-binary", ":all:"]},
    {"settings": {"no-binary": "lxml"}, "args": ["--no-binary", "lxml"]},
    {"settings": {"pre": "1"}, "args": ["--prerelease", "allow"]},
    {"settings": {"cert": "/ca.pem"}, "env": {"SSL_CERT_FILE": "/ca.pem"}},
    {"settings": {"client-cert": "/me.pem"}, "env": {"SSL_CLIENT_CERT": "/me.pem"}},
    {"settings": {"timeout": "60", "retries": "2"},
     "env": {"UV_HTTP_TIMEOUT": "60", "UV_HTTP_RETRIES": "2"}},
    {"settings": {"proxy": "http://p:3128"},
     "env": {"HTTP_PROXY": "http://p:3128", "HTTPS_PROXY": "http://p:3128"}},
    {"settings": {"keyring-provider": "subprocess"}, "args": ["--keyring-provider", "subprocess"]},
    {"settings": {"keyring-provider": "disabled"}, "args": []},
    {"settings": {"prefer-binary": "false"}, "args": []},
    {"settings": {"cache-dir": "/c", "no-compile": "1", "disable-pip-version-check": "1"},
     "args": []},
]  # fmt: skip

UNSUPPORTED = [
    ({"keyring-provider": "import"}, "keyring-provider = import"),
    ({"keyring-provider": "auto"}, "keyring-provider = auto"),
    ({"prefer-binary": "yes"}, "prefer-binary"),
    ({"ignore-requires-python": "1"}, "ignore-requires-python"),
    ({"platform": "win_amd64"}, "platform"),
    ({"abi": "cp39"}, "abi"),
    ({"implementation": "pp"}, "implementation"),
    ({"no-deps": "1"}, "no-deps (/etc/pip.conf [install]): versioned-import knows no uv"),
]


@pytest.mark.parametrize("case", TRANSLATED, ids=lambda c: ",".join(c["settings"]) or "none")
def test_translated(case: dict[str, Any]) -> None:
    options = uv_options(PipConfig(dict(case["settings"])))

    assert options.args == case.get("args", [])
    assert options.env == case.get("env", {})


@pytest.mark.parametrize(("settings", "reason"), UNSUPPORTED, ids=lambda v: str(v)[:30])
def test_no_uv_equivalent_names_the_setting_and_where_it_is(
    settings: dict[str, str], reason: str
) -> None:
    origins = dict.fromkeys(settings, "/etc/pip.conf [install]")

    with pytest.raises(NoUvEquivalent) as raised:
        uv_options(PipConfig(dict(settings), origins))

    assert str(raised.value).startswith(reason)
    assert "/etc/pip.conf [install]" in str(raised.value)


def test_options_come_in_a_stable_order_whatever_the_order_of_the_files() -> None:
    settings = {"no-index": "1", "find-links": "/w", "constraint": "/c"}

    first = uv_options(PipConfig(dict(settings)))
    second = uv_options(PipConfig(dict(reversed(settings.items()))))

    assert first.args == second.args
