"""The guard's rule: whether a guarded canary is rolled back, advanced to its next step, promoted, or left as it is.

A pure function over plain data: the canary as set, its health and the stable version's over the guard's window,
and the time. docs/guard.md explains it with a worked example; in short:

- **Too few conversations**: until canary and stable each have `min_conversations` conversations in the window,
  nothing is judged and nothing changes. A version's conversations are those started plus its failed turns: a
  conversation whose first turn fails never starts, and a canary failing every turn must still be judged.
- **Rollback** when the canary's error rate is above stable's by more than `max_error_rate_increase`, or its
  completion rate (completed / (completed + reset)) below stable's by more than `max_completion_drop`, each judged
  by a one-sided two-proportion z-test at 95% confidence:

      d  = p_c - p_s                                  (how much more often the bad outcome happens on the canary)
      se = sqrt(p_c (1 - p_c) / n_c + p_s (1 - p_s) / n_s)     (unpooled: under the margin the rates differ)
      z  = (d - margin) / se;   a regression when z > 1.645

  For errors the bad outcome is a failed turn: p = errors / turns, the health API's error rate (a failed turn counts
  as a turn and as an error). For completions it is a reset: p = reset / (completed + reset) = 1 - completion rate.
  When se is 0 (each p is 0 or 1) there is no sampling spread to allow for, and the rule fires exactly when
  d > margin. Each test is judged once both sides have `min_conversations` in its denominator (turns run; finished
  conversations): until then it cannot roll back, and a completion test not judged yet does not hold the
  progression up.
- **Progression** (with `steps`): when the guard passes (or there is none) and `hold` seconds have passed since the
  canary reached its percent, the percent advances to the next step above it; after the last step's hold the
  canary is promoted (stable = its version, canary removed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot_versions.state import Canary, Guard, GuardAction, Rollout
from middleware.health import VersionHealth

Z_CRITICAL = 1.645  # one-sided 95%: a standard normal exceeds it with probability 0.05


class Action(StrEnum):
    """What the guard does to a canary."""

    WAIT = "wait"  # nothing changes (too few conversations, holding, healthy without steps)
    ROLLBACK = "rollback"
    ADVANCE = "advance"
    PROMOTE = "promote"


@dataclass(frozen=True, slots=True)
class Comparison:
    """One side of the rule: is the canary's rate of a bad outcome above stable's by more than `margin`?"""

    rule: str  # error_rate | completion_rate
    bad_canary: int
    n_canary: int
    bad_stable: int
    n_stable: int
    margin: float

    @property
    def excess(self) -> float:
        """How much more often the bad outcome happens on the canary than on stable (negative: less often)."""
        return self.bad_canary / self.n_canary - self.bad_stable / self.n_stable

    @property
    def se(self) -> float:
        """The unpooled standard error of the excess."""
        p_c, p_s = self.bad_canary / self.n_canary, self.bad_stable / self.n_stable
        return math.sqrt(p_c * (1 - p_c) / self.n_canary + p_s * (1 - p_s) / self.n_stable)

    @property
    def z(self) -> float | None:
        """(excess - margin) / se; None when se is 0 (then the excess is judged as it is)."""
        se = self.se
        return None if se == 0 else (self.excess - self.margin) / se

    @property
    def regressed(self) -> bool:
        z = self.z
        return self.excess > self.margin if z is None else z > Z_CRITICAL

    def figures(self) -> dict[str, Any]:
        z = self.z
        return {
            "canary": [self.bad_canary, self.n_canary],  # bad outcomes, out of
            "stable": [self.bad_stable, self.n_stable],
            "excess": _round(self.excess),
            "margin": self.margin,
            "se": _round(self.se),
            "z": None if z is None else _round(z),
            "regressed": self.regressed,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rule decided, why (one sentence), and the figures that decided it."""

    action: Action
    why: str
    figures: dict[str, Any] = field(default_factory=dict)
    percent: float | None = None  # the next step, for ADVANCE
    passed: bool = False  # the guard judged the canary and found no regression


def error_comparison(canary: VersionHealth, stable: VersionHealth, guard: Guard) -> Comparison:
    """Failed turns among turns run, canary against stable."""
    return Comparison(
        "error_rate",
        canary.errors,
        canary.turns,
        stable.errors,
        stable.turns,
        guard.max_error_rate_increase,
    )


def completion_comparison(canary: VersionHealth, stable: VersionHealth, guard: Guard) -> Comparison:
    """Resets among finished conversations (1 - completion rate), canary against stable."""
    return Comparison(
        "completion_rate",
        canary.reset,
        canary.completed + canary.reset,
        stable.reset,
        stable.completed + stable.reset,
        guard.max_completion_drop,
    )


def conversations(health: VersionHealth) -> int:
    """What counts toward `min_conversations`: conversations started, and turns that failed (a conversation whose
    first turn fails never starts)."""
    return health.started + health.errors


