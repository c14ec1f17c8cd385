"""How messages quote values: short, and never failing, whatever the value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot_versions.problems import short


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("flow", "'flow'"),
        (1.5, "1.5"),
        ("x" * 50, "'" + "x" * 36 + "..."),
        ("a\ud800", "'a\\ud800'"),
        (10**5000, "<a number too large to show>"),
        (nested(100_000), "<a list too large to show>"),
    ],
    ids=["text", "number", "long text", "lone surrogate", "past the int-string limit", "nested past the stack"],
)
def test_short(value: Any, expected: str) -> None:
    """repr cut to 40 characters; a lone surrogate as its escape; values repr cannot write are named by kind."""
    assert short(value) == expected


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.integers(300, 6000).map(lambda n: 10**n)
        | st.floats()
        | st.text(st.characters(codec=None, exclude_categories=())),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    )
    | st.integers(1, 50_000).map(nested)
)
def test_short_never_fails_and_is_always_encodable(value: Any) -> None:
    """Any value is quoted in at most 40 characters that encode as UTF-8."""
    text = short(value)
    assert len(text) <= 40
    text.encode("utf-8")
