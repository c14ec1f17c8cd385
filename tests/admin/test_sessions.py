"""A user's sessions through the admin API: listed, reset under the turn lock, transcripts with versions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from middleware.keys import SessionKeys
from middleware.session_admin import SessionPlace
from tests.admin.support import Admin, greeter, settings
from tests.clock import ManualClock
from tests.support import running_gateway


@pytest.mark.parametrize(
    ("bot", "channel", "user", "space"),
    [
        ("greeter", "rest", "alice", None),
        ("greeter", "web", "alice", "room-1"),
        ("echo", "twilio", "+15551234567", None),
        ("echo", "rest", "a:b", None),
        ("echo", "rest", "a", "b"),
        ("echo", "botframework", "{29:x}%20", "group:{1}"),
    ],
)
def test_a_session_tag_reads_back_as_its_place(bot: str, channel: str, user: str, space: str | None) -> None:
    """Whatever the user and space hold, the tag decodes to the same bot, channel, user and space."""
    assert SessionPlace.of_tag(SessionKeys.of(bot, channel, user, space).tag) == SessionPlace(bot, channel, user, space)


async def test_a_users_sessions_are_listed_across_spaces_most_recent_first(redis: Redis, clock: ManualClock) -> None:
    """One entry per space, with version, status, conversation, turns and times; other users are not listed."""
    async with running_gateway(redis, clock, settings=settings()) as gw:
        await gw.chat("greeter", "alice").send("hi")
        clock.advance(5)
        room = gw.chat("greeter", "alice", space="room-1")
        await room.send("hi")
        await room.send("Alice")
        await gw.chat("greeter", "bob").send("hi")

        view = await Admin(gw.http).ok("GET", "/bots/greeter/sessions/alice")
        assert [(s["space"], s["status"], s["turns"]) for s in view["sessions"]] == [
            ("room-1", "ended", 2),
            (None, "active", 1),
        ]
        first = view["sessions"][0]
        assert (first["channel"], first["version"], first["conversation"]) == (
            "rest",
            "2.0.0",
            room.last["conversation"],
        )
        assert first["last_seen"] > view["sessions"][1]["last_seen"]
        assert view["pin"] is None


async def test_a_user_with_no_sessions_gets_an_empty_list(redis: Redis) -> None:
    """A known bot and an unknown user: 200 with no sessions."""
    async with running_gateway(redis, settings=settings()) as gw:
        view = await Admin(gw.http).ok("GET", "/bots/greeter/sessions/nobody")
        assert view["sessions"] == []


async def test_a_reset_ends_the_conversation_and_moves_the_counters(redis: Redis) -> None:
    """After DELETE the session is ended, 2.0.0 counts no one, and Alice's next message starts a new conversation."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        conversation = alice.last["conversation"]
        assert (await admin.ok("GET", "/bots/greeter/versions/2.0.0"))["active_sessions"] == 1

        view = await admin.ok("DELETE", "/bots/greeter/sessions/alice")
        assert [s["status"] for s in view["sessions"]] == ["ended"]
        assert (await admin.ok("GET", "/bots/greeter/versions/2.0.0"))["active_sessions"] == 0

        assert await alice.says("Alice") == ["What is your name?"]
        assert alice.last["conversation"] != conversation
        assert (await admin.ok("GET", "/bots/greeter/versions/2.0.0"))["active_sessions"] == 1


async def test_a_reset_waits_for_the_turn_under_way(redis: Redis) -> None:
    """While a turn holds the session's lock the reset waits; it ends the session once the turn is done."""
    async with running_gateway(redis, settings=settings()) as gw:
        await gw.chat("greeter", "alice").send("hi")
        keys = SessionKeys.of("greeter", "rest", "alice")
        async with gw.services.store.turn(keys, None):
            reset = asyncio.create_task(Admin(gw.http).call("DELETE", "/bots/greeter/sessions/alice"))
            await asyncio.sleep(0.1)
            assert not reset.done()
        r = await reset
        assert [s["status"] for s in r.json()["sessions"]] == ["ended"]


async def test_a_reset_of_an_ended_session_changes_nothing(redis: Redis) -> None:
    """Resetting twice leaves the counters at zero, not below."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        await gw.chat("greeter", "alice").send("hi")
        await admin.ok("DELETE", "/bots/greeter/sessions/alice")
        await admin.ok("DELETE", "/bots/greeter/sessions/alice")
        assert (await admin.ok("GET", "/bots/greeter/versions/2.0.0"))["active_sessions"] == 0


async def test_the_transcript_lists_conversations_newest_first_with_each_messages_version(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """Alice's conversation on 1.0.0 and then on 2.1.0, newest first, every message naming its version."""
    async with running_gateway(redis, clock, settings=settings(tmp_path, "greeter-1.0.0.yaml")) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await alice.send("Alice")
        await Admin(gw.http).release(greeter("2.1.0"))
        clock.advance(1)
        await alice.send("hi again")

        view = await Admin(gw.http).ok("GET", "/bots/greeter/sessions/alice/transcript")
        newest, oldest = view["conversations"]
        assert [(m["role"], m["text"], m["version"]) for m in newest["messages"]] == [
            ("user", "hi again", "2.1.0"),
            ("bot", "What is your name?", "2.1.0"),
        ]
        assert [(m["role"], m["text"], m["version"]) for m in oldest["messages"]] == [
            ("user", "hi", "1.0.0"),
            ("bot", "What is your name?", "1.0.0"),
            ("user", "Alice", "1.0.0"),
            ("bot", "Hello, Alice, from the original bot", "1.0.0"),
        ]
        assert (newest["channel"], newest["space"]) == ("rest", None)
