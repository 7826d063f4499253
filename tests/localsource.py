"""Source directories for local-source tests, built offline by a tiny in-tree PEP 517 backend.

The backend (``backend-path = ["."]``, no requirements) needs nothing from an index, so pip's
build isolation works with no index at all. It reads the distribution's metadata from
``_meta.json`` (no TOML parser exists in an isolated Python 3.10) and packs the import root
(``src/`` when it exists, else the directory) into a wheel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["make_source_dir"]

_BACKEND = """
import base64, hashlib, json, os, zipfile

def _meta():
    with open("_meta.json", encoding="utf-8") as f:
        return json.load(f)

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    meta = _meta()
    if meta.get("fail"):
        raise ValueError(meta["fail"])
    name, version = meta["name"], meta["version"]
    stem = name.replace("-", "_") + "-" + version
    root = "src" if os.path.isdir("src") else "."
    files = {}
    for top in sorted(os.listdir(root)):
        path = os.path.join(root, top)
        if top.endswith(".py") and top != "_backend.py":
            files[top] = open(path, "rb").read()
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            for directory, _dirs, names in os.walk(path):
                for n in names:
                    if n.endswith(".py"):
                        full = os.path.join(directory, n)
                        inside = os.path.relpath(full, root).replace(os.sep, "/")
                        files[inside] = open(full, "rb").read()
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version]
    lines += ["Requires-Dist: " + r for r in meta.get("dependencies", [])]
    dist_info = stem + ".dist-info"
    files[dist_info + "/METADATA"] = ("\\n".join(lines) + "\\n").encode()
    files[dist_info + "/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    scripts = meta.get("scripts", {})
    if scripts:
        text = "[console_scripts]\\n" + "".join(k + " = " + v + "\\n" for k, v in scripts.items())
        files[dist_info + "/entry_points.txt"] = text.encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(path + ",sha256=" + digest + "," + str(len(data)))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    wheel = stem + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel
"""


def make_source_dir(
    directory: Path,
    name: str,
    version: str,
    files: Mapping[str, str],
    *,
    dependencies: Sequence[str] = (),
    scripts: Mapping[str, str] | None = None,
    extra: str = "",
    fail: str | None = None,
) -> Path:
    """A source directory of ``name`` ``version`` holding ``files``; ``extra`` is appended to
    its ``pyproject.toml`` (e.g. its own ``[tool.uv.sources]``); ``fail`` makes the backend
    raise ``ValueError(fail)``."""
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(text, encoding="utf-8")
    meta: dict[str, object] = {"name": name, "version": version, "fail": fail}
    meta.update(dependencies=list(dependencies), scripts=dict(scripts or {}))
    (directory / "_meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (directory / "_backend.py").write_text(_BACKEND, encoding="utf-8")
    deps = ", ".join(json.dumps(d) for d in dependencies)
    (directory / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "_backend"\nbackend-path = ["."]\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n\n{extra}',
        encoding="utf-8",
    )
    return directory
