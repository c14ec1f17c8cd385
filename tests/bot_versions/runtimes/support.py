"""Helpers for the runtimes' integration tests: settings, definitions, chat calls, and the turn events logged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from gateway.settings import Settings
from tests.admin.support import TOKENS, Admin

GATEWAY_URL = "http://gateway.test"  # the in-process client's base, and so the serviceUrl base activity bots get
UPSTREAM_HOSTS = frozenset({"127.0.0.1"})  # every test bot listens there, on ports picked at start


def runtime_settings(bots_dir: Path | None = None, **changes: Any) -> Settings:
    """An in-process gateway's settings: the admin test tokens, test bots allowed, the in-process URL as public URL."""
    base = Settings(
        redis_url="redis://test",
        admin_tokens=TOKENS,
        bots_dir=bots_dir,
        upstream_hosts=UPSTREAM_HOSTS,
        public_url=GATEWAY_URL,
    )
    return replace(base, **changes)


def definition(bot: str, version: str, runtime: str, **block: Any) -> dict[str, Any]:
    """A version of `runtime` whose block is `block`, and whose bot_error message names it (to tell it apart)."""
    return {
        "bot": bot,
        "version": version,
        "runtime": runtime,
        runtime: block,
        "messages": {"bot_error": bot_error_text(bot, version)},
    }


def bot_error_text(bot: str, version: str) -> str:
    """The bot_error message `definition` gives a version."""
    return f"Sorry, {bot} {version} is not answering."


async def release(admin: Admin, *documents: dict[str, Any]) -> None:
    """Store and publish each definition through the admin API."""
    for document in documents:
        await admin.release(document)


async def store(admin: Admin, document: dict[str, Any]) -> None:
    """Store a definition as a draft (reachable by pinned users only)."""
    r = await admin.store(document)
    assert r.status_code in (200, 201), r.text


async def pin(admin: Admin, bot: str, user: str, version: str) -> None:
    await admin.ok("PUT", f"/bots/{bot}/pins/{user}", json={"version": version})


async def post(
    http: httpx.AsyncClient, bot: str, user: str, text: str, message_id: str | None = None, base: str = ""
) -> httpx.Response:
    """One REST message, whatever the answer."""
    body: dict[str, Any] = {"user": user, "text": text}
    if message_id is not None:
        body["id"] = message_id
    return await http.post(f"{base}/v1/bots/{bot}/messages", json=body)


async def chat(http: httpx.AsyncClient, bot: str, user: str, text: str, base: str = "") -> dict[str, Any]:
    """One REST message that must be answered 200; the chat response object."""
    r = await post(http, bot, user, text, base=base)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def texts(answer: Mapping[str, Any]) -> list[str]:
    return [reply["text"] for reply in answer["replies"]]


@asynccontextmanager
async def web_chat(base_url: str, bot: str, user: str) -> AsyncIterator[ClientConnection]:
    """A web chat WebSocket on a served gateway (http:// base URL)."""
    async with connect(f"ws{base_url.removeprefix('http')}/v1/bots/{bot}/ws?user={user}") as ws:
        yield ws


async def exchange(ws: ClientConnection, text: str) -> dict[str, Any]:
    """Send one web chat frame and read its answer."""
    await ws.send(json.dumps({"text": text}))
    answer: dict[str, Any] = json.loads(await ws.recv())
    return answer


def turn_events(logs: Sequence[Mapping[str, Any]], bot: str | None = None) -> list[Mapping[str, Any]]:
    """The `turn` events among captured log entries (structlog's capture_logs), of one bot if named."""
    return [e for e in logs if e.get("event") == "turn" and (bot is None or e.get("bot") == bot)]


__all__ = ["Admin"]
