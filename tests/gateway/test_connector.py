"""The connector endpoint activity bots reply to: replies are taken only for an open turn, with its token and its
conversation; anything else is a 404 that changes nothing. The bot here lives in the test (an httpx transport) and
POSTs its replies back into the in-process gateway, as a Bot Framework bot POSTs to its serviceUrl."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.admin.support import Admin
from tests.bot_versions.runtimes.support import GATEWAY_URL, chat, definition, post, release, runtime_settings, texts
from tests.support import Gateway, running_gateway, snapshot

BOT_URL = "http://127.0.0.1:3978/api/messages"
Behaviour = Callable[["Turn"], Awaitable[None]]


@dataclass
class Turn:
    """One message activity the bot got, and a way to POST to the gateway as the bot."""

    activity: dict[str, Any]
    gateway: httpx.AsyncClient
    answers: list[httpx.Response] = field(default_factory=list)

    @property
    def service_url(self) -> str:
        url: str = self.activity["serviceUrl"]
        return url

    @property
    def conversation(self) -> str:
        found: str = self.activity["conversation"]["id"]
        return found

    async def reply(self, text: str, service_url: str | None = None, conversation: str | None = None) -> httpx.Response:
        """POST a reply activity as a Bot Framework bot does (to its serviceUrl, naming its conversation)."""
        base = service_url or self.service_url
        path = f"{base}/v3/conversations/{conversation or self.conversation}/activities/{self.activity['id']}"
        r = await self.gateway.post(path, json={"type": "message", "text": text})
        self.answers.append(r)
        return r


@dataclass
class InProcessBot:
    """An activity bot inside the test: `behaviour` runs for each message; the inbound POST is answered 201."""

    behaviour: Behaviour
    gateway: httpx.AsyncClient | None = None
    turns: list[Turn] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.gateway is None:
            raise RuntimeError("the bot is called before the gateway is up")
        turn = Turn(json.loads(request.content), self.gateway)
        self.turns.append(turn)
        await self.behaviour(turn)
        return httpx.Response(201)


async def echo(turn: Turn) -> None:
    await turn.reply(f"echo: {turn.activity['text']}")


@asynccontextmanager
async def running_with(redis: Redis, bot: InProcessBot) -> AsyncIterator[Gateway]:
    """An in-process gateway whose version desk 1.0.0 is `bot`."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(bot.handle))
    async with client, running_gateway(redis, settings=runtime_settings(), upstream_client=client) as gw:
        bot.gateway = gw.http
        await release(Admin(gw.http), definition("desk", "1.0.0", "activity", url=BOT_URL))
        yield gw


def refused(r: httpx.Response) -> bool:
    """A connector refusal: 404 with the gateway's JSON error."""
    return r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_replies_posted_to_the_turns_service_url_are_its_replies(redis: Redis) -> None:
    """The serviceUrl is this gateway's connector for this turn; what the bot POSTs there is the turn's answer."""
    bot = InProcessBot(echo)
    async with running_with(redis, bot) as gw:
        assert texts(await chat(gw.http, "desk", "ann", "hi")) == ["echo: hi"]
    [turn] = bot.turns
    assert turn.service_url.startswith(GATEWAY_URL + "/v1/connector/")
    assert turn.answers[0].status_code == 200 and set(turn.answers[0].json()) == {"id"}


async def test_a_reply_with_a_wrong_token_or_naming_another_conversation_is_refused_while_the_turn_is_open(
    redis: Redis,
) -> None:
    """During the turn, a made-up token, a malformed one, or the turn's own token with another (live) conversation's
    id are 404s; only the reply on the turn's own URL is taken."""
    other: dict[str, str] = {}

    async def meddle(turn: Turn) -> None:
        if turn.activity["from"]["id"] == "ann":
            return await echo(turn)
        connector = turn.service_url.rsplit("/", 1)[0]
        await turn.reply("forged", service_url=f"{connector}/{secrets.token_hex(16)}")
        await turn.reply("forged", service_url=f"{connector}/not-a-token")
        await turn.reply("forged", service_url=turn.service_url.upper())
        await turn.reply("misdirected", conversation=other["ann"])
        await turn.reply("mine")

    bot = InProcessBot(meddle)
    async with running_with(redis, bot) as gw:
        other["ann"] = (await chat(gw.http, "desk", "ann", "hi"))["conversation"]
        assert texts(await chat(gw.http, "desk", "bob", "hi")) == ["mine"]
        assert texts(await chat(gw.http, "desk", "ann", "again")) == ["echo: again"]  # ann's conversation got nothing
    answers = bot.turns[1].answers
    assert [refused(r) for r in answers] == [True, True, True, True, False]


async def test_a_reply_to_a_closed_turn_is_refused_and_changes_nothing(redis: Redis) -> None:
    """Once its turn is answered, a serviceUrl takes nothing: 404, Redis unchanged, and no later turn gets it."""
    bot = InProcessBot(echo)
    async with running_with(redis, bot) as gw:
        await chat(gw.http, "desk", "ann", "hi")
        [turn] = bot.turns
        before = await snapshot(redis)
        late = await turn.reply("too late")
        assert refused(late), late.text
        assert "no turn is open" in late.json()["error"]["message"]
        assert await snapshot(redis) == before
        assert texts(await chat(gw.http, "desk", "ann", "next")) == ["echo: next"]


async def test_a_turn_takes_at_most_100_reply_activities(redis: Redis) -> None:
    """The 101st reply of one turn is refused with 413; the turn (far over the reply limits) fails as bot_error."""

    async def flood(turn: Turn) -> None:
        for n in range(101):
            await turn.reply(f"reply {n}")

    bot = InProcessBot(flood)
    async with running_with(redis, bot) as gw:
        before = await snapshot(redis)
        r = await post(gw.http, "desk", "ann", "hi")
        assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
        assert await snapshot(redis) == before
    statuses = [answer.status_code for answer in bot.turns[0].answers]
    assert statuses == [200] * 100 + [413]


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b'{"text": "no type"}', 422), (b'["type"]', 422), (b'{"type": 1}', 422)],
)
async def test_a_reply_that_is_not_an_activity_is_refused_with_why(redis: Redis, body: bytes, status: int) -> None:
    """A body that is not JSON (400), or not an object with a string `type` (422), is refused, and not taken."""

    async def garbled(turn: Turn) -> None:
        url = f"{turn.service_url}/v3/conversations/{turn.conversation}/activities"
        headers = {"Content-Type": "application/json"}
        turn.answers.append(await turn.gateway.post(url, content=body, headers=headers))
        await turn.reply("fine")

    bot = InProcessBot(garbled)
    async with running_with(redis, bot) as gw:
        assert texts(await chat(gw.http, "desk", "ann", "hi")) == ["fine"]
    assert bot.turns[0].answers[0].status_code == status
