"""Private copies of real distributions: pairs of libraries that pin incompatible versions of a
third, which pip cannot install together, synced from the real index and called in one process.

Each test first shows that the pair cannot be resolved without the opt-in (the error names the
conflict and the opt-in), then syncs it with ``private-copies`` and runs a real call of both
sides in one hooked interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import vimport

pytestmark = [pytest.mark.e2e, pytest.mark.network]


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("private-network") / "store"


@pytest.fixture
def env(shared_store: Path, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIMPORT_")}
    return {**clean, "VIMPORT_STORE": str(shared_store), "XDG_CACHE_HOME": str(tmp_path / "c")}


def _project(directory: Path, dependencies: list[str], private: list[str]) -> Path:
    directory.mkdir(parents=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    opt_in = f"private-copies = {json.dumps(private)}\n" if private else ""
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{directory.name}"\nversion = "0.1"\ndependencies = [{deps}]\n\n'
        f"[tool.vimport]\n{opt_in}",
        encoding="utf-8",
    )
    return directory


def _split_and_run(
    tmp_path: Path, env: dict[str, str], python: Path, pair: list[str], name: str, code: str
) -> Any:
    """Show that ``pair`` conflicts over ``name`` without the opt-in, sync it with the opt-in,
    and run ``code`` in it; returns the JSON that ``code`` prints last."""
    refused = vimport("sync", str(_project(tmp_path / "plain", pair, [])), env=env)
    assert refused.returncode == 1
    assert name in refused.stderr
    assert 'private-copies = ["NAME"]' in refused.stderr

    project = _project(tmp_path / "split", pair, [name])
    synced = vimport("sync", str(project), env=env)
    assert synced.returncode == 0, synced.stderr
    lock = (project / "pylock.toml").read_text(encoding="utf-8")
    assert "[[tool.vimport.private-copies]]" in lock
    assert f'name = "{name}"' in lock

    done = subprocess.run(
        [str(python), "-I", "-c", code],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _private(module: str) -> bool:
    return module.startswith("_vimport_private_")


_PACKAGING = """
import json, packaging.version, safety.safety, tox.provision
from tox.run import run
legacy = safety.safety.parse_version("not-a-version")
try:
    run(["--version"])
except SystemExit as exit:
    code = exit.code
print(json.dumps({
    "safety": [type(legacy).__module__, type(legacy).__name__, str(legacy)],
    "tox": [tox.provision.Version.__module__, str(tox.provision.Version("24.1")), code],
    "plain": packaging.version.__name__,
}))
"""


def test_safety_and_tox_each_get_their_packaging(
    tmp_path: Path, env: dict[str, str], hooked_python: Path
) -> None:
    pair = ["safety==2.3.5", "tox==4.23.2"]

    seen = _split_and_run(tmp_path, env, hooked_python, pair, "packaging", _PACKAGING)

    module, kind, text = seen["safety"]
    assert _private(module) and module.endswith(".packaging.version")
    assert (kind, text) == ("LegacyVersion", "not-a-version")  # gone from packaging 22 on
    assert seen["tox"] == ["packaging.version", "24.1", 0]
    assert seen["plain"] == "packaging.version"


_JSONSCHEMA = """
import importlib.metadata, json, jsonschema, openapi_schema_validator
from samtranslator.validator.validator import SamTemplateValidator
import samtranslator.validator.validator as sam
template = {"Resources": {"F": {"Type": "AWS::Serverless::Function",
            "Properties": {"Handler": "x", "Runtime": "python3.11", "CodeUri": "."}}}}
errors = SamTemplateValidator.validate(template)
bad = SamTemplateValidator.validate({"Resources": 5})
try:
    openapi_schema_validator.validate("x", {"type": "integer"})
    openapi = "valid"
except jsonschema.ValidationError as exc:
    openapi = exc.message
