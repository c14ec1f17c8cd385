"""How a value (a user id, a conversation id, an answer in a `call` URL) is spelled as one URL path segment."""

from __future__ import annotations

import httpx
import pytest

from bot_versions.url_segments import path_segment


@pytest.mark.parametrize(
    ("user", "spelled"),
    [
        ("alice", "alice"),
        ("a/b", "a%2Fb"),
        ("a b+c", "a%20b%2Bc"),
        ("50%?#", "50%25%3F%23"),
        ("é", "%C3%A9"),
        (".", "%2E"),
        ("..", "%2E%2E"),
        ("...", "..."),
        ("a.b", "a.b"),
    ],
)
def test_a_value_is_one_segment_that_no_client_rewrites(user: str, spelled: str) -> None:
    """Every reserved character is escaped, and `.`/`..` too, which HTTP clients would otherwise resolve away."""
    assert path_segment(user) == spelled
    assert httpx.URL(f"http://gateway/admin/v1/bots/b/sessions/{path_segment(user)}").raw_path.endswith(
        spelled.encode()
    )
