"""`/metrics`: Prometheus text whose counters equal the turns sent, on one worker or several, bounded labels."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from bot_versions.flow import CALL_APOLOGY
from tests.admin.support import Admin, settings
from tests.processes import ServerProcess, botgate_serve
from tests.redis_servers import RedisServer, free_port
from tests.support import running_gateway


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


async def test_the_counters_count_the_turns_sent_and_unknown_bots_make_no_series(redis: Redis) -> None:
    """5 echo turns and a greeter conversation add exactly that; requests to random bots add no bot label."""
    async with running_gateway(redis, settings=settings()) as gw:
        before = samples((await gw.http.get("/metrics")).text)
        for n in range(5):
            await gw.chat("echo", f"metrics-{n}").send("hi")
        greeter = gw.chat("greeter", "metrics-g")
        await greeter.send("hi")
        await greeter.send("Ada")
        strangers = [f"nobody-{secrets.token_hex(4)}" for _ in range(5)]
        for bot in strangers:
            r = await gw.http.post(f"/v1/bots/{bot}/messages", json={"user": "u", "text": "hi"})
            assert r.status_code == 404
        response = await gw.http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"channel": "rest", "outcome": "ok"}
    assert added("botgate_turns_total", bot="echo", version="1.0.0", **ok) == 5
    assert added("botgate_turns_total", bot="greeter", version="2.0.0", **ok) == 2
    assert added("botgate_conversations_total", bot="echo", version="1.0.0", event="started") == 5
    assert added("botgate_conversations_total", bot="echo", version="1.0.0", event="completed") == 5
    assert added("botgate_conversations_total", bot="greeter", version="2.0.0", event="completed") == 1
    assert added("botgate_turn_duration_seconds_count", bot="echo", channel="rest") == 5
    labelled = {dict(labels).get("bot") for _, labels in after}
    assert not labelled & set(strangers)
    assert value(after, "botgate_active_sessions", bot="greeter", version="2.0.0") == 0


async def test_a_failed_call_the_bot_handled_is_a_bot_error_of_its_version_and_not_a_failed_turn(
    redis: Redis,
) -> None:
    """A `call` step to a host that refuses: the turn answers (the flow apologises), /metrics counts one
    `call_failed` bot error of the version, and the turn itself is an ok turn."""
    refusing = dataclasses.replace(settings(), call_hosts=frozenset({"127.0.0.1"}))
    async with running_gateway(redis, settings=refusing) as gw:
        await Admin(gw.http).release(
            {
                "bot": "caller",
                "version": "1.0.0",
                "start": "first",
                "steps": {"first": {"call": {"url": f"http://127.0.0.1:{free_port()}/x", "timeout": 1}}},
            }
        )
        before = samples((await gw.http.get("/metrics")).text)
        answer = await gw.chat("caller", "metrics-c").send("hi")
        after = samples((await gw.http.get("/metrics")).text)
    assert answer["replies"] == [{"text": CALL_APOLOGY}]
    labels = {"bot": "caller", "version": "1.0.0"}
    assert (
        value(after, "botgate_bot_errors_total", reason="call_failed", **labels)
        - value(before, "botgate_bot_errors_total", reason="call_failed", **labels)
        == 1
    )
    turns = value(after, "botgate_turns_total", channel="rest", outcome="ok", **labels)
    assert turns - value(before, "botgate_turns_total", channel="rest", outcome="ok", **labels) == 1


@pytest.fixture
def gateway_of_two_workers(redis_server: RedisServer, tmp_path: Path) -> ServerProcess:
    env = {"BOTGATE_REDIS_URL": redis_server.url, "BOTGATE_ADMIN_TOKENS": "metrics-token"}
    with ServerProcess(botgate_serve("--workers", "2"), env, tmp_path / "gateway.log") as server:
        yield server


async def test_any_worker_of_two_reports_every_workers_turns(
    redis: Redis, gateway_of_two_workers: ServerProcess
) -> None:
    """60 echo turns spread over two workers: every scrape, whichever worker answers it, counts all 60."""
    limits = httpx.Limits(max_keepalive_connections=0)  # a new connection per request: both workers get some
    async with httpx.AsyncClient(base_url=gateway_of_two_workers.url, limits=limits, timeout=10) as http:
        for n in range(60):
            r = await http.post("/v1/bots/echo/messages", json={"user": f"w-{n}", "text": "hi"})
            assert r.status_code == 200
        scrapes = [samples((await http.get("/metrics")).text) for _ in range(6)]
    workers = gateway_of_two_workers.pids()
    assert len(workers) >= 3  # uvicorn's supervisor and its two workers
    for scrape in scrapes:
        labels = {"bot": "echo", "version": "1.0.0", "channel": "rest", "outcome": "ok"}
        assert value(scrape, "botgate_turns_total", **labels) == 60
