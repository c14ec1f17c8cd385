"""Turns run on each process's cached session: one Redis call when nothing moved it, a correct re-run when it did."""

from __future__ import annotations

from pathlib import Path

import yaml
from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot_versions.examples import examples_dir
from gateway.redis_connection import connect
from gateway.settings import Settings
from middleware.keys import SessionKeys
from tests.redis_servers import RedisServer
from tests.support import Gateway, running_gateway

ALICE = SessionKeys.of("greeter", "rest", "alice")


async def script_calls(redis: Redis) -> int:
    """Calls clients made to scripts since the last CONFIG RESETSTAT (commands inside scripts are not calls)."""
    stats = await redis.info("commandstats")
    return sum(int(v["calls"]) for name, v in stats.items() if name in ("cmdstat_evalsha", "cmdstat_eval"))


async def tries(gw: Gateway, user: str, text: str) -> tuple[list[str], int]:
    """Send a greeter message; the reply texts and how many runs the turn took."""
    with capture_logs() as logs:
        replies = await gw.chat("greeter", user).says(text)
    return replies, next(e["tries"] for e in logs if e["event"] == "turn")


async def test_a_turn_on_a_session_this_process_saved_last_costs_one_script_call(redis: Redis) -> None:
    """Lock, duplicate check, compare-and-set, transcript and release happen in one call."""
    async with running_gateway(redis) as gw:
        alice = gw.chat("echo", "alice")
        await alice.send("one")
        await redis.config_resetstat()
        assert await alice.says("two") == ["ECHO: two"]
        assert await script_calls(redis) == 1


async def test_a_copy_another_process_moved_on_is_run_again_on_the_stored_session(
    redis_server: RedisServer, redis: Redis
) -> None:
    """Alice alternates between two processes: every answer follows the stored conversation."""
    other = connect(Settings(redis_url=redis_server.url))  # a cluster client on a cluster
    try:
        async with running_gateway(redis) as a, running_gateway(other) as b:
            assert await tries(a, "alice", "hi") == (["What is your name?"], 1)
            assert await tries(b, "alice", "Alice") == (["Hello, Alice, from the updated bot"], 2)
            assert await tries(a, "alice", "hi again") == (["What is your name?"], 2)
            session = await a.services.store.load(ALICE)
            assert session is not None and (session.turns, session.revision) == (3, 3)
    finally:
        await other.aclose()


async def test_a_session_recreated_up_to_the_same_revision_is_not_overwritten_from_the_old_copy(
    redis_server: RedisServer, redis: Redis
) -> None:
    """The stamp of the last save tells a recreated session from the one the cache holds."""
    other = connect(Settings(redis_url=redis_server.url))  # a cluster client on a cluster
    try:
        async with running_gateway(redis) as a, running_gateway(other) as b:
            await a.chat("greeter", "alice").send("hi")
            await redis.delete(ALICE.session)  # e.g. an operator cleaned up; revision numbering starts again
            fresh = await b.chat("greeter", "alice").send("hi")
            answer = await a.chat("greeter", "alice").send("Alice")
            assert answer["conversation"] == fresh["conversation"]
            assert answer["replies"] == [{"text": "Hello, Alice, from the updated bot"}]
    finally:
        await other.aclose()


async def test_a_repeated_message_id_is_answered_from_the_store_on_another_process(
    redis_server: RedisServer, redis: Redis
) -> None:
    """A channel retry reaching a process with no copy of the session still runs the turn once."""
    other = connect(Settings(redis_url=redis_server.url))  # a cluster client on a cluster
    try:
        async with running_gateway(redis) as a, running_gateway(other) as b:
            first = await a.chat("greeter", "alice").send("hi", message_id="m-1")
            again = await b.chat("greeter", "alice").send("hi", message_id="m-1")
            assert again == first
            session = await a.services.store.load(ALICE)
            assert session is not None and session.turns == 1
    finally:
        await other.aclose()


async def test_a_bot_that_calls_out_always_takes_the_lock_first(redis: Redis, tmp_path: Path) -> None:
    """A `call` step must never run twice, so zipcode turns load under the lock: two calls, never one."""
    (tmp_path / "zipcode.yaml").write_text((examples_dir() / "zipcode-1.1.0.yaml").read_text())
    (tmp_path / "echo.yaml").write_text(yaml.safe_dump({"bot": "echo", "version": "1.0.0", "reply": "{text}"}))
    async with running_gateway(redis, settings=Settings(redis_url="redis://t", bots_dir=tmp_path)) as gw:
        catalog = gw.services.catalog
        assert (await catalog.replayable("zipcode"), await catalog.replayable("echo")) == (False, True)
        zipcode = gw.chat("zipcode", "alice")
        await zipcode.send("hi")
        await redis.config_resetstat()
        await zipcode.send("yes")
        assert await script_calls(redis) == 2
