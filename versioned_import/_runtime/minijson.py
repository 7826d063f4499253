"""JSON as the ``json`` module reads and writes it, without importing it.

``json.decoder`` imports ``re`` (~10 ms of a new project's first run here) for its pure Python
fallback; the C scanner and encoder it uses are in ``_json``, which this module calls directly.
An interpreter without ``_json`` gets the ``json`` module itself.
"""

__all__ = ["loads", "quote"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_SPACE = " \t\n\r"


class _Decoder:
    """The attributes of ``json.JSONDecoder()`` that its C scanner reads."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # as json's own: NaN, Infinity and -Infinity become floats


def _c_scanner() -> "Callable[[str, int], tuple[object, int]] | None":
    try:
        import _json
    except ImportError:
        return None
    return _json.make_scanner(_Decoder())  # type: ignore[arg-type]  # it reads these alone


_SCAN = _c_scanner()
"""Made once: planning reads an ``entry.json`` for each of a project's distributions."""


def loads(text: str) -> object:
    """``json.loads(text)``; ``ValueError`` where it raises one."""
    scan = _SCAN
    if scan is None:
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"no JSON value at {exc.value}") from None
    if text[end:].strip(_SPACE):
        raise ValueError(f"extra data at {end}")
    return value


def quote(text: str) -> str:
    """A string as ``json.dumps`` writes it (``ensure_ascii``)."""
    try:
        from _json import encode_basestring_ascii
    except ImportError:
        from json.encoder import encode_basestring_ascii
    return str(encode_basestring_ascii(text))
