"""The `activity` runtime: a real Bot Framework bot (botbuilder-python's CloudAdapter, which replies by POSTing to the
serviceUrl) behind `botgate serve` processes, and our own bot answering `deliveryMode: expectReplies` inline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.admin.support import Admin
from tests.bot_versions.runtimes.conftest import TOKEN, Gateways
from tests.bot_versions.runtimes.support import (
    GATEWAY_URL,
    chat,
    definition,
    exchange,
    post,
    release,
    runtime_settings,
    texts,
    web_chat,
)
from tests.clock import ManualClock
from tests.faults.traffic import RoundRobin
from tests.redis_servers import free_port
from tests.support import running_gateway, snapshot
from tests.upstream.fixtures import RunningBot

ASK = "What is your name?"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@asynccontextmanager
async def admin_of(url: str) -> AsyncIterator[Admin]:
    """The admin API of a gateway process."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Admin(client, TOKEN)


async def test_a_full_conversation_with_the_dialog_bot_over_rest(
    gateways: Gateways, dialog_bot: RunningBot, http: httpx.AsyncClient
) -> None:
    """The botbuilder bot asks the name, greets with it, and its endOfConversation ends the conversation."""
    url = gateways.b.url
    async with admin_of(url) as admin:
        await release(admin, definition("helpdesk-rest", "1.0.0", "activity", url=dialog_bot.endpoint))
    asked = await chat(http, "helpdesk-rest", "ann", "hi", base=url)
    assert (texts(asked), asked["status"]) == ([ASK], "active")
    greeted = await chat(http, "helpdesk-rest", "ann", "Ann", base=url)
    assert texts(greeted) == ["Hello, Ann, from dialog bot v1"]
    assert (greeted["conversation"], greeted["status"]) == (asked["conversation"], "ended")


async def test_a_full_conversation_with_the_dialog_bot_over_web_chat(
    gateways: Gateways, dialog_bot: RunningBot, http: httpx.AsyncClient
) -> None:
    """The same conversation on the web chat, through the process whose bot replies reach the other process."""
    url = gateways.a.url
    async with admin_of(url) as admin:
        await release(admin, definition("helpdesk-web", "1.0.0", "activity", url=dialog_bot.endpoint))
    async with web_chat(url, "helpdesk-web", "bea") as ws:
        asked = await exchange(ws, "hi")
        assert (texts(asked), asked["status"]) == ([ASK], "active")
        greeted = await exchange(ws, "Bea")
    assert texts(greeted) == ["Hello, Bea, from dialog bot v1"]
    assert (greeted["conversation"], greeted["status"]) == (asked["conversation"], "ended")


async def test_a_user_mid_conversation_on_v1_finishes_there_and_the_next_starts_on_v2(
    gateways: Gateways, dialog_bot: RunningBot, dialog_bot_v2: RunningBot, http: httpx.AsyncClient
) -> None:
    """Pinning across a publish: Dan, asked his name by v1, is greeted by v1 after v2 is published; his next
    conversation, and a new user's, start on v2 with a new conversation id."""
    url = gateways.b.url
    async with admin_of(url) as admin:
        await release(admin, definition("helpdesk-pin", "1.0.0", "activity", url=dialog_bot.endpoint))
        asked = await chat(http, "helpdesk-pin", "dan", "hi", base=url)
        await release(admin, definition("helpdesk-pin", "2.0.0", "activity", url=dialog_bot_v2.endpoint))
    erin = await chat(http, "helpdesk-pin", "erin", "hi", base=url)
    assert (erin["version"], texts(erin)) == ("2.0.0", [ASK])
    greeted = await chat(http, "helpdesk-pin", "dan", "Dan", base=url)
    assert (greeted["version"], texts(greeted), greeted["status"]) == (
        "1.0.0",
        ["Hello, Dan, from dialog bot v1"],
        "ended",
    )
    again = await chat(http, "helpdesk-pin", "dan", "hi", base=url)
    assert (again["version"], texts(again)) == ("2.0.0", [ASK])
    assert again["conversation"] != asked["conversation"]
    assert texts(await chat(http, "helpdesk-pin", "dan", "Dan", base=url)) == ["Hello, Dan, from dialog bot v2"]


async def test_a_conversation_reset_mid_dialog_starts_a_fresh_dialog_in_the_bot(
    gateways: Gateways, dialog_bot: RunningBot, http: httpx.AsyncClient
) -> None:
    """A new gateway conversation is a new conversation id upstream: the bot's dialog for it starts from scratch,
    even on the same bot process (with the old id, "hi" would have been taken as the name)."""
    url = gateways.b.url
    async with admin_of(url) as admin:
        await release(admin, definition("helpdesk-reset", "1.0.0", "activity", url=dialog_bot.endpoint))
        await release(admin, definition("helpdesk-reset", "1.1.0", "activity", url=dialog_bot.endpoint))
        await admin.rollout("helpdesk-reset", "1.0.0")
        asked = await chat(http, "helpdesk-reset", "fay", "hi", base=url)
        await admin.rollout("helpdesk-reset", "1.1.0")
        await admin.ok("DELETE", "/bots/helpdesk-reset/sessions/fay")
    fresh = await chat(http, "helpdesk-reset", "fay", "hi", base=url)
    assert (fresh["version"], texts(fresh)) == ("1.1.0", [ASK])
    assert fresh["conversation"] != asked["conversation"]


