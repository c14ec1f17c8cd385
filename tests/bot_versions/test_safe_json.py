"""The one JSON parser: plain JSON data in, everything Python's parser lets through that later breaks, refused."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot_versions.safe_json import MAX_INT_DIGITS, JsonRefused, dumps, loads, loads_own

PROPERTY = settings(max_examples=200, deadline=None)
DEEP = 64

# Any JSON data the parser must accept: no lone surrogates, integers of at most 100 digits, finite floats.
text = st.text(st.characters(codec="utf-8"), max_size=12)
integers = st.integers(-(10**MAX_INT_DIGITS) + 1, 10**MAX_INT_DIGITS - 1)
scalars = st.none() | st.booleans() | integers | st.floats(allow_nan=False, allow_infinity=False) | text
json_data = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=20
)
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


def depth_of(value: Any) -> int:
    """Levels of arrays and objects in `value`."""
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


def assert_plain(value: Any, max_depth: int = DEEP) -> None:
    """What every accepted text gives: encodable as UTF-8 JSON, numbers usable as floats, bounded depth."""
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    assert depth_of(value) <= max_depth
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            assert math.isfinite(item)  # an int that overflows a float raises here
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"user": "alice", "text": "hi"}', {"user": "alice", "text": "hi"}),
        ('{"a": [1, 2.5, null, true]}', {"a": [1, 2.5, None, True]}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        ('\ufeff{"a": 1}', {"a": 1}),
        (b'"h\\u00e9 \\ud83d\\ude00"', "hé 😀"),
        ('"hé 😀"'.encode(), "hé 😀"),
        (b'"\\\\ud800"', "\\ud800"),
        (b"9" * MAX_INT_DIGITS, int("9" * MAX_INT_DIGITS)),
        (b"-" + b"9" * MAX_INT_DIGITS, -int("9" * MAX_INT_DIGITS)),
        (b"1e308", 1e308),
        (b"1e-400", 0.0),
        (b"[" * DEEP + b"]" * DEEP, json.loads("[" * DEEP + "]" * DEEP)),
        (b'["' + b"[" * 200 + b'"]', ["[" * 200]),
        (b'{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_accepts(data: bytes | str, expected: Any) -> None:
    """Plain JSON, with a UTF-8 BOM, escaped surrogate pairs, 100-digit integers and brackets inside strings."""
    assert loads(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"a": 1,\n "b": }', "not valid JSON: Expecting value (line 2, column 7)"),
        (b"\xff{}", "not UTF-8 text (bad byte at offset 0)"),
        ('{"a": 1}'.encode("utf-16"), "not UTF-8"),
        ('{"a": 1}'.encode("utf-16-be"), "UTF-16 and UTF-32 are not accepted"),
        ('{"a": 1}'.encode("utf-32-le"), "UTF-16 and UTF-32 are not accepted"),
        (b"NaN", "not valid JSON: NaN is not a JSON number"),
        (b"[-Infinity]", "not valid JSON: -Infinity is not a JSON number"),
        (b"1e400", "numbers must be finite"),
        (b"-" + b"1" * 400 + b".0", "numbers must be finite"),
        (b"1" * (MAX_INT_DIGITS + 1), "integers may have at most 100 digits"),
        (b"-" + b"1" * 5000, "integers may have at most 100 digits"),
        (b"[" * (DEEP + 1) + b"]" * (DEEP + 1), "nested too deeply (at most 64 levels"),
        (b'{"a":' * 40_000, "nested too deeply"),
        (b"[" * 100_000, "nested too deeply"),
        (b'"\\ud800"', "lone surrogates"),
        (b'"\\udc00\\ud800"', "lone surrogates"),
        (b'{"k\\uDFFF": 1}', "lone surrogates"),
        ('"\ud800"', "lone surrogates"),
        (b'"\xed\xa0\x80"', "not UTF-8 text (bad byte at offset 1)"),  # a surrogate encoded as UTF-8
    ],
)
def test_refuses(data: bytes | str, message: str) -> None:
    """Each kind of text the gateway cannot carry is a JsonRefused that says why without quoting the value."""
    with pytest.raises(JsonRefused, match=re.escape(message)):
        loads(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": 1, "b": {"c": 2, "c": 3}}', "not valid JSON: duplicate key 'c'"),
        (b'{"\\ud800": 1, "\\ud800": 2}', "duplicate key (a key holding a lone surrogate)"),
        (b'{"' + b"k" * 60 + b'": 1, "' + b"k" * 60 + b'": 2}', "duplicate key 'kkkkkkkkkk"),
    ],
)
def test_unique_keys(data: bytes, message: str) -> None:
    """With unique_keys a repeated key is refused, quoted only when it is short and encodable."""
    with pytest.raises(JsonRefused, match=re.escape(message)) as refused:
        loads(data, unique_keys=True)
    refused.value.message.encode("utf-8")
    assert len(refused.value.message) < 80


def test_max_depth_is_the_callers() -> None:
    """A caller may ask for a shallower limit; the default is 64."""
    assert loads(b"[[[]]]", max_depth=3) == [[[]]]
    with pytest.raises(JsonRefused, match=r"at most 2 levels"):
        loads(b"[[[]]]", max_depth=2)


@PROPERTY
@given(value=json_data, ascii_only=st.booleans(), as_text=st.booleans())
def test_plain_json_data_round_trips(value: Any, ascii_only: bool, as_text: bool) -> None:
    """Whatever json.dumps writes from plain data (escaped or not, bytes or str) reads back equal."""
    dumped = json.dumps(value, ensure_ascii=ascii_only)
    assert loads(dumped if as_text else dumped.encode()) == value


@PROPERTY
@given(value=json_data, as_text=st.booleans())
@example(value={"n": 2**64, "m": -(2**63) - 1, "f": 0.1}, as_text=False)  # just past what orjson holds as ints
def test_what_the_gateway_writes_it_reads_back_equal(value: Any, as_text: bool) -> None:
    """dumps, then loads_own (a stored session): equal, integers of any length included (orjson alone would write
    none past 64 bits, and read them back as floats)."""
    written = dumps(value)
    read = loads_own(written.decode() if as_text else written)
    assert read == value
    assert json.dumps(read) == json.dumps(value)  # an int stays an int, not an equal float


@PROPERTY
@given(
    value=json_data, encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
)
def test_utf16_and_utf32_are_refused(value: Any, encoding: str) -> None:
    """Any JSON document in UTF-16 or UTF-32, with or without a BOM, is refused (json.loads would guess)."""
    with pytest.raises(JsonRefused, match="UTF"):
        loads(json.dumps(value).encode(encoding))


def inject(value: Any, surrogate: str, where: int) -> Any:
    """`value` wrapped so that a key or string somewhere holds `surrogate`."""
    choices = [
        {surrogate: value},
        [value, surrogate],
        {"k": [value, {"x": "a" + surrogate + "b"}]},
        {"k": value, "k" + surrogate: 1},
    ]
    return choices[where % len(choices)]


@PROPERTY
@given(value=json_data, surrogate=lone_surrogates, where=st.integers(0, 3), ascii_only=st.booleans())
def test_a_lone_surrogate_anywhere_is_refused(value: Any, surrogate: str, where: int, ascii_only: bool) -> None:
    """A lone surrogate in any key or string, escaped or raw in a str, is refused however deep it is."""
    dumped = json.dumps(inject(value, surrogate, where), ensure_ascii=ascii_only)
    data = dumped.encode() if ascii_only else dumped  # a raw surrogate cannot be UTF-8 bytes: give it as str
    with pytest.raises(JsonRefused, match="lone surrogates"):
        loads(data)


@PROPERTY
@given(
    digits=st.integers(MAX_INT_DIGITS + 1, 6000), negative=st.booleans(), wrap=st.sampled_from(["{}", '{"a": [{}]}'])
)
def test_long_integers_are_refused(digits: int, negative: bool, wrap: str) -> None:
    """An integer of more than 100 digits, up to past Python's int-string limit, is refused (no ValueError)."""
    number = ("-" if negative else "") + "7" * digits
    with pytest.raises(JsonRefused, match="at most 100 digits"):
        loads(wrap.replace("{}", number).encode())


