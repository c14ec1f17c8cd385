"""Bounded concurrency in front of a slow `http` bot: 200 users at once against a version allowed 20 calls in flight."""

from __future__ import annotations

import asyncio

import httpx
from redis.asyncio import Redis

from middleware import keys
from middleware.keys import SessionKeys
from tests.admin.support import Admin
from tests.bot_versions.runtimes.support import chat, definition, post, release, runtime_settings, texts
from tests.faults.traffic import stored, until
from tests.support import running_gateway
from tests.upstream.fixtures import RunningBot

USERS = 200
MAX_IN_FLIGHT = 20
SLOW_MS = 3000  # long enough that the whole load is in flight while the bystander talks to another bot


async def bot_stats(bot: RunningBot) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        stats: dict[str, int] = (await client.get(bot.url + "/stats")).json()
    return stats


async def test_a_slow_bot_gets_its_bound_the_excess_503_nothing_lost_and_other_bots_still_answer(
    redis: Redis, http_test_bot: RunningBot
) -> None:
    """No 500; the bot never sees more than max_in_flight calls; every 200 is in its user's transcript, every 503
    carries Retry-After and left nothing in Redis; an echo bot answers while the slow calls are all in flight."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        slow = definition(
            "slow", "1.0.0", "http", url=f"{http_test_bot.url}/slow/{SLOW_MS}", max_in_flight=MAX_IN_FLIGHT
        )
        await release(Admin(gw.http), slow)
        async with httpx.AsyncClient() as client:
            await client.delete(http_test_bot.url + "/received")  # resets the bot's peak of calls in flight
        before = set(await redis.keys("*"))
        users = [f"load-{n}" for n in range(USERS)]
        load = [asyncio.create_task(post(gw.http, "slow", user, f"hi from {user}")) for user in users]

        async def all_slots_taken() -> bool:
            return (await bot_stats(http_test_bot))["in_flight"] == MAX_IN_FLIGHT

        await until(all_slots_taken, 10, f"{MAX_IN_FLIGHT} calls in flight")
        bystander = await chat(gw.http, "echo", "bystander", "still there?")
        still_loaded = (await bot_stats(http_test_bot))["in_flight"]
        answers = dict(zip(users, await asyncio.gather(*load), strict=True))

    assert texts(bystander) == ["ECHO: still there?"]
    assert still_loaded == MAX_IN_FLIGHT  # the echo was answered while every slot was taken
    assert (await bot_stats(http_test_bot))["peak_in_flight"] == MAX_IN_FLIGHT
    assert {r.status_code for r in answers.values()} == {200, 503}
    ok = [user for user, r in answers.items() if r.status_code == 200]
    assert len(ok) >= MAX_IN_FLIGHT
    for user in ok:
        assert texts(answers[user].json()) == [f"echo 1 from 1.0.0: hi from {user}"]
        assert await stored(redis, user, bot="slow") == (1, [f"hi from {user}"])
    for r in answers.values():
        if r.status_code == 503:
            assert r.headers["Retry-After"] == "1" and r.json()["error"]["code"] == "unavailable"
    # Every key the load wrote belongs to a user answered 200 (their session's keys, their user index), or counts
    # (active counters, per-minute health and its write ids); the only others are the bystander's.
    owned = {SessionKeys.of("slow", "rest", user).tag for user in ok}
    shared = {keys.active_counts("slow"), keys.counted_sessions("slow")}
    indexes = {keys.user_sessions("slow", user) for user in ok}
    bystanders = {SessionKeys.of("echo", "rest", "bystander").tag, "{echo}"}
    for key in {k.decode() for k in set(await redis.keys("*")) - before}:
        health = key.startswith(("bg:h:{slow}", "bg:k:{slow}", "bg:h:{echo}", "bg:k:{echo}"))
        assert key in shared or key in indexes or health or any(tag in key for tag in owned | bystanders), key
    assert {tag.decode() for tag in await redis.hkeys(keys.counted_sessions("slow"))} == owned
