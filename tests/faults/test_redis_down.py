"""Redis killed and restarted, or stalled: 503 with Retry-After meanwhile, then service again with nothing lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from middleware.keys import SessionKeys
from tests.faults.conftest import StartGateway, StartRedis
from tests.faults.traffic import COUNTER_URL, DEBUG, RoundRobin, Talk, stall, stored, talk, until

USERS = 20
TIMEOUT_S = 0.5  # BOTGATE_REDIS_TIMEOUT
# A 503 comes within the timeout of the call that failed and of its one reconnect attempt, plus slack for CI.
BUDGET_S = 2 * TIMEOUT_S + 1.5
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


async def test_a_redis_restart_answers_503_meanwhile_and_keeps_every_acknowledged_turn(
    counter_bots: Path, start_redis: StartRedis, start_gateway: StartGateway
) -> None:
    """SIGKILL Redis mid-load, start it again on its port and data: the same gateway serves again, nothing lost."""
    server = start_redis(*DURABLE)
    gateway = start_gateway(server.url, counter_bots, BOTGATE_REDIS_TIMEOUT=str(TIMEOUT_S))
    balancer = RoundRobin([gateway.url])
    talks = [Talk(f"user-{i}") for i in range(USERS)]
    stop = asyncio.Event()
    load = asyncio.gather(*(talk(balancer, t, lambda: not stop.is_set()) for t in talks))
    try:
        await until(lambda: all(len(t.acked) >= 3 for t in talks), 10, "three answers for every user")
        server.stop(kill=True)
        crashed_at = time.monotonic()
        acked_before = {t.user: list(t.acked_texts) for t in talks}
        await until(
            lambda: all(any(sent + took > crashed_at for sent, took, _ in t.refused) for t in talks),
            10,
            "a 503 for every user while Redis is down",
        )
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.headers["Retry-After"] == "1"
            server = start_redis(*DURABLE, port=server.port)
            restarted_at = time.monotonic()
            await until(
                lambda: all(any(at > restarted_at for at, _ in t.acked) for t in talks), 20, "answers after the restart"
            )
            assert (await http.get("/readyz")).status_code == 200
        stop.set()
        await load
    finally:
        stop.set()
        await asyncio.gather(load, return_exceptions=True)
        await balancer.aclose()

    client = Redis.from_url(server.url)
    try:
        for t in talks:
            down = [(took, r) for sent, took, r in t.refused if sent + took > crashed_at and sent < restarted_at]
            assert all(r.status_code == 503 and r.headers["Retry-After"] == "1" for _, r in down)
            assert max(took for took, _ in down) <= BUDGET_S, f"{t.user}: a 503 took longer than the Redis timeout"
            turns, said = await stored(client, t.user)
            assert set(acked_before[t.user]) <= set(said), f"{t.user}: a turn answered before the crash was lost"
            assert set(t.acked_texts) <= set(said), f"{t.user}: an answered turn is missing"
            assert turns == len(said), f"{t.user}: the session and its transcript disagree"
    finally:
        await client.aclose()


async def test_a_stalled_redis_answers_503_within_the_timeout_and_a_retried_message_runs_once(
    counter_bots: Path, start_redis: StartRedis, start_gateway: StartGateway
) -> None:
    """Redis stalled past the timeout: 503 in time; the turn runs when the stall ends, and the retry is not another.

    A stall (unlike CLIENT PAUSE, which drops the commands of clients that went away) runs the gateway's call after
    it answered 503, so the turn is saved unanswered, and only the duplicate marker keeps the channel's retry of the
    same message id from running it a second time.
    """
    server = start_redis(*DEBUG)
    gateway = start_gateway(server.url, counter_bots, BOTGATE_REDIS_TIMEOUT=str(TIMEOUT_S))
    client = Redis.from_url(server.url)
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:

            async def send(text: str, message_id: str) -> httpx.Response:
                return await http.post(COUNTER_URL, json={"user": "alice", "text": text, "id": message_id})

            assert (await send("one", "m-1")).status_code == 200
            stalled = await stall(server.url, 3.0)
            sent = time.monotonic()
            refused = await send("two", "m-2")
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
            assert time.monotonic() - sent <= BUDGET_S
            assert (await http.get("/readyz")).status_code == 503
            await stalled
            await until(lambda: _ready(http), 10, "/readyz once the stall is over")
            retried = await send("two", "m-2")
            assert retried.status_code == 200
            assert [r["text"] for r in retried.json()["replies"]] == ["You said two", "Say something"]
            assert (await send("three", "m-3")).status_code == 200
        assert await stored(client, "alice") == (3, ["one", "two", "three"])
        assert await client.exists(SessionKeys.of("counter", "rest", "alice").lock) == 0
    finally:
        await client.aclose()


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/readyz")).status_code == 200
