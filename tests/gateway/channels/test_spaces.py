"""Spaces (rooms): for channels that carry one, the same user in two rooms has two sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from middleware.keys import SessionKeys
from tests.gateway.channels.test_botframework import message
from tests.support import Gateway, running_gateway

Say = Callable[[Gateway, str, str], Awaitable[list[str]]]


async def say_rest(gw: Gateway, room: str, text: str) -> list[str]:
    return await gw.chat("greeter", "alice", space=room).says(text)


async def say_botframework(gw: Gateway, room: str, text: str) -> list[str]:
    activity = message(text, f"{room}-{text}", conversation=room, group=True)
    r = await gw.http.post("/v1/bots/greeter/activities", json=activity)
    assert r.status_code == 200, r.text
    return [a["text"] for a in r.json()["activities"]]


@pytest.mark.parametrize(("channel", "say"), [("rest", say_rest), ("botframework", say_botframework)])
async def test_the_same_user_in_two_rooms_has_two_sessions(redis: Redis, channel: str, say: Say) -> None:
    """Alice's answer in one room does not answer the question asked in the other."""
    async with running_gateway(redis) as gw:
        assert await say(gw, "room-1", "hi") == ["What is your name?"]
        assert await say(gw, "room-2", "hi") == ["What is your name?"]
        assert await say(gw, "room-1", "Alice") == ["Hello, Alice, from the updated bot"]
        assert await say(gw, "room-2", "Ali") == ["Hello, Ali, from the updated bot"]
        for room in ("room-1", "room-2"):
            assert await redis.exists(SessionKeys.of("greeter", channel, "alice", room).session)
        assert not await redis.exists(SessionKeys.of("greeter", channel, "alice").session)


async def test_a_one_to_one_bot_framework_conversation_is_not_a_room(redis: Redis) -> None:
    """Without conversation.isGroup the user's session is the same whatever the conversation id."""
    async with running_gateway(redis) as gw:
        first = await gw.http.post("/v1/bots/greeter/activities", json=message("hi", "a1", conversation="c-1"))
        assert [a["text"] for a in first.json()["activities"]] == ["What is your name?"]
        second = await gw.http.post("/v1/bots/greeter/activities", json=message("Alice", "a2", conversation="c-2"))
        assert [a["text"] for a in second.json()["activities"]] == ["Hello, Alice, from the updated bot"]
        assert await redis.exists(SessionKeys.of("greeter", "botframework", "alice").session)
