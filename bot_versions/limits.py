"""How much a bot may say in one turn: the same limits for every runtime, checked before anything is saved.

A definition or a bot service can turn a kilobyte of user text into megabytes of reply (`reply: "{text}{text}..."`),
which would then fill the transcript in Redis and every process's memory. A turn whose replies pass these limits
fails as a bot failure (`BotFailed`, reason `reply_too_large`) and nothing of it is saved.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot_versions.runtime import Reply

MAX_REPLIES = 50  # replies in one turn
MAX_REPLY_CHARS = 8192  # characters of one reply's text
MAX_CHOICES = 50  # choices of one reply
MAX_CHOICE_CHARS = 256  # characters of one choice label
MAX_TURN_CHARS = 32768  # characters of all texts and labels of one turn


def replies_problem(replies: Sequence[Reply]) -> str | None:
    """Why these replies exceed a limit, or None; the reason gives sizes only, never the text itself."""
    if len(replies) > MAX_REPLIES:
        return f"{len(replies)} replies in one turn; at most {MAX_REPLIES} are allowed"
    total = 0
    for number, reply in enumerate(replies, start=1):
        if not isinstance(reply.text, str) or not all(isinstance(label, str) for label in reply.choices):
            return f"reply {number} is not text with text choices"
        if len(reply.text) > MAX_REPLY_CHARS:
            return f"reply {number} has {len(reply.text)} characters; at most {MAX_REPLY_CHARS} are allowed"
        if len(reply.choices) > MAX_CHOICES:
            return f"reply {number} has {len(reply.choices)} choices; at most {MAX_CHOICES} are allowed"
        for label in reply.choices:
            if len(label) > MAX_CHOICE_CHARS:
                return f"a choice of reply {number} has {len(label)} characters; at most {MAX_CHOICE_CHARS} are allowed"
        total += len(reply.text) + sum(len(label) for label in reply.choices)
    if total > MAX_TURN_CHARS:
        return f"the replies have {total} characters in all; at most {MAX_TURN_CHARS} are allowed in one turn"
    return None
