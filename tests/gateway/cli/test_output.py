"""How the CLI shows the admin API's answers: plain functions from JSON to text."""

from __future__ import annotations

from gateway.cli.output import chat_lines, health_text
from gateway.cli.text import table


def test_a_table_aligns_its_columns_and_shows_missing_values_as_a_dash() -> None:
    """Columns are as wide as their widest cell, two spaces apart, with no trailing spaces."""
    assert table(["A", "LONGER"], [["wide cell", None], ["x", 7]]).splitlines() == [
        "A          LONGER",
        "wide cell  -",
        "x          7",
    ]


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


def test_health_is_a_row_per_version_with_rates_as_percentages() -> None:
    """Counts as they are, rates as percentages with one decimal, '-' where there is nothing to divide yet."""
    data = {
        "bot": "shop",
        "window": 3600,
        "versions": {
            "1.1.0": {"active_sessions": 3, "started": 10, "completed": 7, "reset": 1, "migrated": 0, "turns": 40,
                      "errors": 1, "error_rate": 0.025, "completion_rate": 0.875, "p95_ms": 25},
            "1.0.0": {"active_sessions": 0, "started": 0, "completed": 0, "reset": 0, "migrated": 2, "turns": 0,
                      "errors": 0, "error_rate": None, "completion_rate": None, "p95_ms": None},
        },
    }  # fmt: skip
    lines = health_text(data).splitlines()
    assert lines[0] == "shop, the last 60 minute(s)"
    assert lines[2].split() == ["1.1.0", "3", "10", "7", "1", "0", "40", "1", "2.5", "87.5", "25"]
    assert lines[3].split() == ["1.0.0", "0", "0", "0", "0", "2", "0", "0", "-", "-", "-"]
