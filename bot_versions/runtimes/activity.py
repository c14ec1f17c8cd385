"""The `activity` runtime: an existing Bot Framework or Microsoft 365 Agents bot, with the gateway as its channel.

The gateway plays the part the Bot Framework Emulator plays: each message goes to the bot as a `message` Activity
whose `serviceUrl` is the gateway's connector endpoint for this one turn (`/v1/connector/{turn token}`). The bot
answers as it would to Azure Bot Service, by POSTing reply activities there while the turn is open, and the gateway
gathers them (through the inbox, so a reply reaching another gateway process counts too). Bots that answer inline
(`delivery: expectReplies`) are read from the response body as well.

The bot keeps its own dialog state, keyed by `conversation.id`, which is the gateway's conversation id: a user who
moves to a new version starts a new conversation, and so a fresh dialog stack.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from bot_versions.errors import BotFailed
from bot_versions.model import BotVersion
from bot_versions.problems import kind_of
from bot_versions.runtime import Activity, Conversation, State, TurnResult
from bot_versions.runtimes.buttons import Buttons, chosen, offered
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.traits import KeepsConversation
from bot_versions.runtimes.upstream import Endpoint
from bot_versions.safe_json import JsonRefused, loads

CHANNEL_ID = "botgate"
EXPECT_REPLIES = "expectReplies"
DEFAULT_TIMEOUT_S = 10.0
INBOX_SLACK_MS = 2_000  # replies may still be in flight when the bot's own answer arrives


class ActivityRuntime(KeepsConversation):
    """Sends each message as an Activity and gathers the bot's reply activities."""

    replayable = False

    def __init__(self, version: BotVersion, env: RuntimeEnv) -> None:
        spec = version.document["activity"]
        self.version = version
        self.env = env
        self.endpoint = Endpoint.of(version, env.upstream, DEFAULT_TIMEOUT_S, env.max_timeout_s)
        self.expect_replies = spec.get("delivery") == EXPECT_REPLIES

    async def turn(self, state: State, activity: Activity, conversation: Conversation) -> TurnResult:
        """Post the message Activity and return the replies the bot sent while the turn was open."""
        inbox, base = self.env.inbox, self.env.connector_url
        if inbox is None or base is None:
            raise BotFailed(
                f"{self.endpoint.who} needs the gateway's connector URL: set BOTGATE_PUBLIC_URL", "no_connector"
            )
        token = secrets.token_hex(16)
        outgoing = self._message(activity, conversation, state.get("buttons"), f"{base}/v1/connector/{token}")
        with self.endpoint.gate.slot():
            await inbox.open(token, conversation.id, int(self.endpoint.timeout * 1000) + INBOX_SLACK_MS)
            try:
                answer = await self.endpoint.send(outgoing)
            finally:
                posted = await inbox.close(token)
        if not 200 <= answer.status < 300:
            raise BotFailed(f"{answer.who} answered {answer.status}", "status")
        activities = [_posted(text, answer.who) for text in posted]
        if self.expect_replies and answer.body.strip():
            activities += _inline(answer.json(), answer.who)
        return _result(activities, answer.who)

    def _message(self, activity: Activity, conversation: Conversation, buttons: Any, service_url: str) -> Any:
        message: dict[str, Any] = {
            "type": "message",
            "id": activity.message_id or secrets.token_hex(8),
            "timestamp": datetime.fromtimestamp(activity.received_at_ms / 1000, UTC).isoformat(),
            "channelId": CHANNEL_ID,
            "serviceUrl": service_url,
            "from": {"id": activity.user, "role": "user"},
            "recipient": {"id": self.version.bot, "role": "bot"},
            "conversation": {"id": conversation.id, "isGroup": activity.space is not None},
            "text": chosen(activity.text, buttons),
        }
        if self.expect_replies:
            message["deliveryMode"] = EXPECT_REPLIES
        return message


def _posted(text: str, who: str) -> Any:
    try:
        return loads(text)
    except JsonRefused as exc:  # the connector endpoint parsed it already; a store that changed it is no bot's fault
        raise BotFailed(f"{who}: a reply activity could not be read back: {exc.message}", "not_json") from None


def _inline(data: Any, who: str) -> list[Any]:
    activities = data.get("activities") if isinstance(data, dict) else None
    if not isinstance(activities, list):
        raise BotFailed(f'{who} answered the wrong shape: expectReplies answers {{"activities": [...]}}', "shape")
    return activities


def _result(activities: list[Any], who: str) -> TurnResult:
    """Message activities as replies (suggested actions as choices), endOfConversation as the end; others dropped."""
    offers: list[tuple[Any, Buttons]] = []
    done = False
    for n, item in enumerate(activities):
        if not isinstance(item, dict):
            raise BotFailed(f"{who} sent the wrong shape: activity {n} is {kind_of(item)}, not an object", "shape")
        if item.get("type") == "endOfConversation":
            done = True
        elif item.get("type") == "message":
            offers.append((item.get("text"), _actions(item)))
    return offered(offers, done, who)


def _actions(message: dict[str, Any]) -> Buttons:
    suggested = message.get("suggestedActions")
    actions = suggested.get("actions") if isinstance(suggested, dict) else None
    if not isinstance(actions, list):
        return []
    buttons: Buttons = []
    for action in actions:
        if not isinstance(action, dict):
            continue
        title, value = action.get("title"), action.get("value")
        label = title if isinstance(title, str) and title else value if isinstance(value, str) else None
        if label:
            buttons.append([label, value if isinstance(value, str) and value else label])
    return buttons
