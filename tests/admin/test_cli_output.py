"""How the CLI shows the admin API's answers: plain functions from JSON to text."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.cli_output import chat_lines, rollout_text, table


def test_a_table_aligns_its_columns_and_shows_missing_values_as_a_dash() -> None:
    """Columns are as wide as their widest cell, two spaces apart, with no trailing spaces."""
    assert table(["A", "LONGER"], [["wide cell", None], ["x", 7]]).splitlines() == [
        "A          LONGER",
        "wide cell  -",
        "x          7",
    ]


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


def test_chat_replies_carry_their_version_and_number_their_choices() -> None:
    """Each reply is prefixed with its version; choices are numbered; an ended conversation says so."""
    response = {
        "replies": [{"text": "What size?", "choices": ["Small", "Large"]}],
        "version": "1.0.0",
        "status": "ended",
    }
    assert chat_lines(response) == [
        "[1.0.0] What size?",
        "    1. Small",
        "    2. Large",
        "(conversation ended; the next message starts a new one)",
    ]
