"""The `rasa` runtime: a Rasa server, through its REST channel (`POST /webhooks/rest/webhook`).

Each message is `{"sender": <the gateway's conversation id>, "message": <text>}`; Rasa answers a JSON array of
`{"recipient_id", "text"?, "buttons"?: [{"title", "payload"}], ...}`. `sender` is the conversation id, so every
conversation has a tracker of its own and a user moved to a new model version starts clean. A chosen button is sent
as its payload. Rasa keeps its own state; the gateway keeps only the last buttons offered.

Rasa never says a conversation is over, so a conversation ends by the idle policy, a reset or an unpublish; a bot
may end one itself with a custom message `{"custom": {"end_conversation": true}}` (docs/runtimes.md).
"""

from __future__ import annotations

from typing import Any

from bot_versions.errors import BotFailed
from bot_versions.model import BotVersion
from bot_versions.problems import kind_of
from bot_versions.runtime import Activity, Conversation, State, TurnResult
from bot_versions.runtimes.buttons import Buttons, chosen, offered
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.traits import KeepsConversation
from bot_versions.runtimes.upstream import Endpoint

DEFAULT_TIMEOUT_S = 10.0


class RasaRuntime(KeepsConversation):
    """Posts each message to a Rasa server's REST channel and reads its messages back."""

    replayable = False

    def __init__(self, version: BotVersion, env: RuntimeEnv) -> None:
        self.endpoint = Endpoint.of(version, env.upstream, DEFAULT_TIMEOUT_S, env.max_timeout_s)

    async def turn(self, state: State, activity: Activity, conversation: Conversation) -> TurnResult:
        """Send the message (a chosen button as its payload); Rasa's messages as replies."""
        body = {"sender": conversation.id, "message": chosen(activity.text, state.get("buttons"))}
        answer = await self.endpoint.post(body)
        if not 200 <= answer.status < 300:
            raise BotFailed(f"{answer.who} answered {answer.status}", "status")
        return _result(answer.json(), answer.who)


def _result(data: Any, who: str) -> TurnResult:
    if not isinstance(data, list):
        raise BotFailed(f"{who} answered the wrong shape: Rasa answers a JSON array, not {kind_of(data)}", "shape")
    offers: list[tuple[Any, Buttons]] = []
    done = False
    for n, message in enumerate(data):
        if not isinstance(message, dict):
            raise BotFailed(f"{who} answered the wrong shape: message {n} is {kind_of(message)}", "shape")
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("end_conversation") is True:
            done = True
        offers.append((message.get("text"), _buttons(message.get("buttons"))))
    return offered(offers, done, who)


def _buttons(raw: Any) -> Buttons:
    if not isinstance(raw, list):
        return []
    buttons: Buttons = []
    for button in raw:
        if isinstance(button, dict) and isinstance(button.get("title"), str) and button["title"]:
            payload = button.get("payload")
            buttons.append([button["title"], payload if isinstance(payload, str) and payload else button["title"]])
    return buttons
