"""Per-version active counters and per-user session indexes, written for many turns at once: one call per bot.

What is written is where each session stands (its revision, and the version its live conversation is on), not a
change to add: `count.lua` applies an entry only when it is newer than the one it counted for that session. So a
write whose answer was lost can simply be sent again, and it is: a write that fails is retried in the background
until it lands, and the turn that saved the session does not wait for that (it is saved; failing it now would make
the client send it again). A session whose write never landed (its process died first) is counted again by its
next turn, which sees the save's `sync` mark still set (middleware/session.py).

A turn waits until its entry is written (so an operator reading the counters after a reply sees them), but turns
that finish while a write is in flight share the next one: under load, a turn's share of the counter traffic falls
well below one call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from middleware import keys

log = structlog.get_logger("botgate.store")

MAX_OWED = 100_000  # entries kept for retry per bot; beyond that a session is counted again at its next turn
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 5.0


@dataclass(frozen=True, slots=True)
class Count:
    """Where one session stands, for the counters: its revision, its live conversation's version ('' for none)."""

    tag: str
    revision: int
    version: str
    user: str  # whose session index lists this session


@dataclass(slots=True)
class _Batch:
    """The entries waiting for one bot's next write, and the turns waiting for it."""

    done: asyncio.Future[None]
    entries: dict[str, Count] = field(default_factory=dict)


class Counters:
    """Writes each bot's entries with `count.lua`; calls `written(tag, revision)` for every entry that landed."""

    def __init__(self, script: AsyncScript, written: Callable[[str, int], None] = lambda tag, revision: None) -> None:
        self._script = script
        self._written = written
        self._pending: dict[str, _Batch] = {}
        self._owed: dict[str, dict[str, Count]] = {}  # entries of failed writes, sent again with the next one
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[str, int] = {}
        self._retries: dict[str, asyncio.TimerHandle] = {}

    async def record(self, bot: str, count: Count) -> None:
        """Add this session's entry to the bot's next write and wait until that write is done or has failed."""
        batch = self._batch(bot)
        _merge(batch.entries, (count,))
        # Shielded: a client that goes away must not cancel the write other turns are waiting on.
        await asyncio.shield(batch.done)

    def owed(self, bot: str) -> int:
        """Entries of this bot whose write failed and waits for a retry."""
        return len(self._owed.get(bot, ()))

    def _batch(self, bot: str) -> _Batch:
        batch = self._pending.get(bot)
        if batch is None:
            batch = self._pending[bot] = _Batch(asyncio.get_running_loop().create_future())
        if bot not in self._writers:
            self._writers[bot] = asyncio.create_task(self._write(bot))
        return batch

    async def _write(self, bot: str) -> None:
        try:
            while (batch := self._pending.pop(bot, None)) is not None:
                entries = batch.entries
                _merge(entries, self._owed.pop(bot, {}).values())
                try:
                    if entries:
                        await self._script(*_call(bot, entries.values()))
                except RedisError as exc:
                    self._owe(bot, entries, exc)
                else:
                    self._failures.pop(bot, None)
                    for count in entries.values():
                        self._written(count.tag, count.revision)
                finally:
                    batch.done.set_result(None)
        finally:
            del self._writers[bot]

    def _owe(self, bot: str, entries: dict[str, Count], exc: RedisError) -> None:
        owed = self._owed.setdefault(bot, {})
        _merge(owed, entries.values())
        while len(owed) > MAX_OWED:  # the oldest go: their sessions are counted again at their next turn
            del owed[next(iter(owed))]
        failures = self._failures[bot] = self._failures.get(bot, 0) + 1
        delay = min(RETRY_FIRST_S * 2 ** (failures - 1), RETRY_MAX_S)
        log.warning("counter_update_failed", bot=bot, sessions=len(entries), error=type(exc).__name__, retry_s=delay)
        if bot not in self._retries:
            self._retries[bot] = asyncio.get_running_loop().call_later(delay, self._retry, bot)

    def _retry(self, bot: str) -> None:
        del self._retries[bot]
        if self._owed.get(bot):
            self._batch(bot)


def _merge(into: dict[str, Count], counts: Iterable[Count]) -> None:
    """Keep the newest entry of each session."""
    for count in counts:
        known = into.get(count.tag)
        if known is None or known.revision < count.revision:
            into[count.tag] = count


def _call(bot: str, counts: Iterable[Count]) -> tuple[list[str], list[Any]]:
    script_keys = [keys.active_counts(bot), keys.counted_sessions(bot)]
    index_of: dict[str, int] = {}
    args: list[Any] = [0]
    for count in counts:
        index = index_of.get(count.user)
        if index is None:
            script_keys.append(keys.user_sessions(bot, count.user))
            index = index_of[count.user] = len(script_keys)
        args += [count.tag, count.revision, count.version, index]
    args[0] = (len(args) - 1) // 4
    return script_keys, args
