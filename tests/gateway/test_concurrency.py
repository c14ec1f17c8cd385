"""Two gateway instances on one Redis, 50 users sending bursts: no lost turn, no interleaving."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import yaml
from redis.asyncio import Redis

from gateway.redis_connection import connect
from gateway.settings import Settings
from middleware.keys import SessionKeys
from tests.redis_servers import RedisServer
from tests.support import running_gateway

USERS = 50
BURSTS = 4
PER_INSTANCE = 2  # messages per burst sent to each instance at once

COUNTER = {
    "bot": "counter",
    "version": "1.0.0",
    "start": "ask",
    "steps": {
        "ask": {"ask": "Say something", "save": "last", "next": "echo"},
        "echo": {"say": "You said {last}", "next": "ask"},
    },
}


async def send(http: httpx.AsyncClient, user: str, text: str) -> list[str]:
    r = await http.post("/v1/bots/counter/messages", json={"user": user, "text": text})
    assert r.status_code == 200, r.text
    return [reply["text"] for reply in r.json()["replies"]]


async def test_bursts_through_two_instances_lose_no_turn_and_never_interleave(
    redis_server: RedisServer, redis: Redis, tmp_path: Path
) -> None:
    """Every reply answers its own message; stored turns equal messages sent; transcripts pair up in order."""
    (tmp_path / "counter.yaml").write_text(yaml.safe_dump(COUNTER))
    settings = Settings(redis_url=redis_server.url, bots_dir=tmp_path)
    other = connect(Settings(redis_url=redis_server.url))  # a cluster client on a cluster
    try:
        async with running_gateway(redis, settings=settings) as a, running_gateway(other, settings=settings) as b:
            users = [f"user-{i}" for i in range(USERS)]
            for u in users:
                assert await send(a.http, u, "start") == ["Say something"]

            async def burst(user: str, n: int) -> None:
                texts = [f"{user}/{n}/{k}" for k in range(2 * PER_INSTANCE)]
                clients = [a.http, b.http] * PER_INSTANCE
                replies = await asyncio.gather(*(send(c, user, t) for c, t in zip(clients, texts, strict=True)))
                for text, got in zip(texts, replies, strict=True):
                    assert got == [f"You said {text}", "Say something"]

            for n in range(BURSTS):
                await asyncio.gather(*(burst(u, n) for u in users))

            for u in users:
                session = await a.services.store.load(SessionKeys.of("counter", "rest", u))
                assert session is not None
                assert session.turns == 1 + BURSTS * 2 * PER_INSTANCE
                rows = await redis.xrange(SessionKeys.of("counter", "rest", u).transcript(session.conversation))
                lines = [(f[b"role"].decode(), f[b"text"].decode()) for _, f in rows]
                assert lines[:2] == [("user", "start"), ("bot", "Say something")]
                for i in range(2, len(lines), 3):
                    (role, said), reply, prompt = lines[i : i + 3]
                    assert role == "user"
                    assert reply == ("bot", f"You said {said}") and prompt == ("bot", "Say something")
                assert len(lines) == 2 + 3 * BURSTS * 2 * PER_INSTANCE
    finally:
        await other.aclose()


async def test_a_repeated_message_id_runs_once(redis: Redis) -> None:
    """A channel retry with the same id gets the first answer back; the turn is not run again."""
    async with running_gateway(redis) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi", message_id="m-1")
        first = await alice.send("Alice", message_id="m-2")
        again = await alice.send("Alice", message_id="m-2")
        assert again == first == {**first, "replies": [{"text": "Hello, Alice, from the updated bot"}]}
        session = await gw.services.store.load(SessionKeys.of("greeter", "rest", "alice"))
        assert session is not None and session.turns == 2
