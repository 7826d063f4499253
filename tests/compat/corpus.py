"""The corpus table (``corpus.txt``), read into cases: one line per distribution and family."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = ["CASES", "PROJECTS", "Case", "read_corpus", "requirements_of"]

TABLE = Path(__file__).with_name("corpus.txt")
_COLUMNS = ("requirement", "projects", "family", "imports", "expected", "exercise")


@dataclass(frozen=True)
class Case:
    """One line of the table: a pinned distribution, exercised in one or more projects."""

    line: int
    requirement: str
    projects: tuple[str, ...]
    family: str
    imports: tuple[str, ...]
    expected: object
    exercise: str

    @property
    def distribution(self) -> str:
        return Requirement(self.requirement).name

    @property
    def version(self) -> str:
        (spec,) = Requirement(self.requirement).specifier
        return spec.version

    @property
    def id(self) -> str:
        """Unique in the table (a distribution may have a line per family), e.g.
        ``setuptools-80.9.0-pkg-resources-get-distribution``."""
        family = re.sub(r"[^a-z0-9]+", "-", self.family.split(",")[0].lower()).strip("-")
        return f"{self.distribution}-{self.version}-{family}"

    def child_spec(self) -> dict[str, object]:
        """What ``child.py`` needs of this case."""
        return {
            "id": self.id,
            "distribution": self.distribution,
            "imports": list(self.imports),
            "version_module": self.imports[0],
            "exercise": self.exercise,
        }


def _parse(path: Path, number: int, text: str) -> Case:
    cells = [cell.strip() for cell in text.split(" | ", len(_COLUMNS) - 1)]
    if len(cells) != len(_COLUMNS):
        raise ValueError(f"{path}:{number}: {len(cells)} columns, expected {_COLUMNS}")
    requirement, projects, family, imports, expected, exercise = cells
    specifiers = list(Requirement(requirement).specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==":
        raise ValueError(f"{path}:{number}: pin the requirement exactly (name==version)")
    try:
        value = json.loads(expected)
    except ValueError as exc:
        raise ValueError(f"{path}:{number}: the expected column is not JSON ({exc})") from exc
    compile(exercise, f"{path}:{number}", "eval")  # a SyntaxError names the line
    return Case(
        line=number,
        requirement=requirement,
        projects=tuple(p.strip() for p in projects.split(",")),
        family=family,
        imports=tuple(i.strip() for i in imports.split(",")),
        expected=value,
        exercise=exercise,
    )


def read_corpus(path: Path = TABLE) -> list[Case]:
    """The cases of the table, in order; blank lines and ``#`` comments are skipped."""
    cases = [
        _parse(path, number, line)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]
    ids = [c.id for c in cases]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"{path}: these lines repeat a distribution and family: {duplicated}")
    for project in {p for c in cases for p in c.projects}:
        pins: dict[str, str] = {}
        for case in (c for c in cases if project in c.projects):
            name = canonicalize_name(case.distribution)
            if pins.setdefault(name, case.version) != case.version:
                raise ValueError(f"{path}:{case.line}: two versions of {name} in {project}")
    return cases


def _applies(case: Case) -> bool:
    marker = Requirement(case.requirement).marker
    return marker is None or marker.evaluate()


# The lines whose markers hold for this interpreter, which is also the children's.
CASES = [c for c in read_corpus() if _applies(c)]
PROJECTS = sorted({p for c in CASES for p in c.projects})


def requirements_of(project: str) -> list[str]:
    """The project's dependencies: the table's pins for it, each once."""
    return list(dict.fromkeys(c.requirement for c in CASES if project in c.projects))
