"""The multi-version store: entries, their atomic publication and removal, lookup.

An entry is published by renaming a complete staging directory into place while holding the
distribution's mutex, so a reader sees either no entry or a whole one, and a published entry is
never replaced: installing what is already there is a no-op. ``Store.adding`` and
``Store.removing`` are the only ways in and out, each one context manager that takes the mutex,
sets the permissions and rewrites the generation file, as pex's ``atomic_directory`` does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from versioned_import._runtime.fs import make_dirs, write_atomic
from versioned_import._runtime.roots import add_root
from versioned_import.errors import StoreError
from versioned_import.flock import FileLock
from versioned_import.store import layout
from versioned_import.store.layout import Key

__all__ = ["Addition", "Entry", "Key", "Store", "make_read_only", "remove_tree"]


@dataclass(frozen=True)
class Entry:
    """What ``entry.json`` records about one installed wheel."""

    name: str
    """The distribution's name as its METADATA spells it."""
    version: str
    tag: str
    """The wheel's compressed tag set, e.g. ``py3-none-any``."""
    wheel: str
    sha256: str
    size: int
    dist_info: str
    top_level: list[str]
    requires_dist: list[str] = field(default_factory=list)
    requires_python: str | None = None
    pth_files: list[str] = field(default_factory=list)
    source: str = ""
    """Where the wheel came from (a URL or a path), for locks written from the store alone."""
    wheel_size: int | None = None
    path: str = ""
    """The entry's directory; not stored, filled in when read."""

    @property
    def site_dir(self) -> str:
        return os.path.join(self.path, layout.SITE_DIR)

    @property
    def bin_dir(self) -> str:
        return os.path.join(self.path, layout.BIN_DIR)

    @property
    def key(self) -> Key:
        return layout.key_of(self.path)

    def to_json(self) -> str:
        data = asdict(self)
        del data["path"]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, directory: str) -> Entry:
        entry_file = os.path.join(directory, layout.ENTRY_FILE)
        try:
            with open(entry_file, encoding="utf-8") as f:
                data = json.load(f)
            return cls(**data, path=directory)
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(
                f"{entry_file}: damaged store entry ({exc}); remove {directory} and install "
                "the wheel again"
            ) from exc


@dataclass
class Addition:
    """An entry being built by ``Store.adding``."""

    path: str
    """The private staging directory to fill."""
    published: bool = False
    """Set once the context exits: False when another process published the entry first."""


