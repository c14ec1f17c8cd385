"""What people read when a version fails its turn: its `messages.bot_error`, never an error code.

The channels people talk on (web chat, Twilio SMS, Bot Framework) answer a failed turn with the version's own
message; the REST channel, which programs talk to, answers 502 `bot_error` instead (the error handler's mapping).
Either way nothing of the turn was saved, so sending the message again runs it again.
"""

from __future__ import annotations

from typing import Any

from bot_versions.errors import BotFailed
from bot_versions.runtime import Activity
from middleware.runner import TurnRunner


async def answer_people(runner: TurnRunner, activity: Activity) -> dict[str, Any]:
    """The chat response object for `activity`, or, when its bot failed the turn, the version's apology."""
    try:
        return (await runner.handle(activity)).response()
    except BotFailed as exc:
        if exc.answer is None:  # failed before a version was bound: nothing to say in a version's words
            raise
        return exc.answer
