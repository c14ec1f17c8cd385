"""Helpers that make scenario tests read like the seed's dialogues."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from unittest.mock import patch

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette

from bot_versions.hosts import NotAllowed, host_and_port
from bot_versions.runtimes.transport import Broken, Raw, Refused
from bot_versions.runtimes.upstream import Upstream
from gateway.app import create_app
from gateway.services import Services
from gateway.settings import Settings
from middleware.pipeline import Middleware
from middleware.routing import bucket
from tests.clock import ManualClock


@dataclass
class Gateway:
    """A running app, an HTTP client on it, and its services."""

    app: Starlette
    http: httpx.AsyncClient
    announced: list[str] = field(default_factory=list)

    @property
    def services(self) -> Services:
        svc: Services = self.app.state.services
        return svc

    def chat(self, bot: str, user: str, space: str | None = None) -> Chat:
        return Chat(self.http, bot, user, space)


@asynccontextmanager
async def running_gateway(
    redis: Redis,
    clock: ManualClock | None = None,
    settings: Settings | None = None,
    middleware: Sequence[Middleware] = (),
    upstream_client: httpx.AsyncClient | None = None,
) -> AsyncIterator[Gateway]:
    """Start an app on `redis` (lifespan included) and an httpx client talking to it in process.

    `upstream_client` is the client the gateway calls upstream bots with (say, on an httpx.MockTransport).
    """
    announced: list[str] = []
    app = create_app(
        settings or Settings(redis_url="redis://test"),
        redis=redis,
        clock=clock or ManualClock(),
        middleware=middleware,
        announce=announced.append,
    )
    upstream = Upstream if upstream_client is None else partial(Upstream, transport=HttpxTransport(upstream_client))
    with patch("gateway.app.Upstream", upstream):  # the lifespan builds the gateway's one Upstream
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
                yield Gateway(app, http, announced)


@dataclass
class Chat:
    """One user talking to one bot through the REST channel."""

    http: httpx.AsyncClient
    bot: str
    user: str
    space: str | None = None
    last: dict[str, Any] = field(default_factory=dict)

    async def send(self, text: str, message_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"user": self.user, "text": text}
        if message_id is not None:
            body["id"] = message_id
        if self.space is not None:
            body["space"] = self.space
        r = await self.http.post(f"/v1/bots/{self.bot}/messages", json=body)
        assert r.status_code == 200, r.text
        self.last = r.json()
        return self.last

    async def says(self, text: str) -> list[str]:
        """Send `text` and return the texts of the replies."""
        return [reply["text"] for reply in (await self.send(text))["replies"]]


def user_in_bucket(low: int, high: int, not_: tuple[str, ...] = ()) -> str:
    """A greeter user whose canary bucket is in [low, high), other than the users in `not_`."""
    return next(u for u in (f"user-{i}" for i in range(10_000)) if low <= bucket("greeter", u) < high and u not in not_)


HEALTH_KEYS = (b"bg:h:", b"bg:k:")  # per-minute health and its write ids: what a refused or failed turn does change


async def snapshot(redis: Redis) -> dict[bytes, bytes | None]:
    """Every key and its serialised value but the health counts (tests own their redis-server, so listing all keys
    is fine). A failed turn is counted as an error of its version; everything else it must leave as it was."""
    names = [key for key in sorted(await redis.keys("*")) if not key.startswith(HEALTH_KEYS)]
    return {key: await redis.dump(key) for key in names}


class HttpxTransport:
    """An upstream Transport over an httpx client, so tests can answer upstream calls with an httpx.MockTransport
    (the gateway's own transport is aiohttp's; tests against real bot processes use it)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], max_bytes: int) -> Raw:
        try:
            response = await self.client.post(url, content=body, headers=dict(headers))
        except httpx.ConnectError:
            raise Refused() from None
        except httpx.TimeoutException:
            raise TimeoutError() from None  # as the gateway's bound on the whole call ends it
        except httpx.HTTPError as exc:
            raise Broken(type(exc).__name__) from None
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        declared = response.headers.get("content-length", "")
        over = len(response.content) > max_bytes or (declared.isdigit() and int(declared) > max_bytes)
        return Raw(response.status_code, media_type, None if over else response.content)

    def target(self, url: str) -> tuple[str, int]:
        try:
            return host_and_port(url)  # httpx reads the URL for the allow-list too: the two always agree
        except NotAllowed as exc:
            raise ValueError(str(exc)) from None

    async def aclose(self) -> None:
        return None  # the test owns the client
