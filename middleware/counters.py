"""A bot's counting, written for many turns at once: one `count.lua` call per bot at a time.

Two kinds of counts go out together:

- **Session entries** keep the per-version active counters and the users' session indexes. What is written is
  where each session stands (its revision, and the version its live conversation is on), not a change to add:
  `count.lua` applies an entry only when it is newer than the one it counted for that session, so a write whose
  answer was lost can simply be sent again. A turn that saved such an entry waits until it is written (so an
  operator reading the counters after a reply sees them); turns that finish while a write is in flight share the
  next one. A session whose entry never landed (its process died first) is counted again by its next turn, which
  sees the save's `sync` mark still set (middleware/session.py).
- **Health** (middleware/health.py): per-minute counts of each version's conversations and turns. Nobody waits for
  them: they ride along with the next entry write, or go out on their own at most once a second, so a steady turn
  adds no Redis call. Each group of counts carries an id `count.lua` applies at most once.

A write that fails is retried in the background with backoff until Redis takes it; the turns are saved, and
failing them now would only make clients send them again.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.exceptions import RedisError

from bot_versions.redis_scripts import RedisScript
from middleware import keys
from middleware.health import KEEP_S

log = structlog.get_logger("botgate.store")

MAX_OWED = 100_000  # session entries kept for retry per bot; beyond that a session is counted at its next turn
MAX_OWED_GROUPS = 1_000  # health groups kept for retry per bot; beyond that the oldest minutes' counts are lost
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 5.0
HEALTH_FLUSH_S = 1.0  # the longest health counts wait in a process before they are written
GROUP_ID_TTL_S = 3600  # how long a group id is remembered: far longer than any retry takes

Health = dict[tuple[int, str], int]  # (minute, "version|event") -> count


@dataclass(frozen=True, slots=True)
class Count:
    """Where one session stands, for the counters: its revision, its live conversation's version ('' for none)."""

    tag: str
    revision: int
    version: str
    user: str  # whose session index lists this session


@dataclass(slots=True)
class _Batch:
    """What waits for one bot's next write, and the turns waiting for it."""

    done: asyncio.Future[None]
    entries: dict[str, Count] = field(default_factory=dict)
    health: Health = field(default_factory=dict)


@dataclass(slots=True)
class _Owed:
    """What failed writes left for a retry: session entries (newest per session) and health groups with their ids."""

    entries: dict[str, Count] = field(default_factory=dict)
    groups: list[tuple[str, Health]] = field(default_factory=list)


