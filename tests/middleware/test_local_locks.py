"""The process-local per-session locks: first come first served, and no key kept once nobody holds or awaits it."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from middleware.local_locks import KeyedLocks

# One turn: its session key, how often it yields while holding the lock, whether it may wait, whether it is cancelled.
turns = st.lists(
    st.tuples(st.text(max_size=2), st.integers(0, 3), st.booleans(), st.booleans()), min_size=1, max_size=40
)


@given(plan=turns)
async def test_after_any_mix_of_turns_timeouts_and_cancellations_no_key_is_left(
    plan: list[tuple[str, int, bool, bool]],
) -> None:
    """Whatever keys were used, and however turns ended (done, gave up waiting, cancelled), the map ends empty."""
    locks = KeyedLocks()
    holders: dict[str, int] = {}

    async def turn(key: str, yields: int, may_wait: bool) -> None:
        if not await locks.acquire(key, timeout=10.0 if may_wait else 0.0):
            return
        try:
            holders[key] = holders.get(key, 0) + 1
            assert holders[key] == 1  # one holder per key at a time
            for _ in range(yields):
                await asyncio.sleep(0)
        finally:
            holders[key] -= 1
            locks.release(key)

    tasks = [asyncio.create_task(turn(key, yields, may_wait)) for key, yields, may_wait, _ in plan]
    await asyncio.sleep(0)
    for task, (_, _, _, cancel) in zip(tasks, plan, strict=True):
        if cancel:
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert len(locks) == 0


async def test_waiters_get_the_lock_in_the_order_they_asked() -> None:
    """Three turns on one key run in arrival order, and the key is gone after the last."""
    locks = KeyedLocks()
    order: list[int] = []

    async def turn(n: int) -> None:
        assert await locks.acquire("alice", timeout=10.0)
        order.append(n)
        await asyncio.sleep(0)
        locks.release("alice")

    await asyncio.gather(*(turn(n) for n in range(3)))
    assert order == [0, 1, 2]
    assert len(locks) == 0
