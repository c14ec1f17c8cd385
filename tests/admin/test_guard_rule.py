"""The guard's rule as a table of cases, the progression, and a simulation of its false rollback rate."""

from __future__ import annotations

import math
import random

import pytest

from admin.guard_rule import Z_CRITICAL, Action, Comparison, Decision, applied, decide, judge, next_step
from bot_versions.state import Canary, Guard, GuardAction, Rollout
from middleware.health import VersionHealth
from tests.admin.draws import binomial

GUARD = Guard(max_error_rate_increase=0.02, max_completion_drop=0.05, min_conversations=100, window=900)
NOW = 1_700_000_000_000
HOLD = 600


def health(started: int, turns: int, errors: int, completed: int, reset: int) -> VersionHealth:
    return VersionHealth(started=started, turns=turns, errors=errors, completed=completed, reset=reset)


# Stable: 1% of 10,000 turns failed, 80% of 1,000 finished conversations completed.
STABLE = health(1000, 10000, 100, 800, 200)


@pytest.mark.parametrize(
    ("canary", "stable", "guard", "action", "passed", "rule"),
    [
        (health(200, 1000, 80, 160, 40), STABLE, GUARD, Action.ROLLBACK, False, "error_rate"),
        (health(200, 1000, 10, 160, 40), STABLE, GUARD, Action.WAIT, True, None),
        (health(99, 990, 0, 79, 20), STABLE, GUARD, Action.WAIT, False, None),
        (health(100, 500, 40, 80, 20), STABLE, GUARD, Action.ROLLBACK, False, "error_rate"),
        (health(200, 1000, 10, 160, 40), health(99, 9900, 0, 800, 200), GUARD, Action.WAIT, False, None),
        (health(60, 100, 40, 0, 0), STABLE, GUARD, Action.ROLLBACK, False, "error_rate"),
        (health(0, 150, 150, 0, 0), STABLE, GUARD, Action.ROLLBACK, False, "error_rate"),
        (health(200, 1000, 1, 190, 10), STABLE, GUARD, Action.WAIT, True, None),
        (health(200, 1000, 10, 120, 80), STABLE, GUARD, Action.ROLLBACK, False, "completion_rate"),
        (health(200, 1000, 10, 154, 46), STABLE, GUARD, Action.WAIT, True, None),
        (health(200, 1000, 10, 30, 20), STABLE, GUARD, Action.WAIT, True, None),
        (health(500, 2111, 78, 400, 100), STABLE, GUARD, Action.WAIT, True, None),
        (health(500, 2201, 81, 400, 100), STABLE, GUARD, Action.ROLLBACK, False, "error_rate"),
        (health(200, 1000, 30, 160, 40), STABLE, GUARD, Action.WAIT, True, None),
        (health(200, 1000, 0, 160, 40), health(1000, 10000, 0, 800, 200), GUARD, Action.WAIT, True, None),
        (health(0, 150, 150, 0, 0), health(1000, 10000, 0, 800, 200), GUARD, Action.ROLLBACK, False, "error_rate"),
        (
            health(0, 150, 150, 0, 0),
            health(1000, 10000, 0, 800, 200),
            Guard(max_error_rate_increase=1.0),
            Action.WAIT,
            True,
            None,
        ),
    ],
    ids=[
        "clear error regression (8% vs 1%)",
        "clear health: equal rates (1% failed, 80% completed on both)",
        "too few conversations on the canary (99 of 100)",
        "exactly min_conversations, and a regression",
        "too few conversations on stable",
        "failed turns count toward min_conversations",
        "a canary failing every turn starts nothing and is still rolled back",
        "a canary better than stable",
        "completion rule: 60% vs 80%",
        "completion drop within the margin (77% vs 80%)",
        "completion not judged yet (50 finished) does not hold a healthy canary",
        "z just below 1.645 (1.644998)",
        "z just above 1.645 (1.645005)",
        "excess exactly the margin (3% vs 1%, z = 0)",
        "se 0: no errors anywhere",
        "se 0: every canary turn fails, no stable turn does",
        "se 0: the excess (1.0) equals a margin of 1.0",
    ],
)
def test_the_guard_judges_the_canary_against_stable(
    canary: VersionHealth, stable: VersionHealth, guard: Guard, action: Action, passed: bool, rule: str | None
) -> None:
    """Rollback on a significant regression beyond a margin, pass when there is none, wait with too little data."""
    decision = judge(guard, canary, stable, ("2.1.0", "2.0.0"))
    assert (decision.action, decision.passed, decision.figures.get("rule")) == (action, passed, rule), decision.why


