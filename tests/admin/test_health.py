"""Conversation health per version through the admin API: exact counts, rates and series, whatever process counted."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
from redis.asyncio import Redis

from admin.health import health_view
from middleware.health import MINUTE_MS
from tests.admin.support import Admin, settings
from tests.clock import ManualClock
from tests.support import Gateway, running_gateway

LONG_NAME = "n" * 3000  # the greeting says it three times: past a reply's 8192 characters, so the turn fails


def shop(version: str, **extra: Any) -> dict[str, Any]:
    return {
        "bot": "shop",
        "version": version,
        "start": "ask_name",
        "steps": {
            "ask_name": {"ask": "Your name?", "save": "name", "next": "greet"},
            "greet": {"say": "{name} {name} {name}, " + version},
        },
        **extra,
    }


async def converse(gw: Gateway, user: str, *texts: str) -> list[httpx.Response]:
    return [await gw.http.post("/v1/bots/shop/messages", json={"user": user, "text": t}) for t in texts]


async def test_known_traffic_through_two_processes_gives_exactly_those_counts_rates_and_series(
    redis: Redis, clock: ManualClock
) -> None:
    """3 completed, 2 reset by an operator, 1 migrated, 2 failed turns, over two gateways: the health says so."""
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(running_gateway(redis, clock, settings=settings()))
        b = await stack.enter_async_context(running_gateway(redis, clock, settings=settings()))
        admin = Admin(a.http)
        await admin.release(shop("1.0.0"))
        for n, gw in enumerate((a, b, a)):
            assert all(r.status_code == 200 for r in await converse(gw, f"done-{n}", "hi", "Ada"))
        for user, gw in (("reset-0", a), ("reset-1", b)):
            await converse(gw, user, "hi")
            await admin.ok("DELETE", f"/bots/shop/sessions/{user}")
        failing = await converse(b, "failing", "hi", LONG_NAME, LONG_NAME)
        assert [r.status_code for r in failing] == [200, 502, 502]
        await converse(a, "moving", "hi")
        await admin.release(shop("1.1.0", resumes="<1.1"))
        await admin.rollout("shop", "1.1.0")
        moved = await converse(a, "moving", "Bo")  # a made the change: it sees it at once (b within 0.5 s)
        assert moved[0].headers["X-Bot-Version"] == "1.1.0"
        for gw in (a, b):
            await gw.services.store.flush()
        health = await admin.ok("GET", "/bots/shop/health?window=600")

    v1, v11 = health["versions"]["1.0.0"], health["versions"]["1.1.0"]
    assert (v1["started"], v1["completed"], v1["reset"], v1["migrated"], v1["errors"]) == (7, 3, 2, 1, 2)
    assert v1["turns"] == 3 * 2 + 2 + 3 + 1  # done users, reset users' first turns, failing's three, moving's first
    assert v1["error_rate"] == 2 / v1["turns"]
    assert v1["completion_rate"] == 3 / 5
    assert v1["active_sessions"] == 1  # "failing" waits for a name that works
    assert (v11["started"], v11["completed"], v11["turns"], v11["errors"]) == (0, 1, 1, 0)
    assert v11["completion_rate"] == 1.0
    assert sum(point["turns"] for point in v1["series"]) == v1["turns"]
    assert sum(point["errors"] for point in v1["series"]) == 2
    assert len(v1["series"]) == 11  # a 600 s window touches eleven minutes
    assert v1["series"][-1]["active_sessions"] == 1
    assert v11["series"][-1]["active_sessions"] == 0


async def test_an_unknown_bot_or_a_bad_window_is_refused(redis: Redis) -> None:
    """404 for a bot that does not exist, 422 for a window outside 60 s to 48 h."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        assert (await admin.call("GET", "/bots/nobody/health")).status_code == 404
        for window in ("59", "172801", "1e3", "-5", "٣٠٠"):
            r = await admin.call("GET", f"/bots/greeter/health?window={window}")
            assert r.status_code == 422, window
        assert (await admin.call("GET", "/bots/greeter/health?window=172800")).status_code == 200


def test_active_sessions_carry_forward_through_minutes_without_a_count() -> None:
    """A minute with no snapshot repeats the last one; minutes before any are null."""
    t = 1_700_000_040_000
    buckets = [
        (t, {}),
        (t + MINUTE_MS, {"1.0.0|turns": 2, "1.0.0|active": 5}),
        (t + 2 * MINUTE_MS, {}),
        (t + 3 * MINUTE_MS, {"1.0.0|active": 3}),
    ]
    view = health_view("shop", ["1.0.0"], 240, buckets, {"1.0.0": 3})
    series = view["versions"]["1.0.0"]["series"]
    assert [point["active_sessions"] for point in series] == [None, 5, 5, 3]
    assert [point["turns"] for point in series] == [0, 2, 0, 0]
    assert series[0]["t"] == "2023-11-14T22:14:00.000Z"
