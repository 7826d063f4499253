"""Reading pip's configuration as pip does: which files, in which order, which sections, and the
``PIP_*`` variables last. Each case lays out files under a fake root and states the settings
pip would use; the machine's own files are never read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from versioned_import.engine.pipconfig import read_pip_config
from versioned_import.errors import PackageIndexError

# Where each kind of file lives under the fake root (pip's names on Linux).
FILES = {
    "xdg": "etc/xdg/pip/pip.conf",
    "etc": "etc/pip.conf",
    "legacy": "home/.pip/pip.conf",
    "user": "home/.config/pip/pip.conf",
    "site": "prefix/pip.conf",
    "env": "elsewhere/pip.conf",
    "moved": "moved/pip/pip.conf",
}

CASES: list[dict[str, Any]] = [
    {
        "id": "later files win over earlier, in pip's order",
        "files": {
            "xdg": "[global]\ntimeout = 1\nretries = 1\nproxy = a\ncert = a\nno-index = no\n",
            "etc": "[global]\nretries = 2\nproxy = b\ncert = b\nno-index = yes\n",
            "legacy": "[global]\nproxy = c\ncert = c\n",
            "user": "[global]\ncert = d\n",
            "site": "[global]\nno-index = off\n",
        },
        "expected": {"timeout": "1", "retries": "2", "proxy": "c", "cert": "d", "no-index": "off"},
    },
    {
        "id": "[install] of any file beats [global] of every file",
        "files": {
            "etc": "[install]\nfind-links = /etc-install\n",
            "user": "[global]\nfind-links = /user-global\n[download]\nindex-url = x\n",
        },
        "expected": {"find-links": "/etc-install"},
    },
    {
        "id": "PIP_* variables win over every file, and are spelled as options",
        "files": {"user": "[global]\nfind-links = /file\nextra-index-url = a b\n"},
        "env": {"PIP_FIND_LINKS": "/env", "PIP_DEFAULT_TIMEOUT": "9", "PIP_NO_INDEX": "1"},
        "expected": {
            "find-links": "/env",
            "extra-index-url": "a b",
            "timeout": "9",
            "no-index": "1",
        },
    },
    {
        "id": "PIP_CONFIG_FILE is read last of the files and hides the user's",
        "files": {"user": "[global]\nproxy = user\ncert = user\n", "env": "[global]\ncert = env\n"},
        "env": {"PIP_CONFIG_FILE": "{root}/elsewhere/pip.conf"},
        "expected": {"cert": "env"},
    },
    {
        "id": "a PIP_CONFIG_FILE that does not exist hides nothing",
        "files": {"user": "[global]\ncert = user\n"},
        "env": {"PIP_CONFIG_FILE": "{root}/missing.conf"},
        "expected": {"cert": "user"},
    },
    {
        "id": "PIP_CONFIG_FILE=os.devnull reads no file at all, variables still count",
        "files": {"etc": "[global]\ncert = etc\n", "site": "[global]\nproxy = site\n"},
        "env": {"PIP_CONFIG_FILE": os.devnull, "PIP_RETRIES": "0"},
        "expected": {"retries": "0"},
    },
    {
        "id": "XDG_CONFIG_HOME moves the user file",
        "files": {"moved": "[global]\nproxy = moved\n", "user": "[global]\ncert = default\n"},
        "env": {"XDG_CONFIG_HOME": "{root}/moved"},
        "expected": {"proxy": "moved"},
    },
    {
        "id": "option spellings: underscores, the alias default-timeout",
        "files": {"user": "[global]\ndefault_timeout = 30\nextra_index_url = a\n"},
        "expected": {"timeout": "30", "extra-index-url": "a"},
    },
]


def _lay_out(root: Path, case: dict[str, Any]) -> dict[str, str]:
    for kind, text in case["files"].items():
        path = root / FILES[kind]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {"HOME": str(root / "home"), "XDG_CONFIG_DIRS": str(root / "etc/xdg")}
    for name, value in case.get("env", {}).items():
        env[name] = value.replace("{root}", str(root))
    return env


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_settings_as_pip_reads_them(case: dict[str, Any], tmp_path: Path) -> None:
    env = _lay_out(tmp_path, case)

    config = read_pip_config(env, etc=str(tmp_path / "etc"), prefix=str(tmp_path / "prefix"))

    assert config.values == case["expected"]


def test_each_setting_names_where_it_came_from(tmp_path: Path) -> None:
    case = {"files": {"etc": "[global]\ncert = a\n[install]\npre = yes\n"}}
    env = {**_lay_out(tmp_path, case), "PIP_RETRIES": "3"}

    config = read_pip_config(env, etc=str(tmp_path / "etc"), prefix=str(tmp_path / "prefix"))

    etc = tmp_path / FILES["etc"]
    assert config.origins == {
        "cert": f"{etc} [global]",
        "pre": f"{etc} [install]",
        "retries": "PIP_RETRIES",
    }
    assert config.files == (str(etc),)


@pytest.mark.parametrize(
    ("value", "expected"), [("yes", True), ("True", True), ("1", True), ("off", False), ("", False)]
)
def test_flags_read_as_pips_strtobool(value: str, expected: bool) -> None:
    config = read_pip_config({"PIP_CONFIG_FILE": os.devnull, "PIP_PRE": value})

    assert config.flag("pre") is expected


def test_a_file_pip_cannot_parse_is_one_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "pip.conf"
    broken.write_text("[global\ncert = x\n", encoding="utf-8")

    with pytest.raises(PackageIndexError, match=f"^{broken}: pip's configuration file"):
        read_pip_config({"PIP_CONFIG_FILE": str(broken), "HOME": str(tmp_path)})


def _pip_config_list(env: dict[str, str]) -> dict[str, str]:
    """What ``pip config list`` shows, merged as pip's option parser merges it: ``[global]``,
    then ``[install]``, then the variables."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sections: dict[str, dict[str, str]] = {"global": {}, "install": {}, ":env:": {}}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        section, _, name = key.partition(".")
        if section in sections:
            name = name.replace("_", "-")
            sections[section]["timeout" if name == "default-timeout" else name] = value[1:-1]
    return {**sections["global"], **sections["install"], **sections[":env:"]}


@pytest.mark.parametrize("variables", [{}, {"PIP_RETRIES": "2", "PIP_FIND_LINKS": "/x /y"}])
def test_the_machines_configuration_reads_as_pip_config_list_shows_it(
    variables: dict[str, str], tmp_path: Path
) -> None:
    """Against pip itself, on whatever this machine's files say (none, on a bare machine)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(variables)

    config = read_pip_config(env)

    assert config.values == _pip_config_list(env)