async def test_replies_reaching_another_gateway_process_than_the_one_waiting_are_taken(
    gateways: Gateways, dialog_bot: RunningBot
) -> None:
    """Behind a round-robin over both processes, every conversation completes; the turns process `a` held had their
    replies POSTed to process `b` (a's serviceUrl base), and were answered all the same."""
    async with admin_of(gateways.b.url) as admin:
        await release(admin, definition("helpdesk-rr", "1.0.0", "activity", url=dialog_bot.endpoint))
    balancer = RoundRobin([gateways.a.url, gateways.b.url], timeout=30)
    try:
        for n in range(4):
            asked = await balancer.post("/v1/bots/helpdesk-rr/messages", {"user": f"rr-{n}", "text": "hi"})
            assert asked.status_code == 200 and texts(asked.json()) == [ASK], asked.text
            greeted = await balancer.post("/v1/bots/helpdesk-rr/messages", {"user": f"rr-{n}", "text": f"User {n}"})
            assert greeted.status_code == 200, greeted.text
            assert (texts(greeted.json()), greeted.json()["status"]) == (
                [f"Hello, User {n}, from dialog bot v1"],
                "ended",
            )
    finally:
        await balancer.aclose()

    def answered(process: Any) -> list[dict[str, Any]]:
        return [e for e in process.events("turn") if e["bot"] == "helpdesk-rr" and e["outcome"] == "ok"]

    assert len(answered(gateways.a)) == len(answered(gateways.b)) == 4
    assert all(event["replies"] == 1 for event in answered(gateways.a))


async def test_expect_replies_choices_and_a_chosen_label_sent_as_the_buttons_value(
    redis: Redis, expect_replies_bot: RunningBot
) -> None:
    """A bot answering inline: suggested actions become choices, and picking "Tea" sends the button's value `tea`;
    the bot gets message activities addressed as the design says."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        document = definition("cafe", "1.0.0", "activity", url=expect_replies_bot.endpoint, delivery="expectReplies")
        await release(Admin(gw.http), document)
        asked = await chat(gw.http, "cafe", "gus", "hi")
        assert texts(asked) == [ASK]
        offered = await chat(gw.http, "cafe", "gus", "Gus")
        assert offered["replies"] == [{"text": "Hello, Gus! Tea or coffee?", "choices": ["Tea", "Coffee"]}]
        served = await chat(gw.http, "cafe", "gus", "Tea")
        assert (texts(served), served["status"]) == (["Tea for Gus, from expect-replies bot v1"], "ended")
    async with httpx.AsyncClient() as client:
        sent = (
            await client.get(expect_replies_bot.url + "/received", params={"conversation": asked["conversation"]})
        ).json()
    assert [activity["text"] for activity in sent] == ["hi", "Gus", "tea"]
    first = sent[0]
    assert (first["type"], first["channelId"], first["deliveryMode"]) == ("message", "botgate", "expectReplies")
    assert (first["from"]["id"], first["recipient"]["id"], first["conversation"]["id"]) == (
        "gus",
        "cafe",
        asked["conversation"],
    )
    assert first["serviceUrl"].startswith(GATEWAY_URL + "/v1/connector/")
    assert len({activity["serviceUrl"] for activity in sent}) == 3  # each turn has its own connector URL


async def test_continue_yes_after_an_idle_ask_repeats_the_last_replies_without_calling_the_bot(
    redis: Redis, expect_replies_bot: RunningBot, clock: ManualClock
) -> None:
    """An activity bot keeps its own dialog, so "continue? yes" repeats the last replies; the bot gets nothing."""
    async with running_gateway(redis, clock, runtime_settings()) as gw:
        document = definition("cafe", "1.0.0", "activity", url=expect_replies_bot.endpoint, delivery="expectReplies")
        await release(Admin(gw.http), {**document, "idle": {"after": 60, "policy": "ask"}})
        await chat(gw.http, "cafe", "hal", "hi")
        offered = await chat(gw.http, "cafe", "hal", "Hal")
        clock.advance(61)
        assert (await chat(gw.http, "cafe", "hal", "still there?"))["status"] == "confirming"
        again = await chat(gw.http, "cafe", "hal", "yes")
        assert again["replies"] == offered["replies"] and again["status"] == "active"
        async with httpx.AsyncClient() as client:
            sent = (
                await client.get(expect_replies_bot.url + "/received", params={"conversation": again["conversation"]})
            ).json()
        assert [activity["text"] for activity in sent] == ["hi", "Hal"]
        served = await chat(gw.http, "cafe", "hal", "Coffee")  # the repeated buttons still send their values
        assert texts(served) == ["Coffee for Hal, from expect-replies bot v1"]


@pytest.mark.parametrize(
    ("path", "delivery", "reason"),
    [
        (None, "normal", "refused"),
        ("/status/500", "normal", "status"),
        ("/not-json/text", "expectReplies", "not_json"),
        ("/wrong-shape/null", "expectReplies", "shape"),
        ("/wrong-shape/not-object", "expectReplies", "shape"),
    ],
)
async def test_a_failed_activity_turn_changes_nothing_and_answers_bot_error(
    redis: Redis, http_test_bot: RunningBot, path: str | None, delivery: str, reason: str
) -> None:
    """A bot refusing the connection, answering 500, or answering expectReplies with something else than
    {"activities": [...]}: 502 bot_error, Redis as it was (the turn's inbox included)."""
    url = f"http://127.0.0.1:{free_port()}/api/messages" if path is None else http_test_bot.url + path
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        admin = Admin(gw.http)
        await release(admin, definition("desk", "1.0.0", "activity", url=url, delivery=delivery))
        before = await snapshot(redis)
        r = await post(gw.http, "desk", "ivy", "hi")
        assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
        assert await snapshot(redis) == before
