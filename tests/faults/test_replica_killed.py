"""A gateway process killed mid-load: the other keeps serving, and no answered turn is lost or doubled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.faults.conftest import SlowServer, StartGateway
from tests.faults.traffic import RoundRobin, Talk, stored, talk, until
from tests.redis_servers import RedisServer

USERS = 50
LEASE_MS = 1000
BEFORE_KILL = 1.5  # seconds of load on both processes
AFTER_KILL = 3.0  # seconds of load on the survivor: three leases
SLACK = 2.0  # seconds on top of the lease for a busy CI machine
LOOKUP = "/v1/bots/lookup/messages"


# With the session cache most turns hold no lock while they run; without it every turn does. Either way one user's
# turn is stalled in a slow call, holding the lock, when the process dies: only the lease frees that user.
@pytest.mark.parametrize("cache", ["50000", "0"], ids=["session cache", "no cache, every turn locks"])
async def test_users_on_a_killed_process_are_served_by_the_other_within_the_lease(
    redis_server: RedisServer,
    redis: Redis,
    counter_bots: Path,
    slow_server: SlowServer,
    start_gateway: StartGateway,
    cache: str,
) -> None:
    """kill -9 one of two gateways under 50 talking users; every answer is stored, at most one turn is unanswered."""
    env = {
        "BOTGATE_LOCK_LEASE_MS": str(LEASE_MS),
        "BOTGATE_SESSION_CACHE": cache,
        "BOTGATE_CALL_HOSTS": f"127.0.0.1:{slow_server.port}",
    }
    doomed = start_gateway(redis_server.url, counter_bots, **env)
    survivor = start_gateway(redis_server.url, counter_bots, **env)
    balancer = RoundRobin([doomed.url, survivor.url])
    talks = {f"user-{i}": Talk(f"user-{i}") for i in range(USERS)}
    try:
        finish = time.monotonic() + BEFORE_KILL + AFTER_KILL
        load = asyncio.gather(*(talk(balancer, t, lambda: time.monotonic() < finish) for t in talks.values()))
        async with httpx.AsyncClient(base_url=doomed.url, timeout=30) as direct:
            await asyncio.sleep(BEFORE_KILL)
            assert (await direct.post(LOOKUP, json={"user": "stuck", "text": "hi"})).status_code == 200
            stalled = asyncio.create_task(direct.post(LOOKUP, json={"user": "stuck", "text": "stall"}))
            await until(slow_server.stalled.is_set, 10, "the stuck user's call reaching the slow server")
            doomed.kill()
            killed_at = time.monotonic()
            with pytest.raises(httpx.TransportError):
                await stalled
        stuck = await balancer.post(LOOKUP, {"user": "stuck", "text": "quick"})
        stuck_served = time.monotonic()
        await load
    finally:
        await balancer.aclose()

    assert stuck.status_code == 200, stuck.text
    # It had to wait for the lock the dead process left (so the lease was what freed it), but no longer.
    assert LEASE_MS / 1000 / 2 <= stuck_served - killed_at <= LEASE_MS / 1000 + SLACK
    assert await stored(redis, "stuck", bot="lookup") == (2, ["hi", "quick"])
    for user, t in talks.items():
        assert any(at > killed_at for at, _ in t.acked), f"{user} was not served after the kill"
        turns, said = await stored(redis, user)
        assert set(t.acked_texts) <= set(said), f"{user}: an answered message is missing from the store"
        unanswered = [text for text in said if text not in t.acked_texts]
        assert unanswered == [text for _, text in t.lost if text in said]
        assert turns == len(said) == len(t.acked) + len(unanswered)
        assert len(unanswered) <= 1, f"{user}: more than the one turn in flight was stored unanswered"
        if t.lost:
            served_again = min(at for at, _ in t.acked if at > killed_at)
            assert served_again - killed_at <= LEASE_MS / 1000 + SLACK, f"{user} waited past the lease"
