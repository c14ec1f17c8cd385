"""The reply limits every runtime's turn is held to: a table of replies just within and just past each."""

from __future__ import annotations

import pytest

from bot_versions.limits import (
    MAX_CHOICE_CHARS,
    MAX_CHOICES,
    MAX_REPLIES,
    MAX_REPLY_CHARS,
    MAX_TURN_CHARS,
    replies_problem,
)
from bot_versions.runtime import Reply


def texts(*sizes: int) -> list[Reply]:
    return [Reply("x" * size) for size in sizes]


@pytest.mark.parametrize(
    ("replies", "problem"),
    [
        ([], None),
        (texts(MAX_REPLY_CHARS), None),
        (texts(*[1] * MAX_REPLIES), None),
        ([Reply("pick", tuple(f"c{n}" for n in range(MAX_CHOICES)))], None),
        ([Reply("pick", ("x" * MAX_CHOICE_CHARS,))], None),
        (texts(MAX_REPLY_CHARS, MAX_REPLY_CHARS, MAX_REPLY_CHARS, MAX_TURN_CHARS - 3 * MAX_REPLY_CHARS), None),
        (texts(*[1] * (MAX_REPLIES + 1)), "51 replies in one turn; at most 50 are allowed"),
        (texts(1, MAX_REPLY_CHARS + 1), "reply 2 has 8193 characters; at most 8192 are allowed"),
        ([Reply("pick", tuple(f"c{n}" for n in range(MAX_CHOICES + 1)))], "reply 1 has 51 choices; at most 50"),
        ([Reply("pick", ("ok", "x" * (MAX_CHOICE_CHARS + 1)))], "a choice of reply 1 has 257 characters; at most"),
        (texts(*[MAX_REPLY_CHARS] * 4, 1), "the replies have 32769 characters in all; at most 32768"),
        ([Reply("x" * MAX_REPLY_CHARS, ("y" * MAX_CHOICE_CHARS,) * MAX_CHOICES)] * 2, "characters in all"),
        ([Reply(5)], "reply 1 is not text with text choices"),  # type: ignore[arg-type]
        ([Reply("pick", (1, 2))], "reply 1 is not text with text choices"),  # type: ignore[arg-type]
    ],
    ids=lambda value: None if isinstance(value, list) else str(value)[:30],
)
def test_replies_problem(replies: list[Reply], problem: str | None) -> None:
    """None within every limit (each inclusive); past one, a reason naming sizes only."""
    found = replies_problem(replies)
    assert found is None if problem is None else found is not None and problem in found, found
