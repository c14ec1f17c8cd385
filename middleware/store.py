"""The session store on Redis: turn lock, session load and save, transcript, duplicates, counters.

A turn costs one Redis call when this process saved the session last and nothing moved it since
(`attempt.lua`, run on the cached copy), and two otherwise (`begin.lua` then `commit.lua`, or a
failed attempt doing begin's work and then `commit.lua`). docs/architecture.md tells the protocol.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot_versions.errors import Unavailable
from bot_versions.redis_scripts import RedisScript
from bot_versions.safe_json import dumps
from middleware.counters import Count, Counters
from middleware.keys import SessionKeys
from middleware.local_locks import KeyedLocks
from middleware.orphans import Orphans
from middleware.session import Session, counted_version, owes_count
from middleware.session_cache import SessionCache
from middleware.store_errors import StoreErrors, store_errors

__all__ = ["Fenced", "Lease", "SessionStore", "Stale", "StoreLimits", "TranscriptEntry", "store_errors"]

log = structlog.get_logger("botgate.store")


def _script(*names: str) -> str:
    """A script's source, with the shared Lua functions it needs in front of it."""
    return "\n".join((files("middleware") / "lua" / name).read_text() for name in names)


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """How long locks live and waits last, how much history is kept, how many sessions each process caches."""

    lease_ms: int = 10_000
    wait_ms: int = 5_000
    transcript_maxlen: int = 1_000
    transcript_ttl_s: int = 30 * 24 * 3600
    conversations_kept: int = 20
    seen_ttl_s: int = 24 * 3600
    cached_sessions: int = 50_000


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One line of a conversation: who said it, what, on which version, when (or where it moved from)."""

    role: str  # "user" | "bot" | "migration" (the conversation moved to `version` from `from_version`)
    text: str
    version: str
    at_ms: int
    from_version: str | None = None

    def row(self) -> list[Any]:
        """As the save plan carries it to save.lua."""
        fields: list[Any] = [self.role, self.text, self.version, self.at_ms]
        return fields if self.from_version is None else [*fields, self.from_version]


@dataclass(slots=True)
class Lease:
    """A turn's hold on a session: a held lock, or (`speculative`) a cached copy to save with `attempt.lua`."""

    keys: SessionKeys
    token: str
    session: Session | None
    seen: dict[str, Any] | None = None
    released: bool = False
    speculative: bool = False
    stamp: str = ""  # the stamp of the session this lease was given, checked by attempt.lua


class Fenced(Unavailable):
    """The lease lapsed and another turn moved the session on: this turn's save was refused."""

    code = "session_moved_on"


class Stale(Exception):
    """A turn run on the cached session could not be saved as it was: the runner runs it again."""


@dataclass(slots=True)
class _Scope:
    """One message's hold on its session across the runner's attempts; the process-local lock is held throughout."""

    keys: SessionKeys
    speculate: bool
    deadline: float
    held: Lease | None = None  # the lock a failed attempt took: the next attempt runs under it
    token: str = ""
    entry: str = ""  # the queue entry a failed attempt left: the next attempt waits with it
    seen: dict[str, Any] | None = None  # the message was answered before: the next attempt answers the same


_SCOPE: ContextVar[_Scope | None] = ContextVar("botgate_session_scope", default=None)


