"""The REST channel's contract: the response shape and every error status, each leaving the store unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Message, Scope
from structlog.testing import capture_logs

from bot_versions.model import Status
from gateway.redis_connection import connect
from gateway.settings import Settings
from middleware.keys import SessionKeys
from tests.admin.support import greeter
from tests.redis_servers import RedisServer
from tests.support import running_gateway, snapshot

URL = "/v1/bots/greeter/messages"
TOKEN = "test-admin-token"


async def test_a_message_gets_replies_conversation_version_and_status(redis: Redis) -> None:
    """200 with the chat response object."""
    async with running_gateway(redis) as gw:
        r = await gw.http.post(URL, json={"user": "alice", "text": "hi"})
        assert r.status_code == 200
        body = r.json()
        assert body["replies"] == [{"text": "What is your name?"}]
        assert (body["version"], body["status"]) == ("2.0.0", "active")
        assert isinstance(body["conversation"], str) and body["conversation"]


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"not json", 400, "bad_request"),
        (b"\xff\xfe", 400, "bad_request"),
        (b"[1, 2]", 422, "invalid"),
        (b'{"text": "hi"}', 422, "invalid"),
        (b'{"user": "alice"}', 422, "invalid"),
        (b'{"user": 7, "text": "hi"}', 422, "invalid"),
        (b'{"user": "alice", "text": ["hi"]}', 422, "invalid"),
        (b'{"user": "", "text": "hi"}', 422, "invalid"),
        (b'{"user": "' + b"u" * 257 + b'", "text": "hi"}', 422, "invalid"),
        (b'{"user": "alice", "text": "' + b"x" * 4097 + b'"}', 422, "invalid"),
        (b'{"user": "alice", "text": "hi", "id": 5}', 422, "invalid"),
        (b'{"user": "alice", "text": "hi", "space": ""}', 422, "invalid"),
        (b'{"user": "alice", "text": "' + b"x" * (64 * 1024) + b'"}', 413, "too_large"),
    ],
    ids=[
        "not json",
        "not utf-8",
        "not an object",
        "no user",
        "no text",
        "user not a string",
        "text not a string",
        "empty user",
        "user too long",
        "text too long",
        "id not a string",
        "empty space",
        "body over 64 KiB",
    ],
)
async def test_bad_requests_get_a_json_error_and_change_nothing(
    redis: Redis, content: bytes, status: int, code: str
) -> None:
    """Each bad body gets its status and a JSON error; Alice's conversation is untouched."""
    async with running_gateway(redis) as gw:
        await gw.chat("greeter", "alice").send("hi")
        before = await snapshot(redis)
        r = await gw.http.post(URL, content=content, headers={"content-type": "application/json"})
        assert r.status_code == status, r.text
        error: dict[str, Any] = r.json()["error"]
        assert error["code"] == code and error["message"]
        assert await snapshot(redis) == before


async def test_a_field_error_lists_every_problem_with_its_path(redis: Redis) -> None:
    """422 details name each wrong field."""
    async with running_gateway(redis) as gw:
        r = await gw.http.post(URL, json={"user": 1, "id": []})
        assert r.status_code == 422
        assert {d["path"] for d in r.json()["error"]["details"]} == {"user", "text", "id"}


@pytest.mark.parametrize("bot", ["nobody", "NoSuchBot", "a%20b"])
async def test_an_unknown_bot_is_404_and_changes_nothing(redis: Redis, bot: str) -> None:
    """A bot that does not exist is 404."""
    async with running_gateway(redis) as gw:
        before = await snapshot(redis)
        r = await gw.http.post(f"/v1/bots/{bot}/messages", json={"user": "alice", "text": "hi"})
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
        assert await snapshot(redis) == before


async def test_a_bot_with_nothing_published_is_404_and_changes_nothing(redis: Redis) -> None:
    """After its only version is unpublished, new conversations get 404."""
    async with running_gateway(redis) as gw:
        await gw.services.registry.set_status("echo", "1.0.0", Status.UNPUBLISHED, "test")
        gw.services.catalog.invalidate("echo")
        before = await snapshot(redis)
        r = await gw.http.post("/v1/bots/echo/messages", json={"user": "alice", "text": "hi"})
        assert r.status_code == 404
        assert "no published version" in r.json()["error"]["message"]
        assert await snapshot(redis) == before


async def test_a_busy_session_is_503_with_retry_after_and_changes_nothing(redis: Redis) -> None:
    """When the session's lock cannot be had in time the turn is refused, not queued forever."""
    async with running_gateway(redis, settings=Settings(redis_url="redis://t", lock_wait_ms=100)) as gw:
        await gw.chat("greeter", "alice").send("hi")
        before = await snapshot(redis)
        async with gw.services.store.turn(SessionKeys.of("greeter", "rest", "alice"), None):
            r = await gw.http.post(URL, json={"user": "alice", "text": "Alice"})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        assert r.json()["error"]["code"] == "unavailable"
        assert await snapshot(redis) == before


