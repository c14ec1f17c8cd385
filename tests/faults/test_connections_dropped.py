"""Redis closing the gateway's connections mid-load (CLIENT KILL, a failover, a proxy restart): 503s, never a 500."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from redis.asyncio import Redis

from tests.faults.conftest import StartGateway
from tests.faults.traffic import RoundRobin, Talk, stored, talk, until
from tests.redis_servers import RedisServer

USERS = 50
KILLING_S = 6.0
KILL_EVERY_S = 0.0
KILLERS = 6
GATEWAY_USER = "gateway"


async def _kill_clients(redis: Redis, until_at: float) -> int:
    """CLIENT KILL every connection of the gateway's user, over and over, until `until_at`; how many were killed."""
    killed = 0
    while time.monotonic() < until_at:
        killed += int(await redis.execute_command("CLIENT", "KILL", "USER", GATEWAY_USER))
        await asyncio.sleep(KILL_EVERY_S)
    return killed


async def test_connections_killed_under_load_give_503s_then_service_resumes(
    redis_server: RedisServer, redis: Redis, counter_bots: Path, start_gateway: StartGateway
) -> None:
    """Connections killed every 20 ms under 20 talking users: no 500, every answer stored; then all 200s again."""
    # The gateway logs in as its own user, so that the killers kill its connections and not each other's.
    await redis.execute_command("ACL", "SETUSER", GATEWAY_USER, "on", ">secret", "~*", "&*", "+@all")
    url = redis_server.url.replace("redis://", f"redis://{GATEWAY_USER}:secret@")
    gateway = start_gateway(url, counter_bots, BOTGATE_REDIS_TIMEOUT="1")
    balancer = RoundRobin([gateway.url])
    talks = [Talk(f"user-{i}") for i in range(USERS)]
    stop = asyncio.Event()
    load = asyncio.gather(*(talk(balancer, t, lambda: not stop.is_set()) for t in talks))
    try:
        await until(lambda: all(len(t.acked) >= 2 for t in talks), 10, "two answers for every user")
        end = time.monotonic() + KILLING_S
        killed = sum(await asyncio.gather(*(_kill_clients(redis, end) for _ in range(KILLERS))))
        calm = time.monotonic()
        await until(lambda: all(any(at > calm for at, _ in t.acked) for t in talks), 10, "answers after the kills")
        stop.set()
        await load
    finally:
        stop.set()
        await asyncio.gather(load, return_exceptions=True)
        await balancer.aclose()

    assert killed > 0
    statuses = {r.status_code for t in talks for _, _, r in t.refused}
    assert statuses <= {503}, f"answers other than 200 and 503: {statuses}"
    assert all(r.headers["Retry-After"] == "1" for t in talks for _, _, r in t.refused)
    for t in talks:
        _, said = await stored(redis, t.user)
        assert set(t.acked_texts) <= set(said), f"{t.user}: an answered message is missing from the store"
    unhandled = gateway.events("unhandled_error")
    assert unhandled == [], unhandled[:3]