class SessionStore:
    """Loads and saves sessions so that turns of one session run one at a time, in order, across processes."""

    def __init__(self, redis: Redis, limits: StoreLimits | None = None) -> None:
        self.redis = redis
        self.limits = limits or StoreLimits()
        self._begin = RedisScript(redis, _script("lock.lua", "begin.lua"))
        self._commit = RedisScript(redis, _script("save.lua", "commit.lua"))
        self._attempt = RedisScript(redis, _script("lock.lua", "save.lua", "attempt.lua"))
        self._release = RedisScript(redis, _script("release.lua"))
        self._counters = Counters(RedisScript(redis, _script("count.lua")), self._counted)
        self._local = KeyedLocks()
        self._cache = SessionCache(self.limits.cached_sessions)
        self._orphans = Orphans(self._release, self.limits.lease_ms / 1000)
        # The newest revision of each session whose counter entry this process saw written (bounded like the cache).
        self._written: dict[str, int] = {}

    def serving(self, session_keys: SessionKeys, *, speculate: bool) -> Serving:
        """Hold the session for one message across its attempts; `speculate` lets the first run on the cache."""
        return Serving(self, session_keys, speculate and self._cache.size > 0)

    def turn(self, session_keys: SessionKeys, message_id: str | None) -> Turn:
        """Hold the session's turn for the block; raise Unavailable if it stays busy."""
        return Turn(self, session_keys, message_id)

    async def _lease(self, scope: _Scope, session_keys: SessionKeys, message_id: str | None) -> Lease:
        if scope.seen is not None:
            return Lease(session_keys, "", None, seen=scope.seen, released=True)
        if scope.held is not None:
            lease, scope.held = scope.held, None
            return lease
        if scope.entry:
            entry, scope.entry = scope.entry, ""
            return await self._acquire(session_keys, message_id, scope.deadline, scope.token, entry)
        token = secrets.token_hex(8)
        if scope.speculate:
            scope.speculate = False  # one attempt on the cache per message; a re-run takes the lock
            cached = self._cache.get(session_keys.tag)
            if cached is None:  # most sessions this process has not seen are new ones
                return Lease(session_keys, token, None, speculative=True)
            return Lease(session_keys, token, cached.session(), speculative=True, stamp=cached.stamp)
        return await self._acquire(session_keys, message_id, scope.deadline, token, "")

    async def _acquire(
        self, session_keys: SessionKeys, message_id: str | None, deadline: float, token: str, entry: str
    ) -> Lease:
        script_keys = [session_keys.session, session_keys.lock, session_keys.queue]
        if message_id is not None:
            script_keys.append(session_keys.seen(message_id))
        pause = 0.002
        with self._holding(session_keys, token):
            while True:
                reply = await self._begin(
                    keys=script_keys, args=[token, self.limits.lease_ms, _remaining_ms(deadline), entry]
                )
                kind = _text(reply[0])
                if kind == "ok":
                    return self._loaded(session_keys, token, reply)
                if kind == "seen":
                    return Lease(session_keys, token, None, seen=json.loads(reply[1]), released=True)
                entry = _text(reply[1])
                if time.monotonic() + pause > deadline:
                    await self._release_quietly(session_keys, token)
                    raise _busy()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)

    def _loaded(self, session_keys: SessionKeys, token: str, reply: list[Any]) -> Lease:
        doc, rev, stamp = reply[1], int(reply[2]), _text(reply[3])
        if not doc:
            self._cache.drop(session_keys.tag)  # an operator may have deleted the session this process had a copy of
            return Lease(session_keys, token, None)
        self._cache.put(session_keys.tag, doc, rev, stamp)
        return Lease(session_keys, token, Session.from_json(doc, rev), stamp=stamp)

    async def commit(
        self,
        lease: Lease,
        after: Session,
        *,
        new_conversation: bool,
        transcript: Sequence[TranscriptEntry],
        response: dict[str, Any] | None,
        message_id: str | None,
        bot: str,
        user: str,
    ) -> Session:
        """Save the session if nothing moved it since the lease was taken, then count it; raise Fenced (or Stale).

        Counting follows the save (a per-bot key cannot share the session's Redis Cluster slot); the save marks the
        session `sync` until this process sees its counter entry written, so that if the entry never lands, the
        next turn, in whatever process, counts the session again.
        """
        sk = lease.keys
        before = lease.session
        expected = before.revision if before else 0
        counts = owes_count(before, after, self._written.get(sk.tag, 0))
        if after.sync != (expected + 1 if counts else 0):
            after = after.evolve(sync=expected + 1 if counts else 0)
        script_keys = [sk.session, sk.lock, sk.queue, sk.conversations, sk.transcript(after.conversation)]
        plan: dict[str, Any] = {
            "conversation": after.conversation,
            "new": new_conversation,
            "rows": [e.row() for e in transcript],
            "transcript_maxlen": self.limits.transcript_maxlen,
            "transcript_ttl_s": self.limits.transcript_ttl_s,
            "conversations_kept": self.limits.conversations_kept,
        }
        if message_id is not None and response is not None:
            script_keys.append(sk.seen(message_id))
            plan["seen"] = dumps(response).decode()
            plan["seen_ttl_s"] = self.limits.seen_ttl_s
        doc = after.to_json()
        if lease.speculative:
            revision = await self._save_attempt(lease, expected, doc, dumps(plan), script_keys)
        else:
            revision = await self._save_locked(lease, expected, doc, dumps(plan), script_keys)
        lease.released = True  # the script freed the lock, or never took one
        self._cache.put(sk.tag, doc, revision, lease.token)
        saved = after.evolve(revision=revision)
        if counts:
            await self._counters.record(bot, Count(sk.tag, revision, counted_version(saved), user))
        return saved

    async def flush(self) -> None:
        """Write the counts waiting in this process now (at shutdown)."""
        await self._counters.flush()

    def observe(self, bot: str, minute_ms: int, counts: dict[str, int]) -> None:
        """Add a turn's health counts to the bot's minute (written with the next batch; nobody waits)."""
        self._counters.observe(bot, minute_ms, counts)

    def _counted(self, tag: str, revision: int) -> None:
        if revision > self._written.get(tag, 0):
            self._written.pop(tag, None)  # re-inserted last: the oldest entry is dropped first
            self._written[tag] = revision
            if len(self._written) > max(self._cache.size, 1):
                del self._written[next(iter(self._written))]

    def _holding(self, session_keys: SessionKeys, token: str) -> StoreErrors:
        """A call for `token` failed without an answer: it may have taken the lock or a place in line anyway.

        Redis may run a call after the client gave up on it (a stall longer than the timeout), so the lock may be
        ours without our knowing: it is released in the background as soon as Redis answers, instead of holding
        the user up for the whole lease.
        """
        return StoreErrors(lambda: self._orphans.release(session_keys, token))

    async def _save_locked(self, lease: Lease, expected: int, doc: bytes, plan: bytes, script_keys: list[str]) -> int:
        with self._holding(lease.keys, lease.token):
            reply = await self._commit(keys=script_keys, args=[lease.token, expected, doc, plan])
        if _text(reply[0]) != "ok":
            self._cache.drop(lease.keys.tag)
            log.warning("turn_fenced", session=lease.keys.tag, expected_revision=expected, found_revision=int(reply[1]))
            raise Fenced("this session moved on while the turn ran; send the message again", retry_after=1)
        return int(reply[1])

    async def _save_attempt(self, lease: Lease, expected: int, doc: bytes, plan: bytes, script_keys: list[str]) -> int:
        scope = _SCOPE.get()
        if scope is None or scope.keys.tag != lease.keys.tag:
            raise RuntimeError("a speculative lease is saved only inside the store's serving() block")
        args = [lease.token, self.limits.lease_ms, _remaining_ms(scope.deadline), expected, lease.stamp, doc, plan]
        with self._holding(lease.keys, lease.token):
            reply = await self._attempt(keys=script_keys, args=args)
        kind = _text(reply[0])
        if kind == "saved":
            return int(reply[1])
        if kind == "seen":
            scope.seen = json.loads(reply[1])
        elif kind == "ok":
            scope.held = self._loaded(lease.keys, lease.token, reply)
        else:
            scope.token, scope.entry = lease.token, _text(reply[1])
        raise Stale()

    async def _release_quietly(self, session_keys: SessionKeys, token: str) -> None:
        # Failing to release must not mask the real error: it is tried again in the background.
        try:
            await self._release(keys=[session_keys.lock, session_keys.queue], args=[token])
        except RedisError as exc:
            log.warning("lock_release_failed", session=session_keys.tag, error=type(exc).__name__)
            self._orphans.release(session_keys, token)

    async def load(self, session_keys: SessionKeys) -> Session | None:
        """Read a session without locking it (for the admin side)."""
        with store_errors():
            doc, rev = await self.redis.hmget(session_keys.session, ["doc", "rev"])
        return Session.from_json(doc, int(rev)) if doc else None


