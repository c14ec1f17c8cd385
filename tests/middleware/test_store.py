"""The session store on a real redis-server: lock order, busy sessions, fencing, duplicates, transcript."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot_versions.errors import Unavailable
from gateway.redis_connection import connect
from gateway.settings import Settings
from middleware import keys
from middleware.keys import SessionKeys
from middleware.session import Session, SessionStatus
from middleware.store import Fenced, Lease, SessionStore, StoreLimits, TranscriptEntry

ALICE = SessionKeys.of("greeter", "rest", "alice")


def advanced(session: Session | None, marker: str) -> Session:
    base = session or Session("conv-1", "1.0.0", SessionStatus.ACTIVE)
    return base.evolve(state={"marks": [*base.state.get("marks", []), marker]}, turns=base.turns + 1)


async def run_turn(store: SessionStore, marker: str, message_id: str | None = None) -> Session:
    async with store.turn(ALICE, message_id) as lease:
        return await store.commit(
            lease,
            advanced(lease.session, marker),
            new_conversation=lease.session is None,
            transcript=[TranscriptEntry("user", marker, "1.0.0", 1)],
            response={"replies": [{"text": f"got {marker}"}]},
            message_id=message_id,
            bot="greeter",
            user="alice",
        )


async def save_late(store: SessionStore, stalled: Lease) -> Session:
    """Try to save a turn whose lease has run out meanwhile."""
    return await store.commit(
        stalled,
        advanced(stalled.session, "late"),
        new_conversation=False,
        transcript=[],
        response=None,
        message_id=None,
        bot="greeter",
        user="alice",
    )


async def test_a_first_turn_creates_the_session_at_revision_one(redis: Redis) -> None:
    """A new session is saved with revision 1 and can be read back."""
    store = SessionStore(redis)
    saved = await run_turn(store, "a")
    assert saved.revision == 1
    assert await store.load(ALICE) == saved
    assert await redis.exists(ALICE.lock) == 0


async def test_turns_of_one_session_run_one_at_a_time_in_the_order_accepted(redis: Redis) -> None:
    """Twenty concurrent turns on one session each see the previous one's state, in call order."""
    store = SessionStore(redis)
    await asyncio.gather(*(run_turn(store, str(i)) for i in range(20)))
    session = await store.load(ALICE)
    assert session is not None
    assert session.state["marks"] == [str(i) for i in range(20)]
    assert session.revision == 20


async def test_two_processes_never_interleave_turns_of_one_session(redis_server, redis: Redis) -> None:
    """Two stores with their own connections (as two processes) lose no turn of a shared session."""
    other = connect(Settings(redis_url=redis_server.url))  # a cluster client on a cluster
    try:
        a, b = SessionStore(redis), SessionStore(other)
        await asyncio.gather(*(run_turn(a if i % 2 else b, str(i)) for i in range(40)))
        session = await a.load(ALICE)
        assert session is not None
        assert sorted(session.state["marks"], key=int) == [str(i) for i in range(40)]
        assert session.revision == 40
    finally:
        await other.aclose()


async def test_a_session_that_stays_busy_answers_unavailable_and_changes_nothing(redis: Redis) -> None:
    """A turn that cannot get the lock in time raises Unavailable and leaves no queue entry behind."""
    holder = SessionStore(redis)
    waiter = SessionStore(redis, StoreLimits(wait_ms=150))
    await run_turn(holder, "first")
    async with holder.turn(ALICE, None):
        with pytest.raises(Unavailable) as raised:
            await run_turn(waiter, "second")
        assert raised.value.retry_after >= 1
        assert await redis.llen(ALICE.queue) == 0
    session = await holder.load(ALICE)
    assert session is not None and session.state["marks"] == ["first"]


async def test_a_stalled_turn_whose_lease_lapsed_cannot_overwrite_the_newer_session(redis: Redis) -> None:
    """Fencing: after the lease lapses and another turn saves, the stalled turn's save is refused."""
    store = SessionStore(redis)
    await run_turn(store, "first")
    async with store.turn(ALICE, None) as stalled:
        await redis.delete(ALICE.lock)  # the lease runs out while this turn is stuck
        newer = await run_turn(SessionStore(redis), "newer")
        with pytest.raises(Fenced):
            await save_late(store, stalled)
    assert await store.load(ALICE) == newer
    assert newer.state["marks"] == ["first", "newer"]


async def test_an_expired_lease_lets_the_next_turn_proceed(redis: Redis) -> None:
    """A holder that never releases holds the session up for at most its lease."""
    dead = SessionStore(redis, StoreLimits(lease_ms=100))
    async with dead.turn(ALICE, None):
        saved = await run_turn(SessionStore(redis, StoreLimits(wait_ms=3_000)), "after-lease")
        assert saved.state["marks"] == ["after-lease"]


