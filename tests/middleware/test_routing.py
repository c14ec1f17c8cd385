"""Routing: a pin wins, then the canary, then the stable version (explicit or the newest release)."""

from __future__ import annotations

import pytest

from bot_versions.model import InFlight, Status
from bot_versions.state import BotState, Canary, Rollout, VersionMeta
from middleware.routing import BUCKETS, Route, RouteReason, bucket, in_canary, newest_release, resumer, route
from tests.support import user_in_bucket


def meta(status: Status) -> VersionMeta:
    return VersionMeta(status=status, created_at_ms=0, digest="d", in_flight=InFlight.DRAIN)


P, D, U = Status.PUBLISHED, Status.DRAFT, Status.UNPUBLISHED


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ({"1.0.0": P, "2.0.0": P}, "2.0.0"),
        ({"1.0.0": P, "10.0.0": P, "9.0.0": P}, "10.0.0"),
        ({"1.0.0": P, "2.0.0rc1": P}, "1.0.0"),
        ({"1.0.0": P, "2.0.0": D}, "1.0.0"),
        ({"1.0.0": P, "2.0.0": U}, "1.0.0"),
        ({"2.0.0rc1": P}, None),
        ({}, None),
    ],
)
def test_newest_release_is_the_highest_published_non_prerelease(
    versions: dict[str, Status], expected: str | None
) -> None:
    """The default stable is the highest published version that is not a pre-release."""
    assert newest_release({v: meta(s) for v, s in versions.items()}) == expected


def state(
    versions: dict[str, Status],
    stable: str | None = None,
    canary: Canary | None = None,
    pins: dict[str, str] | None = None,
) -> BotState:
    """A bot whose versions have a status and no `resumes` specifier."""
    return resuming({v: (s, None) for v, s in versions.items()}, stable, canary, pins)


def test_a_pin_wins_over_canary_and_stable_and_may_name_a_draft() -> None:
    """A tester pinned to a draft gets the draft; nobody else does."""
    s = state({"1.0.0": P, "2.0.0": D}, pins={"tess": "2.0.0"})
    assert route(s, "tess") == Route("2.0.0", RouteReason.PIN)
    assert route(s, "alice") == Route("1.0.0", RouteReason.STABLE)


def test_an_explicit_stable_wins_over_the_newest_release() -> None:
    """Operators can hold stable back on an older release."""
    assert route(state({"1.0.0": P, "2.0.0": P}, stable="1.0.0"), "alice") == Route("1.0.0", RouteReason.STABLE)


def test_a_stable_that_was_unpublished_falls_back_to_the_newest_release() -> None:
    """An explicit stable that is no longer published does not strand new conversations."""
    assert route(state({"1.0.0": U, "2.0.0": P}, stable="1.0.0"), "alice") == Route("2.0.0", RouteReason.STABLE)


def test_nothing_published_routes_nowhere() -> None:
    """With no published version a new conversation has nowhere to go."""
    assert route(state({"1.0.0": D}), "alice") is None


def test_canary_takes_users_whose_bucket_is_below_the_percent() -> None:
    """At 100% every user is in the canary, at 0% none is."""
    s100 = state({"1.0.0": P, "2.0.0rc1": P}, canary=Canary("2.0.0rc1", 100))
    s0 = state({"1.0.0": P, "2.0.0rc1": P}, canary=Canary("2.0.0rc1", 0))
    assert route(s100, "alice") == Route("2.0.0rc1", RouteReason.CANARY)
    assert route(s0, "alice") == Route("1.0.0", RouteReason.STABLE)


def test_a_canary_on_an_unpublished_version_is_ignored() -> None:
    """A canary only ever routes to a published version."""
    s = state({"1.0.0": P, "2.0.0": U}, canary=Canary("2.0.0", 100))
    assert route(s, "alice") == Route("1.0.0", RouteReason.STABLE)


def test_buckets_never_change_between_releases() -> None:
    """Buckets come from SHA-256, not Python's salted hash(), so every process and every release agrees."""
    assert bucket("greeter", "alice") == 9169
    assert bucket("zipcode", "bob") == 9444
    assert all(0 <= bucket("greeter", f"u{i}") < BUCKETS for i in range(1_000))


def test_ten_percent_canary_over_ten_thousand_users_lands_within_nine_to_eleven_percent() -> None:
    """Bucketing spreads users evenly enough that 10% means 10%."""
    share = sum(in_canary(bucket("greeter", f"user-{i}"), 10) for i in range(10_000)) / 10_000
    assert 0.09 <= share <= 0.11


def test_raising_the_percent_only_adds_users() -> None:
    """Everyone in at 10% is still in at 25%, and half a percent is allowed."""
    users = [f"user-{i}" for i in range(5_000)]
    at = {p: {u for u in users if in_canary(bucket("greeter", u), p)} for p in (0.5, 10, 25)}
    assert at[0.5] <= at[10] <= at[25]
    assert 0 < len(at[0.5]) < len(at[10]) < len(at[25])


