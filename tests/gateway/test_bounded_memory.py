"""Random bot names and users through the REST channel, the web chat page and its WebSocket cost a process a fixed
amount of memory: no per-process cache grows past its bound, and the heap stops growing once the caches are full."""

from __future__ import annotations

import gc
import string
import tracemalloc
from random import Random
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message

from gateway.settings import Settings
from middleware.catalog import MAX_BOTS, MAX_UNKNOWN_BOTS, MAX_VERSIONS
from tests.support import Gateway, running_gateway

SESSION_CACHE = 16  # BOTGATE_SESSION_CACHE for this test: small, so that it fills
# Per channel and round: the three channels' names together fill the catalog's cache of unknown names in the
# warm-up round, and replace every entry of it in the measured round.
NAMES = MAX_UNKNOWN_BOTS // 3 + 100
USERS = 4 * SESSION_CACHE
# Once every cache is full, a cache entry replaced by a new one costs nothing more; what the heap may still gain
# (interned strings, a few more pooled objects) is small. The old catalog kept ~200 bytes per name, ~650 KB here.
GROWTH_BOUND = 128 * 1024
EXAMPLE_BOTS = {"greeter", "echo", "zipcode"}
FIRST = string.ascii_lowercase + string.digits
SLUG = FIRST + "_-"


def random_names(rng: Random, count: int) -> list[str]:
    """`count` different names that are no bot's: mostly slugs a bot could have (up to 63 characters), some not."""
    names: set[str] = set()
    while len(names) < count:
        if rng.random() < 0.8:
            name = rng.choice(FIRST) + "".join(rng.choice(SLUG) for _ in range(rng.randrange(63)))
        else:  # any text without lone surrogates: capitals, `/`, `%`, spaces, newlines, non-ASCII
            name = "".join(chr(rng.randrange(0x20, 0xD800)) for _ in range(rng.randint(1, 80)))
        if name not in EXAMPLE_BOTS:
            names.add(name)
    return sorted(names, key=lambda _: rng.random())


def random_user(rng: Random) -> str:
    return "".join(chr(rng.randrange(0x20, 0xD800)) for _ in range(rng.randint(1, 40)))


async def open_socket(app: ASGIApp, bot: str, user: str) -> list[Message]:
    """Open the chat WebSocket in process, as uvicorn would, and return what the app sent until it closed."""
    incoming: list[Message] = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop() if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    path = f"/v1/bots/{bot}/ws"
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": quote(path).encode(),
        "root_path": "",
        "query_string": urlencode({"user": user}).encode(),
        "headers": [(b"host", b"gateway.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("gateway.test", 80),
        "subprotocols": [],
        "state": {},
    }
    await app(scope, receive, send)
    return sent


async def one_round(gw: Gateway, rng: Random) -> None:
    """NAMES new unknown names through each channel, and USERS new users talking to a real bot."""
    for name in random_names(rng, NAMES):
        r = await gw.http.post(
            f"/v1/bots/{quote(name, safe='')}/messages", json={"user": random_user(rng), "text": "hi"}
        )
        assert r.status_code == 404, r.text
    for name in random_names(rng, NAMES):
        assert (await gw.http.get(f"/chat/{quote(name, safe='')}")).status_code == 404
    for name in random_names(rng, NAMES):
        sent = await open_socket(gw.app, name, random_user(rng))
        assert sent[-1]["type"] == "websocket.close"
    for _ in range(USERS):
        r = await gw.http.post("/v1/bots/echo/messages", json={"user": random_user(rng), "text": "hi"})
        assert r.status_code == 200, r.text


def assert_within_bounds(gw: Gateway) -> None:
    sizes = gw.services.catalog.sizes()
    assert sizes["states"] <= MAX_BOTS and sizes["replayable"] <= MAX_BOTS
    assert sizes["unknown"] <= MAX_UNKNOWN_BOTS and sizes["versions"] <= MAX_VERSIONS
    assert sizes["loading"] == 0
    store = gw.services.store
    assert len(store._cache) <= SESSION_CACHE
    assert len(store._local) == 0  # nobody holds or awaits a session lock between turns


# One example (each is thousands of requests), and no shrinking: a smaller seed is not a simpler case.
@settings(
    max_examples=1,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**64))  # thousands of names per example: hypothesis draws the seed they come from
async def test_random_names_and_users_through_every_chat_route_stay_within_the_bounds(redis: Redis, seed: int) -> None:
    """After a warm-up that fills every cache, as many new names again add nothing: sizes at their bounds, heap flat."""
    rng = Random(seed)
    settings_ = Settings(redis_url="redis://test", session_cache=SESSION_CACHE)
    async with running_gateway(redis, settings=settings_) as gw:
        tracemalloc.start()
        try:
            await one_round(gw, rng)
            assert_within_bounds(gw)
            assert gw.services.catalog.sizes()["unknown"] == MAX_UNKNOWN_BOTS
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            await one_round(gw, rng)
            assert_within_bounds(gw)
            gc.collect()
            growth = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    assert growth < GROWTH_BOUND, f"the heap grew by {growth} bytes after the warm-up"
