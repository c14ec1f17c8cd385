"""Per-process view of the registry: bot state at most `max_age` old, versions and runtimes cached while used.

Every cache here is keyed by names that arrive in requests, so each is bounded: a client sending random bot
names costs this process a fixed amount of memory, however long it runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot_versions.errors import NotFound
from bot_versions.model import BotVersion, is_valid_bot_name
from bot_versions.registry import Registry
from bot_versions.runtime import Runtime
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.factory import build_runtime
from bot_versions.state import BotState
from middleware.lru import LRU
from middleware.store import store_errors

MAX_BOTS = 1024  # bots whose routable state (and whether their turns may be replayed) each process keeps
# Names found to have no bot are kept apart, so a stream of random names cannot push real bots' states out.
MAX_UNKNOWN_BOTS = 1024
MAX_VERSIONS = 1024  # definitions with their built runtimes; versions are immutable, so a dropped one is rebuilt


class Catalog:
    """Keeps turns off the registry's keys: a rollout change is seen by every process within `max_age`."""

    def __init__(
        self,
        registry: Registry,
        env: RuntimeEnv,
        max_age: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        max_bots: int = MAX_BOTS,
        max_unknown: int = MAX_UNKNOWN_BOTS,
        max_versions: int = MAX_VERSIONS,
    ) -> None:
        self.registry = registry
        self.env = env
        self.max_age = max_age
        self.clock = clock
        self._states: LRU[str, tuple[float, BotState]] = LRU(max_bots)
        self._unknown: LRU[str, float] = LRU(max_unknown)  # name -> when it was found to have no bot
        # one read per name in flight: entries leave as their read ends, so this is bounded by the requests served
        self._loading: dict[str, asyncio.Future[BotState | None]] = {}
        self._versions: LRU[tuple[str, str], tuple[BotVersion, Runtime]] = LRU(max_versions)
        self._replayable: LRU[str, tuple[BotState, bool]] = LRU(max_bots)

    async def state(self, bot: str) -> BotState | None:
        """The bot's state, re-read when older than `max_age`; concurrent readers share one read."""
        if not is_valid_bot_name(bot):
            return None  # no bot can have this name: nothing to read, nothing to remember
        known = self._states.get(bot)
        if known is not None and self.clock() - known[0] < self.max_age:
            return known[1]
        missing_since = self._unknown.get(bot)
        if missing_since is not None and self.clock() - missing_since < self.max_age:
            return None
        pending = self._loading.get(bot)
        if pending is None:
            pending = asyncio.ensure_future(self._load(bot))
            self._loading[bot] = pending
            pending.add_done_callback(lambda _: self._loading.pop(bot, None))
        return await asyncio.shield(pending)

    async def _load(self, bot: str) -> BotState | None:
        read_at = self.clock()
        with store_errors():
            state = await self.registry.state(bot)
        if state is None:
            self._states.pop(bot)
            self._unknown.put(bot, read_at)
        else:
            self._unknown.pop(bot)
            self._states.put(bot, (read_at, state))
        return state

    async def require_state(self, bot: str) -> BotState:
        state = await self.state(bot)
        if state is None:
            raise NotFound(f"there is no bot named {bot!r}")
        return state

    def invalidate(self, bot: str) -> None:
        """Forget the cached state, so a change made through this process is seen at once."""
        self._states.pop(bot)
        self._unknown.pop(bot)

    async def version(self, bot: str, version: str) -> tuple[BotVersion, Runtime]:
        """A version's definition and its runtime, built once while it stays in use: versions are immutable."""
        found = self._versions.get((bot, version))
        if found is None:
            with store_errors():
                definition = await self.registry.definition(bot, version)
            # Another turn may have built it while this one read: build once (a python bot's factory runs once).
            found = self._versions.get((bot, version))
            if found is None:
                found = (definition, build_runtime(definition, self.env))
                self._versions.put((bot, version), found)
        return found

    async def replayable(self, bot: str) -> bool:
        """Whether a turn of this bot may run twice with only one run kept: every version's runtime says so."""
        state = await self.state(bot)
        if state is None:
            return False
        known = self._replayable.get(bot)
        if known is not None and known[0] is state:
            return known[1]
        try:
            runtimes = [(await self.version(bot, v))[1] for v in state.versions]
        except NotFound:
            return False
        replayable = all(runtime.replayable for runtime in runtimes)
        self._replayable.put(bot, (state, replayable))
        return replayable

    def sizes(self) -> dict[str, int]:
        """How many entries each cache holds now (for tests and the operator's curiosity)."""
        return {
            "states": len(self._states),
            "unknown": len(self._unknown),
            "loading": len(self._loading),
            "versions": len(self._versions),
            "replayable": len(self._replayable),
        }
