"""How often the guard rolls back a canary that is exactly as good as stable, over the canary's life.

`python -m bench.guard_lives` (a few minutes; not part of `make bench`, which measures speed). Each simulated
canary lives for hours beside stable, both drawing conversations from the same health every minute; the guard
(admin/guard_rule.py `judge`, default guard) looks at the sliding window once a minute, as BOTGATE_GUARD_INTERVAL
looks several times a minute at per-minute buckets. Printed: the share of canaries rolled back within each horizon.
docs/guard.md ("Repeated evaluation") quotes the figures.
"""

from __future__ import annotations

import argparse
import random
from collections import deque
from dataclasses import dataclass

from admin.guard_rule import Action, judge
from bot_versions.state import Guard
from middleware.health import VersionHealth
from tests.admin.draws import binomial

TURNS_PER_CONVERSATION = 3
ERROR_SHARE = 0.02
COMPLETION = 0.8
HORIZONS_MIN = (60, 360)
TRAFFIC = ((10, 190), (50, 950))  # conversations a minute: canary, stable (a 5% canary)


@dataclass(frozen=True, slots=True)
class Minute:
    started: int
    turns: int
    errors: int
    completed: int
    reset: int


def minute(rng: random.Random, conversations: int) -> Minute:
    """One minute of one version: every conversation starts and finishes within it."""
    turns = conversations * TURNS_PER_CONVERSATION
    completed = binomial(rng, conversations, COMPLETION)
    return Minute(conversations, turns, binomial(rng, turns, ERROR_SHARE), completed, conversations - completed)


def window(minutes: deque[Minute]) -> VersionHealth:
    return VersionHealth(
        started=sum(m.started for m in minutes),
        turns=sum(m.turns for m in minutes),
        errors=sum(m.errors for m in minutes),
        completed=sum(m.completed for m in minutes),
        reset=sum(m.reset for m in minutes),
    )


def rolled_back_at(rng: random.Random, guard: Guard, canary: int, stable: int, minutes: int) -> int | None:
    """The minute of the canary's life at which the guard first rolled it back, or None."""
    width = guard.window // 60
    canary_minutes: deque[Minute] = deque(maxlen=width)
    stable_minutes: deque[Minute] = deque(maxlen=width)
    for at in range(1, minutes + 1):
        canary_minutes.append(minute(rng, canary))
        stable_minutes.append(minute(rng, stable))
        verdict = judge(guard, window(canary_minutes), window(stable_minutes), ("2.1.0", "2.0.0"))
        if verdict.action is Action.ROLLBACK:
            return at
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lives", type=int, default=300, help="canaries simulated per traffic level")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    guard = Guard()
    rng = random.Random(args.seed)
    print(
        f"window {guard.window} s, evaluated every minute; {TURNS_PER_CONVERSATION} turns per conversation, "
        f"{ERROR_SHARE:.0%} failed, {COMPLETION:.0%} completed on both sides; {args.lives} canary lives each"
    )
    for canary, stable in TRAFFIC:
        ends = [rolled_back_at(rng, guard, canary, stable, max(HORIZONS_MIN)) for _ in range(args.lives)]
        shares = ", ".join(
            f"{sum(e is not None and e <= h for e in ends) / args.lives:.1%} within {h // 60} h" for h in HORIZONS_MIN
        )
        print(f"{canary} canary conversations a minute against {stable} on stable: rolled back falsely {shares}")


if __name__ == "__main__":
    main()
