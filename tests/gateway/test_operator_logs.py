"""The log events an operator reaches for, from a live `botgate serve` in JSON format (BOTGATE_LOG_FORMAT=json):
one event of the documented shape per admin change and per refused token, no secret in any, and workers that log
JSON too."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import ServerProcess, botgate_serve, live_gateway
from tests.redis_servers import RedisServer

TOKEN = "operator-logs-token-0123456789"
USER_KEY = "operator-logs-user-key"
IDENTITY = "token#" + hashlib.sha256(TOKEN.encode()).hexdigest()[:8]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(tmp_path_factory.mktemp("operator-logs-redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def live(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`botgate serve` in JSON format with one token, hashing user ids in its events."""
    env = {
        "BOTGATE_REDIS_URL": redis_url,
        "BOTGATE_ADMIN_TOKENS": TOKEN,
        "BOTGATE_LOG_USER": "hash",
        "BOTGATE_LOG_USER_KEY": USER_KEY,
    }
    with live_gateway(tmp_path_factory.mktemp("operator-logs"), env) as gateway:
        yield gateway


def admin(live: ServerProcess, method: str, path: str, token: str = TOKEN, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{live.url}/admin/v1{path}", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def every_line_is_json_without(live: ServerProcess, *secrets: str) -> None:
    lines = live.log().splitlines()
    assert lines and all(json.loads(line) for line in lines)
    for secret in secrets:
        assert secret not in live.log()


def test_an_admin_change_is_one_event_of_the_documented_shape(live: ServerProcess) -> None:
    """A pin logs one admin_change: bot, actor (the token's identity), action, user (hashed here), before, after."""
    before = len(live.events("admin_change"))
    assert admin(live, "PUT", "/bots/greeter/pins/alice@example.com", json={"version": "1.0.0"}).status_code == 200
    assert httpx.post(
        f"{live.url}/v1/bots/greeter/messages", json={"user": "alice@example.com", "text": "hi"}
    ).is_success
    changes = live.events("admin_change")[before:]
    assert len(changes) == 1
    change = changes[0]
    assert set(change) == {"event", "level", "timestamp", "bot", "actor", "action", "user", "before", "after"}
    assert (change["bot"], change["actor"], change["action"]) == ("greeter", IDENTITY, "pin")
    assert (change["before"], change["after"]) == ("none", "1.0.0")
    [turn] = [t for t in live.events("turn") if t["user"] == change["user"]]  # the same reference: correlated
    assert change["user"].startswith("u#") and turn["version"] == "1.0.0"
    every_line_is_json_without(live, TOKEN, "alice@example.com", USER_KEY)


def test_a_refused_token_is_one_event_with_route_and_reason_and_never_the_token(live: ServerProcess) -> None:
    """A wrong token logs one admin_token_refused: method, route template, reason; not the token, not the user."""
    before = len(live.events("admin_token_refused"))
    wrong = "a-wrong-token-that-must-not-be-logged"
    assert admin(live, "GET", "/bots/greeter/sessions/bob", token=wrong).status_code == 401
    refused = live.events("admin_token_refused")[before:]
    assert len(refused) == 1
    assert {k: v for k, v in refused[0].items() if k != "timestamp"} == {
        "event": "admin_token_refused",
        "level": "warning",
        "method": "GET",
        "route": "/admin/v1/bots/{bot}/sessions/{user}",
        "reason": "not one of BOTGATE_ADMIN_TOKENS",
    }
    every_line_is_json_without(live, wrong, TOKEN)


def test_start_up_is_told_as_events(live: ServerProcess) -> None:
    """serving (the banner), bots_loaded (what was stored and published), started; nothing human on stderr."""
    [serving] = live.events("serving")
    assert serving["url"] == live.url and serving["api_docs"] == f"{live.url}/docs"
    [loaded] = live.events("bots_loaded")
    assert "zipcode 1.1.0" in loaded["stored_and_published"] + loaded["already_stored"]
    assert len(live.events("started")) == 1
    assert "botgate serving on" not in live.announced()


def test_a_worker_of_two_logs_json_and_says_why_it_stops(redis_url: str, tmp_path: Path) -> None:
    """With --workers 2 every worker's events are JSON (turns included), and SIGTERM shows in each stopping event."""
    env = {"BOTGATE_REDIS_URL": redis_url, "BOTGATE_ADMIN_TOKENS": TOKEN}
    server = ServerProcess(botgate_serve("--workers", "2"), env, tmp_path / "gateway.log").start()
    try:
        limits = httpx.Limits(max_keepalive_connections=0)  # a new connection each time: both workers get some
        with httpx.Client(base_url=server.url, limits=limits, timeout=10) as http:
            for n in range(20):
                assert http.post("/v1/bots/echo/messages", json={"user": f"w{n}", "text": "hi"}).is_success
    finally:
        server.stop()
    lines = server.log().splitlines()
    events = [json.loads(line) for line in lines if line.strip()]  # every line parses: nothing in console format
    assert len({e["pid"] for e in events if e["event"] == "started"}) == 2
    assert len([e for e in events if e["event"] == "turn"]) == 20
    stopping = [e for e in events if e["event"] == "stopping"]
    assert len(stopping) == 2 and {e["signal"] for e in stopping} == {"SIGTERM"}