class Counters:
    """Writes each bot's counts with `count.lua`; calls `written(tag, revision)` for every entry that landed."""

    def __init__(
        self,
        script: RedisScript,
        written: Callable[[str, int], None] = lambda tag, revision: None,
        flush_s: float = HEALTH_FLUSH_S,
    ) -> None:
        self._script = script
        self._written = written
        self._flush_s = flush_s
        self._pending: dict[str, _Batch] = {}
        self._owed: dict[str, _Owed] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    async def record(self, bot: str, count: Count) -> None:
        """Add this session's entry to the bot's next write and wait until that write is done or has failed."""
        batch = self._batch(bot)
        _merge(batch.entries, (count,))
        self._start(bot)
        # Shielded: a client that goes away must not cancel the write other turns are waiting on.
        await asyncio.shield(batch.done)

    def observe(self, bot: str, minute_ms: int, counts: dict[str, int]) -> None:
        """Add health counts (`version|event` -> n) to the bot's minute; written within `flush_s`, nobody waits."""
        if not counts:
            return
        health = self._batch(bot).health
        for name, n in counts.items():
            health[(minute_ms, name)] = health.get((minute_ms, name), 0) + n
        if bot not in self._writers and bot not in self._timers:
            self._timers[bot] = asyncio.get_running_loop().call_later(self._flush_s, self._due, bot)

    def owed(self, bot: str) -> int:
        """Session entries of this bot whose write failed and waits for a retry."""
        owed = self._owed.get(bot)
        return len(owed.entries) if owed else 0

    async def flush(self) -> None:
        """Write everything pending now, and wait for it (at shutdown; health would otherwise wait a second)."""
        for bot in list(self._pending):
            self._start(bot)
        await asyncio.gather(*self._writers.values(), return_exceptions=True)

    def _batch(self, bot: str) -> _Batch:
        batch = self._pending.get(bot)
        if batch is None:
            batch = self._pending[bot] = _Batch(asyncio.get_running_loop().create_future())
        return batch

    def _start(self, bot: str) -> None:
        timer = self._timers.pop(bot, None)
        if timer is not None:
            timer.cancel()
        if bot not in self._writers:
            self._writers[bot] = asyncio.create_task(self._write(bot))

    def _due(self, bot: str) -> None:
        self._timers.pop(bot, None)
        if bot in self._pending or bot in self._owed:
            self._batch(bot)
            self._start(bot)

    async def _write(self, bot: str) -> None:
        try:
            while (batch := self._pending.pop(bot, None)) is not None:
                owed = self._owed.pop(bot, _Owed())
                _merge(owed.entries, batch.entries.values())
                if batch.health:
                    owed.groups.append((secrets.token_hex(8), batch.health))
                try:
                    if owed.entries or owed.groups:
                        await self._script(*_call(bot, owed))
                except RedisError as exc:
                    self._owe(bot, owed, exc)
                else:
                    self._failures.pop(bot, None)
                    for count in owed.entries.values():
                        self._written(count.tag, count.revision)
                finally:
                    batch.done.set_result(None)
        finally:
            del self._writers[bot]

    def _owe(self, bot: str, owed: _Owed, exc: RedisError) -> None:
        into = self._owed.setdefault(bot, _Owed())
        _merge(into.entries, owed.entries.values())
        while len(into.entries) > MAX_OWED:  # the oldest go: their sessions are counted again at their next turn
            del into.entries[next(iter(into.entries))]
        into.groups[:0] = owed.groups  # older groups first, each with the id it was sent with
        del into.groups[:-MAX_OWED_GROUPS]
        failures = self._failures[bot] = self._failures.get(bot, 0) + 1
        delay = min(RETRY_FIRST_S * 2 ** (failures - 1), RETRY_MAX_S)
        log.warning(
            "counter_update_failed", bot=bot, sessions=len(owed.entries), error=type(exc).__name__, retry_s=delay
        )
        if bot not in self._timers:
            self._timers[bot] = asyncio.get_running_loop().call_later(delay, self._due, bot)


def _merge(into: dict[str, Count], counts: Iterable[Count]) -> None:
    """Keep the newest entry of each session."""
    for count in counts:
        known = into.get(count.tag)
        if known is None or known.revision < count.revision:
            into[count.tag] = count


def _call(bot: str, owed: _Owed) -> tuple[list[str], list[Any]]:
    script_keys = [keys.active_counts(bot), keys.counted_sessions(bot)]
    positions: dict[str, int] = {}

    def position(key: str) -> int:
        if key not in positions:
            script_keys.append(key)
            positions[key] = len(script_keys)  # Lua counts from 1
        return positions[key]

    entries = [[c.tag, c.revision, c.version, position(keys.user_sessions(bot, c.user))] for c in owed.entries.values()]
    groups = [
        [
            position(keys.health_group(bot, group_id)),
            [[position(keys.health(bot, minute)), name, n] for (minute, name), n in health.items()],
        ]
        for group_id, health in owed.groups
    ]
    newest = max((minute for _, health in owed.groups for minute, _ in health), default=None)
    plan = {
        "entries": entries,
        "groups": groups,
        "snapshot": position(keys.health(bot, newest)) if newest is not None else 0,
        "ttl": KEEP_S + 3600,
        "id_ttl": GROUP_ID_TTL_S,
    }
    return script_keys, [json.dumps(plan, separators=(",", ":"), ensure_ascii=False)]
