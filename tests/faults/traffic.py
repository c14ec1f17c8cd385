"""The fault tests' clients: a round-robin balancer, users who keep talking, and polling with a deadline."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import TimeoutError as RedisTimeoutError

from middleware.keys import SessionKeys

COUNTER_URL = "/v1/bots/counter/messages"
DEBUG = ("--enable-debug-command", "yes")  # redis-server arguments that allow `stall`


class RoundRobin:
    """Sends each request to the next gateway; one that refuses connections is left out from then on."""

    def __init__(self, urls: Sequence[str], timeout: float = 10.0) -> None:
        self.urls = list(urls)
        self.down: set[str] = set()
        self.http = httpx.AsyncClient(timeout=timeout)
        self._next = 0

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """The answer; raises httpx.TransportError when the connection broke with the request under way."""
        first = self._next
        self._next += 1
        for url in self.urls[first % len(self.urls) :] + self.urls[: first % len(self.urls)]:
            if url in self.down:
                continue
            try:
                return await self.http.post(url + path, json=body)
            except httpx.ConnectError:  # nothing was sent: trying the next gateway is safe
                self.down.add(url)
        raise httpx.ConnectError("no gateway is accepting connections")

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class Talk:
    """One user's messages: those answered 200, those whose outcome was lost, and the 503s."""

    user: str
    acked: list[tuple[float, str]] = field(default_factory=list)  # (when answered, text)
    lost: list[tuple[float, str]] = field(default_factory=list)  # (when sent, text): the connection broke
    refused: list[tuple[float, float, httpx.Response]] = field(default_factory=list)  # (sent, took, response)

    @property
    def acked_texts(self) -> list[str]:
        return [text for _, text in self.acked]


async def talk(send: RoundRobin, record: Talk, keep_going: Callable[[], bool]) -> None:
    """Keep sending numbered messages while `keep_going()`; check every answer echoes its own message."""
    user = record.user
    n = 0
    while keep_going():
        text = f"{user}/{n}"
        n += 1
        sent = time.monotonic()
        try:
            r = await send.post(COUNTER_URL, {"user": user, "text": text})
        except httpx.TransportError:
            record.lost.append((sent, text))
            continue
        if r.status_code == 200:
            replies = [reply["text"] for reply in r.json()["replies"]]
            if replies not in (["Say something"], [f"You said {text}", "Say something"]):
                raise AssertionError(f"{user} sent {text!r} and was answered {replies}")
            record.acked.append((time.monotonic(), text))
        else:
            record.refused.append((sent, time.monotonic() - sent, r))
            await asyncio.sleep(0.05)


async def stored(redis: Redis, user: str, bot: str = "counter") -> tuple[int, list[str]]:
    """The turns counted in the user's session, and the user's messages in its current conversation's transcript."""
    session_keys = SessionKeys.of(bot, "rest", user)
    doc = await redis.hget(session_keys.session, "doc")
    if doc is None:
        return 0, []
    session = json.loads(doc)
    rows = await redis.xrange(session_keys.transcript(session["conversation"]))
    said = [f[b"text"].decode() for _, f in rows if f[b"role"] == b"user"]
    return session["turns"], said


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll `check` every 20 ms until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.02)


async def stall(redis_url: str, seconds: float) -> asyncio.Task[object]:
    """Block Redis for `seconds`; returns once the stall has begun (a PING no longer answers), the task ends with it."""
    sleeper = Redis.from_url(redis_url, socket_timeout=seconds + 10)
    task: asyncio.Task[object] = asyncio.create_task(sleeper.execute_command("DEBUG", "SLEEP", str(seconds)))
    task.add_done_callback(lambda _: asyncio.ensure_future(sleeper.aclose()))
    probe = Redis.from_url(redis_url, socket_timeout=0.05)
    try:
        while True:
            try:
                await probe.ping()
            except RedisTimeoutError:
                return task
            await asyncio.sleep(0.005)
    finally:
        await probe.aclose()
