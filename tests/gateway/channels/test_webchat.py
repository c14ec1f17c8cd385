"""The web chat channel: its page and assets, and its WebSocket's frames, errors and close codes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.settings import Settings
from middleware.keys import SessionKeys
from middleware.store import SessionStore
from tests.gateway.channels.servers import Served, serving_gateway
from tests.redis_servers import RedisServer
from tests.support import running_gateway, snapshot


@pytest.fixture
def gateway(redis: Redis, redis_server: RedisServer) -> Iterator[Served]:
    """The gateway under uvicorn on this test's (emptied) redis-server; busy sessions give up after 200 ms."""
    with serving_gateway(Settings(redis_url=redis_server.url, lock_wait_ms=200)) as (served, _):
        yield served


@asynccontextmanager
async def chat_socket(
    served: Served, bot: str = "greeter", query: str = "?user=alice"
) -> AsyncIterator[ClientConnection]:
    async with connect(f"ws://127.0.0.1:{served.port}/v1/bots/{bot}/ws{query}") as ws:
        yield ws


async def exchange(ws: ClientConnection, frame: dict[str, Any] | str | bytes) -> dict[str, Any]:
    """Send one frame (a dict is sent as JSON text) and read the answer."""
    await ws.send(json.dumps(frame) if isinstance(frame, dict) else frame)
    answer: dict[str, Any] = json.loads(await ws.recv())
    return answer


async def test_the_page_names_the_bot_and_loads_its_script_and_styles(redis: Redis) -> None:
    """GET /chat/greeter is an HTML page for greeter whose assets are served too."""
    async with running_gateway(redis) as gw:
        r = await gw.http.get("/chat/greeter")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'data-bot="greeter"' in r.text and "<title>Chat with greeter" in r.text
        for asset in ("/chat/assets/chat.js", "/chat/assets/chat.css"):
            assert (await gw.http.get(asset)).status_code == 200, asset


async def test_the_page_of_an_unknown_bot_is_a_404_saying_so_with_the_name_escaped(redis: Redis) -> None:
    """A bot that does not exist gets a 404 page naming it, HTML-escaped."""
    async with running_gateway(redis) as gw:
        r = await gw.http.get("/chat/<b>nobody")
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "There is no bot named “&lt;b&gt;nobody” here" in r.text
        assert "<b>" not in r.text


async def test_frames_get_the_chat_response_object_with_their_id(gateway: Served) -> None:
    """Each {"text"} frame is answered with replies, conversation, version and status; an "id" comes back."""
    async with chat_socket(gateway) as ws:
        first = await exchange(ws, {"text": "hi", "id": "m1"})
        assert first["replies"] == [{"text": "What is your name?"}]
        assert (first["version"], first["status"], first["id"]) == ("2.0.0", "active", "m1")
        second = await exchange(ws, {"text": "Alice"})
        assert second["replies"] == [{"text": "Hello, Alice, from the updated bot"}]
        assert second["conversation"] == first["conversation"] and second["status"] == "ended"
        assert "id" not in second


async def test_a_reconnecting_page_continues_the_same_conversation(gateway: Served) -> None:
    """The session belongs to the user id in the URL, not to the connection."""
    async with chat_socket(gateway) as ws:
        await exchange(ws, {"text": "hi"})
    async with chat_socket(gateway) as ws:
        assert (await exchange(ws, {"text": "Alice"}))["replies"] == [{"text": "Hello, Alice, from the updated bot"}]


async def test_a_resent_frame_id_runs_once(gateway: Served, redis: Redis) -> None:
    """A page resending a frame after a drop gets the first answer back, and nothing runs again."""
    async with chat_socket(gateway) as ws:
        first = await exchange(ws, {"text": "hi", "id": "m1"})
        before = await snapshot(redis)
        assert await exchange(ws, {"text": "hi", "id": "m1"}) == first
        assert await snapshot(redis) == before


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_request"),
        (b'{"text": "hi"}', "bad_request"),
        ("[1, 2]", "invalid"),
        ({"id": "m1"}, "invalid"),
        ({"text": 5}, "invalid"),
        ({"text": "hi", "id": 5}, "invalid"),
        ({"text": "x" * 4097}, "invalid"),
        ({"text": "x" * (64 * 1024)}, "too_large"),
    ],
    ids=[
        "not json",
        "binary",
        "not an object",
        "no text",
        "text not a string",
        "id not a string",
        "text too long",
        "frame over 64 KiB",
    ],
)
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_open(
    gateway: Served, redis: Redis, frame: dict[str, Any] | str | bytes, code: str
) -> None:
    """Each bad frame is answered with {"error"} and changes nothing; the next good frame is answered."""
    async with chat_socket(gateway) as ws:
        before = await snapshot(redis)
        error = (await exchange(ws, frame))["error"]
        assert error["code"] == code and error["message"]
        assert await snapshot(redis) == before
        assert (await exchange(ws, {"text": "hi"}))["replies"] == [{"text": "What is your name?"}]


async def test_an_unknown_bot_gets_a_not_found_frame_and_a_4404_close(gateway: Served) -> None:
    """The page learns the bot does not exist from the frame and the close code, and does not reconnect."""
    async with chat_socket(gateway, bot="nobody") as ws:
        assert json.loads(await ws.recv())["error"]["code"] == "not_found"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


async def test_a_socket_without_a_user_is_refused_with_a_policy_close(gateway: Served) -> None:
    """No ?user= gets an invalid frame naming the parameter and close code 1008."""
    async with chat_socket(gateway, query="") as ws:
        error = json.loads(await ws.recv())["error"]
        assert error["code"] == "invalid" and error["details"][0]["path"] == "user"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_a_busy_session_gets_an_unavailable_frame_with_retry_after_and_stays_open(
    gateway: Served, redis: Redis
) -> None:
    """While another process holds Alice's turn lock her frame is refused with retry_after; a retry then works."""
    async with chat_socket(gateway) as ws:
        await exchange(ws, {"text": "hi"})
        other_process = SessionStore(redis)
        async with other_process.turn(SessionKeys.of("greeter", "web", "alice"), None):
            busy = await exchange(ws, {"text": "Alice", "id": "m2"})
        assert busy["error"]["code"] == "unavailable" and busy["retry_after"] == 1 and busy["id"] == "m2"
        retried = await exchange(ws, {"text": "Alice", "id": "m2"})
        assert retried["replies"] == [{"text": "Hello, Alice, from the updated bot"}]


async def test_two_users_on_one_bot_have_separate_conversations(gateway: Served) -> None:
    """The user id in the URL keys the session."""
    async with chat_socket(gateway, query="?user=alice") as alice, chat_socket(gateway, query="?user=bob") as bob:
        a = await exchange(alice, {"text": "hi"})
        b = await exchange(bob, {"text": "hi"})
        assert a["conversation"] != b["conversation"]
