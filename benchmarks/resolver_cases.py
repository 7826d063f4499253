"""Cases 5 and 6 of ``peers.py``: the resolvers, on a fabricated graph and on the package index.

5 times resolution alone for a project whose closure is 320 fabricated distributions; 6 times
filling an empty store from the index (``vimport sync``) against uv filling an empty venv, both
through this machine's pip configuration (translated for uv, which does not read it).
"""

from __future__ import annotations

import json
import marshal
import os
import sys
from pathlib import Path

from benchmarks.common import (
    PACKAGES,
    REPO,
    BenchmarkError,
    clean_env,
    make_venv,
    run,
    write_project,
)
from benchmarks.report import Row, Section
from benchmarks.workbench import Runs, Setup, pins, timed_section

__all__ = ["BYTECODE", "cold_sync", "resolution", "tool_environment", "uv_index_options"]


def _pinned_lines(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements file, by name."""
    found = {}
    for line in text.splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            found[name.strip()] = version.split()[0]
    return found


def resolution(setup: Setup, runs: Runs) -> tuple[Section, list[str]]:
    """Case 5: a fabricated graph of 320 distributions, resolved by each tool alone."""
    import subprocess

    from benchmarks.fabricate import fabricate
    from versioned_import import hook, planner
    from versioned_import.store import Store
    from versioned_import.store.install import install_wheel

    root = setup.work / "case5"
    graph = fabricate(root / "wheels")
    print(f"5: installing {len(graph.wheels)} fabricated wheels into a store", flush=True)
    store = Store(str(root / "store"))
    for wheel in graph.wheels:
        install_wheel(store, str(wheel))
    project = root / "project"
    project.mkdir()
    roots = ", ".join(f'"{name}"' for name in graph.roots)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "deep"\nversion = "0"\ndependencies = [{roots}]\n\n[tool.vimport]\n',
        encoding="utf-8",
    )
    roots_file = root / "roots.in"
    roots_file.write_text("".join(f"{name}\n" for name in graph.roots), encoding="utf-8")
    # What the hook runs when a plan must be computed (newplan.compute_in_child), word for word.
    child = (
        f"import sys; sys.path[:0] = {hook.tool_paths()!r}; "
        "from versioned_import.planner import main; main()"
    )
    child_env = dict(setup.env, VIMPORT_DISABLE="1")
    local = ["--no-index", "--find-links", str(root / "wheels")]
    results: dict[str, dict[str, str]] = {}

    def vimport_child(_index: int) -> None:
        argv = [setup.hooked, "-I", "-c", child, str(project), store.root]
        done = subprocess.run(argv, capture_output=True, env=child_env, check=False)
        if done.returncode != 0:
            raise BenchmarkError(f"case 5: computing the plan failed: {done.stderr.decode()}")
        computed = marshal.loads(done.stdout)
        results["vimport"] = {d["name"]: d["version"] for d in computed["dists"]}

    def vimport_in_process(_index: int) -> None:
        planner.compute(str(project), store.root)

    def uv_compile(cache: Path, out: str) -> None:
        argv = [setup.uv, "pip", "compile", "-q", str(roots_file), *local, "--python", setup.base]
        run([*argv, "-o", str(root / out)], env=dict(setup.env, UV_CACHE_DIR=str(cache)))
        results[out] = _pinned_lines((root / out).read_text(encoding="utf-8"))

    def pip_dry_run(_index: int) -> None:
        report = root / "pip-report.json"
        pip = [setup.base, "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed"]
        run([*pip, "--report", str(report), *local, "-r", str(roots_file)], env=setup.env)
        data = json.loads(report.read_text(encoding="utf-8"))
        results["pip"] = {i["metadata"]["name"]: i["metadata"]["version"] for i in data["install"]}

    uv_compile(root / "uv-cache", "uv.txt")  # untimed: warms uv's cache
    vimport_in_process(0)  # untimed: loads packaging and the resolver into this process
    print("5: timing the resolvers (pip takes over half a minute per run)", flush=True)
    section = timed_section(
        f"5. resolve {graph.distributions} distributions ({len(graph.wheels)} wheels)",
        [
            (Row("vimport: planner.compute in a child, as the hook runs it", "vimport"),
             runs.fast, vimport_child),
            (Row("vimport: planner.compute in this process (no imports)", "info"),
             runs.fast, vimport_in_process),
            (Row("`pip install --dry-run --report`", "pip"), runs.slow, pip_dry_run),
            (Row("`uv pip compile` (warm cache)", "uv"), runs.fast,
             lambda _i: uv_compile(root / "uv-cache", "uv.txt")),
            (Row("`uv pip compile` (cold cache)", "info"), runs.slow,
             lambda i: uv_compile(root / f"uv-cold-{i}", "uv-cold.txt")),
        ],
    )  # fmt: skip
    return section, _agreement(results, graph.distributions)


def _agreement(results: dict[str, dict[str, str]], expected: int) -> list[str]:
    from packaging.utils import canonicalize_name

    chosen = {
        tool: {canonicalize_name(n): v for n, v in found.items()} for tool, found in results.items()
    }
    for tool, found in chosen.items():
        if len(found) != expected:
            raise BenchmarkError(f"case 5: {tool} resolved {len(found)} of {expected}")
    same = set.intersection(*(set(found.items()) for found in chosen.values()))
    newest = sum(v == "2.0.0" for v in chosen["vimport"].values())
    return [
        f"case 5: every resolver picked all {expected} distributions; they agree on "
        f"{len(same)} versions ({newest} at the newest version in vimport's resolution)"
    ]


def uv_index_options(env: dict[str, str]) -> tuple[list[str], dict[str, str], str]:
    """uv's options and environment for pip's configuration as the uv engine translates it, and
    a summary that names no index (the report is committed)."""
    from versioned_import.engine.pipconfig import read_pip_config
    from versioned_import.engine.uvoptions import uv_options

    options = uv_options(read_pip_config(env))
    flags = sorted({arg for arg in options.args if arg.startswith("--")})
    given = [f"`{flag}` x{options.args.count(flag)}" for flag in flags]
    given += [f"`{name}`" for name in sorted(options.env)]
    return (
        options.args,
        options.env,
        "uv was given pip's settings as the uv engine translates "
        f"them: {', '.join(given) or 'none'}",
    )


def tool_environment(setup: Setup, root: Path) -> str:
    """A venv with versioned-import installed as a user installs it (``pip install .``: uv and
    pip >= 25.3 come with it); returns its python."""
    python = make_venv(setup.base, root / "tool", clean_env({}))
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO)],
        env=clean_env({}))  # fmt: skip
    return python


def cold_sync(setup: Setup, runs: Runs) -> tuple[Section, list[str]]:
    """Case 6: the 30 packages from the package index, every cache cold."""
    root = setup.work / "case6"
    print("6: installing versioned-import into a venv of its own", flush=True)
    tool = tool_environment(setup, root)
    options, uv_env, summary = uv_index_options(setup.env)

    # Most users have no pip configuration: the default index alone, over the network.
    bare = {k: v for k, v in setup.env.items() if not k.startswith("PIP_")}
    bare["PIP_CONFIG_FILE"] = os.devnull

    def sync(index: int, engine: str, *, default_index: bool = False) -> None:
        here = root / f"vimport-{engine}{'-default' if default_index else ''}-{index}"
        project = write_project(here / "project", name="cold")
        env = dict(bare if default_index else setup.env, VIMPORT_STORE=str(here / "store"),
                   PIP_CACHE_DIR=str(here / "pip"), UV_CACHE_DIR=str(here / "uv"),
                   VIMPORT_ENGINE=engine)  # fmt: skip
        run([tool, "-m", "versioned_import", "sync", "-q", str(project)], env=env)

    def uv(index: int, *more: str, default_index: bool = False) -> None:
        here = root / f"uv{''.join(more)}{'-default' if default_index else ''}-{index}"
        given, given_env = ([], {}) if default_index else (options, uv_env)
        env = dict(setup.env, UV_CACHE_DIR=str(here / "cache"), **given_env)
        python = setup.new_uv_venv(here / "venv", env)
        install = [setup.uv, "pip", "install", "-q", "--python", python, *given, *more]
        run([*install, *pins(PACKAGES)], env=env)

    print("6: cold sync from the package index", flush=True)
    section = timed_section(
        "6. from the index, cold store and caches",
        [
            (Row("`vimport sync`, uv engine", "vimport"), runs.fast, lambda i: sync(i, "uv")),
            (Row("`vimport sync`, pip engine", "info"), runs.slow, lambda i: sync(i, "pip")),
            (Row("`uv venv`, `uv pip install`", "uv"), runs.fast, uv),
            (Row(f"`uv venv`, `uv pip install {BYTECODE}`", "info"), runs.fast,
             lambda i: uv(i, BYTECODE)),
            (Row(f"`vimport sync`, uv engine, {DEFAULT_INDEX}", "info"), runs.fast,
             lambda i: sync(i, "uv", default_index=True)),
            (Row(f"`uv venv`, `uv pip install {BYTECODE}`, {DEFAULT_INDEX}", "info"), runs.fast,
             lambda i: uv(i, BYTECODE, default_index=True)),
        ],
    )  # fmt: skip
    for engine in ("uv", "pip"):
        lock = root / f"vimport-{engine}-0" / "project" / "pylock.toml"
        locked = lock.read_text(encoding="utf-8").count("[[packages]]")
        if locked != len(PACKAGES):
            raise BenchmarkError(f"case 6: {lock} lists {locked} packages, not {len(PACKAGES)}")
    same = _same_lock(root / "vimport-uv-0", root / "vimport-pip-0")
    ours, theirs = (row.median for row in section.rows if DEFAULT_INDEX in row.label)
    return section, [
        f"case 6: {summary}; `vimport sync` read pip's configuration as it is; the two engines "
        f"wrote {'the same' if same else 'DIFFERENT'} locks; with {DEFAULT_INDEX}, `vimport "
        f"sync` took {ours / theirs:.2f}x the time of uv with `{BYTECODE}`"
    ]


BYTECODE = "--compile-bytecode"
DEFAULT_INDEX = "no pip configuration (the default index alone)"


def _same_lock(first: Path, second: Path) -> bool:
    """Whether two synced projects locked the same files (name, version, sha256)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    def files(here: Path) -> set[tuple[str, str, str]]:
        with (here / "project" / "pylock.toml").open("rb") as f:
            packages = tomllib.load(f)["packages"]
        return {(p["name"], p["version"], p["wheels"][0]["hashes"]["sha256"]) for p in packages}

    return files(first) == files(second)
