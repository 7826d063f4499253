"""The results of ``peers.py``: rows of timings per section, disk usage, goals, and the report.

A section is one job done by each tool; its first ``pip`` row and first ``uv`` row are the
peers every other row of the section is compared with (median over median).
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Goal",
    "Row",
    "Section",
    "Usage",
    "disk_table",
    "disk_usage",
    "duration",
    "goals_table",
    "ratio_text",
    "table",
]

ROLES = ("vimport", "pip", "uv", "info")


@dataclass
class Row:
    label: str
    role: str
    """``vimport`` (the subject), ``pip`` or ``uv`` (a peer), or ``info`` (another variant)."""
    wall: list[float] = field(default_factory=list)
    """Wall-clock milliseconds, one per timed run."""
    cpu: list[float] = field(default_factory=list)
    """User + system CPU milliseconds of this process and its children, one per timed run."""
    compare: tuple[str, ...] = ("pip", "uv")
    """The peers this row is compared with: a hooked venv only with its own kind of venv."""

    @property
    def median(self) -> float:
        return statistics.median(self.wall)


@dataclass
class Section:
    title: str
    rows: list[Row]
    load: tuple[float, float] = (math.nan, math.nan)
    """The 1-minute load average before and after the section's timed runs."""

    def peer(self, role: str) -> Row | None:
        return next((r for r in self.rows if r.role == role and r.wall), None)

    def ratio(self, row: Row, role: str) -> float:
        """``row``'s median over the median of the section's ``role`` peer (NaN: none)."""
        peer = self.peer(role)
        if peer is None or role not in row.compare or not row.wall:
            return math.nan
        return row.median / peer.median


@dataclass(frozen=True)
class Goal:
    text: str
    measured: str
    passed: bool


@dataclass(frozen=True)
class Usage:
    """Disk use of a set of trees, as ``du`` counts it: allocated blocks."""

    every_link: int
    """Bytes, counting a file once per path that names it (``du --count-links``)."""
    unique: int
    """Bytes, counting each inode once, however many hard links name it (``du``)."""
    inodes: int


def disk_usage(paths: Iterable[Path]) -> Usage:
    """Walk ``paths`` (files or trees; symbolic links are counted, never followed)."""
    every = 0
    seen: dict[tuple[int, int], int] = {}

    def count(path: str) -> None:
        nonlocal every
        st = os.lstat(path)
        every += st.st_blocks * 512
        seen[st.st_dev, st.st_ino] = st.st_blocks * 512

    for top in paths:
        if not os.path.lexists(top):
            continue
        count(str(top))
        if top.is_symlink() or not top.is_dir():
            continue
        for directory, dirs, files in os.walk(top):
            for name in (*dirs, *files):
                count(os.path.join(directory, name))
    return Usage(every, sum(seen.values()), len(seen))


def duration(ms: float) -> str:
    if math.isnan(ms):
        return "n/a"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


def ratio_text(value: float) -> str:
    if math.isnan(value):
        return ""
    return f"{value:.3f}" if value < 10 else f"{value:.0f}"


def table(sections: Iterable[Section]) -> str:
    lines = [
        "| case | tool | median | min | CPU (median) | runs | ratio to venv + pip | ratio to uv |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for section in sections:
        for index, row in enumerate(section.rows):
            cells = [
                section.title if index == 0 else "",
                row.label,
                duration(row.median),
                duration(min(row.wall)),
                duration(statistics.median(row.cpu)),
                str(len(row.wall)),
                "1 (peer)" if row is section.peer("pip") else ratio_text(section.ratio(row, "pip")),
                "1 (peer)" if row is section.peer("uv") else ratio_text(section.ratio(row, "uv")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def disk_table(rows: list[tuple[str, str, Usage]], one_copy: Usage) -> str:
    lines = [
        "| what | every link counted | each inode once | inodes | ratio to one copy |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, _role, usage in rows:
        ratio = usage.unique / one_copy.unique
        lines.append(
            f"| {label} | {_mib(usage.every_link)} | {_mib(usage.unique)} | {usage.inodes} "
            f"| {ratio:.3f} |"
        )
    return "\n".join(lines)


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def goals_table(goals: Iterable[Goal]) -> str:
    lines = ["| goal | measured | result |", "|---|---|---|"]
    for goal in goals:
        lines.append(f"| {goal.text} | {goal.measured} | {'PASS' if goal.passed else 'MISS'} |")
    return "\n".join(lines)
