"""Reading definition bodies: JSON by default, YAML on request, plain data either way, clear errors."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot_versions.documents import MAX_DEPTH, is_yaml, parse_document
from bot_versions.errors import BadRequest
from bot_versions.model import content_digest

YAML = "application/yaml"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/yaml", True),
        ("application/x-yaml", True),
        ("text/yaml", True),
        ("Application/YAML; charset=utf-8", True),
        ("application/json", False),
        ("text/plain", False),
        ("", False),
        (None, False),
    ],
)
def test_is_yaml(content_type: str | None, expected: bool) -> None:
    """Only the YAML media types, ignoring case and parameters, select YAML."""
    assert is_yaml(content_type) is expected


def test_json_and_yaml_give_the_same_content() -> None:
    """The same definition as JSON and as YAML parses to equal data with equal digests."""
    as_json = b'{"bot": "echo", "version": "1.0.0", "reply": "ECHO: {text}", "idle": {"after": 60, "policy": "ask"}}'
    as_yaml = b'bot: echo\nversion: 1.0.0\nreply: "ECHO: {text}"\nidle: {after: 60, policy: ask}\n'
    parsed_json = parse_document(as_json, "application/json")
    parsed_yaml = parse_document(as_yaml, YAML)
    assert parsed_json == parsed_yaml
    assert content_digest(parsed_json) == content_digest(parsed_yaml)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"a": 1}', None, {"a": 1}),
        (b'\xef\xbb\xbf{"a": 1}', "application/json", {"a": 1}),
        (b"a: 1\n", "text/yaml", {"a": 1}),
        (b"when: 2024-01-01\n", YAML, {"when": "2024-01-01"}),
        (b"a: &anchor 1\n", YAML, {"a": 1}),
        (b"- [1, 2.5, null, true, x]\n", YAML, [[1, 2.5, None, True, "x"]]),
    ],
)
def test_parses(body: bytes, content_type: str | None, expected: object) -> None:
    """Bodies read as plain JSON data: a BOM is ignored, timestamps stay strings, a lone anchor is harmless."""
    assert parse_document(body, content_type) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", None, "empty document"),
        (b"  \n", YAML, "empty document"),
        (b"\xff\xfe{}", None, "not UTF-8 text (bad byte at offset 0)"),
        (b'{"a": 1,\n "b": }', None, "not valid JSON: Expecting value (line 2, column 7)"),
        (b"bot: greeter\nversion: 1.0.0", None, "not valid JSON"),
        (b'{"a": 1, "a": 2}', None, "duplicate key 'a'"),
        (b'{"a": NaN}', None, "NaN is not a JSON number"),
        (b'{"a": -Infinity}', None, "-Infinity is not a JSON number"),
        (b'{"a": 1e999}', None, "numbers must be finite"),
        (b"a: 1\n  b: 2\n", YAML, "not valid YAML: mapping values are not allowed here (line 2, column 4)"),
        (b"a: [1, 2\n", YAML, "not valid YAML"),
        (b"a: &x [1]\nb: *x\n", YAML, "aliases (*name) are not accepted; write the value out (line 2, column 4)"),
        (b"base: &b {x: 1}\nuse:\n  <<: *b\n", YAML, "aliases (*name) are not accepted"),
        (b"use:\n  <<: {x: 1}\n", YAML, "merge keys (<<) are not accepted (line 2, column 3)"),
        (b"a: 1\nb: 2\na: 3\n", YAML, "duplicate key 'a' (line 3, column 1)"),
        (b"1: one\n", YAML, "keys must be text, not 1; quote the key (line 1, column 1)"),
        (b"yes: sure\n", YAML, "keys must be text, not True"),
        (b"? [a]\n: 1\n", YAML, "keys must be text"),
        (b"a: .inf\n", YAML, "numbers must be finite"),
        (b"a: .nan\n", YAML, "numbers must be finite"),
        (b"a: !!binary aGVsbG8=\n", YAML, "bytes values are not accepted"),
        (b"a: !!set {x, y}\n", YAML, "set values are not accepted"),
        (b"a: !!python/name:os.system\n", YAML, "not valid YAML"),
        (b"a: 1\n---\nb: 2\n", YAML, "not valid YAML"),
        (b"\x00a: 1", YAML, "not valid YAML"),
    ],
)
def test_refuses(body: bytes, content_type: str | None, message: str) -> None:
    """An unreadable body is a BadRequest that says what is wrong and, when known, at which line and column."""
    with pytest.raises(BadRequest, match=re.escape(message)):
        parse_document(body, content_type)


def test_alias_bomb_is_refused() -> None:
    """A "billion laughs" document is refused at its first alias, before anything expands."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(BadRequest, match="aliases"):
        parse_document("\n".join(lines).encode(), YAML)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), None),
        (b"[" * 100_000 + b"]" * 100_000, None),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), YAML),
        (b"[" * 20_000 + b"]" * 20_000, YAML),
    ],
)
def test_refuses_deep_nesting(body: bytes, content_type: str | None) -> None:
    """Documents nested deeper than MAX_DEPTH are refused, however deep they go."""
    with pytest.raises(BadRequest, match="nested too deeply"):
        parse_document(body, content_type)


