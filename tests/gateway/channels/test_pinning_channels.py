"""Seed 004 through every channel: a user mid-conversation finishes on their version after a new one is published."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect

from bot_versions.registry import Registry
from gateway.settings import Settings
from tests.gateway.channels.servers import Served, gateway_services, only_bots, serving_gateway
from tests.gateway.channels.test_botframework import message
from tests.gateway.channels.test_webchat import exchange
from tests.gateway.test_pinning import publish_updated_greeter
from tests.redis_servers import RedisServer

TOKEN = "twilio-test-auth-token"
Said = tuple[list[str], str]  # the reply texts and the version that answered


class Talker(Protocol):
    async def says(self, text: str) -> Said: ...


@dataclass
class WebTalker:
    ws: ClientConnection

    async def says(self, text: str) -> Said:
        frame = await exchange(self.ws, {"text": text})
        return [reply["text"] for reply in frame["replies"]], frame["version"]


@dataclass
class SmsTalker:
    http: httpx.AsyncClient
    url: str
    user: str
    sent: int = 0

    async def says(self, text: str) -> Said:
        self.sent += 1
        form = {"From": self.user, "Body": text, "MessageSid": f"SM{self.sent}"}
        signature = RequestValidator(TOKEN).compute_signature(self.url, form)
        r = await self.http.post(self.url, data=form, headers={"X-Twilio-Signature": signature})
        assert r.status_code == 200, r.text
        return [m.text or "" for m in ET.fromstring(r.content).findall("Message")], r.headers["X-Bot-Version"]


@dataclass
class BotFrameworkTalker:
    http: httpx.AsyncClient
    url: str
    user: str
    sent: int = 0

    async def says(self, text: str) -> Said:
        self.sent += 1
        r = await self.http.post(self.url, json=message(text, f"a{self.sent}", user=self.user))
        assert r.status_code == 200, r.text
        return [a["text"] for a in r.json()["activities"]], r.headers["X-Bot-Version"]


@asynccontextmanager
async def talker(channel: str, served: Served, user: str) -> AsyncIterator[Talker]:
    """`user` talking to greeter through `channel`, on the served gateway."""
    if channel == "web":
        async with connect(f"ws://127.0.0.1:{served.port}/v1/bots/greeter/ws?user={user}") as ws:
            yield WebTalker(ws)
        return
    async with httpx.AsyncClient() as http:
        if channel == "twilio":
            yield SmsTalker(http, f"{served.url}/v1/bots/greeter/twilio", user)
        else:
            yield BotFrameworkTalker(http, f"{served.url}/v1/bots/greeter/activities", user)


@pytest.mark.parametrize("channel", ["web", "twilio", "botframework"])
async def test_a_user_mid_conversation_finishes_on_their_version_whatever_the_channel(
    redis: Redis, redis_server: RedisServer, tmp_path: Path, channel: str
) -> None:
    """Alice answers 1.0.0's question after 2.0.0 is published: "from the original bot"; her next one is 2.0.0's."""
    settings = Settings(
        redis_url=redis_server.url, bots_dir=only_bots(tmp_path, "greeter-1.0.0.yaml"), twilio_auth_token=TOKEN
    )
    with serving_gateway(settings) as (served, _):
        async with talker(channel, served, "alice") as alice:
            assert await alice.says("hi") == (["What is your name?"], "1.0.0")

            await publish_updated_greeter(Registry(redis))
            served.call(lambda: gateway_services(served).catalog.invalidate("greeter"))

            assert await alice.says("Alice") == (["Hello, Alice, from the original bot"], "1.0.0")
            assert await alice.says("hi again") == (["What is your name?"], "2.0.0")
            assert await alice.says("Alice") == (["Hello, Alice, from the updated bot"], "2.0.0")
        async with talker(channel, served, "bob") as bob:
            assert await bob.says("hi") == (["What is your name?"], "2.0.0")
