"""Per-process view of the registry: bot state at most `max_age` old, versions and runtimes cached for good."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot_versions.calls import Caller
from bot_versions.errors import NotFound
from bot_versions.model import BotVersion
from bot_versions.registry import Registry
from bot_versions.runtime import Runtime
from bot_versions.runtimes import build_runtime
from bot_versions.state import BotState
from middleware.store import store_errors


class Catalog:
    """Keeps turns off the registry's keys: a rollout change is seen by every process within `max_age`."""

    def __init__(
        self,
        registry: Registry,
        caller: Caller,
        max_age: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.caller = caller
        self.max_age = max_age
        self.clock = clock
        self._states: dict[str, tuple[float, BotState | None]] = {}
        self._loading: dict[str, asyncio.Future[BotState | None]] = {}
        self._versions: dict[tuple[str, str], tuple[BotVersion, Runtime]] = {}
        self._replayable: dict[str, tuple[BotState, bool]] = {}

    async def state(self, bot: str) -> BotState | None:
        """The bot's state, re-read when older than `max_age`; concurrent readers share one read."""
        cached = self._states.get(bot)
        if cached is not None and self.clock() - cached[0] < self.max_age:
            return cached[1]
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
        self._states[bot] = (read_at, state)
        return state

    async def require_state(self, bot: str) -> BotState:
        state = await self.state(bot)
        if state is None:
            raise NotFound(f"there is no bot named {bot!r}")
        return state

    def invalidate(self, bot: str) -> None:
        """Forget the cached state, so a change made through this process is seen at once."""
        self._states.pop(bot, None)

    async def version(self, bot: str, version: str) -> tuple[BotVersion, Runtime]:
        """A version's definition and its runtime, built once: versions are immutable."""
        found = self._versions.get((bot, version))
        if found is None:
            with store_errors():
                definition = await self.registry.definition(bot, version)
            found = (definition, build_runtime(definition, self.caller))
            self._versions[(bot, version)] = found
        return found

    async def replayable(self, bot: str) -> bool:
        """Whether a turn of this bot may run twice with only one run kept: no version of it reaches out."""
        state = await self.state(bot)
        if state is None:
            return False
        known = self._replayable.get(bot)
        if known is not None and known[0] is state:
            return known[1]
        try:
            definitions = [(await self.version(bot, v))[0] for v in state.versions]
        except NotFound:
            return False
        replayable = all(_keeps_to_itself(d) for d in definitions)
        self._replayable[bot] = (state, replayable)
        return replayable


def _keeps_to_itself(version: BotVersion) -> bool:
    # A flow is a pure function of state and message unless it has `call` steps; other runtimes call out.
    steps = version.document.get("steps", {})
    return version.runtime == "flow" and not any("call" in step for step in steps.values())
