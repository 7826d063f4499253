"""``vimport`` in process: ``main(argv)`` returns 0 or 1, usage errors exit 2, every error is one
line on stderr without a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FillStore, MakeProject, MakeWheel
from versioned_import import __version__
from versioned_import.cli import main
from versioned_import.store import Key, Store

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the machine reaches the CLI; the default store is this test's own."""
    monkeypatch.setenv("VIMPORT_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIMPORT_PROJECT", raising=False)


def _one_error_line(capsys: Capture) -> str:
    """The single ``vimport: error: ...`` line the failed command printed, without its prefix."""
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("vimport: error: "), err
    return err.removeprefix("vimport: error: ").rstrip("\n")


# --- install ---------------------------------------------------------------------------------


def test_install_reports_each_wheel(store: Store, make_wheel: MakeWheel, capsys: Capture) -> None:
    first, second = make_wheel("alpha", "1.0"), make_wheel("beta", "2.0")
    assert main(["--store", store.root, "install", str(first), str(second)]) == 0
    assert capsys.readouterr().out == (
        "installed: alpha 1.0 [py3-none-any]\ninstalled: beta 2.0 [py3-none-any]\n"
    )
    assert [e.name for e in store.entries()] == ["alpha", "beta"]


def test_installing_again_says_already_present(
    store: Store, make_wheel: MakeWheel, capsys: Capture
) -> None:
    wheel = str(make_wheel("alpha", "1.0"))
    main(["--store", store.root, "install", wheel])
    capsys.readouterr()
    assert main(["--store", store.root, "install", wheel]) == 0
    assert capsys.readouterr().out == "already present: alpha 1.0 [py3-none-any]\n"


def test_install_uses_vimport_store_by_default(
    tmp_path: Path, make_wheel: MakeWheel, capsys: Capture
) -> None:
    assert main(["install", str(make_wheel("alpha", "1.0"))]) == 0
    assert [e.name for e in Store(str(tmp_path / "store")).entries()] == ["alpha"]


def test_a_corrupt_wheel_is_one_error_line(
    store: Store, make_wheel: MakeWheel, capsys: Capture
) -> None:
    wheel = make_wheel("alpha", "1.0")
    # A file that RECORD does not list: the wheel was tampered with after it was built.
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("alpha/smuggled.py", "")
    assert main(["--store", store.root, "install", str(wheel)]) == 1
    message = _one_error_line(capsys)
    assert message.startswith(f"{wheel}: ")
    assert "alpha/smuggled.py is not mentioned in RECORD" in message


def test_a_missing_wheel_is_one_error_line(tmp_path: Path, capsys: Capture) -> None:
    missing = tmp_path / "alpha-1.0-py3-none-any.whl"
    assert main(["install", str(missing)]) == 1
    assert _one_error_line(capsys).startswith(f"{missing}: ")


def test_a_file_that_is_not_a_wheel_is_one_error_line(tmp_path: Path, capsys: Capture) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n", encoding="utf-8")
    assert main(["install", str(text)]) == 1
    assert "not a wheel file name" in _one_error_line(capsys)


# --- list ------------------------------------------------------------------------------------


