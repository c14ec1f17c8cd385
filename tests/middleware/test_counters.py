"""Counting: turns finishing together share one write, writes are idempotent, failed writes are retried, health
counts are batched and written at most a second later."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from middleware import counters as counters_module
from middleware import keys
from middleware.counters import Count, Counters, _call, _Owed
from middleware.keys import SessionKeys
from middleware.store import SessionStore


def tag(user: str) -> str:
    return SessionKeys.of("greeter", "rest", user).tag


class SlowScript:
    """Stands in for count.lua: records each call and holds the first one until released."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[Any]]] = []
        self.release = asyncio.Event()

    async def __call__(self, keys: list[str], args: list[Any]) -> int:
        self.calls.append((keys, args))
        if len(self.calls) == 1:
            await self.release.wait()
        return 1


async def test_entries_made_while_a_write_is_in_flight_go_out_together_in_the_next() -> None:
    """Three turns: the first write carries one entry, the second the other two, with one index key per user."""
    script = SlowScript()
    counters = Counters(script)  # type: ignore[arg-type]
    first = asyncio.create_task(counters.record("greeter", Count(tag("alice"), 1, "1.0.0", "alice")))
    await asyncio.sleep(0)
    later = [
        asyncio.create_task(counters.record("greeter", Count(tag("bob"), 1, "1.0.0", "bob"))),
        asyncio.create_task(counters.record("greeter", Count(tag("bob"), 2, "", "bob"))),
    ]
    await asyncio.sleep(0)
    assert not any(t.done() for t in [first, *later])
    script.release.set()
    await asyncio.gather(first, *later)
    assert [json.loads(args[0])["entries"] for _, args in script.calls] == [
        [[tag("alice"), 1, "1.0.0", 3]],
        [[tag("bob"), 2, "", 3]],  # bob's newer entry replaced his older one
    ]
    assert script.calls[1][0] == [
        keys.active_counts("greeter"),
        keys.counted_sessions("greeter"),
        keys.user_sessions("greeter", "bob"),
    ]


async def counts(redis: Redis) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in (await redis.hgetall(keys.active_counts("greeter"))).items()}


async def test_an_entry_written_twice_counts_once_and_an_older_one_never_undoes_a_newer(redis: Redis) -> None:
    """Sent again after a lost answer, or late, an entry changes nothing; a newer one moves the session."""
    counters = Counters(SessionStore(redis)._counters._script)
    alice = tag("alice")
    await counters.record("greeter", Count(alice, 1, "1.0.0", "alice"))
    await counters.record("greeter", Count(alice, 1, "1.0.0", "alice"))
    assert await counts(redis) == {"1.0.0": 1}
    await counters.record("greeter", Count(alice, 3, "2.0.0", "alice"))
    await counters.record("greeter", Count(alice, 2, "", "alice"))  # older than what is counted
    assert await counts(redis) == {"1.0.0": 0, "2.0.0": 1}
    await counters.record("greeter", Count(alice, 4, "", "alice"))
    assert await counts(redis) == {"1.0.0": 0, "2.0.0": 0}
    assert await redis.smembers(keys.user_sessions("greeter", "alice")) == {alice.encode()}


async def test_many_first_sessions_at_once_are_all_counted_and_indexed(redis: Redis) -> None:
    """Twenty users start at once: the counter says twenty and each user's index holds their session."""
    counters = Counters(SessionStore(redis)._counters._script)
    users = [f"user-{i}" for i in range(20)]
    await asyncio.gather(*(counters.record("greeter", Count(tag(u), 1, "2.0.0", u)) for u in users))
    assert await counts(redis) == {"2.0.0": 20}
    for u in users:
        assert await redis.smembers(keys.user_sessions("greeter", u)) == {tag(u).encode()}


class FailingFirst:
    """count.lua behind a connection that fails the first `failures` calls."""

    def __init__(self, script: Any, failures: int) -> None:
        self.script = script
        self.failures = failures
        self.calls = 0

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise RedisConnectionError("Redis went away")
        return await self.script(keys=keys, args=args)


async def test_a_failed_write_does_not_hold_the_turn_and_lands_later_in_the_background(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The turn returns at once; the entry is retried until Redis takes it, and then counted exactly once."""
    monkeypatch.setattr(counters_module, "RETRY_FIRST_S", 0.01)
    script = FailingFirst(SessionStore(redis)._counters._script, failures=2)
    written: list[tuple[str, int]] = []
    counters = Counters(script, lambda t, r: written.append((t, r)))  # type: ignore[arg-type]
    await counters.record("greeter", Count(tag("alice"), 1, "1.0.0", "alice"))
    assert counters.owed("greeter") == 1 and written == []
    for _ in range(500):
        if written:
            break
        await asyncio.sleep(0.01)
    assert written == [(tag("alice"), 1)]
    assert counters.owed("greeter") == 0
    assert script.calls == 3
    assert await counts(redis) == {"1.0.0": 1}


MINUTE = 1_700_000_040_000  # a whole minute


async def bucket(redis: Redis, minute: int = MINUTE) -> dict[str, int]:
    raw = await redis.hgetall(keys.health("greeter", minute))
    return {k.decode(): int(v) for k, v in raw.items()}


async def test_health_counts_of_many_turns_go_out_in_one_write_within_the_flush_interval(redis: Redis) -> None:
    """A hundred turns' counts wait in the process and are written together, once, without anyone waiting."""
    script = FailingFirst(SessionStore(redis)._counters._script, failures=0)
    counters = Counters(script, flush_s=0.05)  # type: ignore[arg-type]
    for _ in range(100):
        counters.observe("greeter", MINUTE, {"2.0.0|turns": 1, "2.0.0|lat|3": 1})
    counters.observe("greeter", MINUTE, {"2.0.0|started": 1})
    assert script.calls == 0
    for _ in range(200):
        if script.calls:
            break
        await asyncio.sleep(0.01)
    await counters.flush()
    assert script.calls == 1
    assert await bucket(redis) == {"2.0.0|turns": 100, "2.0.0|lat|3": 100, "2.0.0|started": 1}
    assert 0 < await redis.ttl(keys.health("greeter", MINUTE)) <= 49 * 3600


async def test_a_health_group_sent_again_after_a_lost_answer_counts_once(redis: Redis) -> None:
    """The same group id applied twice (the first answer lost) adds its counts once."""
    script = SessionStore(redis)._counters._script
    counters = Counters(script)
    counters.observe("greeter", MINUTE, {"2.0.0|errors": 2})
    batch = counters._pending["greeter"]
    call = _call("greeter", _Owed(groups=[("group-1", batch.health)]))
    await script(*call)
    await script(*call)  # the retry of a call whose answer was lost
    assert await bucket(redis) == {"2.0.0|errors": 2}


async def test_each_write_keeps_where_the_versions_stand_in_its_newest_minute(redis: Redis) -> None:
    """The minute's bucket gets `version|active` from the active counters, for the drain chart."""
    counters = Counters(SessionStore(redis)._counters._script)
    await counters.record("greeter", Count(tag("alice"), 1, "1.0.0", "alice"))
    await counters.record("greeter", Count(tag("bob"), 1, "2.0.0", "bob"))
    counters.observe("greeter", MINUTE, {"2.0.0|turns": 1})
    await counters.flush()
    assert await bucket(redis) == {"2.0.0|turns": 1, "1.0.0|active": 1, "2.0.0|active": 1}
