"""How the CLI spells a user id in an admin URL."""

from __future__ import annotations

import httpx
import pytest

from gateway.cli.client import segment


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
def test_a_user_id_is_one_segment_that_no_client_rewrites(user: str, spelled: str) -> None:
    """Every reserved character is escaped, and `.`/`..` too, which HTTP clients would otherwise resolve away."""
    assert segment(user) == spelled
    assert httpx.URL(f"http://gateway/admin/v1/bots/b/sessions/{segment(user)}").raw_path.endswith(spelled.encode())
