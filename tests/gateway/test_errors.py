"""Error responses: JSON that always renders, whatever the message and details hold."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import error_response

# Any text, lone surrogates included (a message may quote what a client sent), and details JSON cannot all write.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
details = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text | st.binary(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(status=st.sampled_from([400, 404, 413, 422, 500, 503]), code=any_text, message=any_text, details=details)
def test_an_error_response_always_renders_as_ascii_json(status: int, code: str, message: str, details: Any) -> None:
    """The body is ASCII JSON holding the code and message as given; details that JSON cannot write are dropped."""
    body = error_response(status, code, message, details).body
    error = json.loads(body.decode("ascii"))["error"]
    assert (error["code"], error["message"]) == (code, message)


def test_unwritable_details_are_dropped_not_the_error() -> None:
    """NaN in the details would make invalid JSON: the error keeps its code and message, with null details."""
    body = json.loads(error_response(422, "invalid", "bad", [{"x": float("nan")}]).body)
    assert body == {"error": {"code": "invalid", "message": "bad", "details": None}}