async def test_a_waiter_whose_process_died_is_dropped_from_the_queue(redis: Redis) -> None:
    """A queue entry past its deadline does not block the session forever."""
    await redis.rpush(ALICE.queue, "1|deadbeef")  # deadline 1 ms after the epoch: long gone
    saved = await run_turn(SessionStore(redis, StoreLimits(wait_ms=500)), "live")
    assert saved.state["marks"] == ["live"]
    assert await redis.llen(ALICE.queue) == 0


async def test_a_repeated_message_id_returns_the_stored_answer_and_runs_nothing(redis: Redis) -> None:
    """The second delivery of a message id gets the first answer; the session does not move."""
    store = SessionStore(redis)
    await run_turn(store, "a", message_id="m-1")
    async with store.turn(ALICE, "m-1") as lease:
        assert lease.seen == {"replies": [{"text": "got a"}]}
    session = await store.load(ALICE)
    assert session is not None and session.revision == 1


async def test_the_transcript_keeps_each_message_with_its_version(redis: Redis) -> None:
    """Transcript entries land in the conversation's stream, and the conversation is listed."""
    store = SessionStore(redis)
    await run_turn(store, "hello")
    rows = await redis.xrange(ALICE.transcript("conv-1"))
    assert [(f[b"role"], f[b"text"], f[b"version"]) for _, f in rows] == [(b"user", b"hello", b"1.0.0")]
    assert await redis.lrange(ALICE.conversations, 0, -1) == [b"conv-1"]


async def test_saves_keep_the_counters_and_the_first_save_indexes_the_session(redis: Redis) -> None:
    """Per-version counters follow each save, so nobody scans the keyspace; the user's index lists the session."""
    store = SessionStore(redis)
    first = await run_turn(store, "a")
    assert await redis.hgetall(keys.active_counts("greeter")) == {b"1.0.0": b"1"}
    assert await redis.smembers(keys.user_sessions("greeter", "alice")) == {ALICE.tag.encode()}
    async with store.turn(ALICE, None) as lease:
        moved = first.evolve(version="2.0.0")
        await store.commit(lease, moved, new_conversation=True, transcript=[], response=None, message_id=None,
                           bot="greeter", user="alice")  # fmt: skip
    assert await redis.hgetall(keys.active_counts("greeter")) == {b"1.0.0": b"0", b"2.0.0": b"1"}


def test_session_keys_escape_separators_so_sessions_never_collide() -> None:
    """User 'a:b' without a space and user 'a' in space 'b' are different sessions."""
    assert SessionKeys.of("bot", "rest", "a:b").session != SessionKeys.of("bot", "rest", "a", "b").session
    assert SessionKeys.of("bot", "rest", "x}y").tag == "{bot:rest:x%7Dy}"


async def test_a_waiter_that_stops_polling_holds_the_line_up_for_one_lease_not_its_whole_wait(redis: Redis) -> None:
    """A waiter's place lasts one lease past its last poll: a process that died mid-wait frees the line soon."""
    dead = SessionStore(redis, StoreLimits(lease_ms=300, wait_ms=60_000))
    async with dead.turn(ALICE, None):
        pass
    holder = SessionStore(redis)
    async with holder.turn(ALICE, None):
        # `dead` queues behind the holder once and never asks again, as if its process had been killed
        args = ["dead-token", dead.limits.lease_ms, dead.limits.wait_ms, ""]
        reply = await dead._begin(keys=[ALICE.session, ALICE.lock, ALICE.queue], args=args)
        assert reply[0] == b"wait"
    saved = await run_turn(SessionStore(redis, StoreLimits(wait_ms=2_000)), "after-the-dead-waiter")
    assert saved.state["marks"] == ["after-the-dead-waiter"]
    assert await redis.llen(ALICE.queue) == 0


async def test_a_turn_stalled_past_its_lease_does_not_hold_up_the_next_turn_in_the_same_process(redis: Redis) -> None:
    """The process-local lock is let go with the lease, so the same process serves the user again, and fences."""
    store = SessionStore(redis, StoreLimits(lease_ms=200, wait_ms=2_000))
    await run_turn(store, "first")
    async with store.turn(ALICE, None) as stalled:
        newer = await run_turn(store, "newer")
        with pytest.raises(Fenced):
            await save_late(store, stalled)
    assert newer.state["marks"] == ["first", "newer"]
    assert await store.load(ALICE) == newer
