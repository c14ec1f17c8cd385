"""Why upstream bots are called with aiohttp: client CPU per request, aiohttp against httpx, on the bench's bot.

Each library sends the same turn requests over a pool of keep-alive connections, 16 at a time, alternating in
rounds; the figure is this process's CPU time per request (the bot runs in its own process, on its own core).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
import uvloop

REQUESTS = 3000
CONCURRENCY = 16
ROUNDS = 3
BODY = (
    b'{"event":"message","bot":"hecho","version":"1.0.0","conversation":"c1","user":"u1","channel":"rest",'
    b'"space":null,"message":{"id":null,"text":"hi"},"state":null}'
)
HEADERS = {"Content-Type": "application/json"}

Send = Callable[[], Awaitable[bytes]]


async def _cpu_per_request(send: Send) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            await send()

    await asyncio.gather(*(worker(10) for _ in range(CONCURRENCY)))  # connections opened, not measured
    started = time.process_time()
    await asyncio.gather(*(worker(REQUESTS // CONCURRENCY) for _ in range(CONCURRENCY)))
    return (time.process_time() - started) / (REQUESTS // CONCURRENCY * CONCURRENCY) * 1e6


async def _aiohttp(url: str) -> float:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def send() -> bytes:
            async with session.post(url, data=BODY, headers=HEADERS) as response:
                return await response.read()

        return await _cpu_per_request(send)


async def _httpx(url: str) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits) as client:

        async def send() -> bytes:
            return (await client.post(url, content=BODY, headers=HEADERS)).content

        return await _cpu_per_request(send)


def measure(bot_url: str) -> dict[str, float]:
    """Median client CPU microseconds per request, by library, against the bot at `bot_url`."""
    figures: dict[str, list[float]] = {"aiohttp": [], "httpx": []}
    for _ in range(ROUNDS):
        figures["aiohttp"].append(uvloop.run(_aiohttp(f"{bot_url}/turn")))
        figures["httpx"].append(uvloop.run(_httpx(f"{bot_url}/turn")))
    return {library: statistics.median(values) for library, values in figures.items()}
