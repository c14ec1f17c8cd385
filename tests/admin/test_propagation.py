"""A change made through one gateway process is applied by every other within a second."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot_versions.state import Canary, Rollout
from tests.admin.support import Admin, settings
from tests.redis_servers import RedisServer
from tests.support import running_gateway

DEADLINE_S = 1.0


async def test_a_rollout_change_through_one_instance_is_applied_by_another_within_a_second(
    redis: Redis, redis_server: RedisServer
) -> None:
    """Instance B, with its own client and a warm cache, routes by A's new rollout in under a second."""
    other = Redis.from_url(redis_server.url)
    try:
        async with running_gateway(redis, settings=settings()) as a, running_gateway(other, settings=settings()) as b:
            catalog = b.services.catalog
            assert (await catalog.require_state("greeter")).rollout == Rollout()  # B has it cached now
            wanted = Rollout(stable="1.0.0", canary=Canary("2.0.0", 100, since_ms=a.services.clock()))

            await Admin(a.http).rollout("greeter", "1.0.0", "2.0.0", 100)
            changed_at = time.monotonic()
            while (await catalog.require_state("greeter")).rollout != wanted:
                assert time.monotonic() - changed_at < DEADLINE_S, "B still routes by the old rollout after 1 s"
                await asyncio.sleep(0.01)
            assert time.monotonic() - changed_at < DEADLINE_S

            r = await b.http.post("/v1/bots/greeter/messages", json={"user": "new-user", "text": "hi"})
            assert r.json()["version"] == "2.0.0"  # the 100% canary, as B now routes
    finally:
        await other.aclose()
