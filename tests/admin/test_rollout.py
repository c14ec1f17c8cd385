"""Rollout and pin bodies checked against a bot's versions, as plain functions."""

from __future__ import annotations

from typing import Any

import pytest

from admin.rollout import DEFAULT_HOLD_S, parse_pin, parse_rollout
from bot_versions.errors import Invalid
from bot_versions.model import Status
from bot_versions.state import BotState, Canary, Guard, Rollout, VersionMeta

STATE = BotState(
    bot="greeter",
    versions={
        version: VersionMeta(status=status, created_at_ms=0, digest="d")
        for version, status in {
            "1.0.0": Status.PUBLISHED,
            "2.0.0": Status.PUBLISHED,
            "2.1.0rc1": Status.PUBLISHED,
            "3.0.0": Status.DRAFT,
            "0.9.0": Status.UNPUBLISHED,
        }.items()
    },
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"stable": None, "canary": None}, Rollout()),
        ({"stable": "1.0.0", "canary": None}, Rollout(stable="1.0.0")),
        ({"stable": "v2.0.0", "canary": None}, Rollout(stable="2.0.0")),
        ({"stable": None, "canary": {"version": "2.1.0rc1", "percent": 10}}, Rollout(canary=Canary("2.1.0rc1", 10))),
        ({"stable": "1.0.0", "canary": {"version": "2.0.0", "percent": 0.5}}, Rollout("1.0.0", Canary("2.0.0", 0.5))),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": 0}}, Rollout(canary=Canary("2.0.0", 0))),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": 100}}, Rollout(canary=Canary("2.0.0", 100))),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": 12.34}}, Rollout(canary=Canary("2.0.0", 12.34))),
    ],
    ids=["nothing set", "stable", "normal form", "pre-release canary", "both", "0%", "100%", "two decimals"],
)
def test_valid_rollouts_name_published_versions(body: dict[str, Any], expected: Rollout) -> None:
    """Published versions in normal form; percent 0-100 with up to two decimals."""
    assert parse_rollout(body, STATE) == expected


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ([], [""]),
        ({"stable": None}, ["canary"]),
        ({}, ["stable", "canary"]),
        ({"stable": None, "canary": None, "extra": 1}, ["extra"]),
        ({"stable": "3.0.0", "canary": None}, ["stable"]),
        ({"stable": "0.9.0", "canary": None}, ["stable"]),
        ({"stable": "9.9.9", "canary": None}, ["stable"]),
        ({"stable": "banana", "canary": None}, ["stable"]),
        ({"stable": 1, "canary": None}, ["stable"]),
        ({"stable": None, "canary": {"version": "3.0.0", "percent": 10}}, ["canary.version"]),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": 101}}, ["canary.percent"]),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": -1}}, ["canary.percent"]),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": "10"}}, ["canary.percent"]),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": True}}, ["canary.percent"]),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": 0.001}}, ["canary.percent"]),
        ({"stable": None, "canary": {"version": "2.0.0"}}, ["canary.percent"]),
        ({"stable": None, "canary": {"percent": 5}}, ["canary.version"]),
        ({"stable": None, "canary": {"version": "2.0.0", "percent": 5, "salt": "x"}}, ["canary.salt"]),
        ({"stable": None, "canary": "2.0.0"}, ["canary"]),
        (
            {"stable": "3.0.0", "canary": {"version": "0.9.0", "percent": 200}},
            ["stable", "canary.version", "canary.percent"],
        ),
    ],
    ids=[
        "not an object",
        "canary missing",
        "both missing",
        "unknown field",
        "stable is a draft",
        "stable is unpublished",
        "stable unknown",
        "stable not a version",
        "stable not a string",
        "canary on a draft",
        "percent over 100",
        "percent negative",
        "percent a string",
        "percent a boolean",
        "percent finer than 0.01",
        "percent missing",
        "canary version missing",
        "unknown canary field",
        "canary not an object",
        "every problem at once",
    ],
)
def test_invalid_rollouts_list_every_problem_with_its_path(body: Any, paths: list[str]) -> None:
    """Invalid with one detail per problem, each at its path."""
    with pytest.raises(Invalid) as info:
        parse_rollout(body, STATE)
    assert [d["path"] for d in info.value.details] == paths


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"version": "3.0.0"}, "3.0.0"), ({"version": "1.0.0"}, "1.0.0"), ({"version": "2.1.0-rc1"}, "2.1.0rc1")],
    ids=["a draft", "published", "normal form"],
)
def test_a_pin_names_a_draft_or_published_version(body: dict[str, Any], expected: str) -> None:
    """Drafts may be pinned: that is how a tester tries one."""
    assert parse_pin(body, STATE) == expected


@pytest.mark.parametrize(
    "body",
    [{"version": "9.9.9"}, {"version": "0.9.0"}, {"version": 3}, {}, {"version": "3.0.0", "user": "x"}, "3.0.0"],
    ids=["unknown version", "unpublished", "not a string", "missing", "unknown field", "not an object"],
)
def test_a_pin_to_anything_else_is_invalid(body: Any) -> None:
    """Unknown or unpublished versions and malformed bodies are refused."""
    with pytest.raises(Invalid):
        parse_pin(body, STATE)


def with_canary(**fields: Any) -> dict[str, Any]:
    """A rollout body whose canary (2.0.0 at 5%) has these extra fields."""
    return {"stable": "1.0.0", "canary": {"version": "2.0.0", "percent": 5, **fields}}


