"""Replies of `activity` bots gathered in Redis, so a reply that reaches another gateway process still counts.

The turn opens its inbox before posting the message to the bot, the connector endpoint delivers each reply
activity the bot posts back into it, and the turn closes it when the bot has answered, taking the replies. An
inbox lives at most as long as its turn's call (a TTL), and only a turn that is open, of the conversation the
reply names, accepts it.
"""

from __future__ import annotations

from importlib.resources import files

from redis.asyncio import Redis

from bot_versions.redis_scripts import RedisScript
from middleware import keys
from middleware.store import store_errors

MAX_REPLIES = 100  # reply activities one turn accepts; the next are refused


class RedisInbox:
    """The Inbox an ActivityRuntime uses, on the gateway's Redis (one key per open turn, hash-tagged by token)."""

    def __init__(self, redis: Redis, max_replies: int = MAX_REPLIES) -> None:
        self._script = RedisScript(redis, (files("middleware") / "lua" / "inbox.lua").read_text())
        self._max = max_replies

    async def open(self, token: str, conversation: str, ttl_ms: int) -> None:
        with store_errors():
            await self._script(keys=[keys.inbox(token)], args=["open", conversation, ttl_ms])

    async def deliver(self, token: str, conversation: str, activity_json: str) -> int:
        """1 when the reply was taken, 0 when no turn of that conversation is open, -1 when its inbox is full."""
        with store_errors():
            return int(
                await self._script(keys=[keys.inbox(token)], args=["deliver", conversation, activity_json, self._max])
            )

    async def close(self, token: str) -> list[str]:
        with store_errors():
            replies = await self._script(keys=[keys.inbox(token)], args=["close"])
        return [r.decode() if isinstance(r, bytes) else r for r in replies]
