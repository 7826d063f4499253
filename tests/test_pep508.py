"""The standard-library PEP 440/508 subset answers as ``packaging`` does, or says it is unsure."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.specifiers import Specifier
from packaging.version import Version

from versioned_import._runtime import pep508

# Requires-Dist lines as real wheels write them (requests, urllib3, jinja2, pytest, black,
# sphinx, rich, pydantic, ...), and some odd ones.
REAL_LINES = [
    "charset_normalizer<4,>=2",
    "idna<4,>=2.5",
    "urllib3<3,>=1.21.1",
    "certifi>=2017.4.17",
    'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
    'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"',
    "MarkupSafe>=2.0",
    'Babel>=2.7; extra == "i18n"',
    'colorama; sys_platform == "win32"',
    'exceptiongroup>=1.0.0rc8; python_version < "3.11"',
    'tomli>=1; python_version < "3.11"',
    "iniconfig>=1",
    "packaging>=20",
    "pluggy<2,>=1.5",
    'typing-extensions>=4.0.1; python_version < "3.11"',
    "typing_extensions>=4.6.0,!=4.7.0",
    "annotated-types>=0.6.0",
    "pydantic-core==2.41.5",
    'importlib-metadata>=4.6; python_version < "3.10"',
    "click>=8.0.0",
    "mypy-extensions>=0.4.3",
    "platformdirs>=2",
    'tomli>=1.1.0; python_full_version < "3.11.0a7"',
    'aiohttp>=3.10; extra == "d"',
    "markdown-it-py>=2.2.0",
    "pygments<3.0.0,>=2.13.0",
    'ipywidgets<9,>=7.5.1; extra == "jupyter"',
    "six>=1.5",
    "zipp>=3.20",
    'pywin32>=226; platform_system == "Windows"',
    'foo; (os_name == "nt" or sys_platform == "win32") and python_version >= "3"',
    "bar ; platform_machine=='x86_64' and implementation_name == 'cpython'",
    "baz (>=1.0, <2)",
    "qux[b, a]~=1.4.5",
    "q~=2.2.post3",
    "q2==1.*",
    'q3!=2.0.*; python_version ~= "3.8"',
    'old; python_version <= "2.7"',
    "pre>=1.0a1,<1.0",
    'x; "3.8" <= python_version',
    'y; platform_release >= "5"',
    'z; python_version in "3.10 3.11"',
    'z2; sys_platform not in "win32 cygwin"',
    'w; extra == "Foo.Bar"',
]
VERSIONS = st.builds(
    lambda release, pre, post, dev: (
        ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.lists(st.integers(0, 3), min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 2)),
    st.none() | st.integers(0, 2),
    st.none() | st.integers(0, 2),
)
OPERATORS = st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~="])


@given(VERSIONS, VERSIONS)
def test_versions_order_as_packaging_orders_them(left: str, right: str) -> None:
    ours = pep508.version_key(left) < pep508.version_key(right)
    assert ours == (Version(left) < Version(right))
    assert (pep508.version_key(left) == pep508.version_key(right)) == (
        Version(left) == Version(right)
    )


@given(OPERATORS, VERSIONS, VERSIONS, st.booleans())
def test_specifiers_contain_what_packaging_says(
    operator: str, spec: str, version: str, star: bool
) -> None:
    if star:  # the release alone, as `==1.2.*` takes it
        spec = re.split(r"a|b|rc|\.post|\.dev", spec)[0] + ".*"
    try:
        specifier = Specifier(operator + spec)
    except ValueError:
        with pytest.raises(pep508.Unsure):
            pep508.contains(operator, spec, version)
        return
    try:
        ours = pep508.contains(operator, spec, version)
    except pep508.Unsure:
        return
    assert ours == specifier.contains(version, prereleases=True)


HERE: dict[str, str] = {key: str(value) for key, value in default_environment().items()}
ENVIRONMENTS: list[dict[str, str]] = [
    HERE,
    {**HERE, "python_version": "3.8", "python_full_version": "3.8.10"},
    {**HERE, "sys_platform": "win32", "os_name": "nt", "platform_system": "x"},
    {**HERE, "python_full_version": "3.11.0a6", "python_version": "3.11"},
]


@pytest.mark.parametrize("line", REAL_LINES)
def test_requirements_read_and_print_as_packaging_does(line: str) -> None:
    theirs = Requirement(line)
    ours = pep508.parse_requirement(line)
    assert ours.text() == str(theirs)
    assert ours.name == theirs.name
    assert sorted(ours.extras) == sorted(theirs.extras)
    if theirs.marker is not None:
        assert ours.marker is not None
        for environment in ENVIRONMENTS:
            expected = theirs.marker.evaluate({**environment, "extra": ""})
            try:
                assert pep508.evaluate(ours.marker, environment) == expected
            except pep508.Unsure:
                assert line.startswith(("y;", "q3"))


@pytest.mark.parametrize(
    "line",
    [
        "name @ https://example.invalid/x.whl",
        "name===1.0",
        "name>=1.0+local",
        "name>=1.0-beta",
        "name>=v1.0",
        "name; os.name == 'nt'",
        "name; python_implementation == 'CPython'",
        "name; platform_version >= '5'",
        "name; extras == 'x'",
    ],
)
def test_what_the_subset_does_not_cover_is_unsure(line: str) -> None:
    with pytest.raises(pep508.Unsure):
        requirement = pep508.parse_requirement(line)
        for operator, version in requirement.specifiers:
            pep508.contains(operator, version, "1.0")
        if requirement.marker is not None:
            pep508.evaluate(requirement.marker, HERE)


def test_a_marker_that_would_compare_strings_by_order_is_unsure() -> None:
    marker = pep508.parse_requirement("n; sys_platform < 'z'").marker
    assert marker is not None and str(Marker("sys_platform < 'z'")) == 'sys_platform < "z"'
    with pytest.raises(pep508.Unsure):
        pep508.evaluate(marker, HERE)


MARKERS = st.sampled_from(
    [
        'python_version < "3.8"',
        "python_full_version>='3.11.0a7'",
        'sys_platform == "win32" or os_name != "nt"',
        '(extra == "Socks" and platform_machine == "x86_64") or implementation_name=="cpython"',
        '"linux" in sys_platform',
        'sys_platform not  in "cygwin win32"',
        'platform_release >= "5"',
    ]
)
REQUIREMENTS = st.builds(
    lambda name, extras, specs, marker, spaces: (
        name
        + (f"[{','.join(extras)}]" if extras else "")
        + spaces
        + ",".join(f"{op}{spaces}{version}" for op, version in specs)
        + (f";{spaces}{marker}" if marker else "")
    ),
    st.sampled_from(["a", "Foo.Bar_baz-9", "x-", "_y", "z2"]),
    st.lists(st.sampled_from(["socks", "Fast_Path", ""]), max_size=2),
    st.lists(st.tuples(OPERATORS | st.just("==="), VERSIONS | st.just("1.*")), max_size=3),
    st.none() | MARKERS,
    st.sampled_from(["", " ", "  "]),
)


@given(REQUIREMENTS, st.integers(0, 100), st.sampled_from(list(" ;,[]()<=>!~'\"x.*")) | st.just(""))
def test_a_requirement_is_read_as_packaging_reads_it_or_not_at_all(
    line: str, where: int, edit: str
) -> None:
    where %= len(line) + 1
    line = line[:where] + edit + line[where + 1 :]
    try:
        theirs = Requirement(line)
    except ValueError:
        theirs = None
    try:
        ours = pep508.parse_requirement(line)
        for op, version in ours.specifiers:
            pep508.contains(op, version, "1.2")
        if ours.marker is not None:
            pep508.evaluate(ours.marker, HERE)
    except pep508.Unsure:
        return
    assert theirs is not None, line
    assert ours.text() == str(theirs)
    if ours.marker is not None:
        assert theirs.marker is not None
        assert pep508.evaluate(ours.marker, HERE) == theirs.marker.evaluate({**HERE, "extra": ""})


@given(VERSIONS | st.text(alphabet="0123456789.abrcpostdev-+!v ", max_size=12))
def test_only_canonical_versions_are_read(text: str) -> None:
    try:
        pep508.version_key(text)
    except pep508.Unsure:
        return
    assert str(Version(text)) == text
