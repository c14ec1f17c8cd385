"""The gateway's Redis client under uvloop (as uvicorn runs it): a connection Redis drops fails as a RedisError."""

from __future__ import annotations

import asyncio
import collections
import time

import uvloop
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.redis_connection import connect
from gateway.settings import Settings
from tests.redis_servers import RedisServer

WORKERS = 30
KILLING_S = 2.0


async def _hammer_while_killing(url: str) -> collections.Counter[str]:
    client = connect(Settings(redis_url=url, redis_timeout_s=1))
    killer = Redis.from_url(url)
    outcomes: collections.Counter[str] = collections.Counter()
    stop = time.monotonic() + KILLING_S

    async def work(n: int) -> None:
        while time.monotonic() < stop:
            try:
                await client.set(f"k{n}", "v")
                outcomes["ok"] += 1
            except RedisError:
                outcomes["RedisError"] += 1
            except Exception as exc:  # what this test is looking for: anything a caller would not expect
                outcomes[type(exc).__name__] += 1

    async def kill() -> None:
        while time.monotonic() < stop:
            await killer.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            await asyncio.sleep(0)

    try:
        await asyncio.gather(kill(), *(work(n) for n in range(WORKERS)))
        await client.set("after", "v")  # the pool recovers by itself once the kills stop
        outcomes["recovered"] += 1
    finally:
        await client.aclose()
        await killer.aclose()
    return outcomes


def test_connections_killed_mid_command_fail_as_redis_errors_and_the_pool_recovers(redis_server: RedisServer) -> None:
    """CLIENT KILL in a loop under 30 writers: every failure is a RedisError (never uvloop's RuntimeError)."""
    outcomes = uvloop.run(_hammer_while_killing(redis_server.url))
    assert outcomes["RedisError"] > 0  # the kills did land
    assert outcomes["recovered"] == 1
    assert set(outcomes) <= {"ok", "RedisError", "recovered"}, outcomes
