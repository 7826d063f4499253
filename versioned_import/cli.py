"""The ``vimport`` command line: ``main(argv) -> int``; errors become messages and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from versioned_import import __version__
from versioned_import._runtime.paths import store_root
from versioned_import.errors import (
    PlanError,
    ProjectNotFoundError,
    StoreError,
    UsageError,
    VersionedImportError,
)
from versioned_import.progress import count

if TYPE_CHECKING:
    from versioned_import._runtime.plan import Plan
    from versioned_import.engine import Engine
    from versioned_import.progress import Reporter
    from versioned_import.project import Selection
    from versioned_import.store import Entry, Store
    from versioned_import.sync import LockOptions

__all__ = ["main", "main_entry"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vimport",
        description="One multi-version store; plain `python` imports each project's versions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--store", help="the store root (default: $VIMPORT_STORE, else per user)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    talk = argparse.ArgumentParser(add_help=False)
    talk.add_argument("-q", "--quiet", action="store_const", const=-1, dest="verbosity", default=0)
    talk.add_argument("-v", "--verbose", action="store_const", const=1, dest="verbosity")

    install = commands.add_parser(
        "install", parents=[talk], help="install wheels, or requirements from the index"
    )
    install.add_argument("items", nargs="+", metavar="WHEEL|REQUIREMENT")
    install.add_argument("--offline", action="store_true", help="only what the store holds")
    install.set_defaults(run=_install)

    upgrades = argparse.ArgumentParser(add_help=False)
    upgrades.add_argument(
        "-U", "--upgrade", action="store_true", help="ignore the lock's versions: the newest"
    )
    upgrades.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="let NAME move off its locked version (repeatable)",
    )
    upgrades.add_argument(
        "--offline", action="store_true", help="never touch the network: the store alone"
    )
    upgrades.add_argument(
        "--locked", action="store_true", help="fail if the lock is missing or stale; never write it"
    )

    choose = argparse.ArgumentParser(add_help=False)
    choose.add_argument("--group", action="append", default=[], help="add a dependency group")
    choose.add_argument("--extra", action="append", default=[], help="add an optional extra")
    choose.add_argument(
        "--no-dev", action="store_true", help="leave out the dev group (included by default)"
    )
    choose.add_argument(
        "--no-default-groups",
        action="store_true",
        help="leave out the default groups (tool.vimport.default-groups, else dev)",
    )

    sync = commands.add_parser(
        "sync",
        parents=[talk, upgrades, choose],
        help="fetch what a project or script needs and lock it",
    )
    sync.add_argument("target", nargs="?", metavar="DIR|SCRIPT")
    sync.add_argument(
        "--frozen", action="store_true", help="install the lock as it is, without checking it"
    )
    sync.set_defaults(run=_sync)

    lock = commands.add_parser(
        "lock",
        parents=[talk, upgrades, choose],
        help="resolve and write the lock, installing nothing",
    )
    lock.add_argument("target", nargs="?", metavar="DIR|SCRIPT")
    lock.set_defaults(run=_lock, frozen=False)

    for name, verb in (("add", "add or change"), ("remove", "remove")):
        edit = commands.add_parser(
            name, parents=[talk], help=f"{verb} dependencies in pyproject.toml, then sync"
        )
        edit.add_argument("items", nargs="+", metavar="REQUIREMENT" if name == "add" else "NAME")
        edit.add_argument("--project", metavar="DIR", help="the project (default: from the cwd)")
        edit.add_argument("--offline", action="store_true", help="resolve from the store alone")
        where = edit.add_mutually_exclusive_group()
        where.add_argument(
            "--group", dest="edit_group", metavar="G", help="in [dependency-groups] G, not "
            "[project].dependencies"
        )  # fmt: skip
        where.add_argument(
            "--dev", dest="edit_group", action="store_const", const="dev", help="= --group dev"
        )
        where.add_argument(
            "--optional", metavar="EXTRA", help="in [project.optional-dependencies] EXTRA"
        )
        edit.set_defaults(
            run=_edit,
            group=[],
            extra=[],
            no_dev=False,
            no_default_groups=False,
            locked=False,
            frozen=False,
            upgrade=False,
            upgrade_package=[],
        )

    listing = commands.add_parser("list", help="list the store's entries")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)

    show = commands.add_parser("show", help="show a project's (or a script's) resolution")
    show.add_argument("directory", nargs="?", default=None, metavar="DIR|SCRIPT")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=_show)

    tree = commands.add_parser("tree", help="a project's resolved graph, drawn as uv tree does")
    tree.add_argument("directory", nargs="?", default=None, metavar="DIR|SCRIPT")
    tree.add_argument("--package", metavar="NAME", help="draw the tree of NAME only")
    tree.add_argument(
        "--invert", action="store_true", help="who requires each distribution, leaves first"
    )
    tree.add_argument(
        "--depth", type=_depth, default=255, metavar="N", help="levels to draw (default: 255)"
    )
    tree.add_argument(
        "--outdated", action="store_true", help="show the newest version where the index has one"
    )
    tree.set_defaults(run=_tree)

    verify = commands.add_parser("verify", help="check every entry's files against its RECORD")
    verify.add_argument(
        "--fix", action="store_true", help="reinstall damaged entries from their wheels"
    )
    verify.set_defaults(run=_verify)

    gc = commands.add_parser("gc", help="remove the versions no project uses")
    gc.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    gc.add_argument(
        "--grace",
        type=_minutes,
        default=10.0,
        metavar="MINUTES",
        help="keep entries installed this recently (default: 10)",
    )
    gc.set_defaults(run=_gc)

    hook = commands.add_parser("hook", help="install, remove or check the interpreter hook")
    hook.add_argument("action", choices=["install", "uninstall", "status"])
    hook.add_argument("--python", default=sys.executable, help="the interpreter (default: this)")
    hook.add_argument("--site-dir", help="the site directory (default: the interpreter's)")
    hook.set_defaults(run=_hook)

    run = commands.add_parser("run", help="run a project's console script, or any command, in it")
    run.add_argument("--project", metavar="DIR|SCRIPT", help="the project (default: from the cwd)")
    run.add_argument("--shim-dir", help=argparse.SUPPRESS)
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND [ARGS...]")
    run.set_defaults(run=_run)

    venv = commands.add_parser(
        "venv", help="a project's view as a venv, for editors (a few KB; sync keeps it current)"
    )
    venv.add_argument("directory", nargs="?", metavar="DIR", help="default: .venv in the project")
    venv.add_argument("--project", metavar="DIR", help="the project (default: from the cwd)")
    venv.set_defaults(run=_venv)

    shims = commands.add_parser("shims", help="launchers on PATH for the store's scripts")
    shims.add_argument("action", choices=["install", "uninstall"])
    shims.add_argument("--dir", help="where the shims go (default: beside the default store)")
    shims.set_defaults(run=_shims)

    demo = commands.add_parser("demo", help="two projects, two versions of one library, offline")
    demo.add_argument("--keep", metavar="DIR", help="build the demo in DIR and keep it")
    demo.set_defaults(run=_demo)
    return parser


def _store(args: argparse.Namespace) -> Store:
    from versioned_import.store import Store

    return Store(args.store or store_root())


def _install(args: argparse.Namespace) -> int:
    from versioned_import.progress import Reporter
    from versioned_import.store.install import install_wheel
    from versioned_import.sync import install_requirements

    store = _store(args)
    wheels = [i for i in args.items if i.endswith(".whl") or os.path.exists(i)]
    requirements = [i for i in args.items if i not in wheels]
    for wheel in wheels:
        entry, new = install_wheel(store, wheel)
        state = "installed" if new else "already present"
        print(f"{state}: {entry.name} {entry.version} [{entry.tag}]")
    if requirements:
        reporter = Reporter(args.verbosity)
        for entry in install_requirements(requirements, store, reporter, offline=args.offline):
            print(f"present: {entry.name} {entry.version} [{entry.tag}]")
    return 0


def _project_dir(start: str | None) -> str:
    from versioned_import._runtime.discover import find_project

    start = start or os.environ.get("VIMPORT_PROJECT") or os.getcwd()
    # A directory is no script: the project package, whose imports cost a first sync ~27 ms
    # before uv can start resolving, is asked only about what is not one.
    if not os.path.isdir(start):
        from versioned_import.project import is_script

        if is_script(start):
            return os.path.abspath(start)
    project = find_project(start)
    if project is None:
        raise ProjectNotFoundError(
            f"{os.path.abspath(start)}: no pyproject.toml with a [tool.vimport] table here or "
            "above; add the table to the project's pyproject.toml"
        )
    return project


def _conflicting_flags(args: argparse.Namespace) -> str | None:
    """What in the lock flags cannot go together, for argparse to report (exit code 2)."""
    keep = [f for f, on in (("--locked", getattr(args, "locked", False)),
                            ("--frozen", getattr(args, "frozen", False))) if on]  # fmt: skip
    upgrading = getattr(args, "upgrade", False) or getattr(args, "upgrade_package", [])
    if len(keep) == 2:
        return "--locked checks the lock against the manifest and --frozen skips that: give one"
    if keep and upgrading:
        return f"{keep[0]} keeps the lock as it is, so it cannot go with --upgrade(-package)"
    return None


def _lock_options(args: argparse.Namespace) -> LockOptions:
    from packaging.utils import canonicalize_name

    from versioned_import.sync import LockOptions

    return LockOptions(
        offline=args.offline,
        locked=args.locked,
        frozen=args.frozen,
        upgrade=args.upgrade,
        upgrade_packages=frozenset(canonicalize_name(n) for n in args.upgrade_package),
    )


def _selection(args: argparse.Namespace) -> Selection:
    from versioned_import.project import Selection

    return Selection(tuple(args.group), tuple(args.extra), args.no_dev, args.no_default_groups)


def _sync(args: argparse.Namespace) -> int:
    target, store, reporter = _resolving(args, install=True)
    _refresh(target, store, reporter)
    return 0


def _lock(args: argparse.Namespace) -> int:
    _resolving(args, install=False)
    return 0


def _resolving(args: argparse.Namespace, *, install: bool) -> tuple[str, Store, Reporter]:
    """``vimport sync`` (``install``) or ``vimport lock``: the project, its store, the reporter."""
    from versioned_import.progress import Reporter

    target = _project_dir(args.target)
    reporter = Reporter(args.verbosity)
    with _head_start(args, target, reporter) as engine:
        from versioned_import.sync import lock, sync

        options, selection, store = _lock_options(args), _selection(args), _store(args)
        command = sync if install else lock
        command(target, store, reporter, options, selection=selection, engine=engine)
    return target, store, reporter


@contextlib.contextmanager
def _head_start(
    args: argparse.Namespace, target: str, reporter: Reporter
) -> Iterator[Engine | None]:
    """The engine of a first sync or lock of a plain project (no lock yet, no option that
    changes what is asked), closed on exit: uv starts resolving the manifest's requirement
    lines before this process imports the rest of sync and reads the manifest in full (~75 ms
    sooner), and sync takes that answer when it asks for the same. None when there is nothing
    to start."""
    selected = args.group or args.extra or args.no_dev or args.no_default_groups
    requirements = None
    if not (args.offline or args.locked or args.frozen or selected):
        from versioned_import._runtime.quickplan import plain_requirements

        requirements = plain_requirements(target)
    if requirements is None:
        yield None
        return
    from versioned_import.engine.choice import default_engine
    from versioned_import.engine.uv import UvEngine

    engine = default_engine(reporter)
    if isinstance(engine, UvEngine):
        engine.start(requirements, reporter)
    try:
        yield engine
    finally:
        engine.close()


def _refresh(target: str, store: Store, reporter: Reporter) -> None:
    """After a sync: rewrite the project's views, and the shims when their directory exists
    (a new console script works at once; sync never creates either)."""
    from versioned_import.shims import default_shim_dir, install_shims
    from versioned_import.view import refresh_views, views_of

    if views_of(target):
        for view in refresh_views(_plan_for_use(target, store)):
            reporter.done(f"Rewrote the view {view}")
    shim_dir = default_shim_dir(store.root)
    if os.path.isdir(shim_dir):
        install_shims(store, shim_dir)


def _plan_for_use(target: str, store: Store) -> Plan:
    from versioned_import.planner import compute_for_use

    plan = compute_for_use(target, store.root)
    if plan["error"]:
        raise PlanError(plan["error"])
    return plan


def _edit(args: argparse.Namespace) -> int:
    from versioned_import.project import lock_file, manifest_file
    from versioned_import.project.edit import (
        DEPENDENCIES,
        add_requirements,
        extra_field,
        group_field,
        remove_requirements,
    )
    from versioned_import.project.undo import restored_on_failure

    project = _project_dir(args.project)
    manifest = manifest_file(project)
    field: tuple[str, ...] = DEPENDENCIES
    if args.edit_group:
        field, args.group = group_field(args.edit_group), [args.edit_group]
    elif args.optional:
        field, args.extra = extra_field(args.optional), [args.optional]
    edit = add_requirements if args.command == "add" else remove_requirements
    # As uv does: the manifest is written, then synced; a failed sync puts both files back.
    with restored_on_failure([manifest, lock_file(project)]):
        edit(manifest, args.items, field)
        args.target = project
        return _sync(args)


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    store.require()
    entries = store.entries()
    if args.json:
        rows = [
            {"name": e.name, "version": e.version, "tag": e.tag, "size": e.size} for e in entries
        ]
        print(json.dumps(rows, indent=2))
        return 0
    _table(
        ["name", "version", "tag", "size"],
        [[e.name, e.version, e.tag, _size(e.size)] for e in entries],
    )
    return 0


def _active_plan(args: argparse.Namespace) -> Plan:
    from versioned_import.planner import compute

    plan = compute(_project_dir(args.directory), _store(args).root)
    if plan["error"]:
        raise PlanError(plan["error"])
    if not plan["active"]:
        raise ProjectNotFoundError(
            f"{plan['manifest']}: no [tool.vimport] table, so versioned-import leaves this "
            "project alone; add the table to opt in"
        )
    return plan


def _show(args: argparse.Namespace) -> int:
    from versioned_import.tree import chains, of_plan

    plan = _active_plan(args)
    project = plan["project"]
    graph = of_plan(plan)
    dists = plan["dists"]
    imports: dict[int, list[str]] = {}
    for name, indices in plan["modules"].items():
        for index in indices:
            imports.setdefault(index, []).append(name)
    rows: list[dict[str, Any]] = [
        {
            "imports": sorted(imports.get(i, [])),
            "distribution": d["name"],
            "version": d["version"],
            "tag": d["tag"],
            "why": d["why"],
            "chains": _chains(chains(graph, d["canonical"])) or [d["why"]],
            "path": d["site"],
        }
        for i, d in enumerate(dists)
    ]
    private = _private_rows(plan)
    if args.json:
        shown = {"project": project, "manifest": plan["manifest"], "resolution": rows}
        print(json.dumps({**shown, "private": private} if private else shown, indent=2))
        return 0
    rows += private
    print(f"project {project} (store {plan['store']})")
    _table(
        ["imports", "distribution", "version", "why", "path"],
        [
            [
                ", ".join(r["imports"]),
                r["distribution"],
                r["version"],
                "; ".join(r["chains"]),
                r["path"],
            ]
            for r in rows
        ],
    )
    return 0


def _chains(found: tuple[list[str], bool]) -> list[str]:
    chains, more = found
    return [*chains, "..."] if more else chains


def _tree(args: argparse.Namespace) -> int:
    from packaging.utils import canonicalize_name

    from versioned_import.tree import draw, of_plan

    graph = of_plan(_active_plan(args))
    if args.package and canonicalize_name(args.package) not in graph.nodes:
        raise UsageError(
            f"vimport tree: {args.package!r} is not in the project's resolution; "
            "`vimport show` lists what is"
        )
    latest: dict[str, str] | None = None
    if args.outdated:
        from versioned_import.engine.choice import default_engine
        from versioned_import.progress import Reporter

        # One resolution of every name, unconstrained: the newest versions that go together
        # (one index query, where asking for each name alone would be one per distribution).
        reporter = Reporter(-1)
        picks = default_engine(reporter).resolve(sorted(graph.nodes), reporter)
        latest = {canonicalize_name(p.name): p.version for p in picks}
    lines = draw(graph, depth=args.depth, invert=args.invert, package=args.package, latest=latest)
    print("\n".join(lines))
    return 0


def _depth(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a depth (0 or more)")
    return int(value)


def _private_rows(plan: Plan) -> list[dict[str, Any]]:
    """The private copies: imported under their prefix by the modules of ``seen_by``."""
    return [
        {
            "imports": sorted(
                f"{name} as {scope['prefix']}.{name}"
                for name, i in scope["modules"].items()
                if i == index
            ),
            "distribution": d["name"],
            "version": d["version"],
            "tag": d["tag"],
            "why": d["why"],
            "path": d["site"],
            "seen_by": scope["seers"],
        }
        for scope in plan["private"]
        for index, d in enumerate(scope["copies"])
    ]


def _verify(args: argparse.Namespace) -> int:
    from versioned_import.lockcheck import lock_disagreements
    from versioned_import.store.verify import fix, verify_store

    store = _store(args)
    report = verify_store(store)
    problems = report.problems
    if args.fix and problems:
        fixed = fix(store, report, _fetch_wheel)
        for entry in fixed.reinstalled:
            print(f"reinstalled: {entry.name} {entry.version} [{entry.tag}] from {entry.source}")
        problems = fixed.problems
    problems += lock_disagreements(store)
    for problem in problems:
        print(problem)
    if problems:
        damaged = len({p.entry for p in problems})
        advice = (
            "install their wheels again with `vimport install WHEEL`"
            if args.fix
            else "run `vimport verify --fix` to reinstall them from their wheels"
        )
        raise StoreError(
            f"{store.root}: {count(len(problems), 'problem')} in {damaged} of "
            f"{count(report.entries, 'entry', 'entries')}; {advice}"
        )
    print(f"verified {count(report.entries, 'entry', 'entries')}, {count(report.files, 'file')}")
    return 0


def _fetch_wheel(entry: Entry, directory: str) -> str:
    """The wheel of ``entry`` downloaded from its recorded URL into ``directory``."""
    from versioned_import.engine import Artifact, Pick
    from versioned_import.engine.choice import default_engine
    from versioned_import.progress import Reporter

    artifact = Artifact(entry.source, entry.sha256, entry.wheel_size, True)
    pick = Pick(entry.name, entry.version, artifact)
    reporter = Reporter(-1)
    return default_engine(reporter).fetch([pick], directory, reporter)[0].wheel


def _gc(args: argparse.Namespace) -> int:
    import functools

    from versioned_import.planner import compute
    from versioned_import.store.prune import collect

    # gc asks which store entries projects use: no build backend needs to run for that.
    plans = functools.partial(compute, own=False)
    result = collect(_store(args), plans, grace_minutes=args.grace, dry_run=args.dry_run)
    forget, remove, free = (
        ("would forget", "would remove", "freeing")
        if result.dry_run
        else ("forgot", "removed", "freed")
    )
    for root in result.dropped:
        print(f"{forget}: {root.project} ({root.reason})")
    for item in result.garbage:
        name, version, tag = item.key
        print(f"{remove}: {name} {version} [{tag}] {_size(item.size)}")
    print(
        f"{remove} {count(len(result.garbage), 'entry', 'entries')}, {free} "
        f"{result.freed} bytes ({_size(result.freed)}); kept {result.kept}"
    )
    return 0


def _minutes(value: str) -> float:
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not minutes >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of minutes (0 or more)")
    return minutes


def _hook(args: argparse.Namespace) -> int:
    from versioned_import import hook

    if args.action == "install":
        print(hook.install(args.python, args.site_dir))
    elif args.action == "uninstall":
        site_dir = args.site_dir or hook.site_dir_of(args.python)
        print("\n".join(hook.uninstall(site_dir)) or f"no hook in {site_dir}")
    else:
        state = hook.status(args.python)
        print(
            f"{state.python}: {state.detail}" + (f" ({state.hook_file})" if state.hook_file else "")
        )
        return 0 if state.active else 1
    return 0


def _run(args: argparse.Namespace) -> int:
    from versioned_import._runtime.discover import find_project
    from versioned_import.run import run

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise UsageError("vimport run: name the command to run, e.g. `vimport run pytest`")
    if args.shim_dir and not args.project:
        # A shim outside any project runs the next command of that name on PATH.
        project = os.environ.get("VIMPORT_PROJECT") or find_project(os.getcwd())
    else:
        project = _project_dir(args.project)
    return run(project, command, _store(args).root, args.shim_dir)


def _venv(args: argparse.Namespace) -> int:
    from versioned_import.project import is_script
    from versioned_import.view import write_view

    project = _project_dir(args.project)
    if args.directory is None and is_script(project):
        raise UsageError(f"vimport venv: name the view's directory for the script {project}")
    directory = args.directory or os.path.join(project, ".venv")
    write_view(_plan_for_use(project, _store(args)), directory)
    print(f"wrote the view of {project} at {os.path.abspath(directory)}")
    return 0


def _shims(args: argparse.Namespace) -> int:
    from versioned_import.shims import default_shim_dir, install_shims, uninstall_shims

    directory = args.dir or default_shim_dir(_store(args).root)
    if args.action == "uninstall":
        print(f"removed {len(uninstall_shims(directory))} shims from {directory}")
        return 0
    names = install_shims(_store(args), directory)
    print(f"wrote {len(names)} shims into {directory}: {', '.join(names)}")
    if directory not in os.environ.get("PATH", "").split(os.pathsep):
        print(f'add it to PATH, before other directories: export PATH="{directory}:$PATH"')
    return 0


def _demo(args: argparse.Namespace) -> int:
    from versioned_import.demo import run_demo

    return run_demo(args.keep)


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size} {unit}"
        size //= 1024
    return f"{size} GiB"


def _table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``vimport`` with ``argv``; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        conflict = _conflicting_flags(args)
        if conflict:
            parser.error(f"{args.command}: {conflict}")
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.run(args)
    except VersionedImportError as exc:
        print(f"vimport: error: {exc}", file=sys.stderr)
        return 1
    return code


def main_entry() -> None:
    """The console script. It leaves without the interpreter's teardown (30-40 ms for the
    modules a sync loads, measured), which does nothing a finished command needs: no command
    runs code of the user's in this process, and every file and child is closed and reaped
    where it was opened."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `vimport list | head`: the reader left, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.stderr.flush()
    os._exit(code)