def test_accepts_nesting_up_to_the_limit() -> None:
    """A document exactly MAX_DEPTH levels deep is accepted."""
    body = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_document(body, None) is not None


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"a": "\\ud800"}', None, "lone surrogates"),
        (b'{"\\udfff": 1}', None, "lone surrogates"),
        (b'{"a": ' + b"9" * 5000 + b"}", None, "integers may have at most 100 digits"),
        (b'{"a": ' + b"9" * 101 + b"}", None, "integers may have at most 100 digits"),
        ('{"a": 1}'.encode("utf-16"), None, "not UTF-8"),
        ('{"a": 1}'.encode("utf-32-le"), None, "UTF-16 and UTF-32 are not accepted"),
        (b'a: "\\ud800"\n', YAML, "lone surrogates"),
        (b'a: ["x\\uDC00y"]\n', YAML, "lone surrogates"),
        (b'"\\ud800": 1\n', YAML, "lone surrogates"),
        (b'a: "\\U0000d800"\n', YAML, "lone surrogates"),
        (b"a: " + b"9" * 5000 + b"\n", YAML, "integers may have at most 100 digits (line 1, column 4)"),
        (b"a: " + b"9" * 101 + b"\n", YAML, "integers may have at most 100 digits"),
        (b"a: 0b" + b"1" * 400 + b"\n", YAML, "integers may have at most 100 digits"),
        (b"a: 1" + b":00" * 200 + b"\n", YAML, "integers may have at most 100 digits"),
        (b"a: 1" + b":00" * 200 + b".5\n", YAML, "overflowing numbers are not accepted (line 1, column 4)"),
        (b"a: !!int x\n", YAML, "not valid YAML: a value does not fit its tag"),
        (b"a: !!float x\n", YAML, "not valid YAML: a value does not fit its tag"),
        (b"a: !!bool maybe\n", YAML, "not valid YAML: a value does not fit its tag"),
        (b"a: !!int\n", YAML, "not valid YAML: a value does not fit its tag"),
        (b"a: !!set x\n", YAML, "not valid YAML: expected a mapping node, but found scalar"),
    ],
)
def test_refuses_what_no_store_or_float_can_carry(body: bytes, content_type: str | None, message: str) -> None:
    """Lone surrogates, integers of over 100 digits and overflowing numbers are a BadRequest in JSON and in YAML."""
    with pytest.raises(BadRequest, match=re.escape(message)):
        parse_document(body, content_type)


# Texts built from what matters in either format: nesting, quotes, surrogate escapes, long and base-60 numbers.
pieces = st.sampled_from([
    "a: ", "- ", "\n", "  ", "[", "]", "{", "}", ", ", ":", '"', "'", "\\", "\\ud800", "\\udc00", "\\U0000dfff",
    "\\ud83d\\ude00", "x", "é", "0", "1", "0b", "0x", "9" * 120, "9" * 4400, ":00" * 150, ".5", "e400", "-",
    ".inf", ".nan", "NaN", "&x ", "*x", "<<: ", "? ", "2024-01-01", "true", "null", "#", "!!binary ", "!!set ",
    "!!map ", "!!omap ", "!!pairs ", "!!seq ", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!timestamp ",
])  # fmt: skip
texts = st.lists(pieces, max_size=40).map("".join)


def plain(value: Any) -> None:
    """Encodable as UTF-8 JSON, every number usable as a float, nesting within MAX_DEPTH."""
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            assert depth < MAX_DEPTH
            stack.extend((inner, depth + 1) for inner in (item.values() if isinstance(item, dict) else item))
        elif isinstance(item, (int, float)):
            assert math.isfinite(item)


@settings(max_examples=300, deadline=None)
@given(text=texts, content_type=st.sampled_from([None, YAML]))
def test_any_text_is_plain_data_or_a_bad_request(text: str, content_type: str | None) -> None:
    """JSON or YAML, any text gives plain data that every store, log and float can carry, or a BadRequest."""
    try:
        document = parse_document(text.encode(), content_type)
    except BadRequest as exc:
        exc.message.encode("utf-8")
        return
    plain(document)