@pytest.mark.parametrize(
    ("bad_canary", "n_canary", "bad_stable", "n_stable", "margin", "z"),
    [
        (80, 1000, 100, 10_000, 0.02, (0.08 - 0.01 - 0.02) / math.sqrt(0.08 * 0.92 / 1000 + 0.01 * 0.99 / 10_000)),
        (10, 1000, 100, 10_000, 0.02, (0.01 - 0.01 - 0.02) / math.sqrt(0.01 * 0.99 / 1000 + 0.01 * 0.99 / 10_000)),
        (0, 100, 0, 100, 0.02, None),
        (100, 100, 0, 100, 0.02, None),
    ],
    ids=["regression", "equal", "se 0 (all 0)", "se 0 (1 against 0)"],
)
def test_z_is_the_excess_beyond_the_margin_over_the_unpooled_standard_error(
    bad_canary: int, n_canary: int, bad_stable: int, n_stable: int, margin: float, z: float | None
) -> None:
    """z = (p_c - p_s - margin) / sqrt(p_c(1-p_c)/n_c + p_s(1-p_s)/n_s), None when that error is 0."""
    comparison = Comparison("error_rate", bad_canary, n_canary, bad_stable, n_stable, margin)
    assert comparison.z == (None if z is None else pytest.approx(z))


def test_a_rollback_names_its_rule_and_figures() -> None:
    """The figures hold both sides' counts and rates, each test's excess, margin, se and z, and the rule."""
    decision = judge(GUARD, health(200, 1000, 80, 160, 40), STABLE, ("2.1.0", "2.0.0"))
    figures = decision.figures
    assert figures["rule"] == "error_rate"
    assert figures["canary"] == {
        "version": "2.1.0",
        "started": 200,
        "turns": 1000,
        "errors": 80,
        "completed": 160,
        "reset": 40,
        "error_rate": pytest.approx(80 / 1000, abs=1e-6),
        "completion_rate": 0.8,
    }
    assert figures["stable"]["version"] == "2.0.0"
    assert figures["error_rate"]["excess"] == pytest.approx(0.07)
    assert figures["error_rate"]["z"] > Z_CRITICAL
    assert figures["z_critical"] == Z_CRITICAL
    assert decision.why.startswith("failed turns 8.00% of 1000 on 2.1.0 vs 1.00% of 10000 on 2.0.0 over the last 900 s")
    assert figures["error_rate"]["canary"] == [80, 1000] and figures["completion_rate"]["regressed"] is False


@pytest.mark.parametrize(
    ("stable_version", "why"),
    [(None, "no stable version"), ("2.1.0", "is the stable version too")],
    ids=["no stable", "canary is stable"],
)
def test_without_another_version_to_compare_with_the_guard_waits(stable_version: str | None, why: str) -> None:
    """Nothing to compare the canary with: no rollback, no pass."""
    decision = judge(GUARD, health(0, 150, 150, 0, 0), STABLE, ("2.1.0", stable_version))
    assert (decision.action, decision.passed) == (Action.WAIT, False)
    assert why in decision.why


STEPS = (5.0, 25.0, 50.0, 100.0)
HEALTHY = health(200, 1000, 10, 160, 40)
SICK = health(200, 1000, 80, 160, 40)
FEW = health(50, 100, 0, 40, 10)


def canary(
    percent: float, held_s: float, guard: Guard | None = GUARD, steps: tuple[float, ...] | None = STEPS
) -> Canary:
    return Canary(
        "2.1.0", percent, guard=guard, steps=steps, hold=HOLD if steps else None, since_ms=NOW - int(held_s * 1000)
    )


@pytest.mark.parametrize(
    ("the_canary", "canary_health", "action", "percent"),
    [
        (canary(5, HOLD, guard=None), FEW, Action.ADVANCE, 25),
        (canary(5, HOLD - 0.001, guard=None), FEW, Action.WAIT, None),
        (canary(5, HOLD), HEALTHY, Action.ADVANCE, 25),
        (canary(5, HOLD), FEW, Action.WAIT, None),
        (canary(5, HOLD), SICK, Action.ROLLBACK, None),
        (canary(5, 0), SICK, Action.ROLLBACK, None),
        (canary(50, 3 * HOLD), HEALTHY, Action.ADVANCE, 100),
        (canary(100, HOLD), HEALTHY, Action.PROMOTE, None),
        (canary(100, HOLD - 0.001), HEALTHY, Action.WAIT, None),
        (canary(60, HOLD, steps=(5, 25)), HEALTHY, Action.PROMOTE, None),
        (canary(10, HOLD), HEALTHY, Action.ADVANCE, 25),
        (canary(0, HOLD, guard=None), FEW, Action.ADVANCE, 5),
        (canary(5, 10 * HOLD, steps=None), HEALTHY, Action.WAIT, None),
    ],
    ids=[
        "no guard: advance once the hold has passed",
        "no guard: 1 ms before the hold",
        "guard passes: advance",
        "too few conversations: wait, however long held",
        "regression: rollback",
        "regression: rollback at once, hold or not",
        "advance to the next step only",
        "the last step's hold: promote",
        "1 ms before the last step's hold",
        "past the last step: promote",
        "between steps: the next step above",
        "0%: the first step",
        "no steps: nothing to advance",
    ],
)
def test_the_progression_advances_after_each_hold_and_promotes_after_the_last(
    the_canary: Canary, canary_health: VersionHealth, action: Action, percent: float | None
) -> None:
    """With steps, each `hold` the guard passes moves the percent to the next step; after the last, promotion."""
    decision = decide(the_canary, canary_health, STABLE, "2.0.0", NOW)
    assert (decision.action, decision.percent) == (action, percent), decision.why


