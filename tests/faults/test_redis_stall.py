"""Redis stalled longer than the client's timeout runs the gateway's calls after it gave up on them.

`DEBUG SLEEP` blocks Redis the way a long fork, a slow disk or a huge command does: commands sent meanwhile wait in
their sockets and run when the stall ends, although the gateway answered 503 long before (unlike CLIENT PAUSE,
which drops the commands of clients that went away). Nothing may come of that: no user locked out for the lease,
no lost or doubled counter, no session missing from its user's index.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import yaml
from redis.asyncio import Redis

from middleware import keys
from middleware.keys import SessionKeys
from tests.faults.conftest import StartGateway, StartRedis
from tests.faults.traffic import COUNTER_URL, DEBUG, stall, stored, until

TIMEOUT_S = 0.3  # BOTGATE_REDIS_TIMEOUT
STALL_S = 1.2
GREETER = {
    "bot": "greeter",
    "version": "1.0.0",
    "start": "ask_name",
    "steps": {
        "ask_name": {"ask": "What is your name?", "save": "name", "next": "greet"},
        "greet": {"say": "Hi {name}"},
    },
}


# Without the cache, the lost call is begin.lua, which takes the lock; with it, attempt.lua, which saves the turn
# (and its repeat by redis-py's one retry would take the lock). Either way the user must not be locked out.
@pytest.mark.parametrize("cache", ["50000", "0"], ids=["session cache", "no cache, every turn locks"])
async def test_a_stall_past_the_timeout_does_not_lock_the_user_out_for_the_lease(
    counter_bots: Path, start_redis: StartRedis, start_gateway: StartGateway, cache: str
) -> None:
    """A turn answered 503 during a stall leaves no lock behind: the next message is served, not refused for 10 s."""
    server = start_redis(*DEBUG)
    gateway = start_gateway(
        server.url,
        counter_bots,
        BOTGATE_REDIS_TIMEOUT=str(TIMEOUT_S),
        BOTGATE_LOCK_LEASE_MS="10000",
        BOTGATE_LOCK_WAIT_MS="2000",
        BOTGATE_SESSION_CACHE=cache,
    )
    client = Redis.from_url(server.url)
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:

            async def send(text: str) -> httpx.Response:
                return await http.post(COUNTER_URL, json={"user": "alice", "text": text})

            assert (await send("one")).status_code == 200
            stalled = await stall(server.url, STALL_S)
            refused = await send("two")
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
            await stalled
            served = await send("three")
            assert served.status_code == 200, served.text
        turns, said = await stored(client, "alice")
        # "two" ran when the stall ended if its call was a save (its answer was lost); never twice
        assert said in (["one", "three"], ["one", "two", "three"])
        assert turns == len(said)
        alice = SessionKeys.of("counter", "rest", "alice")
        await until(lambda: _lock_free(client, alice), 5, "the lock and the line freed")
    finally:
        await client.aclose()


async def _lock_free(client: Redis, session_keys: SessionKeys) -> bool:
    return not await client.exists(session_keys.lock) and not await client.llen(session_keys.queue)


async def test_counters_and_indexes_follow_the_sessions_through_stalls_around_every_call(
    counter_bots: Path, start_redis: StartRedis, start_gateway: StartGateway
) -> None:
    """Users start and finish conversations while Redis stalls again and again: the counts end up exact."""
    (counter_bots / "greeter.yaml").write_text(yaml.safe_dump(GREETER))
    server = start_redis(*DEBUG)
    gateway = start_gateway(server.url, counter_bots, BOTGATE_REDIS_TIMEOUT="0.2", BOTGATE_LOCK_LEASE_MS="2000")
    client = Redis.from_url(server.url)
    users = [f"user-{i}" for i in range(12)]
    statuses: list[int] = []
    stop_at = time.monotonic() + 6.0

    async def converse(http: httpx.AsyncClient, user: str) -> None:
        n = 0
        while time.monotonic() < stop_at:
            text = "hi" if n % 2 == 0 else user  # start a conversation, then answer it (which ends it)
            r = await http.post("/v1/bots/greeter/messages", json={"user": user, "text": text})
            statuses.append(r.status_code)
            n += r.status_code == 200

    async def keep_stalling() -> None:
        while time.monotonic() < stop_at - 1:
            await (await stall(server.url, 0.4))
            await asyncio.sleep(0.2)

    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
            await asyncio.gather(keep_stalling(), *(converse(http, u) for u in users))
            # One more message each: whatever a stall left uncounted is counted by the session's next turn.
            for user in users:
                assert (await http.post("/v1/bots/greeter/messages", json={"user": user, "text": "hi"})).is_success
        assert 503 in statuses and set(statuses) <= {200, 503}
        await until(lambda: _counted_exactly(client, users), 10, "counters equal to the live sessions")
    finally:
        await client.aclose()


async def _counted_exactly(client: Redis, users: list[str]) -> bool:
    live: dict[str, int] = {}
    for user in users:
        session_keys = SessionKeys.of("greeter", "rest", user)
        doc = json.loads(await client.hget(session_keys.session, "doc"))
        if doc["status"] != "ended":
            live[doc["version"]] = live.get(doc["version"], 0) + 1
        if await client.smembers(keys.user_sessions("greeter", user)) != {session_keys.tag.encode()}:
            return False
    counted = {k.decode(): int(v) for k, v in (await client.hgetall(keys.active_counts("greeter"))).items()}
    return {v: n for v, n in counted.items() if n} == live
