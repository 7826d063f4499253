"""JSON as the ``json`` module reads and writes it, without importing it.

``json.decoder`` imports ``re`` (~10 ms of a new project's first run here) for its pure Python
fallback; the C scanner and encoder it uses are in ``_json``, which this module calls directly.
An interpreter without ``_json`` gets the ``json`` module itself.
"""

__all__ = ["dumps", "loads", "quote"]

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


def dumps(value: object) -> str:
    """``json.dumps(value)`` for what records hold: None, booleans, integers, strings, lists
    and string-keyed dicts (in their order); a hash is taken of the text, so it must be json's
    byte for byte."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(dumps(item) for item in value)}]"
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return f"{{{', '.join(f'{quote(k)}: {dumps(v)}' for k, v in value.items())}}}"
    raise TypeError(f"minijson does not write {type(value).__name__}")


def quote(text: str) -> str:
    """A string as ``json.dumps`` writes it (``ensure_ascii``)."""
    try:
        from _json import encode_basestring_ascii
    except ImportError:
        from json.encoder import encode_basestring_ascii
    return str(encode_basestring_ascii(text))
