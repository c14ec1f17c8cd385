"""The admin API's JSON views, over plain data."""

from __future__ import annotations

import pytest

from admin.views import bot_view, iso, pin_view
from bot_versions.model import InFlight, Status
from bot_versions.state import BotState, Canary, Rollout, VersionMeta


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "1970-01-01T00:00:00.000Z"), (1_700_000_000_123, "2023-11-14T22:13:20.123Z")],
)
def test_times_are_iso_8601_utc_with_milliseconds(ms: int, text: str) -> None:
    """Milliseconds since the epoch read as UTC, with a Z."""
    assert iso(ms) == text


def meta(status: Status, in_flight: InFlight = InFlight.DRAIN) -> VersionMeta:
    return VersionMeta(status=status, created_at_ms=0, digest="d", in_flight=in_flight)


STATE = BotState(
    bot="greeter",
    versions={
        "1.0.0": meta(Status.UNPUBLISHED, InFlight.RESET),
        "10.0.0": meta(Status.PUBLISHED),
        "2.0.0": meta(Status.PUBLISHED),
        "3.0.0rc1": meta(Status.DRAFT),
    },
    rollout=Rollout(stable="1.0.0", canary=Canary("3.0.0rc1", 5)),
    pins={"tess": "3.0.0rc1"},
)


def test_a_bot_view_orders_versions_newest_first_and_shows_what_routing_applies() -> None:
    """Versions by PEP 440 order, counts defaulting to 0, and `serving` skipping what is not published."""
    view = bot_view(STATE, {"2.0.0": 3})
    assert [(v["version"], v["active_sessions"], v["in_flight"]) for v in view["versions"]] == [
        ("10.0.0", 0, None),
        ("3.0.0rc1", 0, None),
        ("2.0.0", 3, None),
        ("1.0.0", 0, "reset"),
    ]
    assert view["rollout"] == {
        "stable": "1.0.0",
        "canary": {"version": "3.0.0rc1", "percent": 5, "guard": None, "steps": None, "hold": None, "since": None},
        "last_guard": None,
    }
    assert view["serving"] == {"stable": "10.0.0", "canary": None}


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("tess", {"pin": "3.0.0rc1", "next_conversation": {"version": "3.0.0rc1", "reason": "pin"}}),
        ("bob", {"pin": None, "next_conversation": {"version": "10.0.0", "reason": "stable"}}),
    ],
)
def test_a_pin_view_says_where_the_next_conversation_goes(user: str, expected: dict[str, object]) -> None:
    """The pin, and the version and reason of the user's next conversation."""
    assert pin_view(STATE, user) == {"bot": "greeter", "user": user, **expected}