async def test_a_store_that_is_down_is_503_and_readyz_says_so(tmp_path: Path) -> None:
    """With Redis stopped, chat and /readyz answer 503 with Retry-After while /healthz stays up."""
    server = RedisServer(tmp_path / "redis").start()
    settings = Settings(redis_url=server.url, redis_timeout_s=0.5)
    client = connect(settings)
    try:
        async with running_gateway(client, settings=settings) as gw:
            await gw.chat("greeter", "alice").send("hi")
            server.stop(kill=True)
            r = await gw.http.post(URL, json={"user": "alice", "text": "Alice"})
            assert r.status_code == 503 and r.headers["Retry-After"] == "1"
            assert r.json()["error"]["code"] == "unavailable"
            ready = await gw.http.get("/readyz")
            assert ready.status_code == 503 and ready.headers["Retry-After"] == "1"
            assert (await gw.http.get("/healthz")).status_code == 200
    finally:
        server.stop()
        await client.aclose()


async def test_the_answer_is_json_with_its_length_and_the_answering_version(redis: Redis) -> None:
    """Content-Type application/json, a Content-Length that is the body's, X-Bot-Version naming the version."""
    async with running_gateway(redis) as gw:
        r = await gw.http.post(URL, json={"user": "alice", "text": "hi"})
        assert r.headers["content-type"] == "application/json"
        assert int(r.headers["content-length"]) == len(r.content)
        assert r.headers["x-bot-version"] == r.json()["version"] == "2.0.0"


async def test_a_body_that_arrives_in_pieces_is_read_whole(redis: Redis) -> None:
    """A message streamed in several chunks is one message, as if it had come at once."""

    async def pieces() -> AsyncIterator[bytes]:
        for piece in (b'{"user": "al', b'ice", "te', b'xt": "hi"}'):
            yield piece

    async with running_gateway(redis) as gw:
        r = await gw.http.post(URL, content=pieces(), headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text
        assert r.json()["replies"] == [{"text": "What is your name?"}]
        assert (await gw.chat("greeter", "alice").send("Alice"))["replies"] == [
            {"text": "Hello, Alice, from the updated bot"}
        ]


async def test_a_streamed_body_over_the_limit_is_413_and_changes_nothing(redis: Redis) -> None:
    """Without a Content-Length, the limit is kept while the body streams in."""

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"user": "alice", "text": "'
        for _ in range(80):
            yield b"x" * 1024

    async with running_gateway(redis) as gw:
        before = await snapshot(redis)
        r = await gw.http.post(URL, content=endless(), headers={"content-type": "application/json"})
        assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large")
        assert await snapshot(redis) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "answered"),
    [
        ("POST", URL, {"user": "alice", "text": "hi"}, []),
        ("PUT", "/admin/v1/bots/greeter/versions/9.9.9", greeter("9.9.9"), [400]),
    ],
    ids=["a chat message", "an admin body"],
)
async def test_a_client_gone_before_its_body_is_whole_runs_nothing_and_logs_no_error(
    redis: Redis, method: str, path: str, body: dict[str, Any], answered: list[int]
) -> None:
    """A disconnect before the body is known to be whole ends the request there, though the bytes so far would
    make a valid request: no error logged, nothing stored; a chat message is not even answered (its endpoint knows
    nobody is there), other routes answer into the void."""
    messages: list[Message] = [
        {"type": "http.request", "body": json.dumps(body).encode(), "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = http_scope(method, path)
    scope["headers"].append((b"authorization", f"Bearer {TOKEN}".encode()))
    async with running_gateway(redis, settings=Settings(redis_url="redis://test", admin_tokens=(TOKEN,))) as gw:
        before = await snapshot(redis)
        with capture_logs() as logs:
            await gw.app(scope, receive, send)
        assert messages == []  # the body was being read when the client went
        assert [m["status"] for m in sent if m["type"] == "http.response.start"] == answered
        assert [entry for entry in logs if entry["log_level"] == "error"] == []
        assert await snapshot(redis) == before


async def test_a_gateway_mounted_under_a_path_answers_there(redis: Redis) -> None:
    """Mounted in another app at /chat (a root path), the same endpoint answers through the router."""
    async with running_gateway(redis) as gw:
        outer = Starlette(routes=[Mount("/chat", app=gw.app)])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url="http://outer.test") as http:
            r = await http.post("/chat" + URL, json={"user": "alice", "text": "hi"})
            assert r.status_code == 200, r.text
            assert r.json()["replies"] == [{"text": "What is your name?"}]
            assert (await http.get("/chat" + URL)).status_code == 405


def http_scope(method: str, path: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"gateway.test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("gateway.test", 80),
    }
