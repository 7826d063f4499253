"""Installing, proving and removing the hook in fresh interpreters, through the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import venv_python, vimport
from versioned_import.bundle import MARKER

pytestmark = pytest.mark.e2e


def _site_dir(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() if p.is_file() else b"(directory)"
        for p in directory.rglob("*")
    }


def _run(python: Path, code: str) -> str:
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_install_status_uninstall_leaves_the_site_dir_as_it_was(tmp_path: Path) -> None:
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    before = _snapshot(site)
    assert vimport("hook", "status", "--python", str(python)).returncode == 1

    installed = vimport("hook", "install", "--python", str(python))
    assert installed.returncode == 0, installed.stderr
    # A .pth file where the interpreter's own sitecustomize (Debian ships one) would shadow ours.
    assert {"sitecustomize.py", "zzzz-versioned-import-hook.pth"} & set(os.listdir(site))
    status = vimport("hook", "status", "--python", str(python))
    assert status.returncode == 0, status.stdout
    assert "the hook runs at start-up" in status.stdout

    assert vimport("hook", "uninstall", "--python", str(python)).returncode == 0
    assert _snapshot(site) == before
    assert vimport("hook", "status", "--python", str(python)).returncode == 1


def test_uninstall_removes_lazy_modules_written_beside_the_runtime(tmp_path: Path) -> None:
    # Where an earlier hook wrote them; a file that is not the hook's stays.
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    assert vimport("hook", "install", "--python", str(python)).returncode == 0
    (site / "_vimport_runtime_quickplan.py").write_text(f"{MARKER}: written by an older hook\n")
    (site / "_vimport_runtime_mine.py").write_text("# the user's\n")

    assert vimport("hook", "uninstall", "--python", str(python)).returncode == 0

    assert not (site / "_vimport_runtime_quickplan.py").exists()
    assert not (site / "_vimport_runtime.lazy").exists()
    assert (site / "_vimport_runtime_mine.py").exists()


def test_an_existing_sitecustomize_is_chained_and_restored(tmp_path: Path) -> None:
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    if _run(python, "import importlib.util as u; print(u.find_spec('sitecustomize') or '')"):
        # Debian's python ships one in its standard library, before site-packages: a
        # sitecustomize there never runs, so there is nothing to chain (the .pth test covers it).
        pytest.skip("this interpreter's own sitecustomize shadows site-packages'")
    original = b"import builtins\nbuiltins.CHAINED = 'still runs'\n"
    (site / "sitecustomize.py").write_bytes(original)

    assert vimport("hook", "install", "--python", str(python)).returncode == 0
    assert _run(python, "import builtins; print(builtins.CHAINED)") == "still runs"
    assert vimport("hook", "status", "--python", str(python)).returncode == 0

    assert vimport("hook", "uninstall", "--python", str(python)).returncode == 0
    assert (site / "sitecustomize.py").read_bytes() == original
    assert not (site / "_vimport_chained_sitecustomize.py").exists()


def test_a_shadowing_sitecustomize_gets_a_pth_hook_instead(tmp_path: Path) -> None:
    # Some distributions put their own sitecustomize earlier on sys.path than site-packages,
    # where ours would never be imported.
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "sitecustomize.py").write_text("import builtins\nbuiltins.SHADOW = 'ran'\n")
    (site / "aaa-shadow.pth").write_text(f"import sys; sys.path.insert(0, {str(shadow)!r})\n")
    before = _snapshot(site)

    installed = vimport("hook", "install", "--python", str(python))
    assert installed.returncode == 0, installed.stderr
    assert ".pth" in installed.stdout
    assert not (site / "sitecustomize.py").exists()
    assert vimport("hook", "status", "--python", str(python)).returncode == 0
    assert _run(python, "import builtins; print(builtins.SHADOW)") == "ran"

    assert vimport("hook", "uninstall", "--python", str(python)).returncode == 0
    assert _snapshot(site) == before


def test_install_into_an_explicit_site_dir(tmp_path: Path) -> None:
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    done = vimport("hook", "install", "--python", str(python), "--site-dir", str(site))
    assert done.returncode == 0, done.stderr
    assert vimport("hook", "status", "--python", str(python)).returncode == 0


def test_install_into_a_missing_site_dir_is_one_clear_error(tmp_path: Path) -> None:
    python = venv_python(tmp_path / "venv")
    done = vimport("hook", "install", "--python", str(python), "--site-dir", str(tmp_path / "no"))
    assert done.returncode == 1
    assert done.stderr.startswith("vimport: error: ")
    assert "--site-dir" in done.stderr
    assert "Traceback" not in done.stderr


def test_uninstall_without_a_hook_says_so(tmp_path: Path) -> None:
    python = venv_python(tmp_path / "venv")
    done = vimport("hook", "uninstall", "--python", str(python))
    assert done.returncode == 0
    assert "no hook in" in done.stdout


def test_the_hook_installed_under_umask_0_is_writable_by_its_owner_only(tmp_path: Path) -> None:
    # Every interpreter start runs these files: a group- or world-writable one (or a writable
    # __pycache__ that would let anyone swap the bytecode) gives every user code in every start.
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    before = set(site.rglob("*"))
    command = [sys.executable, "-m", "versioned_import", "hook", "install", "--python", str(python)]
    done = subprocess.run(
        ["sh", "-c", 'umask 000 && exec "$@"', "sh", *command], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    written = sorted(set(site.rglob("*")) - before)
    names = {p.name for p in written}
    assert names >= {"_vimport_runtime.py", "_vimport_runtime.lazy", "quickplan.py", "__pycache__"}
    assert "sitecustomize.py" in names or "_vimport_hook.py" in names
    # Compiled here: planning a new project loads the quick planner without compiling it.
    compiled = {p.name.partition(".")[0] for p in written if p.suffix == ".pyc"}
    assert compiled >= {"_vimport_runtime", "quickplan", "pep508"}
    assert [str(p) for p in written if p.stat().st_mode & 0o022] == []


@pytest.mark.parametrize(
    "damage", ["removed", "raises"], ids=["runtime removed", "runtime raises on load"]
)
def test_a_runtime_that_cannot_load_is_one_line_and_leaves_nothing_loaded(
    tmp_path: Path, damage: str
) -> None:
    python = venv_python(tmp_path / "venv")
    site = _site_dir(python)
    assert vimport("hook", "install", "--python", str(python)).returncode == 0
    runtime = site / "_vimport_runtime.py"
    for compiled in (site / "__pycache__").glob("_vimport_runtime.*.pyc"):
        compiled.unlink()
    if damage == "removed":
        runtime.unlink()
    else:
        runtime.write_text("raise RuntimeError('half-written')\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.vimport]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIMPORT_", "PYTHON"))}
    done = subprocess.run(
        [str(python), "-c", "import sys; print('_vimport_runtime' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=project,
        env=dict(env, VIMPORT_STORE=str(tmp_path / "store")),
    )
    assert (done.returncode, done.stdout) == (0, "False\n")
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("vimport: the hook cannot load its runtime")
    assert "run `vimport hook install` again" in done.stderr


def _python_of_another_version() -> str | None:
    """A CPython of another minor version that can run the tool (3.11 or later, for tomllib),
    on PATH or among pyenv's versions, if this machine has one."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for minor in range(11, 20):
        version = f"3.{minor}"
        if version == here:
            continue
        candidates = [
            shutil.which(f"python{version}"),
            *root.glob(f"{version}.*/bin/python{version}"),
        ]
        for candidate in filter(None, candidates):
            done = subprocess.run([str(candidate), "-c", "pass"], capture_output=True, check=False)
            if done.returncode == 0:
                return str(candidate)
    return None