def test_next_step_is_the_first_step_above_the_percent() -> None:
    """Steps at or below the percent are passed already."""
    assert [next_step(canary(p, 0)) for p in (0, 5, 6, 25, 99.99, 100)] == [5, 25, 25, 50, 100, None]


LAST = GuardAction(NOW - 1, "advance", "before", {})


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (Decision(Action.ROLLBACK, "why"), Rollout(stable="2.0.0", canary=None)),
        (Decision(Action.PROMOTE, "why"), Rollout(stable="2.1.0", canary=None)),
        (Decision(Action.ADVANCE, "why", percent=25), Rollout("2.0.0", canary(25, 0))),
    ],
    ids=["rollback removes the canary", "promote makes it stable", "advance restarts the hold"],
)
def test_a_decision_is_applied_to_the_rollout_and_recorded(decision: Decision, expected: Rollout) -> None:
    """The rollout changes as decided and `last_guard` records when, what and why."""
    before = Rollout(stable="2.0.0", canary=canary(5, HOLD), last_guard=LAST)
    after = applied(before, decision, NOW)
    assert (after.stable, after.canary) == (expected.stable, expected.canary)
    assert after.last_guard == GuardAction(NOW, decision.action.value, "why", {})


def test_waiting_changes_nothing() -> None:
    """WAIT leaves the rollout as it is, `last_guard` included."""
    before = Rollout(stable="2.0.0", canary=canary(5, 0), last_guard=LAST)
    assert applied(before, Decision(Action.WAIT, "why"), NOW) is before


# The false rollback rate at equal health. Per evaluation and per test, at equal true rates p, margin m > 0 and
# denominators n_c, n_s, z is about (d - m) / se with d ~ N(0, se^2), so a false rollback has probability about
# 1 - Phi(1.645 + m / se) <= 1 - Phi(1.645 + 2m / sqrt(1/n_c + 1/n_s)) (se is largest at p = 1/2); the guard runs two
# tests, so at most the sum (docs/guard.md). At the defaults and 100 in each denominator: 2.7% + 0.9% = 3.6%.


def normal_tail(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def false_rollback_bound(n_c: int, n_s: int, margin: float) -> float:
    """The documented per-evaluation bound of one test, over every true rate."""
    return normal_tail(Z_CRITICAL + 2 * margin / math.sqrt(1 / n_c + 1 / n_s))


def equal_health_pair(rng: random.Random, n: tuple[int, int], p: float, q: float) -> list[VersionHealth]:
    """Canary and stable drawn at the same true error share `p` and completion rate `q`, each with n turns and n
    finished conversations."""
    pair = []
    for size in n:
        errors, resets = binomial(rng, size, p), binomial(rng, size, 1 - q)
        pair.append(health(size, size, errors, size - resets, resets))
    return pair


@pytest.mark.parametrize(
    ("sizes", "evaluations"),
    [((100, 1000), 3000), ((100, 100), 1000)],
    ids=["100 to 1000 in each denominator", "the smallest samples judged: 100 each"],
)
def test_equal_health_is_rarely_rolled_back(sizes: tuple[int, int], evaluations: int) -> None:
    """Random equal-health pairs (seeded binomial draws) are rolled back no more often than the documented bound."""
    rng = random.Random(9)
    rollbacks, bound = 0, 0.0
    for _ in range(evaluations):
        n = (rng.randint(*sizes), rng.randint(*sizes))
        p, q = rng.uniform(0.01, 0.5), rng.uniform(0.5, 0.99)
        canary_health, stable_health = equal_health_pair(rng, n, p, q)
        rollbacks += judge(GUARD, canary_health, stable_health, ("2.1.0", "2.0.0")).action is Action.ROLLBACK
        bound += false_rollback_bound(*n, GUARD.max_error_rate_increase)
        bound += false_rollback_bound(*n, GUARD.max_completion_drop)
    assert rollbacks <= bound
    assert rollbacks / evaluations < 0.05
