"""Counter moves of turns finishing together share one write, and every turn waits for its own."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from middleware import keys
from middleware.counters import Counters
from middleware.keys import SessionKeys
from middleware.store import SessionStore


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


async def test_moves_made_while_a_write_is_in_flight_go_out_together_in_the_next() -> None:
    """Three turns: the first write carries one, the second carries the other two, summed per version."""
    script = SlowScript()
    counters = Counters(script)  # type: ignore[arg-type]
    first = asyncio.create_task(counters.move("greeter", {"1.0.0": 1}, "alice", "{greeter:rest:alice}"))
    await asyncio.sleep(0)
    later = [
        asyncio.create_task(counters.move("greeter", {"1.0.0": 1}, "bob", "{greeter:rest:bob}")),
        asyncio.create_task(counters.move("greeter", {"1.0.0": -1, "2.0.0": 1}, None, "{greeter:rest:carol}")),
    ]
    await asyncio.sleep(0)
    assert not any(t.done() for t in [first, *later])
    script.release.set()
    await asyncio.gather(first, *later)
    assert [args for _, args in script.calls] == [
        [1, "1.0.0", 1, "{greeter:rest:alice}"],
        [1, "2.0.0", 1, "{greeter:rest:bob}"],  # 1.0.0 moved +1 and -1: nothing to write
    ]
    assert script.calls[1][0] == [keys.active_counts("greeter"), keys.user_sessions("greeter", "bob")]


async def test_many_first_sessions_at_once_are_all_counted_and_indexed(redis: Redis) -> None:
    """Twenty users start at once: the counter says twenty and each user's index holds their session."""
    store = SessionStore(redis)
    users = [f"user-{i}" for i in range(20)]
    await asyncio.gather(*(
        store.count("greeter", {"2.0.0": 1}, user=u, session_tag=SessionKeys.of("greeter", "rest", u).tag)
        for u in users
    ))  # fmt: skip
    assert await redis.hget(keys.active_counts("greeter"), "2.0.0") == b"20"
    for u in users:
        tag = SessionKeys.of("greeter", "rest", u).tag
        assert await redis.smembers(keys.user_sessions("greeter", u)) == {tag.encode()}
