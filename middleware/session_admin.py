"""The operator's side of sessions: a user's sessions, their transcripts, resets, per-version counts.

A user's sessions are found through the per-user index (`keys.user_sessions`), never by scanning:
one session per channel and space the user has talked to the bot on.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from middleware import keys, metrics
from middleware.health import minute_of
from middleware.keys import SessionKeys, SessionPlace
from middleware.session import Session, SessionStatus
from middleware.store import SessionStore, TranscriptEntry, store_errors


@dataclass(frozen=True, slots=True)
class UserSession:
    """One of a user's sessions and where it lives."""

    place: SessionPlace
    session: Session


@dataclass(frozen=True, slots=True)
class ConversationLog:
    """One conversation's messages, oldest first, each with the version that handled it."""

    conversation: str
    place: SessionPlace
    messages: list[TranscriptEntry]


async def _tags(redis: Redis, bot: str, user: str) -> list[str]:
    with store_errors():
        members = await redis.smembers(keys.user_sessions(bot, user))
    return sorted(m.decode() if isinstance(m, bytes) else m for m in members)


async def user_sessions(store: SessionStore, bot: str, user: str) -> list[UserSession]:
    """The user's sessions with a bot across channels and spaces, most recently seen first."""
    found = []
    for tag in await _tags(store.redis, bot, user):
        session = await store.load(SessionKeys(tag))
        if session is not None:
            found.append(UserSession(SessionPlace.of_tag(tag), session))
    return sorted(found, key=lambda s: s.session.last_seen_ms, reverse=True)


async def reset_user(store: SessionStore, bot: str, user: str, now_ms: int) -> list[UserSession]:
    """End every live conversation of the user, each under its session's turn lock; the next message starts anew.

    Each is a `reset` of its version's health, at `now_ms`.
    """
    for tag in await _tags(store.redis, bot, user):
        session_keys = SessionKeys(tag)
        async with store.turn(session_keys, None) as lease:
            before = lease.session
            if before is None or not before.is_live:
                continue
            await store.commit(
                lease,
                before.evolve(status=SessionStatus.ENDED),
                new_conversation=False,
                transcript=(),
                response=None,
                message_id=None,
                bot=bot,
                user=user,
            )
        store.observe(bot, minute_of(now_ms), {f"{before.version}|reset": 1})
        metrics.CONVERSATIONS.labels(bot, before.version, "reset").inc()
    return await user_sessions(store, bot, user)


async def transcripts(store: SessionStore, bot: str, user: str) -> list[ConversationLog]:
    """The user's kept conversations across their sessions, newest first, each with its messages oldest first."""
    redis = store.redis
    logs = []
    for tag in await _tags(redis, bot, user):
        session_keys = SessionKeys(tag)
        place = SessionPlace.of_tag(tag)
        with store_errors():
            conversations = [_text(c) for c in await redis.lrange(session_keys.conversations, 0, -1)]
            async with redis.pipeline(transaction=False) as pipe:
                for conversation in conversations:
                    pipe.xrange(session_keys.transcript(conversation))
                streams = await pipe.execute()
        for conversation, entries in zip(conversations, streams, strict=True):
            if entries:  # a transcript past its TTL is gone; its id may still be listed
                logs.append(ConversationLog(conversation, place, [_entry(fields) for _, fields in entries]))
    return sorted(logs, key=lambda log: log.messages[0].at_ms, reverse=True)


async def active_sessions(redis: Redis, bot: str) -> dict[str, int]:
    """Sessions active on each version of a bot, from the counters the turns keep (one read, no scan)."""
    with store_errors():
        raw = await redis.hgetall(keys.active_counts(bot))
    return {_text(version): int(count) for version, count in raw.items()}


def _entry(fields: dict[bytes, bytes]) -> TranscriptEntry:
    moved_from = fields.get(b"from")
    return TranscriptEntry(
        role=_text(fields[b"role"]),
        text=_text(fields[b"text"]),
        version=_text(fields[b"version"]),
        at_ms=int(fields[b"at"]),
        from_version=_text(moved_from) if moved_from is not None else None,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
