"""A turn stalled past its lease: the user's next turn goes ahead, and the stalled turn's late save is refused."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from middleware.keys import SessionKeys
from tests.faults.conftest import SlowServer, StartGateway
from tests.faults.traffic import until
from tests.redis_servers import RedisServer

LEASE_MS = 1000
URL = "/v1/bots/lookup/messages"


async def test_the_next_turn_proceeds_after_the_lease_and_the_stalled_save_is_fenced(
    redis_server: RedisServer,
    redis: Redis,
    counter_bots: Path,
    slow_server: SlowServer,
    start_gateway: StartGateway,
) -> None:
    """`stall` holds its turn in a call past the lease; `quick` is answered; the stalled turn gets 503, logged."""
    gateway = start_gateway(
        redis_server.url,
        counter_bots,
        BOTGATE_LOCK_LEASE_MS=str(LEASE_MS),
        BOTGATE_CALL_HOSTS=f"127.0.0.1:{slow_server.port}",
    )
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
        assert (await http.post(URL, json={"user": "alice", "text": "hi"})).status_code == 200
        stalled = asyncio.create_task(http.post(URL, json={"user": "alice", "text": "stall"}))
        await until(slow_server.stalled.is_set, 10, "the stalled turn's call reaching the slow server")
        sent = time.monotonic()
        quick = await http.post(URL, json={"user": "alice", "text": "quick"})
        assert quick.status_code == 200, quick.text
        assert [r["text"] for r in quick.json()["replies"]] == ["Looked up quick", "What should I look up?"]
        assert time.monotonic() - sent >= LEASE_MS / 1000 / 2  # it did wait for the stalled turn's lease
        slow_server.closing.set()  # let the stalled call finish now: its save comes too late
        late = await stalled
    assert late.status_code == 503 and late.headers["Retry-After"] == "1"
    assert late.json()["error"]["code"] == "session_moved_on"
    await until(lambda: bool(gateway.events("turn_fenced")), 10, "turn_fenced in the gateway's log")
    session_keys = SessionKeys.of("lookup", "rest", "alice")
    doc = await redis.hget(session_keys.session, "doc")
    assert doc is not None
    rows = await redis.xrange(session_keys.transcript(json.loads(doc)["conversation"]))
    said = [f[b"text"] for _, f in rows if f[b"role"] == b"user"]
    assert said == [b"hi", b"quick"]
