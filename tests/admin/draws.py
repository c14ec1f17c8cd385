"""Seeded random draws for the guard's simulations (tests/admin/test_guard_rule.py, bench/guard_lives.py)."""

from __future__ import annotations

import math
import random


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) draw by geometric jumps between successes: about n * min(p, 1 - p) steps."""
    if p > 0.5:
        return n - binomial(rng, n, 1 - p)
    if p <= 0:
        return 0
    log_q, count, at = math.log(1 - p), 0, 0
    while True:
        at += int(math.log(1.0 - rng.random()) / log_q) + 1
        if at > n:
            return count
        count += 1