@PROPERTY
@given(
    mantissa=st.sampled_from(["1", "9.99", "-2", "0.5", "123456789"]),
    exponent=st.integers(309, 10**6),
    digits=st.integers(310, 5000),
)
def test_numbers_that_overflow_a_float_are_refused(mantissa: str, exponent: int, digits: int) -> None:
    """1e400-like literals and float literals of hundreds of digits become no infinity: they are refused."""
    for literal in (f"{mantissa}e{exponent}", f"{mantissa}E+{exponent}", "9" * digits + ".5"):
        with pytest.raises(JsonRefused, match="numbers must be finite"):
            loads(f'{{"x": [{literal}]}}'.encode())


@PROPERTY
@given(
    depth=st.integers(DEEP + 1, 30_000),
    opener=st.sampled_from(["[", '{"a":', '[{"b":[', "[1, "]),
    closed=st.booleans(),
)
def test_deep_nesting_is_refused_without_recursion_error(depth: int, opener: str, closed: bool) -> None:
    """Nesting past max_depth, closed or not, is refused before the recursive parser could overflow."""
    text = opener * depth
    if closed:
        text += "".join("]" if c == "[" else "}" for c in reversed(opener) if c in "[{") * depth
    with pytest.raises(JsonRefused, match="nested too deeply"):
        loads(text.encode())


# JSON-looking texts built from the pieces that matter: brackets, quotes, escapes, numbers, surrogate escapes.
pieces = st.sampled_from([
    "[", "]", "{", "}", '"', '"', ",", ":", " ", "\\", '\\"', "\\\\", "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00",
    "a", "é", "0", "1", "-", ".", "e", "E+", "400", "9" * 120, "true", "null", "NaN", "Infinity", "\ufeff", "\x00",
])  # fmt: skip
json_ish = st.lists(pieces, max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=json_ish | json_data.map(json.dumps), as_bytes=st.booleans())
@example(text='["' + "[" * 100 + '"', as_bytes=True)
@example(text='"\\' + "[" * 100, as_bytes=True)
def test_any_text_is_read_or_refused_and_what_is_read_is_plain(text: str, as_bytes: bool) -> None:
    """Any text gives plain, encodable data equal to json.loads's, or JsonRefused: never another exception."""
    data = text.encode(errors="surrogatepass") if as_bytes else text
    try:
        value = loads(data)
    except JsonRefused as refused:
        refused.message.encode("utf-8")
        return
    assert_plain(value)
    assert value == json.loads(text.removeprefix("\ufeff"))