def test_list_prints_a_table(fill_store: FillStore, capsys: Capture) -> None:
    store = fill_store(("alpha", "1.0"), ("alpha", "2.0"), ("beta", "10.0"))
    assert main(["--store", store.root, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["name", "version", "tag", "size"]
    rows = [re.split(r"\s{2,}", line) for line in lines[1:]]
    assert [row[:3] for row in rows] == [
        ["alpha", "1.0", "py3-none-any"],
        ["alpha", "2.0", "py3-none-any"],
        ["beta", "10.0", "py3-none-any"],
    ]
    assert all(re.fullmatch(r"\d+ (B|KiB|MiB|GiB)", row[3]) for row in rows)
    # Columns line up: each row's tag starts where the header's does.
    assert len({line.index("py3") for line in lines[1:]}) == 1


def test_list_json_is_machine_readable(fill_store: FillStore, capsys: Capture) -> None:
    store = fill_store(("alpha", "1.0"), ("beta", "2.0"))
    assert main(["--store", store.root, "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["version"], r["tag"]) for r in rows] == [
        ("alpha", "1.0", "py3-none-any"),
        ("beta", "2.0", "py3-none-any"),
    ]
    assert [r["size"] for r in rows] == [e.size for e in store.entries()]


def test_list_of_an_empty_store_is_empty(store: Store, capsys: Capture) -> None:
    os.makedirs(os.path.join(store.root, "entries"))
    assert main(["--store", store.root, "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_list_without_a_store_is_one_error_line(tmp_path: Path, capsys: Capture) -> None:
    assert main(["--store", str(tmp_path / "nowhere"), "list"]) == 1
    message = _one_error_line(capsys)
    assert message.startswith(f"{tmp_path / 'nowhere'}: no store here")
    assert "vimport install" in message


def test_list_with_a_damaged_entry_is_one_error_line(
    fill_store: FillStore, capsys: Capture
) -> None:
    store = fill_store(("alpha", "1.0"))
    (entry,) = store.entries()
    entry_json = Path(entry.path, "entry.json")
    os.chmod(entry.path, 0o755)
    entry_json.unlink()
    entry_json.write_text("{", encoding="utf-8")
    assert main(["--store", store.root, "list"]) == 1
    assert _one_error_line(capsys).startswith(f"{entry_json}: damaged store entry")


# --- show ------------------------------------------------------------------------------------


@pytest.fixture
def resolved_project(fill_store: FillStore, make_project: MakeProject) -> tuple[Path, Store]:
    store = fill_store(
        ("alpha", "1.0", {"alpha/__init__.py": "", "alpha_extras.py": ""}, {"requires": ["beta"]}),
        ("beta", "2.0"),
    )
    return make_project("app", ["alpha"]), store


def test_show_prints_the_resolution(resolved_project: tuple[Path, Store], capsys: Capture) -> None:
    project, store = resolved_project
    assert main(["--store", store.root, "show", str(project)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"project {project} (store {store.root})"
    assert re.split(r"\s{2,}", lines[1]) == ["imports", "distribution", "version", "why", "path"]
    alpha, beta = (re.split(r"\s{2,}", line) for line in lines[2:])
    assert alpha[:4] == ["alpha, alpha_extras", "alpha", "1.0", "app requires alpha"]
    assert beta[:4] == ["beta", "beta", "2.0", "app requires alpha -> alpha 1.0 requires beta"]
    assert alpha[4] == os.path.join(store.entry_dir(Key("alpha", "1.0", "py3-none-any")), "site")


def test_show_json_is_machine_readable(
    resolved_project: tuple[Path, Store], capsys: Capture
) -> None:
    project, store = resolved_project
    assert main(["--store", store.root, "show", "--json", str(project)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["project"] == str(project)
    assert shown["manifest"] == str(project / "pyproject.toml")
    assert [(r["distribution"], r["version"], r["imports"]) for r in shown["resolution"]] == [
        ("alpha", "1.0", ["alpha", "alpha_extras"]),
        ("beta", "2.0", ["beta"]),
    ]
    assert shown["resolution"][0]["tag"] == "py3-none-any"
    assert shown["resolution"][1]["why"] == "app requires alpha -> alpha 1.0 requires beta"


def test_show_lists_private_copies_and_who_sees_them(
    fill_store: FillStore, make_project: MakeProject, capsys: Capture
) -> None:
    store = fill_store(
        ("lib", "1.0"), ("lib", "2.0"), ("old-user", "1.0", None, {"requires": ["lib<2"]})
    )
    project = make_project("app", ["lib>=2", "old-user"], tool='private-copies = ["lib"]')

    assert main(["--store", store.root, "show", "--json", str(project)]) == 0

    shown = json.loads(capsys.readouterr().out)
    assert [(r["distribution"], r["version"]) for r in shown["resolution"]] == [
        ("lib", "2.0"),
        ("old-user", "1.0"),
    ]
    [copy] = shown["private"]
    assert (copy["distribution"], copy["version"], copy["seen_by"]) == ("lib", "1.0", ["old_user"])
    assert re.fullmatch(r"lib as _vimport_private_[0-9a-f]{12}\.lib", copy["imports"][0])
    assert copy["why"].startswith("private copy: old-user 1.0 requires lib<2; lib 2.0 keeps")


def test_tree_draws_a_private_copy_under_those_that_see_it(
    fill_store: FillStore, make_project: MakeProject, capsys: Capture
) -> None:
    store = fill_store(
        ("lib", "1.0"), ("lib", "2.0"), ("old-user", "1.0", None, {"requires": ["lib<2"]})
    )
    project = make_project("app", ["lib>=2", "old-user"], tool='private-copies = ["lib"]')

    assert main(["--store", store.root, "tree", str(project)]) == 0

    assert capsys.readouterr().out == (
        "app v0.1\n├── lib v2.0\n└── old-user v1.0\n    └── lib v1.0 (private copy)\n"
    )


def test_show_finds_the_project_from_the_cwd(
    resolved_project: tuple[Path, Store], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    project, store = resolved_project
    (project / "pkg").mkdir()
    monkeypatch.chdir(project / "pkg")
    assert main(["--store", store.root, "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["project"] == str(project)


def test_show_follows_vimport_project(
    resolved_project: tuple[Path, Store],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Capture,
) -> None:
    project, store = resolved_project
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIMPORT_PROJECT", str(project))
    assert main(["--store", store.root, "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["project"] == str(project)


def test_show_outside_a_project_is_one_error_line(tmp_path: Path, capsys: Capture) -> None:
    assert main(["show", str(tmp_path)]) == 1
    message = _one_error_line(capsys)
    assert message.startswith(f"{tmp_path}: no pyproject.toml with a [tool.vimport] table")


def test_show_of_a_project_whose_table_is_only_in_a_string_says_it_is_inactive(
    tmp_path: Path, store: Store, capsys: Capture
) -> None:
    # discover's cheap pre-filter accepts this file; the real parse must not.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndescription = """\n[tool.vimport]\n"""\n'
    )
    assert main(["--store", store.root, "show", str(tmp_path)]) == 1
    assert "no [tool.vimport] table" in _one_error_line(capsys)


def test_show_of_an_unsatisfiable_project_is_one_error_line(
    fill_store: FillStore, make_project: MakeProject, capsys: Capture
) -> None:
    store = fill_store(("alpha", "1.0"))
    project = make_project("app", ["alpha>=2"])
    assert main(["--store", store.root, "show", str(project)]) == 1
    message = _one_error_line(capsys)
    assert str(project / "pyproject.toml") in message
    assert "cannot satisfy alpha>=2 (required by app)" in message


def test_show_of_a_bad_manifest_is_one_error_line(
    make_project: MakeProject, store: Store, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"], tool="colour = 1")
    assert main(["--store", store.root, "show", str(project)]) == 1
    assert "tool.vimport.colour: unknown key" in _one_error_line(capsys)


def test_show_without_a_store_is_one_error_line(
    make_project: MakeProject, tmp_path: Path, capsys: Capture
) -> None:
    project = make_project("app", ["alpha"])
    assert main(["--store", str(tmp_path / "nowhere"), "show", str(project)]) == 1
    assert "no store here" in _one_error_line(capsys)


# --- hook errors (no interpreter is started) ---------------------------------------------------


def test_hook_install_into_a_missing_site_dir_is_one_error_line(
    tmp_path: Path, capsys: Capture
) -> None:
    missing = tmp_path / "site-packages"
    assert main(["hook", "install", "--site-dir", str(missing)]) == 1
    assert _one_error_line(capsys).startswith(f"{missing}: no such site directory")


def test_hook_status_of_a_missing_interpreter_is_one_error_line(
    tmp_path: Path, capsys: Capture
) -> None:
    python = tmp_path / "no-python"
    assert main(["hook", "status", "--python", str(python)]) == 1
    assert _one_error_line(capsys).startswith(f"{python}: cannot run this interpreter")


# --- usage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["install"], ["list", "--yaml"], ["hook", "sideways"]],
    ids=["no-command", "unknown-command", "no-wheel", "unknown-option", "bad-choice"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: Capture) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("usage: vimport")


def test_version_prints_the_version(capsys: Capture) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"vimport {__version__}\n"


# --- tree ------------------------------------------------------------------------------------


@pytest.fixture
def diamond(fill_store: FillStore, make_project: MakeProject) -> tuple[Path, Store]:
    """app requires alpha and gamma, which both require beta."""
    store = fill_store(
        ("alpha", "1.0", None, {"requires": ["beta"]}),
        ("gamma", "1.0", None, {"requires": ["beta>=2"]}),
        ("beta", "2.0", None, {"requires": ["delta"]}),
        ("delta", "1.0"),
    )
    return make_project("app", ["alpha", "gamma"]), store


def test_tree_draws_the_resolution_as_uv_tree_does(
    diamond: tuple[Path, Store], capsys: Capture
) -> None:
    project, store = diamond

    assert main(["--store", store.root, "tree", str(project)]) == 0

    assert capsys.readouterr().out == (
        "app v0.1\n"
        "├── alpha v1.0\n"
        "│   └── beta v2.0\n"
        "│       └── delta v1.0\n"
        "└── gamma v1.0\n"
        "    └── beta v2.0 (*)\n"
    )
    assert main(["--store", store.root, "tree", "--invert", "--depth", "1", str(project)]) == 0
    assert capsys.readouterr().out == "delta v1.0\n└── beta v2.0\n"


def test_tree_of_a_package_not_resolved_is_one_error(
    diamond: tuple[Path, Store], capsys: Capture
) -> None:
    project, store = diamond

    assert main(["--store", store.root, "tree", "--package", "nope", str(project)]) == 1

    assert "'nope' is not in the project's resolution" in _one_error_line(capsys)
    assert main(["--store", store.root, "tree", "--depth", "-1", str(project)]) == 2


def test_show_lists_every_chain_to_a_distribution(
    diamond: tuple[Path, Store], capsys: Capture
) -> None:
    project, store = diamond

    assert main(["--store", store.root, "show", "--json", str(project)]) == 0

    rows = {r["distribution"]: r for r in json.loads(capsys.readouterr().out)["resolution"]}
    assert rows["beta"]["chains"] == [
        "app requires alpha -> alpha 1.0 requires beta",
        "app requires gamma -> gamma 1.0 requires beta>=2",
    ]
    assert rows["beta"]["why"] == rows["beta"]["chains"][0]


@pytest.mark.parametrize(
    ("argv", "code", "out", "err"),
    [
        (["--version"], 0, f"vimport {__version__}\n", ""),
        (["--store", "/nonexistent/store", "list"], 1, "", "vimport: error: /nonexistent/store"),
    ],
)
def test_the_console_script_flushes_its_output_and_leaves_without_the_teardown(
    argv: list[str], code: int, out: str, err: str
) -> None:
    # The teardown (30-40 ms after a sync) does nothing a finished command needs; an exit
    # handler registered before the command is the proof that it was skipped.
    script = (
        "import atexit, sys; atexit.register(print, 'torn down'); "
        f"sys.argv = ['vimport', *{argv!r}]; "
        "from versioned_import.cli import main_entry; main_entry()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)

    assert (done.returncode, done.stdout) == (code, out)
    assert done.stderr.startswith(err) and "torn down" not in done.stdout


def test_finding_a_project_directory_leaves_the_project_package_unimported(
    make_project: MakeProject, tmp_path: Path
) -> None:
    # A first sync starts uv as soon as it has the project's directory; the project package's
    # imports (~27 ms) came before that, for a question a directory answers by being one.
    project = make_project("app", ["alpha"])
    script = tmp_path / "tool.py"
    script.write_text("print('hi')\n", encoding="utf-8")
    code = (
        f"import sys; sys.path[:0] = {sys.path!r}; "
        "from versioned_import.cli import _project_dir; "
        f"found = _project_dir({str(project / 'src')!r}); "
        "print(found, 'versioned_import.project' in sys.modules); "
        f"print(_project_dir({str(script)!r}))"
    )
    (project / "src").mkdir()
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True)

    assert (done.stdout, done.stderr) == (f"{project} False\n{script}\n", "")
