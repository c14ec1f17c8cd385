"""Rollout and pin bodies checked against a bot's versions, as plain functions."""

from __future__ import annotations

from typing import Any

import pytest

from admin.rollout import parse_pin, parse_rollout
from bot_versions.errors import Invalid
from bot_versions.model import Status
from bot_versions.state import BotState, Canary, Rollout, VersionMeta

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