FULL_GUARD = {"max_error_rate_increase": 0.02, "max_completion_drop": 0.05, "min_conversations": 100, "window": 900}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"guard": FULL_GUARD}, Canary("2.0.0", 5, guard=Guard(0.02, 0.05, 100, 900))),
        ({"guard": {}}, Canary("2.0.0", 5, guard=Guard())),
        (
            {"guard": {"window": 60, "min_conversations": 1}},
            Canary("2.0.0", 5, guard=Guard(window=60, min_conversations=1)),
        ),
        ({"guard": {"window": 172_800}}, Canary("2.0.0", 5, guard=Guard(window=172_800))),
        ({"guard": {"max_error_rate_increase": 0, "max_completion_drop": 1}}, Canary("2.0.0", 5, guard=Guard(0, 1))),
        ({"guard": {"min_conversations": 100.0}}, Canary("2.0.0", 5, guard=Guard())),
        ({"steps": [5, 25, 50, 100], "hold": 600}, Canary("2.0.0", 5, steps=(5, 25, 50, 100), hold=600)),
        ({"steps": [0.01, 100]}, Canary("2.0.0", 5, steps=(0.01, 100), hold=DEFAULT_HOLD_S)),
        ({"steps": [50], "hold": 1}, Canary("2.0.0", 5, steps=(50,), hold=1)),
        ({"guard": None, "steps": None, "hold": None}, Canary("2.0.0", 5)),
        ({"since": "2000-01-01T00:00:00.000Z"}, Canary("2.0.0", 5)),
    ],
    ids=[
        "a full guard",
        "an empty guard takes the defaults",
        "the smallest window and minimum",
        "the largest window (48 h)",
        "rates at 0 and 1",
        "a whole number written as a float",
        "steps and hold",
        "steps at the resolution, hold by default",
        "one step, the shortest hold",
        "nulls mean none",
        "since is read-only and ignored",
    ],
)
def test_a_canary_may_carry_a_guard_steps_and_hold(fields: dict[str, Any], expected: Canary) -> None:
    """Guard fields default one by one; hold defaults with steps; read-only fields are ignored."""
    assert parse_rollout(with_canary(**fields), STATE) == Rollout(stable="1.0.0", canary=expected)


def test_a_get_body_with_last_guard_may_be_sent_back() -> None:
    """`last_guard` is the gateway's to set: a PUT carrying it back is read as if it were not there."""
    body = {**with_canary(), "last_guard": {"action": "rollback"}}
    assert parse_rollout(body, STATE) == Rollout(stable="1.0.0", canary=Canary("2.0.0", 5))


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        ({"guard": "on"}, ["canary.guard"]),
        ({"guard": {"max_error_rate": 0.02}}, ["canary.guard.max_error_rate"]),
        ({"guard": {"max_error_rate_increase": 1.01}}, ["canary.guard.max_error_rate_increase"]),
        ({"guard": {"max_error_rate_increase": -0.01}}, ["canary.guard.max_error_rate_increase"]),
        ({"guard": {"max_completion_drop": "0.05"}}, ["canary.guard.max_completion_drop"]),
        ({"guard": {"max_completion_drop": True}}, ["canary.guard.max_completion_drop"]),
        ({"guard": {"min_conversations": 0}}, ["canary.guard.min_conversations"]),
        ({"guard": {"min_conversations": 10.5}}, ["canary.guard.min_conversations"]),
        ({"guard": {"window": 59}}, ["canary.guard.window"]),
        ({"guard": {"window": 172_801}}, ["canary.guard.window"]),
        ({"guard": {"window": 900.5}}, ["canary.guard.window"]),
        ({"steps": []}, ["canary.steps"]),
        ({"steps": "5,25"}, ["canary.steps"]),
        ({"steps": [0, 25]}, ["canary.steps[0]"]),
        ({"steps": [5, 100.01]}, ["canary.steps[1]"]),
        ({"steps": [25, 5]}, ["canary.steps[1]"]),
        ({"steps": [5, 5]}, ["canary.steps[1]"]),
        ({"steps": [5, 25.001]}, ["canary.steps[1]"]),
        ({"steps": [5, "25"]}, ["canary.steps[1]"]),
        ({"hold": 600}, ["canary.hold"]),
        ({"steps": [5, 25], "hold": 0}, ["canary.hold"]),
        ({"steps": [5, 25], "hold": 1.5}, ["canary.hold"]),
        ({"steps": [5, 25], "hold": "10m"}, ["canary.hold"]),
        (
            {"guard": {"window": 1, "min_conversations": 0}, "steps": [50, 25], "hold": -1},
            ["canary.guard.min_conversations", "canary.guard.window", "canary.steps[1]", "canary.hold"],
        ),
    ],
    ids=[
        "guard not an object",
        "unknown guard field",
        "rate over 1",
        "rate below 0",
        "rate a string",
        "rate a boolean",
        "min_conversations 0",
        "min_conversations not whole",
        "window under a minute",
        "window over 48 h",
        "window not whole",
        "no steps",
        "steps not a list",
        "a step of 0",
        "a step over 100",
        "steps descending",
        "a step repeated",
        "a step finer than 0.01",
        "a step not a number",
        "hold without steps",
        "hold 0",
        "hold not whole",
        "hold a string",
        "every problem at once",
    ],
)
def test_a_bad_guard_steps_or_hold_is_listed_with_its_path(fields: dict[str, Any], paths: list[str]) -> None:
    """422 details name each problem of the guard, the steps and the hold."""
    with pytest.raises(Invalid) as info:
        parse_rollout(with_canary(**fields), STATE)
    assert [d["path"] for d in info.value.details] == paths