def resuming(
    versions: dict[str, tuple[Status, str | None]],
    stable: str | None = None,
    canary: Canary | None = None,
    pins: dict[str, str] | None = None,
) -> BotState:
    """A bot whose versions have a status and a `resumes` specifier (or None)."""
    return BotState(
        bot="greeter",
        versions={v: VersionMeta(s, 0, "d", InFlight.DRAIN, resumes) for v, (s, resumes) in versions.items()},
        rollout=Rollout(stable=stable, canary=canary),
        pins=pins or {},
    )


V2 = {"2.0.0": (P, None), "2.1.0": (P, ">=2.0,<2.1")}


def test_a_newer_routed_version_that_resumes_the_pinned_one_takes_the_conversation() -> None:
    """Stable 2.1.0 resumes 2.0: a conversation on 2.0.0 moves to it."""
    assert resumer(resuming(V2), "2.0.0", "alice") == "2.1.0"
    assert resumer(resuming(V2, stable="2.1.0"), "2.0.0", "alice") == "2.1.0"


def test_a_version_outside_the_specifier_stays() -> None:
    """1.0.0 is outside `>=2.0,<2.1`, and so is 2.1.0rc1."""
    state = resuming({"1.0.0": (P, None), "2.1.0rc1": (P, None), **V2})
    assert resumer(state, "1.0.0", "alice") is None
    assert resumer(state, "2.1.0rc1", "alice") is None


def test_the_routed_version_itself_is_no_move() -> None:
    """A conversation already on the routed version stays where it is."""
    assert resumer(resuming(V2), "2.1.0", "alice") is None


def test_never_to_an_older_version() -> None:
    """Even a specifier that (stored past validation) covers a newer version never moves a conversation back."""
    state = resuming({"2.0.0": (P, ">=2.1"), "2.1.0": (P, None)}, stable="2.0.0")
    assert resumer(state, "2.1.0", "alice") is None
    assert resumer(resuming({"2.0.0": (P, "<3"), "2.1.0": (P, None)}, stable="2.0.0"), "2.0.0", "alice") is None


def test_a_draft_takes_over_only_the_conversations_of_users_pinned_to_it() -> None:
    """2.1.0 is a draft: the tester pinned to it moves, everyone else stays on 2.0.0."""
    state = resuming({"2.0.0": (P, None), "2.1.0": (D, ">=2.0,<2.1")}, pins={"tess": "2.1.0"})
    assert resumer(state, "2.0.0", "tess") == "2.1.0"
    assert resumer(state, "2.0.0", "alice") is None


def test_an_unpublished_resuming_version_takes_nothing_over() -> None:
    """Unpublished, 2.1.0 is routed to nobody, pinned or not."""
    state = resuming({"2.0.0": (P, None), "2.1.0": (U, ">=2.0,<2.1")}, pins={"tess": "2.1.0"})
    assert resumer(state, "2.0.0", "tess") is None
    assert resumer(state, "2.0.0", "alice") is None


def test_a_canary_moves_only_the_users_in_its_bucket() -> None:
    """At 20% a user in bucket 0-1999 moves, one above stays; at 50% the second one moves too."""
    inside, outside, beyond = user_in_bucket(0, 2000), user_in_bucket(2000, 5000), user_in_bucket(5000, BUCKETS)
    at20 = resuming(V2, stable="2.0.0", canary=Canary("2.1.0", 20))
    at50 = resuming(V2, stable="2.0.0", canary=Canary("2.1.0", 50))
    assert [resumer(at20, "2.0.0", u) for u in (inside, outside, beyond)] == ["2.1.0", None, None]
    assert [resumer(at50, "2.0.0", u) for u in (inside, outside, beyond)] == ["2.1.0", "2.1.0", None]


def test_a_pin_takes_precedence() -> None:
    """Pinned to 2.0.0, or to a version that does not resume it, a user stays though stable would move them."""
    state = resuming({**V2, "2.0.1": (P, None)}, stable="2.1.0", pins={"pat": "2.0.0", "max": "2.0.1"})
    assert resumer(state, "2.0.0", "pat") is None
    assert resumer(state, "2.0.0", "max") is None
    assert resumer(state, "2.0.0", "alice") == "2.1.0"


def test_a_version_that_declined_the_conversation_is_not_asked_again() -> None:
    """Declined by 2.1.0, the conversation stays; a later 2.1.1 that resumes it may still take it."""
    assert resumer(resuming(V2), "2.0.0", "alice", declined="2.1.0") is None
    later = resuming({**V2, "2.1.1": (P, ">=2.0,<2.1.1")})
    assert resumer(later, "2.0.0", "alice", declined="2.1.0") == "2.1.1"


def test_no_version_declaring_resumes_moves_nothing() -> None:
    """Without `resumes` anywhere, a newer stable leaves conversations under way where they are."""
    assert resumer(resuming({"2.0.0": (P, None), "2.1.0": (P, None)}), "2.0.0", "alice") is None


def test_a_resuming_version_that_routing_does_not_pick_moves_nothing() -> None:
    """2.1.0 resumes 2.0 but stable is held at 2.0.5, which does not: conversations stay."""
    state = resuming({**V2, "2.0.5": (P, None)}, stable="2.0.5")
    assert resumer(state, "2.0.0", "alice") is None
