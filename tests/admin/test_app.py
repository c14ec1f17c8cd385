"""Admin routes name users by percent-encoded path segments: every id a channel accepts reaches exactly its user."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from admin.app import raw_route_path
from bot_versions.url_segments import path_segment
from tests.admin.support import Admin
from tests.admin.support import settings as admin_settings
from tests.support import Gateway, running_gateway

# What a channel accepts as a user id (middleware/receive.py): 1-256 characters, anything but lone surrogates;
# weighted towards what a URL gives meaning to.
TRICKY = ["/", "\n", "%", "%2F", "?", "#", " ", "+", ":", ".", "..", ";", "&", "=", "\\", "{", "}", "é", "\x00", "\t"]
pieces = st.sampled_from(TRICKY) | st.characters(exclude_categories=("Cs",))
user_ids = st.lists(pieces, min_size=1, max_size=256).map(lambda chosen: "".join(chosen)[:256])
NEIGHBOUR = "neighbour"
texts = (f"message {n}" for n in itertools.count())


@pytest.fixture
async def gateway(redis: Redis) -> AsyncIterator[Gateway]:
    """A gateway in which `neighbour` has a conversation under way with greeter."""
    async with running_gateway(redis, settings=admin_settings()) as gw:
        await gw.chat("greeter", NEIGHBOUR).send("hi")
        yield gw


def sessions(user: str) -> str:
    return f"/bots/greeter/sessions/{path_segment(user)}"


def pin(user: str) -> str:
    return f"/bots/greeter/pins/{path_segment(user)}"


async def others(admin: Admin, user: str) -> list[Any]:
    """What the admin API says of the users an id could be mistaken for: the neighbour and the id's first segment."""
    mistaken = sorted({NEIGHBOUR, user.split("/")[0] or NEIGHBOUR} - {user})
    return [await admin.ok("GET", sessions(other)) for other in mistaken]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=user_ids)
@example(user="a/transcript")
@example(user="..")
@example(user=".")
@example(user="%2F")
@example(user=NEIGHBOUR + "/")
async def test_every_admin_route_names_exactly_the_user_a_channel_accepted(gateway: Gateway, user: str) -> None:
    """Sessions, transcript, pin, unpin and reset, for the encoded id: that user's data, nobody else's."""
    note(f"user {user!r}")
    admin = Admin(gateway.http)
    text = next(texts)
    chatted = await gateway.chat("greeter", user).send(text)
    before = await others(admin, user)

    listed = await admin.ok("GET", sessions(user))
    assert listed["user"] == user
    assert [s["conversation"] for s in listed["sessions"]] == [chatted["conversation"]]

    transcript = await admin.ok("GET", sessions(user) + "/transcript")
    assert transcript["user"] == user
    newest = transcript["conversations"][0]  # an id drawn twice has the earlier example's conversation too
    assert (newest["conversation"], newest["messages"][0]["text"]) == (chatted["conversation"], text)

    pinned = await admin.ok("PUT", pin(user), json={"version": "1.0.0"})
    assert (pinned["user"], pinned["pin"]) == (user, "1.0.0")
    assert (await admin.ok("GET", "/bots/greeter"))["pins"].get(user) == "1.0.0"
    unpinned = await admin.ok("DELETE", pin(user))
    assert (unpinned["user"], unpinned["pin"]) == (user, None)
    assert user not in (await admin.ok("GET", "/bots/greeter"))["pins"]

    reset = await admin.ok("DELETE", sessions(user))
    assert reset["user"] == user and [s["status"] for s in reset["sessions"]] == ["ended"]
    assert await others(admin, user) == before


@pytest.mark.parametrize(
    ("raw", "root", "below"),
    [
        (b"/admin/v1/bots/x/sessions/a%2Fb", "/admin/v1", "/bots/x/sessions/a%2Fb"),
        (b"/admin/v1/bots?limit=5", "/admin/v1", "/bots"),
        (b"/admin%2Fv1/bots", "/admin/v1", "/bots"),
        (b"/api/admin/v1/bots", "/api/admin/v1", "/bots"),
        (b"/admin/v1%2Fbots/x", "/admin/v1", None),
        (b"/admin/v2/bots", "/admin/v1", None),
    ],
)
def test_raw_route_path_is_the_part_below_the_mount_as_sent(raw: bytes, root: str, below: str | None) -> None:
    """Whole raw segments that decode to the mount's prefix are cut off; the rest stays encoded."""
    assert raw_route_path(raw, root) == below


async def test_a_segment_that_is_not_utf8_names_no_user(gateway: Gateway) -> None:
    """`%FF` is no character: 404, rather than the user `\\ufffd` it would decode to with replacement."""
    r = await Admin(gateway.http).call("GET", "/bots/greeter/sessions/%FF")
    assert r.status_code == 404
