"""The rollout as plain data: its JSON form (stored and shown alike), and what an operator's change keeps."""

from __future__ import annotations

import pytest

from bot_versions.state import Canary, Guard, GuardAction, Rollout, iso_ms, ms_of_iso

T0 = 1_700_000_000_123
FULL = Rollout(
    stable="2.0.0",
    canary=Canary("2.1.0", 5.0, guard=Guard(0.02, 0.05, 100, 900), steps=(5.0, 25.0), hold=600, since_ms=T0),
    last_guard=GuardAction(T0 + 1, "advance", "held 5% for 600 s", {"next": 25.0}),
)


def test_a_rollout_reads_back_as_it_was_written() -> None:
    """to_json then from_json gives the same rollout, times to the millisecond."""
    assert Rollout.from_json(FULL.to_json()) == FULL
    assert Rollout.from_json(Rollout().to_json()) == Rollout()


def test_the_json_form_is_the_api_shape() -> None:
    """Every canary field present (null when unset), times as ISO 8601 UTC."""
    assert FULL.to_json() == {
        "stable": "2.0.0",
        "canary": {
            "version": "2.1.0",
            "percent": 5.0,
            "guard": {
                "max_error_rate_increase": 0.02,
                "max_completion_drop": 0.05,
                "min_conversations": 100,
                "window": 900,
            },
            "steps": [5.0, 25.0],
            "hold": 600,
            "since": "2023-11-14T22:13:20.123Z",
        },
        "last_guard": {
            "at": "2023-11-14T22:13:20.124Z",
            "action": "advance",
            "why": "held 5% for 600 s",
            "figures": {"next": 25.0},
        },
    }


def test_a_rollout_stored_before_guards_existed_still_reads() -> None:
    """`{"stable", "canary": {"version", "percent"}}`: no guard, no steps, no since, no last change."""
    old = Rollout.from_json({"stable": None, "canary": {"version": "2.1.0", "percent": 10}})
    assert old == Rollout(canary=Canary("2.1.0", 10.0))


@pytest.mark.parametrize("ms", [0, T0, 4_102_444_800_000])
def test_iso_times_round_trip_to_the_millisecond(ms: int) -> None:
    """iso_ms and ms_of_iso are inverses."""
    assert ms_of_iso(iso_ms(ms)) == ms


NOW = T0 + 60_000


@pytest.mark.parametrize(
    ("wanted", "since"),
    [
        (Canary("2.1.0", 5.0), T0),
        (Canary("2.1.0", 5.0, guard=Guard(min_conversations=10)), T0),
        (Canary("2.1.0", 10.0), NOW),
        (Canary("2.2.0", 5.0), NOW),
    ],
    ids=["same canary", "only its guard changed", "another percent", "another version"],
)
def test_since_restarts_only_when_the_canarys_version_or_percent_changes(wanted: Canary, since: int) -> None:
    """The hold is measured from when the canary reached its version and percent."""
    after = FULL.replaced_with(Rollout(stable="2.0.0", canary=wanted), NOW)
    assert after.canary is not None and after.canary.since_ms == since


def test_an_operators_change_keeps_the_guards_last_action() -> None:
    """`last_guard` is history: removing the canary by hand leaves it shown."""
    after = FULL.replaced_with(Rollout(stable="2.1.0"), NOW)
    assert (after.stable, after.canary, after.last_guard) == ("2.1.0", None, FULL.last_guard)


def test_a_canary_without_since_gets_one_from_the_next_change() -> None:
    """A canary stored before `since` existed starts its hold at the next change that names it."""
    old = Rollout(canary=Canary("2.1.0", 5.0))
    after = old.replaced_with(Rollout(canary=Canary("2.1.0", 5.0, steps=(5.0, 25.0), hold=60)), NOW)
    assert after.canary is not None and after.canary.since_ms == NOW
