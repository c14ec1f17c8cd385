"""Per-version health as plain data: rates, p95 from latency buckets, minute buckets and windows."""

from __future__ import annotations

import pytest

from middleware.health import LATENCY_MS, MINUTE_MS, VersionHealth, bucket_health, latency_bucket, minutes, total

T0 = 1_700_000_040_000  # a whole minute


def test_rates_are_none_until_there_is_something_to_divide_by() -> None:
    """error_rate needs turns, completion_rate a finished conversation."""
    assert VersionHealth().error_rate is None and VersionHealth().completion_rate is None
    health = VersionHealth(started=10, completed=6, reset=2, turns=40, errors=4)
    assert health.error_rate == 0.1
    assert health.completion_rate == 0.75


@pytest.mark.parametrize(
    ("ms", "bucket"), [(0, 0), (5, 0), (5.01, 1), (100, 4), (10_000, len(LATENCY_MS) - 1), (10_001, len(LATENCY_MS))]
)
def test_a_turn_falls_in_the_first_bucket_whose_bound_it_does_not_pass(ms: float, bucket: int) -> None:
    """Bounds are inclusive; past the last, an unbounded bucket."""
    assert latency_bucket(ms) == bucket


def test_p95_is_the_bound_of_the_bucket_holding_the_95th_percentile() -> None:
    """94 fast turns and 6 slow ones: the 95th is slow; 96 fast: it is fast; all past the last bound: unknown."""
    fast, slow = latency_bucket(4), latency_bucket(400)
    latency = [0] * (len(LATENCY_MS) + 1)
    latency[fast], latency[slow] = 94, 6
    assert VersionHealth(latency=tuple(latency)).p95_ms == 500
    latency[fast], latency[slow] = 96, 4
    assert VersionHealth(latency=tuple(latency)).p95_ms == 5
    assert VersionHealth(latency=(0,) * len(LATENCY_MS) + (3,)).p95_ms is None
    assert VersionHealth().p95_ms is None


def test_a_window_touches_every_minute_it_overlaps() -> None:
    """An hour ending mid-minute touches 61 minutes; a minute ending on a minute's start, two."""
    assert len(minutes(3600, T0 + 30_000)) == 61
    assert minutes(60, T0) == [T0 - MINUTE_MS, T0]
    assert minutes(60, T0 + MINUTE_MS - 1) == [T0]


def test_buckets_read_back_per_version_and_sum_over_a_window() -> None:
    """`version|event` fields per minute become health per version; snapshots of active sessions are not events."""
    first = bucket_health({"1.0.0|started": 2, "1.0.0|turns": 5, "1.0.0|lat|2": 5, "2.0.0|active": 7})
    second = bucket_health({"1.0.0|turns": 1, "1.0.0|errors": 1, "2.0.0|started": 1})
    assert set(first) == {"1.0.0"}
    summed = total([first, second])
    assert summed["1.0.0"].started == 2 and summed["1.0.0"].turns == 6 and summed["1.0.0"].errors == 1
    assert summed["1.0.0"].latency[2] == 5
    assert summed["2.0.0"].started == 1
