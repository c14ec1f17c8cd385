"""Two `botgate serve` processes on one Redis, users sending bursts while their conversations migrate."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from redis.asyncio import Redis

from middleware.keys import SessionKeys, active_counts
from tests.processes import ServerProcess, live_gateway
from tests.redis_servers import RedisServer

TOKEN = "migration-concurrency-token"
USERS = 24
PER_GATEWAY = 2  # messages of one user sent to each gateway at once, in every burst
AFTER = 3  # bursts sent once every user has moved


def relay(version: str, **extra: Any) -> dict[str, Any]:
    """A conversation that never ends: a language, then names for ever, each greeting naming the version."""
    name = "ask_name" if version == "2.0.0" else "ask_first_name"
    return {
        "bot": "relay",
        "version": version,
        "start": "ask_language",
        "steps": {
            "ask_language": {"ask": "Which language?", "save": "language", "next": name},
            name: {"ask": "Your name?", "save": "name", "next": "greet"},
            "greet": {"say": f"{{name}} from {version}", "next": name},
        },
        **extra,
    }


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RedisServer, list[ServerProcess]]]:
    """A redis-server of this module's own and two gateways serving relay 2.0.0 from it."""
    bots = tmp_path_factory.mktemp("relay-bots")
    (bots / "relay-2.0.0.yaml").write_text(yaml.safe_dump(relay("2.0.0")))
    server = RedisServer(tmp_path_factory.mktemp("relay-redis")).start()
    started: list[ServerProcess] = []
    try:
        env = {"BOTGATE_REDIS_URL": server.url, "BOTGATE_BOTS_DIR": str(bots), "BOTGATE_ADMIN_TOKENS": TOKEN}
        for n in range(2):
            started.append(live_gateway(tmp_path_factory.mktemp(f"relay-gateway-{n}"), env).start())
        yield server, started
    finally:
        for gateway in started:
            gateway.stop()
        server.stop()


async def stored(redis: Redis, user: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The user's session document and its conversation's transcript."""
    session_keys = SessionKeys.of("relay", "rest", user)
    session = json.loads(await redis.hget(session_keys.session, "doc"))
    rows = await redis.xrange(session_keys.transcript(session["conversation"]))
    return session, [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]


async def test_bursts_during_migration_lose_no_turn_move_each_conversation_once_and_counters_add_up(
    gateways: tuple[RedisServer, list[ServerProcess]],
) -> None:
    """Every answered message is in its transcript once, each transcript has one move, counters match the sessions."""
    server, (a, b) = gateways
    admin = {"Authorization": f"Bearer {TOKEN}"}
    users = [f"user-{i}" for i in range(USERS)]
    acked: dict[str, list[str]] = {u: [] for u in users}
    versions: dict[str, list[str]] = {u: [] for u in users}
    async with httpx.AsyncClient(timeout=30) as http:

        async def send(base: str, user: str, text: str) -> None:
            r = await http.post(f"{base}/v1/bots/relay/messages", json={"user": user, "text": text})
            assert r.status_code == 200, r.text
            answer = r.json()
            version = answer["version"]
            if text != "hi":
                assert answer["replies"][0]["text"] in (f"{text} from {version}", "Your name?"), answer
            acked[user].append(text)
            versions[user].append(version)

        async def burst(n: int) -> None:
            await asyncio.gather(
                *(
                    send(base, user, f"{user}/{n}/{k}/{base[-5:]}")
                    for user in users
                    for base in (a.url, b.url)
                    for k in range(PER_GATEWAY)
                )
            )

        await asyncio.gather(*(send(a.url if i % 2 else b.url, u, "hi") for i, u in enumerate(users)))
        await burst(0)
        # Stored and published through b: for up to its catalog's max age, a does not even know 2.1.0 exists.
        document = relay("2.1.0", resumes=">=2.0,<2.1", resume_at={"ask_name": "ask_first_name"})
        stored_at = await http.put(f"{b.url}/admin/v1/bots/relay/versions/2.1.0", json=document, headers=admin)
        assert stored_at.status_code == 201, stored_at.text
        published = await http.post(f"{b.url}/admin/v1/bots/relay/versions/2.1.0/publish", headers=admin)
        assert published.status_code == 200, published.text
        # Each process sees the change within its catalog's max age; keep talking until every user has moved.
        deadline, n = time.monotonic() + 10, 1
        while not all(v[-1] == "2.1.0" for v in versions.values()):
            assert time.monotonic() < deadline, "not every conversation moved within 10 s"
            await burst(n)
            n += 1
        for extra in range(AFTER):
            await burst(n + extra)
        view = (await http.get(f"{a.url}/admin/v1/bots/relay", headers=admin)).json()

    redis = Redis.from_url(server.url)
    try:
        live: Counter[str] = Counter()
        for user in users:
            session, rows = await stored(redis, user)
            said = [r["text"] for r in rows if r["role"] == "user"]
            assert sorted(said) == sorted(acked[user]), f"{user}: a turn was lost or doubled"
            assert session["turns"] == len(acked[user])
            moves = [(r["from"], r["version"]) for r in rows if r["role"] == "migration"]
            assert moves == [("2.0.0", "2.1.0")], f"{user} moved {moves}"
            at = [r["version"] for r in rows]
            moved = [r["role"] for r in rows].index("migration")
            assert set(at[:moved]) == {"2.0.0"} and set(at[moved:]) == {"2.1.0"}, f"{user} went back: {at}"
            # said[0] is "hi", which started the conversation; the answer after it, saved by 2.0.0, moved with it
            assert session["state"]["payload"]["language"] == said[1]
            live[session["version"]] += session["status"] != "ended"
        counters = {k.decode(): int(v) for k, v in (await redis.hgetall(active_counts("relay"))).items()}
        sessions = [key async for key in redis.scan_iter("bg:s:*")]
    finally:
        await redis.aclose()
    assert len(sessions) == USERS
    assert {v: n for v, n in counters.items() if n} == dict(live) == {"2.1.0": USERS}
    assert {v["version"]: v["active_sessions"] for v in view["versions"]} == {"2.1.0": USERS, "2.0.0": 0}
    decisions = Counter(e["decision"] for g in (a, b) for e in g.events("turn"))
    assert decisions["migrate"] == USERS
