"""The `http` runtime: a stateless bot service in any language, its conversation state kept by the gateway.

Each turn is one POST of the message and the state the bot returned last (null for a conversation's first
message); the bot answers replies, its new state, and whether the conversation is done. docs/runtimes.md is the
bot author's page, with JSON Schemas of both bodies.
"""

from __future__ import annotations

from typing import Any

from bot_versions.errors import BotFailed
from bot_versions.model import BotVersion
from bot_versions.runtime import Activity, Conversation, State, TurnResult
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.shapes import checked_state, turn_result
from bot_versions.runtimes.traits import RepeatsReplies
from bot_versions.runtimes.upstream import DEFAULT_TIMEOUT_S, Answer, Endpoint

STATE = "state"  # the gateway's state holds the bot's under this key, so "no state yet" differs from `{}`


class HttpRuntime(RepeatsReplies):
    """Calls a bot service for each turn; `http.replayable: true` declares the bot free of side effects."""

    def __init__(self, version: BotVersion, env: RuntimeEnv) -> None:
        spec = version.document["http"]
        self.version = version
        self.endpoint = Endpoint.of(version, env.upstream, DEFAULT_TIMEOUT_S, env.max_timeout_s)
        self.replayable = bool(spec.get("replayable", False))
        self.headers = {"X-Botgate-Bot": version.bot, "X-Botgate-Version": version.version}

    async def turn(self, state: State, activity: Activity, conversation: Conversation) -> TurnResult:
        """POST the message event; the bot's replies, with its new state kept under `state`."""
        message = {"id": activity.message_id, "text": activity.text}
        answer = await self._post(
            self._event("message", activity, conversation, state=state.get(STATE), message=message)
        )
        if not 200 <= answer.status < 300:
            raise BotFailed(f"{answer.who} answered {answer.status}", "status")
        result = turn_result(answer.json(), answer.who)
        return TurnResult(result.replies, {STATE: result.state}, result.done)

    async def migrate(
        self, state: State, from_version: str, activity: Activity, conversation: Conversation
    ) -> State | None:
        """POST the migrate event: 200 `{"state"}` takes the conversation over, 409 declines, anything else fails."""
        event = self._event("migrate", activity, conversation, from_version=from_version, state=state.get(STATE))
        answer = await self._post(event)
        if answer.status == 409:
            return None
        if not 200 <= answer.status < 300:
            raise BotFailed(f"{answer.who} answered {answer.status} to a migration", "status")
        data = answer.json()
        if not isinstance(data, dict) or "state" not in data:
            raise BotFailed(f"{answer.who} answered the wrong shape: a migration's answer is {{\"state\": {{...}}}}",
                            "shape")  # fmt: skip
        return {STATE: checked_state(data["state"], answer.who)}

    def _event(self, event: str, activity: Activity, conversation: Conversation, **fields: Any) -> dict[str, Any]:
        return {
            "event": event,
            "bot": self.version.bot,
            "version": self.version.version,
            "conversation": conversation.id,
            "user": activity.user,
            "channel": activity.channel,
            "space": activity.space,
            **fields,
        }

    async def _post(self, payload: dict[str, Any]) -> Answer:
        return await self.endpoint.post(payload, self.headers)
