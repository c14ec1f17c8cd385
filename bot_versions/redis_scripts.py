"""Lua scripts run on Redis by their SHA1, as every script of the gateway is (sessions, counters, registry, guard)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError


class RedisScript:
    """One Lua script: EVALSHA, and the script loaded (then run again) when the server does not have it yet.

    redis-py's `register_script` does the same, but asks on every call whether its client is a pipeline, by an
    isinstance check against a typing.Protocol that costs more than packing the command (docs/benchmarks.md).
    """

    def __init__(self, redis: Redis, source: str) -> None:
        self.redis = redis
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        try:
            return await self.redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:  # a new or restarted server, or a failover to a replica that never saw it
            await self.redis.script_load(self.source)
            return await self.redis.evalsha(self.sha, len(keys), *keys, *args)
