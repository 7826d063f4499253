"""The record of the project's own distribution, read back without a build: the build system
and the inputs' hash as ``own_dist`` computes them, with the standard library alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from versioned_import import __version__
from versioned_import._runtime.ownrecord import inputs_hash, quick_system
from versioned_import._runtime.pep508 import Unsure
from versioned_import.own_dist import read_own
from versioned_import.project.manifest import load_toml

TABLES = [
    'requires = ["hatchling"]\nbuild-backend = "hatchling.build"',
    'requires = ["setuptools >= 64", "wheel"]\nbuild-backend = "setuptools.build_meta"',
    'requires = ["uv_build>=0.8.3,<0.9.0"]\nbuild-backend = "uv_build"',
    'requires = ["tomli ; python_version<\'3.11\'", "A.B[x,y]>1"]\nbuild-backend = "b"',
    'requires = []\nbuild-backend = "flit_core.buildapi"\nother = 1',
]


def _manifest(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "a"\n{text}\n', "utf-8")
    return tmp_path


@pytest.mark.parametrize("table", TABLES)
def test_the_build_system_is_read_as_own_dist_reads_it(tmp_path: Path, table: str) -> None:
    project = _manifest(tmp_path, f"[build-system]\n{table}")
    own = read_own(str(project))
    assert own is not None
    assert quick_system(load_toml(str(project / "pyproject.toml"))) == own.system.__dict__


@pytest.mark.parametrize(
    "text", ["", "[tool.uv]\npackage = false\n[build-system]\nrequires = []\nbuild-backend = 'b'"]
)
def test_a_project_that_is_no_distribution_has_no_build_system(tmp_path: Path, text: str) -> None:
    project = _manifest(tmp_path, text)
    assert read_own(str(project)) is None
    assert quick_system(load_toml(str(project / "pyproject.toml"))) is None


def test_a_requirement_packaging_spells_otherwise_is_unsure(tmp_path: Path) -> None:
    # packaging 26.2 and 26.4 spell an extra inside parentheses differently.
    table = 'requires = ["x; (extra == \'A_b\')"]\nbuild-backend = "b"'
    with pytest.raises(Unsure):
        quick_system(
            load_toml(str(_manifest(tmp_path, f"[build-system]\n{table}") / "pyproject.toml"))
        )


def test_the_inputs_hash_is_the_one_records_were_written_with(tmp_path: Path) -> None:
    """What own_dist hashed with hashlib and json before: records made then stay fresh."""
    (tmp_path / "v.py").write_text("é = 1\n", "utf-8")
    system = {"requires": ["hatchling"], "backend": "hatchling.build", "backend_path": ["é"]}
    watched = [str(tmp_path / "v.py"), str(tmp_path / "absent")]
    digest = hashlib.sha256(json.dumps([__version__, system]).encode())
    for path, content in zip(watched, [(tmp_path / "v.py").read_bytes(), b"\0absent"], strict=True):
        digest.update(f"\0{path}\0{len(content)}\0".encode())
        digest.update(content)
    assert inputs_hash(system, watched) == digest.hexdigest()
