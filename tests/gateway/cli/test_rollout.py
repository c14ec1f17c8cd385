"""How `botgate rollout` shows a rollout: as set, and as routing applies it."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.cli.rollout import rollout_text


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
