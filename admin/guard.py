"""The guard loop: every interval, the process holding the guard's lease judges each guarded canary and applies
the rule's decision (admin/guard_rule.py) with the rollout's compare-and-set.

One process evaluates at a time: a lease in Redis (one key holding the holder's token, set with NX and a PX a few
intervals long, renewed by the holder with a compare-and-pexpire script). A holder that dies stops renewing, and its
lease runs out within `LEASE_INTERVALS` intervals; the next process to try takes it. Should two processes ever
evaluate at once (a holder stalled past its lease), the compare-and-set still lets only one change land per
rollout: each writes only if the rollout is the one it judged, like an operator's PUT with If-Match.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

import structlog
from redis.asyncio import Redis

from admin.guard_rule import Action, Decision, applied, decide
from bot_versions import keys
from bot_versions.errors import PreconditionFailed
from bot_versions.redis_scripts import RedisScript
from bot_versions.registry import Registry
from middleware.catalog import Catalog
from middleware.health import VersionHealth, window_health
from middleware.routing import canary_target, stable_target

log = structlog.get_logger("botgate.guard")

GUARD_ACTOR = "guard"  # the audit's actor for every change the guard makes
LEASE_KEY = keys.GUARD_LEASE  # the guard's only key
LEASE_INTERVALS = 3  # the lease outlives a missed renewal or two before another process takes over
STOP_WAIT_S = 10.0  # how long shutdown waits for a round under way to finish

# Renew the lease only while this process holds it: 1 when renewed, 0 when another holds it or it ran out.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# Give the lease up on shutdown, only if still ours, so another process takes over at its next interval.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class GuardChange:
    """One automatic change: the bot, and what the rule decided and why."""

    bot: str
    decision: Decision


class RolloutGuard:
    """Evaluates guarded canaries every `interval_s` seconds while this process holds the lease."""

    def __init__(
        self,
        redis: Redis,
        registry: Registry,
        catalog: Catalog,
        interval_s: float,
        clock: Callable[[], int],
        token: str | None = None,
    ) -> None:
        self.redis = redis
        self.registry = registry
        self.catalog = catalog
        self.interval_s = interval_s
        self.clock = clock
        self.lease_ms = max(1, round(interval_s * 1000 * LEASE_INTERVALS))
        self.token = token or secrets.token_hex(8)  # names this process's lease; not a secret
        self.holding = False
        self._renew = RedisScript(redis, RENEW)
        self._release = RedisScript(redis, RELEASE)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Run the loop in the background (the gateway's lifespan starts it)."""
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="botgate-guard")

    async def stop(self) -> None:
        """Stop the loop and give the lease up, so another process takes over without waiting for it to run out."""
        task, self._task = self._task, None
        if task is not None:
            # The loop is told, not cancelled: a cancellation landing mid-command can be lost inside redis-py (the
            # loop would then run on) or leave a shared connection unread. A round under way finishes first; its
            # calls are bounded by the client's timeout, and only a round stuck past STOP_WAIT_S is cancelled.
            self._stopping.set()
            _, pending = await asyncio.wait({task}, timeout=STOP_WAIT_S)
            if pending:
                task.cancel()
                await asyncio.wait({task})
        if self.holding:
            with contextlib.suppress(Exception):  # Redis may be gone at shutdown: the lease then runs out by itself
                await self._release(keys=[LEASE_KEY], args=[self.token])
            self.holding = False

    async def _run(self) -> None:
        while not await self._stopped_within(self.interval_s):
            try:
                await self.evaluate_once()
            except Exception as exc:  # the loop outlives a failed round (Redis down): the next round tries again
                log.warning("guard_failed", error=type(exc).__name__, detail=str(exc)[:200])

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait `seconds` for stop(); whether it came."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def hold_lease(self) -> bool:
        """Take or renew the lease; whether this process holds it now."""
        held = bool(await self._renew(keys=[LEASE_KEY], args=[self.token, self.lease_ms]))
        if not held:
            held = bool(await self.redis.set(LEASE_KEY, self.token, nx=True, px=self.lease_ms))
        if held != self.holding:
            log.info("guard_lease_taken" if held else "guard_lease_lost", token=self.token, lease_ms=self.lease_ms)
        self.holding = held
        return held

    async def evaluate_once(self, now_ms: int | None = None) -> list[GuardChange]:
        """One round: if this process holds the lease, judge every guarded canary at `now_ms` (default: the clock)
        and apply what the rule decides; the changes made."""
        if not await self.hold_lease():
            return []
        now = self.clock() if now_ms is None else now_ms
        changes = []
        for bot in await self.registry.bots():
            try:
                change = await self.evaluate_bot(bot, now)
            except Exception as exc:  # one bot's failure (a stored value it cannot read) leaves the others judged
                log.warning("guard_failed", bot=bot, error=type(exc).__name__, detail=str(exc)[:200])
                continue
            if change is not None:
                changes.append(change)
        return changes

    async def evaluate_bot(self, bot: str, now_ms: int) -> GuardChange | None:
        """Judge one bot's canary and apply the decision; None when nothing changed."""
        rollout, tag = await self.registry.rollout(bot)
        canary = rollout.canary
        if canary is None or not canary.guarded:
            return None
        state = await self.registry.state(bot)
        if state is None:
            return None
        state = replace(state, rollout=rollout)  # the rollout that `tag` names, whatever happened since
        if canary_target(state) is None:
            return None  # its version was unpublished: routing skips the canary, so there is nothing to judge
        stable = stable_target(state)
        health = {} if canary.guard is None else await window_health(self.redis, bot, canary.guard.window, now_ms)
        none = VersionHealth()
        decision = decide(
            canary, health.get(canary.version, none), health.get(stable, none) if stable else none, stable, now_ms
        )
        if decision.action is Action.WAIT:
            return None
        new = applied(rollout, decision, now_ms)
        try:
            await self.registry.change_rollout(bot, lambda _: new, GUARD_ACTOR, if_match={tag})
        except PreconditionFailed:
            # An operator (or another guard) changed the rollout since it was read: theirs stands, and the rule is
            # applied to it at the next round.
            log.info("guard_skipped", bot=bot, reason="the rollout changed while it was judged")
            return None
        self.catalog.invalidate(bot)  # this process routes by it at once; the others within their 0.5 s cache
        log.info(
            f"guard_{decision.action.value}",
            bot=bot,
            version=canary.version,
            percent=canary.percent,
            why=decision.why,
            figures=decision.figures,
        )
        return GuardChange(bot, decision)
