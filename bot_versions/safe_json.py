"""The one JSON parser for everything botgate reads: request bodies, WebSocket frames, upstream answers.

Python's `json.loads` accepts texts that later break the gateway far from where they came in: a lone surrogate
(`"\\ud800"`) no UTF-8 encoder, Redis or log can carry; integers of thousands of digits (a ValueError from the
int-string limit when parsed, an OverflowError when used as a float); `1e400` (infinity); nesting that ends in a
RecursionError; and bytes in UTF-16 or UTF-32, which it decodes by guessing. `loads` refuses all of these with
one exception, `JsonRefused`, whose message never quotes the refused value (it may not be encodable).

It runs on every chat message, so the checks that need a walk of the parsed value run only when the text could
hold what they look for: the surrogate walk only when the text has a `\\uD8..`-`\\uDF..` escape, the depth scan
only when the text has more brackets than `max_depth`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

import orjson

MAX_INT_DIGITS = 100
LONG_NUMBER = re.compile(rb"[0-9]{19}")  # where orjson's 64-bit integers could end
BOM = "\ufeff"
# A JSON escape that may spell half of a surrogate pair (or a false alarm such as `\\ud800`: the walk decides).
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
LONE_SURROGATE = "lone surrogates (\\ud800-\\udfff that are not half of a pair) are not text"
# A JSON string, or an unterminated one (which runs to the end of the text: the parser stops there). Possessive,
# so each quote starts at most one scan and the whole text is read once.
STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
NESTING = [1 if byte in b"[{" else -1 if byte in b"]}" else 0 for byte in range(256)]


class JsonRefused(ValueError):
    """Why a JSON text was refused; `message` never quotes the offending value (it may not be encodable)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def loads(data: bytes | str, *, max_depth: int = 64, unique_keys: bool = False) -> Any:
    """The value of a JSON text (bytes strictly UTF-8, a UTF-8 BOM allowed), or JsonRefused saying why not."""
    text = _text(data)
    if text.count("[") + text.count("{") > max_depth and _depth(text) > max_depth:
        raise JsonRefused(_too_deep(max_depth))
    try:
        value = (_UNIQUE if unique_keys else _PLAIN).decode(text)
    except json.JSONDecodeError as exc:
        # exc.msg names what was expected ("Expecting value"), never the text found there
        raise JsonRefused(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # not reachable after the depth scan; kept so no text can ever raise it
        raise JsonRefused(_too_deep(max_depth)) from None
    if "\\" in text and SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        raise JsonRefused(LONE_SURROGATE)
    return value


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of plain data: orjson (about ten times faster than the standard library on a turn's
    session, save plan and answer), or the standard library for what orjson does not write (integers past 64 bits,
    which `loads` lets through up to 100 digits)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def ascii_dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact JSON in ASCII, every other character escaped: what every client reads, and what no text can fail to
    encode (a lone surrogate becomes its escape). For what leaves the gateway where that matters: error bodies and
    Bot Framework activities."""
    return json.dumps(value, ensure_ascii=True, allow_nan=False, default=default, separators=(",", ":")).encode("ascii")


def loads_own(data: bytes | str) -> Any:
    """JSON the gateway wrote itself (a stored session): orjson, unless the text may hold an integer past 64 bits,
    which orjson would read as a float."""
    if LONG_NUMBER.search(data if isinstance(data, bytes) else data.encode()):
        return json.loads(data)
    return orjson.loads(data)


def _too_deep(max_depth: int) -> str:
    return f"nested too deeply (at most {max_depth} levels of arrays and objects)"


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data
        if not text.isascii() and SURROGATE.search(text):
            raise JsonRefused(LONE_SURROGATE)
    else:
        if b"\x00" in data:
            # JSON text never holds a NUL byte; UTF-16 and UTF-32 put one in nearly every ASCII character
            raise JsonRefused("not UTF-8 JSON text: it holds a NUL byte (UTF-16 and UTF-32 are not accepted)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    return text[1:] if text.startswith(BOM) else text


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects the parser could reach, brackets inside strings ignored."""
    # as bytes, where deleting all but four characters is one C call (no multi-byte character holds a bracket byte)
    brackets = STRING.sub("", text).encode("utf-8", "surrogatepass").translate(None, NOT_BRACKETS)
    return max(accumulate(map(NESTING.__getitem__, brackets)), default=0)


def _int(digits: str) -> int:
    if len(digits) - digits.startswith("-") > MAX_INT_DIGITS:
        raise JsonRefused(f"integers may have at most {MAX_INT_DIGITS} digits")
    return int(digits)


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise JsonRefused("numbers must be finite: a number is too large for a float")
    return value


def _constant(name: str) -> Any:
    raise JsonRefused(f"not valid JSON: {name} is not a JSON number")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonRefused(f"not valid JSON: duplicate key {_quoted(key)}")
            seen.add(key)
    return out


def _quoted(key: str) -> str:
    """A key as a message may quote it: short, and never with a surrogate (which no encoder can write)."""
    if SURROGATE.search(key):
        return "(a key holding a lone surrogate)"
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _has_surrogate(value: Any) -> bool:
    """Whether any string or key inside `value` holds a lone surrogate; iterative, so depth costs no stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# Built once: json.loads would build a decoder per call when given hooks.
_PLAIN = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)
_UNIQUE = json.JSONDecoder(
    parse_int=_int, parse_float=_float, parse_constant=_constant, object_pairs_hook=_unique_object
)
