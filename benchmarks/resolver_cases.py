"""Cases 5 and 6 of ``peers.py``: the resolvers, on a fabricated graph and on the package index.

5 times resolution alone for a project whose closure is 320 fabricated distributions; 6 times
filling an empty store from the index (``vimport sync``) against uv filling an empty venv, both
through this machine's pip configuration (translated for uv, which does not read it).
"""

from __future__ import annotations

import json
import marshal
from pathlib import Path

from benchmarks.common import PACKAGES, REPO, BenchmarkError, run, write_project
from benchmarks.report import Row, Section
from benchmarks.workbench import Runs, Setup, pins, timed_section

__all__ = ["cold_sync", "pip_settings", "resolution", "uv_index_options"]


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
    # What the hook runs when a plan must be computed (plan.compute_in_child), word for word.
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
        results["vimport"] = {d[0]: d[1] for d in computed["dists"]}

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
    vimport_in_process(0)  # untimed: loads packaging and resolvelib into this process
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


def pip_settings(base: str, env: dict[str, str]) -> dict[str, str]:
    """pip's effective configuration (``pip config list``): environment over the ``install``
    section over ``global``, as pip applies them."""
    import ast

    rank = {"global": 0, "install": 1, ":env:": 2}
    found: dict[str, tuple[int, str]] = {}
    for line in run([base, "-m", "pip", "config", "list"], env=env).splitlines():
        key, sep, value = line.partition("=")
        section, _, name = key.rpartition(".")
        if not sep or section not in rank:
            continue
        if name not in found or found[name][0] <= rank[section]:
            found[name] = (rank[section], str(ast.literal_eval(value)))
    return {name: value for name, (_rank, value) in found.items()}


def uv_index_options(settings: dict[str, str]) -> tuple[list[str], dict[str, str], str]:
    """uv's options and environment for the indexes pip is configured with, and a summary that
    names no index (the report is committed)."""
    options: list[str] = []
    extra_env: dict[str, str] = {}
    said = []
    if "index-url" in settings:
        options += ["--index-url", settings["index-url"]]
        said.append("pip's index URL")
    extras = settings.get("extra-index-url", "").split()
    links = settings.get("find-links", "").split()
    for url in extras:
        options += ["--extra-index-url", url]
    for link in links:
        options += ["--find-links", link]
    said += [f"{len(extras)} extra index URL(s)", f"{len(links)} find-links location(s)"]
    if settings.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        options.append("--no-index")
        said.append("--no-index")
    if extras or links:
        # pip takes the best version found anywhere; uv's default stops at the first index.
        options += ["--index-strategy", "unsafe-best-match"]
        said.append("`--index-strategy unsafe-best-match` (pip's rule)")
    if "cert" in settings:
        extra_env["SSL_CERT_FILE"] = settings["cert"]
        said.append("pip's certificate bundle as SSL_CERT_FILE")
    return options, extra_env, "uv was given " + ", ".join(said)


def cold_sync(setup: Setup, runs: Runs) -> tuple[Section, list[str]]:
    """Case 6: the 30 packages from the package index, every cache cold."""
    root = setup.work / "case6"
    options, uv_env, summary = uv_index_options(pip_settings(setup.base, setup.env))

    def sync(index: int) -> None:
        here = root / f"vimport-{index}"
        project = write_project(here / "project", name="cold")
        env = dict(setup.env, VIMPORT_STORE=str(here / "store"), PIP_CACHE_DIR=str(here / "pip"))
        sync = [setup.base, "-m", "versioned_import", "sync", "-q", str(project)]
        run(sync, env=env, cwd=REPO)

    def uv(index: int, *more: str) -> None:
        here = root / f"uv{''.join(more)}-{index}"
        env = dict(setup.env, UV_CACHE_DIR=str(here / "cache"), **uv_env)
        python = setup.new_uv_venv(here / "venv", env)
        install = [setup.uv, "pip", "install", "-q", "--python", python, *options, *more]
        run([*install, *pins(PACKAGES)], env=env)

    print("6: cold sync from the package index", flush=True)
    section = timed_section(
        "6. from the index, cold store and caches",
        [
            (Row("`vimport sync` (pip resolves and downloads)", "vimport"), runs.slow, sync),
            (Row("`uv venv`, `uv pip install`", "uv"), runs.slow, uv),
            (Row("`uv venv`, `uv pip install --compile-bytecode`", "info"), runs.slow,
             lambda i: uv(i, "--compile-bytecode")),
        ],
    )  # fmt: skip
    lock = (root / "vimport-0" / "project" / "pylock.toml").read_text(encoding="utf-8")
    locked = lock.count("[[packages]]")
    if locked != len(PACKAGES):
        raise BenchmarkError(f"case 6: the lock lists {locked} packages, not {len(PACKAGES)}")
    return section, [f"case 6: {summary}; vimport sync used pip's configuration as it is"]
