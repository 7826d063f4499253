"""Developer tools that search for packages rather than import them, each run as a user runs it
against one project with requests, types-requests and pydantic: mypy, pylint, pip, pipdeptree
and coverage from the project's dev group under the hooked ``python``; basedpyright and jedi
from an editor's own installation. Real tools from the index (marker ``network``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compat.harness import isolated_env, run, sync, tool_venv, write_project

pytestmark = [pytest.mark.e2e, pytest.mark.network]

Completed = subprocess.CompletedProcess[str]

_DEPENDENCIES = ["requests==2.32.3", "types-requests==2.33.0.20261030", "pydantic==2.11.7"]
_DEV = [
    "mypy==2.4.1",
    "pylint==4.1.4",
    "pip==26.3",
    "pipdeptree==4.2.15",
    "coverage==7.17.5",
]
_EDITOR = ["basedpyright==1.40.2", "jedi==0.20.1"]

# One real error (a str returned as an int); everything else type-checks and lints clean.
_CODE = '''"""A small module."""

import pydantic
import requests


class Model(pydantic.BaseModel):
    """A model."""

    name: str


def fetch(url: str) -> int:
    """Return the page's text, wrongly declared."""
    return requests.get(url, timeout=5).text
'''
_REAL_ERROR = 'error: Incompatible return value type (got "str", expected "int")'


class Project:
    """The project, synced once for the module, and the interpreter with the hook."""

    def __init__(self, root: Path) -> None:
        self.env = isolated_env(root / "store", root / "cache")
        self.python = tool_venv(root / "hooked")
        self.directory = write_project(
            root / "app",
            _DEPENDENCIES,
            extra=f"[dependency-groups]\ndev = {json.dumps(_DEV)}\n",
        )
        package = self.directory / "src" / "app"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(_CODE)
        done = sync(self.directory, self.env)
        assert done.returncode == 0, done.stderr

    def python_m(self, *args: str) -> Completed:
        return run([self.python, "-I", "-m", *args], cwd=self.directory, env=self.env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("devtools"))


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An editor's own Python with basedpyright and jedi, installed by pip: no hook, no
    store."""
    directory = tmp_path_factory.mktemp("editor") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    python = directory / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", *_EDITOR], check=True)
    return python


def test_mypy_reports_exactly_the_real_error(project: Project) -> None:
    done = project.python_m("mypy", "--no-incremental", "src")

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "Found 1 error in 1 file (checked 1 source file)", done.stdout
    assert len(lines) == 2 and _REAL_ERROR in lines[0], done.stdout


def test_pylint_finds_every_import(project: Project) -> None:
    done = project.python_m("pylint", "--disable=C,R", "src/app")

    assert "Traceback" not in done.stderr, done.stderr
    # Bits 1 and 2 of pylint's exit code are fatal messages and errors (import-error is E0401).
    assert done.returncode & 3 == 0, done.stdout
    assert "import-error" not in done.stdout


def test_pip_and_pipdeptree_describe_the_project_and_nothing_of_the_tool(
    project: Project,
) -> None:
    listed, checked = (
        project.python_m("pip", "list", "--format=json"),
        project.python_m("pip", "check"),
    )
    shown = project.python_m("pip", "show", "requests")
    tree = project.python_m("pipdeptree", "--json-tree")

    names = {p["name"].lower(): p["version"] for p in json.loads(listed.stdout)}
    assert names["requests"] == "2.32.3" and names["pydantic"] == "2.11.7", listed.stdout
    for tool_own in ("versioned-import", "tomli-w", "uv"):
        assert tool_own not in names
    assert (checked.returncode, checked.stdout) == (0, "No broken requirements found.\n")
    assert shown.returncode == 0 and "Version: 2.32.3" in shown.stdout, shown.stderr
    assert tree.returncode == 0, tree.stderr
    roots = {node["key"]: node for node in json.loads(tree.stdout)}
    requests_deps = {dep["key"] for dep in roots["requests"]["dependencies"]}
    assert {"urllib3", "idna", "certifi", "charset-normalizer"} <= requests_deps
    assert "versioned-import" not in roots


def test_coverage_measures_the_projects_code_only(project: Project) -> None:
    (project.directory / "main.py").write_text("import app\nprint(app.Model(name='x').name)\n")

    ran = project.python_m("coverage", "run", "main.py")
    report = project.python_m("coverage", "report", "--format=total")
    files = project.python_m("coverage", "json", "-o", "-")

    assert ran.returncode == 0 and ran.stdout == "x\n", ran.stderr
    assert report.returncode == 0, report.stderr
    measured = sorted(json.loads(files.stdout)["files"])
    assert measured == sorted([os.path.join("src", "app", "__init__.py"), "main.py"])


def test_basedpyright_from_an_editor_resolves_the_projects_imports(
    project: Project, editor: Path
) -> None:
    basedpyright = editor.parent / "basedpyright"
    view = run(
        [project.python, "-m", "versioned_import", "venv"], cwd=project.directory, env=project.env
    )
    assert view.returncode == 0, view.stderr

    # With the hooked python first on PATH, and with the view alone (Pyright reads its .pth
    # file; basedpyright finds .venv by itself).
    hooked_path = os.pathsep.join([str(project.python.parent), "/usr/bin", "/bin"])
    results = [
        run([basedpyright, "src"], cwd=project.directory, env={**project.env, "PATH": path})
        for path in (hooked_path, "/usr/bin:/bin")
    ]

    for done in results:
        assert done.returncode == 1, done.stdout + done.stderr
        assert "could not be resolved" not in done.stdout, done.stdout
        assert '"str" is not assignable to return type "int"' in done.stdout
        assert done.stdout.rstrip().endswith("1 error, 0 warnings, 0 notes")


_COMPLETE = """
import sys, jedi
environment = jedi.create_environment(sys.argv[1], safe=False)
script = jedi.Script(
    "import requests\\nrequests.ge", path=sys.argv[2] + "/x.py", environment=environment,
    project=jedi.Project(sys.argv[2]),
)
print(" ".join(c.name for c in script.complete(2, 11)))
"""


def test_jedi_in_an_editor_completes_from_the_projects_view(project: Project, editor: Path) -> None:
    view = run(
        [project.python, "-m", "versioned_import", "venv"], cwd=project.directory, env=project.env
    )
    assert view.returncode == 0, view.stderr
    interpreter = project.directory / ".venv" / "bin" / "python"

    done = run(
        [editor, "-c", _COMPLETE, str(interpreter), str(project.directory)],
        cwd=project.directory,
        env=project.env,
    )

    assert (done.returncode, done.stdout) == (0, "get\n"), done.stderr
