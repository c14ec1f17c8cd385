"""The session store on Redis: turn lock, session load and save, transcript, duplicates, counters."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot_versions.errors import Unavailable
from middleware import keys
from middleware.keys import SessionKeys
from middleware.local_locks import KeyedLocks
from middleware.session import Session

log = structlog.get_logger("botgate.store")


def _script(name: str) -> str:
    return (files("middleware") / "lua" / name).read_text()


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """How long locks live and waits last, and how much history is kept."""

    lease_ms: int = 10_000
    wait_ms: int = 5_000
    transcript_maxlen: int = 1_000
    transcript_ttl_s: int = 30 * 24 * 3600
    conversations_kept: int = 20
    seen_ttl_s: int = 24 * 3600


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One line of a conversation: who said it, what, on which version, when."""

    role: str  # "user" | "bot"
    text: str
    version: str
    at_ms: int


@dataclass(slots=True)
class Lease:
    """A held turn lock and what was loaded under it."""

    keys: SessionKeys
    token: str
    session: Session | None
    seen: dict[str, Any] | None = None
    released: bool = False


class Fenced(Unavailable):
    """The lease lapsed and another turn moved the session on: this turn's save was refused."""

    code = "session_moved_on"


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn any Redis failure into a 503 the client can retry, never a 500."""
    try:
        yield
    except RedisError as exc:
        log.warning("store_unavailable", error=type(exc).__name__)
        raise Unavailable("the session store is unavailable; retry shortly", retry_after=1) from exc


class SessionStore:
    """Loads and saves sessions so that turns of one session run one at a time, in order, across processes."""

    def __init__(self, redis: Redis, limits: StoreLimits | None = None) -> None:
        self.redis = redis
        self.limits = limits or StoreLimits()
        self._begin = redis.register_script(_script("begin.lua"))
        self._commit = redis.register_script(_script("commit.lua"))
        self._release = redis.register_script(_script("release.lua"))
        self._local = KeyedLocks()

    @asynccontextmanager
    async def turn(self, session_keys: SessionKeys, message_id: str | None) -> AsyncIterator[Lease]:
        """Hold the session's turn lock for the block; raise Unavailable if it stays busy."""
        deadline = time.monotonic() + self.limits.wait_ms / 1000
        async with AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(self.limits.wait_ms / 1000):
                    await stack.enter_async_context(self._local.hold(session_keys.tag))
            except TimeoutError:
                raise _busy() from None
            lease = await self._acquire(session_keys, message_id, deadline)
            try:
                yield lease
            finally:
                if not lease.released:
                    await self._release_quietly(lease.keys, lease.token, "")

    async def _acquire(self, session_keys: SessionKeys, message_id: str | None, deadline: float) -> Lease:
        token = secrets.token_hex(8)
        entry = ""
        script_keys = [session_keys.session, session_keys.lock, session_keys.queue]
        if message_id is not None:
            script_keys.append(session_keys.seen(message_id))
        pause = 0.002
        with store_errors():
            while True:
                remaining_ms = int((deadline - time.monotonic()) * 1000)
                reply = await self._begin(
                    keys=script_keys, args=[token, self.limits.lease_ms, max(remaining_ms, 0), entry]
                )
                kind = _text(reply[0])
                if kind == "ok":
                    doc, rev = _text(reply[1]), int(reply[2])
                    session = Session.from_json(doc, rev) if doc else None
                    return Lease(session_keys, token, session)
                if kind == "seen":
                    return Lease(session_keys, token, None, seen=json.loads(reply[1]), released=True)
                entry = _text(reply[1])
                if time.monotonic() + pause > deadline:
                    await self._release_quietly(session_keys, token, entry)
                    raise _busy()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)

    async def commit(
        self,
        lease: Lease,
        after: Session,
        *,
        new_conversation: bool,
        transcript: Sequence[TranscriptEntry],
        response: dict[str, Any] | None,
        message_id: str | None,
    ) -> Session:
        """Save the session if nothing moved it since the lease was taken; raise Fenced otherwise."""
        sk = lease.keys
        expected = lease.session.revision if lease.session else 0
        script_keys = [sk.session, sk.lock, sk.conversations, sk.transcript(after.conversation)]
        seen_value = ""
        if message_id is not None and response is not None:
            script_keys.append(sk.seen(message_id))
            seen_value = json.dumps(response, separators=(",", ":"), ensure_ascii=False)
        args: list[Any] = [
            lease.token,
            expected,
            after.to_json(),
            "1" if new_conversation else "0",
            after.conversation,
            self.limits.transcript_maxlen,
            self.limits.transcript_ttl_s,
            self.limits.conversations_kept,
            seen_value,
            self.limits.seen_ttl_s,
        ]
        for e in transcript:
            args += [e.role, e.text, e.version, e.at_ms]
        with store_errors():
            reply = await self._commit(keys=script_keys, args=args)
        if _text(reply[0]) != "ok":
            log.warning("turn_fenced", session=sk.tag, expected_revision=expected, found_revision=int(reply[1]))
            raise Fenced("this session moved on while the turn ran; send the message again", retry_after=1)
        lease.released = True  # the commit script freed the lock
        return after.evolve(revision=int(reply[1]))

    async def count(self, bot: str, deltas: dict[str, int], *, user: str | None, session_tag: str) -> None:
        """Move the per-version active counters and, for a first session, index it under its user."""
        if not deltas and user is None:
            return
        # The turn is already saved: failing it now would make the client send it again, so a lost
        # counter update is logged (counters drift by one) rather than turned into an error.
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for version, delta in deltas.items():
                    pipe.hincrby(keys.active_counts(bot), version, delta)
                if user is not None:
                    pipe.sadd(keys.user_sessions(bot, user), session_tag)
                await pipe.execute()
        except RedisError as exc:
            log.warning("counter_update_failed", bot=bot, deltas=deltas, error=type(exc).__name__)

    async def _release_quietly(self, session_keys: SessionKeys, token: str, entry: str) -> None:
        # Failing to release is survivable (the lease runs out), so it must not mask the real error.
        try:
            await self._release(keys=[session_keys.lock, session_keys.queue], args=[token, entry])
        except RedisError as exc:
            log.warning("lock_release_failed", session=session_keys.tag, error=type(exc).__name__)

    async def load(self, session_keys: SessionKeys) -> Session | None:
        """Read a session without locking it (for the admin side)."""
        with store_errors():
            doc, rev = await self.redis.hmget(session_keys.session, ["doc", "rev"])
        return Session.from_json(doc, int(rev)) if doc else None


def _busy() -> Unavailable:
    return Unavailable("this conversation is busy with an earlier message; retry shortly", retry_after=1)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
