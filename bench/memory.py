"""Bytes per session: 10,000 greeter users each one turn into their conversation, measured key by key."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
from redis import Redis

from middleware import keys
from middleware.keys import SessionKeys

USERS = 10_000
CONCURRENCY = 32


@dataclass(frozen=True, slots=True)
class MemoryResult:
    """Average bytes per session, by what they are for (MEMORY USAGE, so Redis's own overhead included)."""

    sessions: int
    session: float  # the session hash
    lock_and_queue: float  # the turn lock and the waiters' queue: only there while a turn runs
    conversations: float  # the list of the session's conversation ids
    user_index: float  # the user's set of session tags
    counters: float  # the bot's per-version counters and its hash of where each session is counted
    transcripts: float  # the conversation's stream, reported on its own

    @property
    def per_session(self) -> float:
        """Session, lock, queue, conversation list, user index and its share of the counters."""
        return self.session + self.lock_and_queue + self.conversations + self.user_index + self.counters


async def _start_conversations(url: str, users: list[str]) -> int:
    failures = 0
    queue = iter(users)

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failures
        for user in queue:
            r = await http.post("/v1/bots/greeter/messages", json={"user": user, "text": "hi"})
            failures += r.status_code != 200

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
    return failures


def _usage(redis: Redis, names: list[str]) -> list[int]:
    pipe = redis.pipeline(transaction=False)
    for name in names:
        pipe.memory_usage(name, samples=0)
    return [n or 0 for n in pipe.execute()]


def _counters_share(redis: Redis) -> float:
    """The bot's counters divided by the sessions they count: the hash of where each session is counted has one
    field per session of the bot (the runs before this measurement left theirs too), the per-version counts are
    shared by all of them."""
    counted = keys.counted_sessions("greeter")
    sessions = max(int(redis.hlen(counted)), 1)
    names = (keys.active_counts("greeter"), counted)
    return sum(redis.memory_usage(name, samples=0) or 0 for name in names) / sessions


def measure(url: str, redis: Redis, prefix: str = "mem") -> MemoryResult:
    """Start 10,000 greeter conversations through the gateway at `url`, then weigh their keys."""
    users = [f"{prefix}-{i}" for i in range(USERS)]
    failures = asyncio.run(_start_conversations(url, users))
    if failures:
        raise RuntimeError(f"{failures} of {USERS} greeter turns failed while filling sessions")
    tags = [SessionKeys.of("greeter", "rest", user) for user in users]
    pipe = redis.pipeline(transaction=False)
    for k in tags:
        pipe.hget(k.session, "doc")
    conversation_ids = [json.loads(doc)["conversation"] for doc in pipe.execute()]

    def mean(names: list[str]) -> float:
        return sum(_usage(redis, names)) / USERS

    return MemoryResult(
        sessions=USERS,
        session=mean([k.session for k in tags]),
        lock_and_queue=mean([k.lock for k in tags] + [k.queue for k in tags]),
        conversations=mean([k.conversations for k in tags]),
        user_index=mean([keys.user_sessions("greeter", u) for u in users]),
        counters=_counters_share(redis),
        transcripts=mean([k.transcript(c) for k, c in zip(tags, conversation_ids, strict=True)]),
    )
