"""A version that fails its turn: programs on the REST channel get 502 `bot_error`; people, on every channel they
talk on, get the version's own `messages.bot_error`; nothing of the turn is saved either way."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from gateway.settings import Settings
from tests.admin.support import RW, Admin
from tests.gateway.channels.servers import serving_gateway
from tests.gateway.channels.test_botframework import message, replies
from tests.gateway.channels.test_twilio_sms import TOKEN, messages, post, sms
from tests.redis_servers import RedisServer
from tests.support import Gateway, running_gateway, snapshot

SORRY = "Our shop is having a moment, try again."
# Says what it is told three times: past a reply's 8192 characters for a long enough text, a failed turn.
LOUD = {
    "bot": "loud",
    "version": "1.0.0",
    "messages": {"bot_error": SORRY},
    "start": "ask",
    "steps": {"ask": {"ask": "Say something", "save": "said", "next": "say"}, "say": {"say": "{said}{said}{said}"}},
}
LONG = "x" * 3000


@pytest.fixture
async def gw(redis: Redis) -> AsyncIterator[Gateway]:
    settings = Settings(redis_url="redis://test", admin_tokens=(RW,), twilio_auth_token=TOKEN)
    async with running_gateway(redis, settings=settings) as gw:
        await Admin(gw.http).release(LOUD)
        yield gw


async def test_rest_answers_502_bot_error_and_saves_nothing(gw: Gateway, redis: Redis) -> None:
    """The REST channel answers programs: a 502 with code bot_error, Redis as it was."""
    await gw.chat("loud", "rest-user").send("hi")
    before = await snapshot(redis)
    r = await gw.http.post("/v1/bots/loud/messages", json={"user": "rest-user", "text": LONG})
    assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error"
    assert await snapshot(redis) == before


async def test_twilio_texts_the_versions_apology_and_saves_nothing(gw: Gateway, redis: Redis) -> None:
    """An SMS user gets the version's bot_error message as the TwiML reply."""
    assert messages(await post(gw, sms("hi", sender="+15550002222"), bot="loud")) == ["Say something"]
    before = await snapshot(redis)
    assert messages(await post(gw, sms(LONG, sender="+15550002222"), bot="loud")) == [SORRY]
    assert await snapshot(redis) == before


async def test_bot_framework_answers_the_versions_apology_and_saves_nothing(gw: Gateway, redis: Redis) -> None:
    """A Teams or Web Chat user (expectReplies here) gets one reply activity with the version's message."""
    assert [a["text"] for a in await replies(gw, message("hi", "a-1"), bot="loud")] == ["Say something"]
    before = await snapshot(redis)
    assert [a["text"] for a in await replies(gw, message(LONG, "a-2"), bot="loud")] == [SORRY]
    assert await snapshot(redis) == before


async def test_web_chat_shows_the_versions_apology_and_saves_nothing(redis: Redis, redis_server: RedisServer) -> None:
    """The web chat frame is an ordinary answer with the version's message, so the page shows it as the bot's."""
    with serving_gateway(Settings(redis_url=redis_server.url, admin_tokens=(RW,))) as (served, _):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}") as http:
            assert (await Admin(http).release(LOUD))["status"] == "published"
        async with connect(f"ws://127.0.0.1:{served.port}/v1/bots/loud/ws?user=web-user") as ws:
            await ws.send(json.dumps({"text": "hi"}))
            assert json.loads(await ws.recv())["replies"] == [{"text": "Say something"}]
            before = await snapshot(redis)
            await ws.send(json.dumps({"text": LONG}))
            frame = json.loads(await ws.recv())
    assert frame["replies"] == [{"text": SORRY}] and frame["version"] == "1.0.0" and "error" not in frame
    assert await snapshot(redis) == before
