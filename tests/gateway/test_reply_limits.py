"""Replies past the reply limits through the REST channel: a clean 502 `bot_error` that leaves Redis as it was."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot_versions.limits import MAX_REPLY_CHARS, replies_problem
from bot_versions.runtime import Reply
from tests.admin.support import Admin
from tests.admin.support import settings as admin_settings
from tests.bot_versions.test_flow import amplifiers
from tests.support import Gateway, running_gateway, snapshot

LONG = "é" * 4096
names = (f"amp-{n}" for n in itertools.count())
texts = st.text(max_size=30) | st.sampled_from([300, 1000, 2000, 4096]).map(lambda n: "é" * n)


@pytest.fixture
async def gateway(redis: Redis) -> AsyncIterator[Gateway]:
    async with running_gateway(redis, settings=admin_settings()) as gw:
        yield gw


async def released(gw: Gateway, document: dict[str, Any]) -> str:
    """Store and publish the definition under a bot name of its own; the name."""
    bot = next(names)
    await Admin(gw.http).release({**document, "bot": bot})
    return bot


async def test_an_amplified_reply_is_a_502_and_the_session_is_byte_for_byte_unchanged(
    gateway: Gateway, redis: Redis
) -> None:
    """Alice is mid-conversation; her answer would be said back 3 times over 8,192 characters: 502, nothing saved."""
    document = {
        "bot": "amp",
        "version": "1.0.0",
        "start": "ask",
        "steps": {"ask": {"ask": "Name?", "save": "name", "next": "greet"}, "greet": {"say": "{name}{name}{name}"}},
    }
    bot = await released(gateway, document)
    alice = gateway.chat(bot, "alice")
    await alice.send("hi")
    before = await snapshot(redis)
    r = await gateway.http.post(f"/v1/bots/{bot}/messages", json={"user": "alice", "text": LONG})
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["code"] == "bot_error" and str(MAX_REPLY_CHARS) in error["message"] and "é" not in error["message"]
    assert await snapshot(redis) == before
    assert await alice.says("Ada") == ["AdaAdaAda"]  # the conversation went on from where it was


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=amplifiers(), messages=st.lists(texts, min_size=1, max_size=3))
async def test_any_amplifying_definition_answers_within_the_limits_or_fails_cleanly(
    gateway: Gateway, redis: Redis, document: dict[str, Any], messages: list[str]
) -> None:
    """Every message: 200 with replies within every limit, or 502 `bot_error` with Redis unchanged; never a 500."""
    await redis.flushdb()  # the server is this test session's own; each example then snapshots only its own keys
    bot = await released(gateway, document)
    for text in messages:
        before = await snapshot(redis)
        r = await gateway.http.post(f"/v1/bots/{bot}/messages", json={"user": "alice", "text": text})
        if r.status_code == 502:
            assert r.json()["error"]["code"] == "bot_error"
            assert await snapshot(redis) == before
            event("502")
        else:
            assert r.status_code == 200, r.text
            replies = [Reply(reply["text"], tuple(reply.get("choices", ()))) for reply in r.json()["replies"]]
            assert replies_problem(replies) is None
            event("200")


async def test_a_definition_that_would_always_pass_a_limit_is_refused_with_its_path(gateway: Gateway) -> None:
    """PUT of a reply whose own text is over 8,192 characters: 422 naming `reply`, and nothing stored."""
    admin = Admin(gateway.http)
    r = await admin.store({"bot": "long", "version": "1.0.0", "reply": "x" * (MAX_REPLY_CHARS + 1) + "{text}"})
    assert r.status_code == 422
    assert [d["path"] for d in r.json()["error"]["details"]] == ["reply"]
    assert (await admin.call("GET", "/bots/long")).status_code == 404
