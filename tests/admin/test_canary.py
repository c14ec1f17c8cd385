"""Canary and pins through the admin API: sticky, deterministic, only growing, alike in every process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bot_versions.state import BotState
from middleware.routing import bucket, in_canary, route
from tests.admin.support import Admin, greeter, settings
from tests.redis_servers import RedisServer
from tests.support import Chat, Gateway, running_gateway

USERS = [f"user-{n}" for n in range(10_000)]
SAMPLE = USERS[:200]
ECHO_NEXT = {"bot": "echo", "version": "1.1.0", "reply": "ECHO 1.1: {text}"}


@asynccontextmanager
async def two_instances(redis: Redis, redis_server: RedisServer) -> AsyncIterator[tuple[Gateway, Gateway]]:
    """Two gateway apps on the same Redis, each with its own client, as two processes would be."""
    other = Redis.from_url(redis_server.url)
    try:
        async with running_gateway(redis, settings=settings()) as a, running_gateway(other, settings=settings()) as b:
            yield a, b
    finally:
        await other.aclose()


def canary_users(state: BotState, users: Sequence[str]) -> set[str]:
    return {user for user in users if (r := route(state, user)) is not None and r.version == "1.1.0"}


async def versions_of(gateways: Sequence[Gateway], users: Sequence[str], turn: int) -> dict[str, str]:
    """One echo conversation per user (each message is one), sent to the gateways in turn."""

    async def one(n: int, user: str) -> tuple[str, str]:
        chat = Chat(gateways[(n + turn) % len(gateways)].http, "echo", user)
        return user, (await chat.send("hi"))["version"]

    return dict(await asyncio.gather(*(one(n, user) for n, user in enumerate(users))))


async def test_a_10_percent_canary_takes_about_10_percent_of_users(redis: Redis, redis_server: RedisServer) -> None:
    """Of 10,000 users 9-11% land on the canary, and both instances route every one of them alike."""
    async with two_instances(redis, redis_server) as (a, b):
        await Admin(a.http).release(ECHO_NEXT)
        await Admin(a.http).rollout("echo", "1.0.0", "1.1.0", 10)
        state_a = await a.services.catalog.state("echo")
        state_b = await b.services.catalog.state("echo")
        assert state_a is not None and state_b is not None
        share = len(canary_users(state_a, USERS)) / len(USERS)
        assert 0.09 <= share <= 0.11
        assert [route(state_a, u) for u in USERS] == [route(state_b, u) for u in USERS]


async def test_canary_users_keep_their_version_and_stay_in_as_it_grows(redis: Redis, redis_server: RedisServer) -> None:
    """Three conversations each on one version, whichever instance serves them; at 25% the first 10% stay in."""
    async with two_instances(redis, redis_server) as (a, b):
        admin = Admin(a.http)
        await admin.release(ECHO_NEXT)
        await admin.rollout("echo", "1.0.0", "1.1.0", 10)

        rounds = [await versions_of((a, b), SAMPLE, turn) for turn in range(3)]
        assert rounds[0] == rounds[1] == rounds[2]
        first = {user for user, version in rounds[0].items() if version == "1.1.0"}
        assert first == {user for user in SAMPLE if in_canary(bucket("echo", user), 10)}
        assert 0.05 <= len(first) / len(SAMPLE) <= 0.15

        await admin.rollout("echo", "1.0.0", "1.1.0", 25)
        await asyncio.sleep(b.services.catalog.max_age)  # instance B's cached state expires
        grown = await versions_of((a, b), SAMPLE, turn=0)
        now_in = {user for user, version in grown.items() if version == "1.1.0"}
        assert first < now_in
        assert now_in == {user for user in SAMPLE if in_canary(bucket("echo", user), 25)}


async def test_raising_the_percent_keeps_every_canary_user_of_10_000(redis: Redis) -> None:
    """Routing after a raise to 25% keeps all of the first 10% on the canary."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        await admin.release(ECHO_NEXT)
        await admin.rollout("echo", "1.0.0", "1.1.0", 10)
        at_10 = canary_users(await gw.services.catalog.require_state("echo"), USERS)
        await admin.rollout("echo", "1.0.0", "1.1.0", 25)
        at_25 = canary_users(await gw.services.catalog.require_state("echo"), USERS)
        assert at_10 < at_25
        assert 0.24 <= len(at_25) / len(USERS) <= 0.26


async def test_a_pin_to_a_draft_reaches_only_that_user_until_unpinned(redis: Redis) -> None:
    """Tess alone gets her pinned draft; unpinned mid-conversation she finishes on it, then is routed as all."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        assert (await admin.store(greeter("3.0.0"))).status_code == 201
        pinned = await admin.ok("PUT", "/bots/greeter/pins/tess", json={"version": "3.0.0"})
        assert pinned["next_conversation"] == {"version": "3.0.0", "reason": "pin"}

        tess, bob = gw.chat("greeter", "tess"), gw.chat("greeter", "bob")
        await tess.send("hi")
        await bob.send("hi")
        assert (tess.last["version"], bob.last["version"]) == ("3.0.0", "2.0.0")

        unpinned = await admin.ok("DELETE", "/bots/greeter/pins/tess")
        assert unpinned["pin"] is None
        assert unpinned["next_conversation"] == {"version": "2.0.0", "reason": "stable"}
        assert await tess.says("Tess") == ["Hello, Tess, from 3.0.0"]
        await tess.send("hi")
        assert tess.last["version"] == "2.0.0"