class Serving:
    """One message's hold on its session: the process-local lock, and the `_Scope` its attempts share.

    The local lock is let go when the lease runs out, as the Redis lock is: a turn stalled in a slow call
    must not hold the user's next turns in this process for longer than it could hold them in Redis.
    """

    __slots__ = ("_expiry", "_local", "_reset", "scope", "store")

    def __init__(self, store: SessionStore, session_keys: SessionKeys, speculate: bool) -> None:
        self.store = store
        self.scope = _Scope(session_keys, speculate, time.monotonic() + store.limits.wait_ms / 1000)
        self._local = False

    async def __aenter__(self) -> None:
        if not await self.store._local.acquire(self.scope.keys.tag, self.store.limits.wait_ms / 1000):
            raise _busy()
        self._local = True
        self._expiry = asyncio.get_running_loop().call_later(self.store.limits.lease_ms / 1000, self._let_go)
        self._reset = _SCOPE.set(self.scope)

    async def __aexit__(self, *exc_info: object) -> None:
        _SCOPE.reset(self._reset)
        scope = self.scope
        try:
            if scope.held is not None:
                await self.store._release_quietly(scope.keys, scope.held.token)
            elif scope.entry:
                await self.store._release_quietly(scope.keys, scope.token)
        finally:
            self._expiry.cancel()
            self._let_go()

    def _let_go(self) -> None:
        if self._local:
            self._local = False
            self.store._local.release(self.scope.keys.tag)


class Turn:
    """One attempt at a turn: yields its Lease, and frees the Redis lock unless the save already did."""

    __slots__ = ("_own", "keys", "lease", "message_id", "store")

    def __init__(self, store: SessionStore, session_keys: SessionKeys, message_id: str | None) -> None:
        self.store = store
        self.keys = session_keys
        self.message_id = message_id
        self._own: Serving | None = None

    async def __aenter__(self) -> Lease:
        scope = _SCOPE.get()
        if scope is None or scope.keys.tag != self.keys.tag:  # called outside the runner (tests, admin)
            self._own = Serving(self.store, self.keys, speculate=False)
            await self._own.__aenter__()
            scope = self._own.scope
        try:
            self.lease = await self.store._lease(scope, self.keys, self.message_id)
        except BaseException as exc:
            if self._own is not None:
                await self._own.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return self.lease

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if not self.lease.released and not self.lease.speculative:
                await self.store._release_quietly(self.keys, self.lease.token)
        finally:
            if self._own is not None:
                await self._own.__aexit__(*exc_info)


def _busy() -> Unavailable:
    return Unavailable("this conversation is busy with an earlier message; retry shortly", retry_after=1)


def _remaining_ms(deadline: float) -> int:
    return max(int((deadline - time.monotonic()) * 1000), 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