def judge(guard: Guard, canary: VersionHealth, stable: VersionHealth, versions: tuple[str, str | None]) -> Decision:
    """The guard's verdict alone: ROLLBACK, or WAIT with `passed` set when it found no regression (unset: too few
    conversations to judge)."""
    canary_version, stable_version = versions
    figures: dict[str, Any] = {
        "window": guard.window,
        "min_conversations": guard.min_conversations,
        "z_critical": Z_CRITICAL,
        "canary": _side(canary_version, canary),
        "stable": _side(stable_version, stable),
    }
    if stable_version is None or stable_version == canary_version:
        why = f"the canary's version {canary_version} is the stable version too: nothing to compare"
        return Decision(Action.WAIT, "no stable version to compare with" if stable_version is None else why, figures)
    seen = {canary_version: conversations(canary), stable_version: conversations(stable)}
    if min(seen.values()) < guard.min_conversations:
        counts = ", ".join(f"{n} on {v}" for v, n in seen.items())
        why = f"too few conversations to judge: {counts} in the last {guard.window} s ({guard.min_conversations} each)"
        return Decision(Action.WAIT, why, figures)
    judged = []
    for comparison in (error_comparison(canary, stable, guard), completion_comparison(canary, stable, guard)):
        enough = min(comparison.n_canary, comparison.n_stable) >= guard.min_conversations
        figures[comparison.rule] = comparison.figures() if enough else None  # None: too few in its denominator
        if enough:
            judged.append(comparison)
    for comparison in judged:
        if comparison.regressed:
            figures["rule"] = comparison.rule
            return Decision(Action.ROLLBACK, _regression(comparison, versions, guard.window), figures)
    if not judged:
        return Decision(Action.WAIT, f"too few turns run to judge in the last {guard.window} s", figures)
    rates = ", ".join(_shares(c, versions) for c in judged)
    why = f"healthy over the last {guard.window} s (no regression beyond the margins at 95% confidence): {rates}"
    return Decision(Action.WAIT, why, figures, passed=True)


def decide(
    canary: Canary,
    canary_health: VersionHealth,
    stable_health: VersionHealth,
    stable_version: str | None,
    now_ms: int,
) -> Decision:
    """The rule: the guard's verdict first (rollback, or wait for enough conversations), then the progression."""
    verdict = None
    if canary.guard is not None:
        verdict = judge(canary.guard, canary_health, stable_health, (canary.version, stable_version))
        if not verdict.passed:
            return verdict
    figures = dict(verdict.figures) if verdict is not None else {}
    prefix = verdict.why + "; " if verdict is not None else "no guard; "
    if canary.steps is None or canary.hold is None:
        return Decision(Action.WAIT, prefix + "no steps to advance through", figures, passed=verdict is not None)
    held_ms = None if canary.since_ms is None else now_ms - canary.since_ms
    figures.update(percent=canary.percent, hold=canary.hold, held_s=None if held_ms is None else held_ms / 1000)
    if held_ms is None or held_ms < canary.hold * 1000:
        return Decision(Action.WAIT, prefix + f"holding {canary.percent:g}% for {canary.hold} s", figures)
    following = next_step(canary)
    if following is None:
        why = f"held {canary.percent:g}% for {canary.hold} s, the last step: promoting {canary.version} to stable"
        return Decision(Action.PROMOTE, prefix + why, figures)
    figures["next"] = following
    why = f"held {canary.percent:g}% for {canary.hold} s: advancing to {following:g}%"
    return Decision(Action.ADVANCE, prefix + why, figures, percent=following)


def next_step(canary: Canary) -> float | None:
    """The first step above the canary's percent; None once it is at or past the last step."""
    return next((step for step in canary.steps or () if step > canary.percent), None)


def applied(rollout: Rollout, decision: Decision, now_ms: int) -> Rollout:
    """The rollout after the guard's decision: the canary removed (rollback), moved on a step (advance, its hold
    starting again), or made stable (promote); `last_guard` records it. WAIT changes nothing."""
    canary = rollout.canary
    if decision.action is Action.WAIT or canary is None:
        return rollout
    done = GuardAction(now_ms, decision.action.value, decision.why, decision.figures)
    if decision.action is Action.ROLLBACK:
        return Rollout(stable=rollout.stable, canary=None, last_guard=done)
    if decision.action is Action.PROMOTE:
        return Rollout(stable=canary.version, canary=None, last_guard=done)
    if decision.percent is None:
        raise ValueError("an advance names the percent it advances to")
    moved = replace(canary, percent=decision.percent, since_ms=now_ms)
    return Rollout(stable=rollout.stable, canary=moved, last_guard=done)


def _side(version: str | None, health: VersionHealth) -> dict[str, Any]:
    return {
        "version": version,
        "started": health.started,
        "turns": health.turns,
        "errors": health.errors,
        "completed": health.completed,
        "reset": health.reset,
        "error_rate": None if health.error_rate is None else _round(health.error_rate),
        "completion_rate": None if health.completion_rate is None else _round(health.completion_rate),
    }


def _shares(comparison: Comparison, versions: tuple[str, str | None]) -> str:
    """The rates a test compared, in words: `failed turns 4.17% of 1200 on 2.1.0 vs 1.00% of 22000 on 2.0.0`."""
    canary_version, stable_version = versions
    shares = (comparison.bad_canary / comparison.n_canary, comparison.bad_stable / comparison.n_stable)
    what = "failed turns"
    if comparison.rule == "completion_rate":
        what, shares = "completion rate", (1 - shares[0], 1 - shares[1])
    return (
        f"{what} {_pct(shares[0])} of {comparison.n_canary} on {canary_version} vs {_pct(shares[1])} of "
        f"{comparison.n_stable} on {stable_version}"
    )


def _regression(comparison: Comparison, versions: tuple[str, str | None], window: int) -> str:
    z = comparison.z
    test = "every rate is 0 or 1, so the difference is exact" if z is None else f"z = {z:.2f} > {Z_CRITICAL}"
    how = "more" if comparison.rule == "error_rate" else "lower"
    return (
        f"{_shares(comparison, versions)} over the last {window} s: {abs(comparison.excess) * 100:.2f} points {how}, "
        f"beyond the allowed {comparison.margin * 100:.2f} at 95% confidence ({test})"
    )


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.2f}%"


def _round(value: float) -> float:
    return round(value, 6)
