"""Stage 1: the limits every channel shares (checked by the runner first), and the text normalised before any session
is touched."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from bot_versions.errors import Invalid
from bot_versions.safe_json import SURROGATE
from middleware.context import TurnContext
from middleware.pipeline import Next

MAX_ID = 256
MAX_TEXT = 4096
# Control characters other than tab and newline never mean anything to a bot and break logs and templates.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def normalise_text(text: str) -> str:
    """NFC-normalise and drop control characters, so equal-looking answers compare equal."""
    return CONTROL.sub("", unicodedata.normalize("NFC", text))


def check_lengths(user: str, text: str, space: str | None, message_id: str | None) -> None:
    """Every channel's limits: ids of 1-256 characters, text of at most 4096."""
    problems = []
    for name, value in (("user", user), ("space", space), ("id", message_id)):
        if value is not None and not 1 <= len(value) <= MAX_ID:
            problems.append({"path": name, "message": f"must be 1-{MAX_ID} characters, got {len(value)}"})
    if len(text) > MAX_TEXT:
        problems.append({"path": "text", "message": f"must be at most {MAX_TEXT} characters, got {len(text)}"})
    for name, value in (("user", user), ("text", text), ("space", space), ("id", message_id)):
        # JSON can spell a lone surrogate (`"\ud800"`); it is no character, and Redis, logs and UTF-8 cannot carry it
        if value is not None and SURROGATE.search(value):
            problems.append(
                {"path": name, "message": "must be Unicode text, without lone surrogates (\\ud800-\\udfff)"}
            )
    if problems:
        raise Invalid("the message has fields out of range", details=problems)


class Receive:
    """Normalises the message's text; the runner has refused out-of-range messages before building the session's
    keys from them, and duplicates are caught under the lock, in bind."""

    async def __call__(self, ctx: TurnContext, call_next: Next) -> None:
        a = ctx.activity
        text = normalise_text(a.text)
        if text != a.text:  # most messages are already normal: no copy
            ctx.activity = dataclasses.replace(a, text=text)
        await call_next(ctx)
