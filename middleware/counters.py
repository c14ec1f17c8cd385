"""Per-version active counters, moved for many turns at once: one Redis call per bot per flush.

A turn waits until its moves are written (so an operator reading the counters after a reply sees
them), but turns that finish while a write is in flight share the next one: under load, a turn's
share of the counter traffic falls well below one call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from middleware import keys

log = structlog.get_logger("botgate.store")


@dataclass(slots=True)
class _Batch:
    """The moves waiting for one bot's next write, and the turns waiting for it."""

    done: asyncio.Future[None]
    deltas: dict[str, int] = field(default_factory=dict)
    first_sessions: dict[str, set[str]] = field(default_factory=dict)  # user -> session tags to index

    def add(self, deltas: dict[str, int], user: str | None, session_tag: str) -> None:
        for version, delta in deltas.items():
            self.deltas[version] = self.deltas.get(version, 0) + delta
        if user is not None:
            self.first_sessions.setdefault(user, set()).add(session_tag)


class Counters:
    """Moves each bot's counters and indexes first sessions under their users (`count.lua`)."""

    def __init__(self, script: AsyncScript) -> None:
        self._script = script
        self._pending: dict[str, _Batch] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}

    async def move(self, bot: str, deltas: dict[str, int], user: str | None, session_tag: str) -> None:
        """Add this turn's moves to the bot's next write and wait until it is done (or has failed, logged)."""
        batch = self._pending.get(bot)
        if batch is None:
            batch = self._pending[bot] = _Batch(asyncio.get_running_loop().create_future())
        batch.add(deltas, user, session_tag)
        if bot not in self._writers:
            self._writers[bot] = asyncio.create_task(self._write(bot))
        # Shielded: a client that goes away must not cancel the write other turns are waiting on.
        await asyncio.shield(batch.done)

    async def _write(self, bot: str) -> None:
        try:
            while (batch := self._pending.pop(bot, None)) is not None:
                try:
                    if batch.deltas or batch.first_sessions:
                        await self._script(*_call(bot, batch))
                except RedisError as exc:
                    # The turns are already saved: failing them now would make clients send them again, so a
                    # lost counter move is logged (counters drift) rather than turned into an error.
                    log.warning("counter_update_failed", bot=bot, deltas=batch.deltas, error=type(exc).__name__)
                finally:
                    batch.done.set_result(None)
        finally:
            del self._writers[bot]


def _call(bot: str, batch: _Batch) -> tuple[list[str], list[Any]]:
    moves = [(version, delta) for version, delta in batch.deltas.items() if delta]
    script_keys = [keys.active_counts(bot)]
    args: list[Any] = [len(moves)]
    for version, delta in moves:
        args += [version, delta]
    for user, tags in batch.first_sessions.items():
        script_keys.append(keys.user_sessions(bot, user))
        args.append(" ".join(sorted(tags)))
    return script_keys, args