print(json.dumps({
    "sam": [sam.jsonschema.__name__, sam.jsonschema.__version__, errors, bad],
    "openapi": openapi,
    "plain": [jsonschema.__name__, importlib.metadata.version("jsonschema")],
}))
"""


def test_aws_sam_translator_and_openapi_schema_validator_each_get_their_jsonschema(
    tmp_path: Path, env: dict[str, str], hooked_python: Path
) -> None:
    pair = ["aws-sam-translator==1.55.0", "openapi-schema-validator==0.6.2"]

    seen = _split_and_run(tmp_path, env, hooked_python, pair, "jsonschema", _JSONSCHEMA)

    module, version, errors, bad = seen["sam"]
    # jsonschema 3.2 reads its own version through importlib.metadata: the copy's answer.
    assert _private(module) and version == "3.2.0"
    assert errors == "" and bad == "[Resources] 5 is not of type 'object'"
    assert seen["openapi"] == "'x' is not of type 'integer'"
    assert seen["plain"][0] == "jsonschema" and int(seen["plain"][1].split(".")[0]) >= 4


_PYDANTIC = """
import json, os, pydantic
from fastapi.openapi.models import OpenAPI
from pydantic_settings import BaseSettings
class Settings(BaseSettings):
    port: int = 1
os.environ["PORT"] = "8080"
doc = OpenAPI(openapi="3.0.2", info={"title": "t", "version": "1"}, paths={})
print(json.dumps({
    "fastapi": [type(doc).__mro__[1].__module__, json.loads(doc.json())["info"]["title"]],
    "settings": [Settings().port, type(Settings()).__mro__[1].__module__],
    "plain": pydantic.VERSION,
}))
"""


def test_fastapi_on_pydantic_1_beside_pydantic_settings_on_pydantic_2(
    tmp_path: Path, env: dict[str, str], hooked_python: Path
) -> None:
    pair = ["fastapi==0.99.1", "pydantic-settings==2.6.1"]

    seen = _split_and_run(tmp_path, env, hooked_python, pair, "pydantic", _PYDANTIC)

    base_module, title = seen["fastapi"]
    assert _private(base_module) and title == "t"
    assert seen["settings"] == [8080, "pydantic_settings.main"]
    assert seen["plain"].startswith("2.")
    # pydantic 1 publishes compiled wheels too; the copy is its pure wheel.
    lock = (tmp_path / "split" / "pylock.toml").read_text(encoding="utf-8")
    assert 'name = "pydantic-1.' in lock and "-py3-none-any.whl" in lock


_URLLIB3 = """
import http.server, json, threading, urllib3
from elasticsearch.connection import Urllib3HttpConnection
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]
connection = Urllib3HttpConnection("127.0.0.1", port)
status, _, body = connection.perform_request("GET", "/")
pool = type(connection.pool)
plain = urllib3.request("GET", f"http://127.0.0.1:{port}/")  # urllib3 2 only
print(json.dumps({
    "elasticsearch": [status, body, pool.__module__],
    "plain": [plain.status, plain.data.decode(), urllib3.__version__],
}))
"""


def test_elasticsearch_7_on_urllib3_1_beside_the_projects_urllib3_2(
    tmp_path: Path, env: dict[str, str], hooked_python: Path
) -> None:
    # The project itself asks for urllib3 2: its own requirement keeps the plain name.
    pair = ["elasticsearch==7.17.9", "urllib3>=2"]

    seen = _split_and_run(tmp_path, env, hooked_python, pair, "urllib3", _URLLIB3)

    status, body, pool_module = seen["elasticsearch"]
    assert (status, body) == (200, "ok")
    assert _private(pool_module) and pool_module.endswith(".urllib3.connectionpool")
    assert seen["plain"][:2] == [200, "ok"] and seen["plain"][2].startswith("2.")


def test_numpy_is_refused_as_a_private_copy_before_anything_is_fetched(
    tmp_path: Path, env: dict[str, str], shared_store: Path
) -> None:
    project = _project(tmp_path / "numpy", ["numba==0.58.1", "numpy>=2"], ["numpy"])

    refused = vimport("sync", str(project), env=env)

    assert refused.returncode == 1
    error = refused.stderr.strip().splitlines()[-1]  # after the progress lines: one line
    assert error.startswith("vimport: error: numpy cannot be a private copy: ")
    assert "compiled code imports by plain name" in error
    assert not (project / "pylock.toml").exists()
    assert not (shared_store / "entries" / "numpy").exists()
