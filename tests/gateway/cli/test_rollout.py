"""How `botgate rollout` shows a rollout: as set, and as routing applies it."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.cli.rollout import rollout_change_text, rollout_text


@pytest.mark.parametrize(
    ("rollout", "serving", "text"),
    [
        ({"stable": None, "canary": None}, None, "stable: highest published release\ncanary: none"),
        (
            {"stable": None, "canary": {"version": "2.1.0", "percent": 12.5}},
            {"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": 12.5}},
            "stable: highest published release (now 2.0.0)\ncanary: 2.1.0 for 12.5% of users",
        ),
        (
            {"stable": "1.0.0", "canary": {"version": "2.1.0", "percent": 10.0}},
            {"stable": "2.0.0", "canary": None},
            "stable: 1.0.0 (now 2.0.0)\ncanary: 2.1.0 for 10% of users (not applied: its version is not published)",
        ),
    ],
    ids=["defaults", "default stable and a canary", "rollout naming unpublished versions"],
)
def test_the_rollout_reads_as_set_and_as_applied(rollout: Any, serving: Any, text: str) -> None:
    """What was set, and what routing does instead when that differs."""
    assert rollout_text(rollout, serving) == text


GUARDED = {
    "stable": "2.0.0",
    "canary": {
        "version": "2.1.0",
        "percent": 25.0,
        "guard": {
            "max_error_rate_increase": 0.02,
            "max_completion_drop": 0.05,
            "min_conversations": 100,
            "window": 900,
        },
        "steps": [5.0, 25.0, 50.0, 100.0],
        "hold": 600,
        "since": "2025-05-01T12:10:00.000Z",
    },
    "last_guard": {
        "at": "2025-05-01T12:10:00.000Z",
        "action": "advance",
        "why": "held 5% for 600 s: advancing to 25%",
        "figures": {},
    },
}


def test_a_guarded_canary_shows_its_guard_steps_and_the_guards_last_action() -> None:
    """One line each for the guard, the steps with where the canary stands, and the guard's last change."""
    serving = {"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": 25.0}}
    assert rollout_text(GUARDED, serving).splitlines() == [
        "stable: 2.0.0",
        "canary: 2.1.0 for 25% of users",
        "guard: roll back if the error rate rises more than 2 points or the completion rate drops more than 5 points "
        "(95% confidence, over the last 900 s, once each side has 100 conversations)",
        "steps: 5% -> 25% -> 50% -> 100%, 600 s at each (at 25% since 2025-05-01 12:10:00Z), then promoted to stable",
        "last guard action: advance at 2025-05-01 12:10:00Z: held 5% for 600 s: advancing to 25%",
    ]


def test_the_guards_last_action_is_shown_after_the_canary_is_gone() -> None:
    """A rollback leaves no canary, and says why."""
    rolled_back = {
        "stable": "2.0.0",
        "canary": None,
        "last_guard": {"at": "2025-05-01T12:10:00.000Z", "action": "rollback", "why": "error rate 8%", "figures": {}},
    }
    assert rollout_text(rolled_back).splitlines() == [
        "stable: 2.0.0",
        "canary: none",
        "last guard action: rollback at 2025-05-01 12:10:00Z: error rate 8%",
    ]


def test_a_change_meanwhile_is_told_in_one_line() -> None:
    """What the rollout is now, and the guard's action when it made the change."""
    before = {**GUARDED, "last_guard": None}
    assert rollout_change_text(before, GUARDED) == (
        "now stable: 2.0.0, canary: 2.1.0 for 25% of users, by the guard's advance at 2025-05-01 12:10:00Z"
    )
    assert rollout_change_text(GUARDED, GUARDED) == "now stable: 2.0.0, canary: 2.1.0 for 25% of users"
