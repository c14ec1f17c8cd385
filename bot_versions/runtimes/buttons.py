"""Buttons an upstream bot offered: shown to people as choices, and a chosen one sent back as the bot expects it.

A Bot Framework bot's suggested action has a title (what people see) and a value (what the bot expects back, for
`imBack`); a Rasa button has a title and a payload (`/choose{"size": "large"}`). The gateway keeps the last turn's
buttons in the conversation's state; an answer that names one (its title in any case, or its 1-based number, as for
`choice` questions) is sent as its value, anything else as typed.
"""

from __future__ import annotations

from typing import Any

from bot_versions.answers import parse_choice
from bot_versions.runtime import TurnResult
from bot_versions.runtimes.shapes import turn_result

Buttons = list[list[str]]  # [[title, value], ...], as kept in the state (JSON has no tuples)


def chosen(text: str, buttons: Any) -> str:
    """What to send the bot for `text`: the value of the button it names, else the text itself."""
    if not isinstance(buttons, list) or not buttons:
        return text
    index = parse_choice(text, [str(button[0]) for button in buttons])
    return text if index is None else str(buttons[index][1])


def offered(offers: list[tuple[Any, Buttons]], done: bool, who: str) -> TurnResult:
    """Replies from (text, buttons) pairs, those with neither dropped; the last buttons are kept in the state.

    The replies pass the same checks as an http bot's answer (texts are strings, within the reply limits).
    """
    replies: list[dict[str, Any]] = []
    last: Buttons = []
    for text, buttons in offers:
        text = text or ""
        if text or buttons:
            replies.append({"text": text, "choices": [title for title, _ in buttons]})
            last = buttons
    result = turn_result({"replies": replies, "done": done}, who)
    return TurnResult(result.replies, {"buttons": last} if last else {}, done)