def test_the_hook_is_compiled_without_its_docstrings(tmp_path: Path) -> None:
    # Every start in a project unmarshals the runtime's bytecode: its docstrings cost each start
    # ~0.05 M instructions.
    python = venv_python(tmp_path / "venv")
    assert vimport("hook", "install", "--python", str(python)).returncode == 0
    runtime = _site_dir(python) / "_vimport_runtime.py"
    code = (
        "import importlib.util, marshal; "
        f"pyc = importlib.util.cache_from_source({str(runtime)!r}); "
        "module = marshal.loads(open(pyc, 'rb').read()[16:]); "
        "start = next(c for c in module.co_consts if getattr(c, 'co_name', '') == 'start'); "
        "print(start.co_consts[0])"
    )
    assert _run(python, code) == "None"


def test_a_hook_for_another_python_version_is_compiled_by_that_python(tmp_path: Path) -> None:
    # Bytecode of the tool's own version would be ignored there: every start would compile the
    # sitecustomize (~4 ms) and, in a project, the runtime from source.
    other = _python_of_another_version()
    if other is None:
        pytest.skip("no CPython of another minor version on this machine")
    subprocess.run([other, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = _site_dir(python)
    before = _snapshot(site)
    assert vimport("hook", "install", "--python", str(python)).returncode == 0

    tag = _run(python, "import sys; print(sys.implementation.cache_tag)")
    compiled = {p.name for p in (site / "__pycache__").glob("*.pyc")}
    assert {f"sitecustomize.{tag}.pyc", f"_vimport_runtime.{tag}.pyc"} <= compiled
    assert [name for name in compiled if f".{tag}." not in name] == []
    assert vimport("hook", "uninstall", "--python", str(python)).returncode == 0
    assert _snapshot(site) == before
