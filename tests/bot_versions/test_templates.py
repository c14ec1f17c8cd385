"""Safe templates: key paths only, literal braces, sensible rendering, clear errors."""

from __future__ import annotations

import re
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot_versions.templates import TextTooLong, parse_path, parse_template


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("Hello, {name}", {"name": "Ada"}, "Hello, Ada"),
        ("{place.city}, {place.state}", {"place": {"city": "Paris", "state": "TX"}}, "Paris, TX"),
        ("[{missing}]", {}, "[]"),
        ("[{place.city}]", {"place": "Paris"}, "[]"),
        ("[{place.city.name}]", {"place": {"city": None}}, "[]"),
        ("{{literal}} {x}", {"x": 1}, "{literal} 1"),
        ("{{{x}}}", {"x": 1}, "{1}"),
        ("{a}/{b}", {"a": True, "b": False}, "yes/no"),
        ("{n} {m}", {"n": 2.5, "m": -3}, "2.5 -3"),
        ("{d}", {"d": {"a": [1, "é"]}}, '{"a":[1,"é"]}'),
        ("{nothing}", {"nothing": None}, ""),
        ("{x}", {"x": "{y}"}, "{y}"),
        ("{x.real}", {"x": 5}, ""),
        ("{X_1}", {"X_1": "ok"}, "ok"),
        ("no placeholders", {}, "no placeholders"),
        ("", {}, ""),
    ],
)
def test_render(text: str, values: dict[str, Any], expected: str) -> None:
    """A template renders values by key path; missing or unreachable values render empty, never attributes."""
    assert parse_template(text).render(values) == expected


def test_render_quotes_values_only() -> None:
    """`quote` escapes the values, never the literal text around them."""
    template = parse_template("http://h/{a}?q={b}")
    assert template.render({"a": "x/y", "b": "1 2"}, quote=lambda s: s.replace("/", "%2F").replace(" ", "+")) == (
        "http://h/x%2Fy?q=1+2"
    )


def test_names_are_the_roots() -> None:
    """`names` lists the root name of every placeholder."""
    assert parse_template("{a} {b.c} {a.d} {{e}}").names == frozenset({"a", "b"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{x.__class__}", "may not start with '_'"),
        ("{__import__}", "may not start with '_'"),
        ("{_x}", "may not start with '_'"),
        ("{x!r}", "conversions"),
        ("{x:>10}", "format specs"),
        ("{x[0]}", "indexing"),
        ("{}", "empty"),
        ("{a b}", "is not a name"),
        ("{a..b}", "is not a name"),
        ("{.a}", "is not a name"),
        ("{1x}", "is not a name"),
        ("{é}", "is not a name"),
        ("oops }", "single '}' at column 6"),
        ("{open", "'{' at column 1 is not closed"),
        ("{a{b}}", "'{' at column 1 is not closed"),
        ("{x}}", "single '}' at column 4"),
    ],
)
def test_bad_templates(text: str, message: str) -> None:
    """Anything but a plain name or dotted key path in braces is refused with what is wrong and where."""
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_template(text)


def test_bad_placeholder_names_itself() -> None:
    """The error for a bad placeholder quotes it and gives its column."""
    with pytest.raises(ValueError, match=r"bad placeholder \{x\.__class__\} at column 4"):
        parse_template("hi {x.__class__}")


@pytest.mark.parametrize(("text", "path"), [("a", ("a",)), ("place.city", ("place", "city")), ("a1_b", ("a1_b",))])
def test_parse_path(text: str, path: tuple[str, ...]) -> None:
    """A key path splits on dots."""
    assert parse_path(text) == path


# Templates that repeat placeholders, between bits of literal text (braces included, written doubled).
literal = st.text(st.characters(exclude_characters="{}"))
pieces = st.sampled_from(["{text}", "{name}", "{missing}", "{{", "}}"]) | literal
templates = st.lists(pieces, max_size=30).map("".join)
values = st.fixed_dictionaries({"text": st.text(max_size=200), "name": st.integers(0, 10**6) | st.text(max_size=50)})


@given(text=templates, values=values, limit=st.integers(0, 2000))
def test_a_render_within_its_limit_is_the_whole_text_and_past_it_raises(
    text: str, values: dict[str, Any], limit: int
) -> None:
    """With a limit, the text is the same as without one when it fits, and TextTooLong when it would not."""
    template = parse_template(text)
    whole = template.render(values)
    if len(whole) <= limit:
        assert template.render(values, limit=limit) == whole
    else:
        with pytest.raises(TextTooLong):
            template.render(values, limit=limit)


def test_a_render_past_its_limit_stops_before_building_the_long_text() -> None:
    """10,000 copies of a 4,096-character text would be 40 MB: with a limit the render never holds more than KBs."""
    template = parse_template("{text}" * 10_000)
    tracemalloc.start()
    try:
        with pytest.raises(TextTooLong, match="longer than 8192 characters"):
            template.render({"text": "é" * 4096}, limit=8192)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024


@pytest.mark.parametrize(("text", "chars"), [("Hi {name}!", 4), ("{a}{b}", 0), ("{{x}}", 3), ("", 0)])
def test_literal_chars_count_the_text_as_said_without_placeholders(text: str, chars: int) -> None:
    """The least a template ever renders: `{{` is one character, a placeholder none."""
    assert parse_template(text).literal_chars == chars