class Store:
    """A store rooted at one directory."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def require(self) -> None:
        """Raise a clear error when the store does not exist."""
        if not os.path.isdir(layout.entries_dir(self.root)):
            raise StoreError(
                f"{self.root}: no store here; fill it with `vimport install WHEEL...`, or set "
                "VIMPORT_STORE to the store you meant"
            )

    def entry_dir(self, key: Key) -> str:
        return layout.entry_path(self.root, key)

    def entries(self) -> list[Entry]:
        """Every published entry, sorted by name, version and tag."""
        return [Entry.read(path) for path in layout.entry_dirs(self.root)[0].values()]

    def entries_of(self, name: str) -> list[Entry]:
        """The published entries of the distribution ``name`` (canonical), sorted by version
        and tag; only that name's entries are read."""
        return [Entry.read(path) for path in layout.entry_dirs_of(self.root, name).values()]

    @contextlib.contextmanager
    def adding(self, key: Key) -> Iterator[Addition | None]:
        """Build the entry ``key`` privately, then publish it whole.

        Yields None when the entry exists already (there is nothing to do), else an
        ``Addition`` whose directory the caller fills. When the block ends without an error the
        directory is made read-only and renamed into place under the name's mutex, unless
        another process published the same entry meanwhile; on an error it is removed."""
        if os.path.isdir(self.entry_dir(key)):
            yield None
            return
        with self._staging() as staged:
            addition = Addition(staged)
            yield addition
            make_read_only(staged)
            addition.published = self._publish(staged, key)

    @contextlib.contextmanager
    def removing(self, key: Key) -> Iterator[str | None]:
        """Take the entry ``key`` out of the store.

        Under the name's mutex the entry is renamed into trash/ (a reader sees it whole or
        absent), its emptied parent directories are pruned and the generation file rewritten.
        Yields where it now lies (None when it was gone already); it is deleted there when the
        block ends, unless ``restore`` put it back."""
        with self._exclusive(key.name):
            trash = self._retire(self.entry_dir(key))
            if trash is not None:
                self.touch_generation()
        try:
            yield trash
        finally:
            if trash is not None and os.path.lexists(trash):
                remove_tree(trash)

    def restore(self, trash: str, key: Key) -> bool:
        """Put back an entry ``removing`` took out; False when another was published since."""
        return self._publish(trash, key)

    @contextlib.contextmanager
    def _staging(self) -> Iterator[str]:
        """A fresh private directory on the store's file system, removed unless published.

        Debris that killed installers left behind is removed first."""
        parent = layout.staging_dir(self.root)
        make_dirs(parent)
        self.remove_debris()
        directory = tempfile.mkdtemp(prefix=f"{_owner()}-", dir=parent)
        try:
            yield directory
        finally:
            if os.path.lexists(directory):
                remove_tree(directory)

    def remove_debris(self) -> list[str]:
        """Remove what killed installers (staging/) and removers (trash/) left behind: the items
        of processes of this host that are gone."""
        removed = []
        for parent in (layout.staging_dir(self.root), layout.trash_dir(self.root)):
            for name in layout.list_names(parent):
                host, _, rest = name.rpartition("@")
                pid = rest.partition("-")[0]
                if host == _HOST and pid.isdigit() and not _alive(int(pid)):
                    # Two cleaners may race for one item: whatever the other removed is gone.
                    with contextlib.suppress(OSError):
                        remove_tree(os.path.join(parent, name))
                        removed.append(name)
        return removed

    @contextlib.contextmanager
    def _exclusive(self, name: str) -> Iterator[None]:
        """Hold the mutex of distribution ``name`` (canonical). Not re-entrant: flock is per open
        file, so a second hold of one name in one process waits for ever."""
        make_dirs(layout.mutex_dir(self.root))
        path = os.path.join(layout.mutex_dir(self.root), f"{name}.lock")
        with FileLock(path):
            yield

    def _publish(self, staged: str, key: Key) -> bool:
        """Move a complete staged entry into place; False when that entry already exists."""
        target = self.entry_dir(key)
        # Double-checked: the existence check and the rename happen under the name's mutex, so
        # two installers of one wheel never both rename, and a published entry is never replaced.
        with self._exclusive(key.name):
            if os.path.isdir(target):
                return False
            make_dirs(os.path.dirname(target))
            self.mark_third_party()
            # Moving a directory to another parent rewrites its "..", which needs write
            # permission on the directory itself: it becomes read-only once in place.
            os.chmod(staged, 0o755)
            os.rename(staged, target)
            os.chmod(target, 0o555)
            self.touch_generation()
        return True

    def _retire(self, entry: str) -> str | None:
        """Rename the entry directory ``entry`` into trash/ and prune its parents that are left
        empty (the caller holds the name's mutex: installers create those parents, then rename
        into them). Its new path, or None when it is gone already."""
        trash = layout.trash_dir(self.root)
        make_dirs(trash)
        target = os.path.join(trash, f"{_owner()}-{os.urandom(6).hex()}")
        try:
            os.chmod(entry, 0o755)  # as in publish: a move to another parent rewrites ".."
            os.rename(entry, target)
        except FileNotFoundError:
            return None
        version_dir = os.path.dirname(entry)
        for parent in (version_dir, os.path.dirname(version_dir)):
            try:
                os.rmdir(parent)
            except OSError:  # not empty: another version or tag lives there
                break
        return target

    def add_root(self, project: str) -> None:
        """Remember ``project`` as a user of the store (gc keeps what it resolves to)."""
        add_root(self.root, project)

    def roots(self) -> dict[str, str]:
        """Every remembered project: root file -> project path."""
        found = {}
        directory = layout.roots_dir(self.root)
        for name in layout.list_names(directory):
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError), open(path, encoding="utf-8") as f:
                found[path] = f.read().strip()
        return found

    def mark_third_party(self) -> None:
        """Say that the store holds installed code, not the user's: without the marker,
        ``coverage run`` in a project measures every resolved distribution too. A store that
        cannot be written (a read-only mount) keeps whatever its writer gave it."""
        path = layout.third_party_marker(self.root)
        with contextlib.suppress(OSError):
            if os.path.isdir(self.root) and not os.path.exists(path):
                write_atomic(path, _THIRD_PARTY_MARKER)

    def touch_generation(self) -> None:
        """Tell every hook that the store changed, so their plans are computed again."""
        write_atomic(layout.generation_file(self.root), f"{time.time_ns()}\n".encode())


_THIRD_PARTY_MARKER = (
    b"# versioned-import store, not a virtual environment: tools that look for this file above\n"
    b"# a directory on sys.path (coverage.py) treat the code below it as installed packages.\n"
)
_HOST = socket.gethostname().replace("@", "_")


def _owner() -> str:
    # In staging/ and trash/ names, so a later process can tell debris from work in progress.
    return f"{_HOST}@{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def make_read_only(top: str) -> None:
    """Make ``top`` readable by everyone and writable by no one, whatever the umask was: a
    shared store serves every user, and no project may change an entry by accident."""
    # scandir: one lstat a file, where os.walk and islink took two (an install's thousands of
    # files each cost a system call less).
    with os.scandir(top) as found:
        for entry in found:
            if entry.is_dir(follow_symlinks=False):
                make_read_only(entry.path)
            elif not entry.is_symlink():
                mode = entry.stat(follow_symlinks=False).st_mode
                wanted = 0o555 if mode & stat.S_IXUSR else 0o444
                if stat.S_IMODE(mode) != wanted:  # unpack creates its files so already
                    os.chmod(entry.path, wanted)
    os.chmod(top, 0o555)


def remove_tree(top: str) -> None:
    """Remove a tree even when ``make_read_only`` has been applied to it."""
    for directory, _dirs, _files in os.walk(top):
        os.chmod(directory, os.stat(directory).st_mode | stat.S_IWUSR | stat.S_IXUSR)
    shutil.rmtree(top)
