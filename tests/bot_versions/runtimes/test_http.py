"""The `http` runtime end to end: the gateway in front of real bot processes (the shipped Python and Node greeters,
and the test bot whose URL path picks a behaviour), on a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from middleware.routing import bucket, in_canary
from tests.admin.support import Admin
from tests.bot_versions.runtimes.support import (
    bot_error_text,
    chat,
    definition,
    exchange,
    pin,
    post,
    release,
    runtime_settings,
    store,
    texts,
    turn_events,
    web_chat,
)
from tests.clock import ManualClock
from tests.gateway.channels.servers import Served, serving_gateway
from tests.redis_servers import RedisServer, free_port
from tests.support import running_gateway, snapshot
from tests.upstream.fixtures import GREETER_SECRET, RunningBot
from tests.upstream.http_test_bot import BAD_JSON, HUGE_REPLIES, WRONG_SHAPES

GREETERS = ["python_greeter", "node_greeter"]


@pytest.fixture(params=GREETERS)
def greeter(request: pytest.FixtureRequest) -> RunningBot:
    """Each shipped example greeter, as a process of this session (checking GREETER_SECRET)."""
    bot: RunningBot = request.getfixturevalue(request.param)
    return bot


async def received(bot: RunningBot, conversation: str | None = None) -> list[dict[str, Any]]:
    """What the http test bot was sent (of one conversation if named)."""
    params = {"conversation": conversation} if conversation else {}
    async with httpx.AsyncClient() as client:
        found: list[dict[str, Any]] = (await client.get(bot.url + "/received", params=params)).json()
    return found


async def test_a_full_conversation_with_the_example_greeter(redis: Redis, greeter: RunningBot) -> None:
    """The greeter asks the name, greets with it from its own language, and ends the conversation."""
    async with running_gateway(redis, settings=runtime_settings(upstream_secret=GREETER_SECRET)) as gw:
        await release(Admin(gw.http), definition("hello", "3.0.0", "http", url=greeter.endpoint))
        first = await chat(gw.http, "hello", "ann", "hi")
        assert texts(first) == ["What is your name?"]
        assert (first["version"], first["status"]) == ("3.0.0", "active")
        second = await chat(gw.http, "hello", "ann", "Ann")
        assert texts(second) == [f"Hello, Ann, from the {greeter.label} greeter"]
        assert (second["conversation"], second["status"]) == (first["conversation"], "ended")
        third = await chat(gw.http, "hello", "ann", "hi again")
        assert texts(third) == ["What is your name?"] and third["conversation"] != first["conversation"]


async def test_the_bot_gets_null_state_first_then_exactly_the_state_it_returned(
    redis: Redis, http_test_bot: RunningBot
) -> None:
    """State round trip: null on the first message, then the bot's last state, with the documented headers and body."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        await release(Admin(gw.http), definition("echoes", "1.0.0", "http", url=http_test_bot.endpoint))
        first = await chat(gw.http, "echoes", "rt-user", "one")
        assert texts(await chat(gw.http, "echoes", "rt-user", "two")) == ["echo 2 from 1.0.0: two"]
        await post(gw.http, "echoes", "rt-user", "three", message_id="m-3")
        sent = await received(http_test_bot, first["conversation"])
    assert [entry["json"]["state"] for entry in sent] == [None, {"n": 1}, {"n": 2}]
    assert sent[2]["json"] == {
        "event": "message",
        "bot": "echoes",
        "version": "1.0.0",
        "conversation": first["conversation"],
        "user": "rt-user",
        "channel": "rest",
        "space": None,
        "message": {"id": "m-3", "text": "three"},
        "state": {"n": 2},
    }
    headers = sent[2]["headers"]
    assert (headers["x-botgate-bot"], headers["x-botgate-version"]) == ("echoes", "1.0.0")
    assert headers["content-type"] == "application/json" and "x-botgate-signature" not in headers


async def test_a_gateway_with_the_wrong_secret_is_refused_by_the_bot_and_the_user_gets_bot_error(
    redis: Redis, greeter: RunningBot
) -> None:
    """The bot checks X-Botgate-Signature: a wrong secret, or none, is a 401 from the bot and a 502 bot_error."""
    for secret in ("not-the-greeters-secret", None):
        async with running_gateway(redis, settings=runtime_settings(upstream_secret=secret)) as gw:
            await release(Admin(gw.http), definition("hello", "3.0.0", "http", url=greeter.endpoint))
            before = await snapshot(redis)
            with capture_logs() as logs:
                r = await post(gw.http, "hello", "mallory", "hi")
            assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
            assert "401" in r.json()["error"]["message"]
            assert [e["reason"] for e in turn_events(logs)] == ["status"]
            assert await snapshot(redis) == before


@pytest.mark.parametrize("runtime", ["http", "activity", "rasa"])
async def test_storing_a_version_whose_host_is_not_allowed_is_422_with_its_path_and_stores_nothing(
    redis: Redis, runtime: str
) -> None:
    """A URL outside BOTGATE_UPSTREAM_HOSTS (another host, or an allowed host on another port) is refused at store."""
    allowed = frozenset({"127.0.0.1:9001"})
    async with running_gateway(redis, settings=runtime_settings(upstream_hosts=allowed)) as gw:
        admin = Admin(gw.http)
        before = await snapshot(redis)
        refused = ("http://bots.example/turn", "http://127.0.0.1:9002/turn", "http://localhost:9001/turn")
        for url in (*refused, "http://127.0.0.1:9001/turn\x00"):
            r = await admin.store(definition("shop", "1.0.0", runtime, url=url))
            assert r.status_code == 422, r.text
            assert [problem["path"] for problem in r.json()["error"]["details"]] == [f"{runtime}.url"]
            assert url not in refused or "BOTGATE_UPSTREAM_HOSTS" in r.json()["error"]["details"][0]["message"]
        assert (await admin.call("GET", "/bots/shop/versions/1.0.0")).status_code == 404
        assert await snapshot(redis) == before
        r = await admin.store(definition("shop", "1.0.0", runtime, url="http://127.0.0.1:9001/turn"))
        assert r.status_code == 201, r.text


async def test_a_user_mid_conversation_stays_on_3_0_0_after_3_1_0_is_published(
    redis: Redis, python_greeter: RunningBot, node_greeter: RunningBot
) -> None:
    """Pinning: Ann, asked her name by 3.0.0 (Python), is greeted by it after 3.1.0 (Node) is out; Bob gets 3.1.0."""
    async with running_gateway(redis, settings=runtime_settings(upstream_secret=GREETER_SECRET)) as gw:
        admin = Admin(gw.http)
        await release(admin, definition("hello", "3.0.0", "http", url=python_greeter.endpoint))
        asked = await chat(gw.http, "hello", "ann", "hi")
        assert (texts(asked), asked["version"]) == (["What is your name?"], "3.0.0")

        await release(admin, definition("hello", "3.1.0", "http", url=node_greeter.endpoint))

        bob = await chat(gw.http, "hello", "bob", "hi")
        assert bob["version"] == "3.1.0"
        greeted = await chat(gw.http, "hello", "ann", "Ann")
        assert texts(greeted) == ["Hello, Ann, from the Python greeter"]
        assert (greeted["version"], greeted["conversation"], greeted["status"]) == (
            "3.0.0",
            asked["conversation"],
            "ended",
        )
        assert texts(await chat(gw.http, "hello", "bob", "Bob")) == ["Hello, Bob, from the Node greeter"]
        again = await chat(gw.http, "hello", "ann", "hi")
        assert again["version"] == "3.1.0"


async def test_a_canary_and_pins_route_http_versions_as_any_other(
    redis: Redis, python_greeter: RunningBot, node_greeter: RunningBot
) -> None:
    """Users in the canary's buckets get the canary's bot, the rest stable's; a pin (even to a draft) wins."""
    users = [f"user-{n}" for n in range(24)]
    async with running_gateway(redis, settings=runtime_settings(upstream_secret=GREETER_SECRET)) as gw:
        admin = Admin(gw.http)
        await release(admin, definition("hello", "3.0.0", "http", url=python_greeter.endpoint))
        await release(admin, definition("hello", "3.1.0", "http", url=node_greeter.endpoint))
        await store(admin, definition("hello", "3.2.0rc1", "http", url=node_greeter.endpoint))
        await admin.rollout("hello", "3.0.0", "3.1.0", 50)
        await pin(admin, "hello", "pinned", "3.2.0rc1")
        expected = {user: "3.1.0" if in_canary(bucket("hello", user), 50) else "3.0.0" for user in users}
        assert set(expected.values()) == {"3.0.0", "3.1.0"}  # the sample has users on both sides
        for user in users:
            await chat(gw.http, "hello", user, "hi")
            greeted = await chat(gw.http, "hello", user, user)
            language = "Node" if expected[user] == "3.1.0" else "Python"
            assert (greeted["version"], texts(greeted)) == (
                expected[user],
                [f"Hello, {user}, from the {language} greeter"],
            )
        assert (await chat(gw.http, "hello", "pinned", "hi"))["version"] == "3.2.0rc1"
        await admin.rollout("hello", "3.0.0", "3.1.0", 0)
        assert {(await chat(gw.http, "hello", user, "hi"))["version"] for user in users} == {"3.0.0"}


async def test_continue_yes_after_an_idle_ask_repeats_the_last_replies_without_calling_the_bot(
    redis: Redis, http_test_bot: RunningBot, clock: ManualClock
) -> None:
    """After "continue? yes" the last replies come from the session: the bot gets no request for it."""
    async with running_gateway(redis, clock, runtime_settings()) as gw:
        document = {
            **definition("echoes", "1.0.0", "http", url=http_test_bot.endpoint),
            "idle": {"after": 60, "policy": "ask"},
        }
        await release(Admin(gw.http), document)
        first = await chat(gw.http, "echoes", "idle-user", "hello")
        assert texts(first) == ["echo 1 from 1.0.0: hello"]
        clock.advance(61)
        asked = await chat(gw.http, "echoes", "idle-user", "are you there?")
        assert asked["status"] == "confirming" and "ontinue" in texts(asked)[0]
        again = await chat(gw.http, "echoes", "idle-user", "yes")
        assert (texts(again), again["status"]) == (["echo 1 from 1.0.0: hello"], "active")
        assert len(await received(http_test_bot, first["conversation"])) == 1
        assert texts(await chat(gw.http, "echoes", "idle-user", "next")) == ["echo 2 from 1.0.0: next"]


@dataclass(frozen=True)
class Failure:
    """One way an http bot fails a turn: the URL path (None: nothing listens) and the reason logged."""

    name: str
    path: str | None
    reason: str


FAILURES = [
    Failure("refused", None, "refused"),
    Failure("timeout", "/timeout", "timeout"),
    Failure("500", "/status/500", "status"),
    Failure("404", "/status/404", "status"),
    Failure("204", "/status/204", "not_json"),
    *(Failure(f"not-json-{v}", f"/not-json/{v}", "not_json") for v in BAD_JSON),
    *(Failure(f"wrong-shape-{v}", f"/wrong-shape/{v}", "shape") for v in WRONG_SHAPES),
    Failure("big-state", "/big-state", "state_too_big"),
    *(Failure(f"huge-reply-{v}", f"/huge-reply/{v}", "reply_too_large") for v in HUGE_REPLIES),
]


@pytest.fixture
def served(redis: Redis, redis_server: RedisServer) -> Iterator[Served]:
    """The gateway under uvicorn (for web chat's WebSocket) on this test's emptied redis-server."""
    with serving_gateway(runtime_settings(redis_url=redis_server.url)) as (server, _):
        yield server


@pytest.mark.parametrize("failure", FAILURES, ids=[f.name for f in FAILURES])
async def test_a_failed_turn_changes_nothing_answers_bot_error_and_logs_its_reason(
    redis: Redis, served: Served, http_test_bot: RunningBot, failure: Failure
) -> None:
    """REST answers 502 bot_error, web chat the version's bot_error text, the turn is logged with its reason, and
    Redis is byte-for-byte as before the message."""
    url = f"http://127.0.0.1:{free_port()}/turn" if failure.path is None else http_test_bot.url + failure.path
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        admin = Admin(http)
        await release(admin, definition("shop", "1.0.0", "http", url=http_test_bot.endpoint))
        # Alice had a conversation on each channel, ended; her next one starts on the failing draft she is pinned to.
        assert (await chat(http, "shop", "alice", "bye"))["status"] == "ended"
        async with web_chat(served.url, "shop", "alice") as ws:
            assert (await exchange(ws, "bye"))["status"] == "ended"
        await store(admin, definition("shop", "2.0.0", "http", url=url, timeout=0.5))
        await pin(admin, "shop", "alice", "2.0.0")
        before = await snapshot(redis)
        with capture_logs() as logs:
            r = await post(http, "shop", "alice", "my card is 4242", message_id="m-1")
            async with web_chat(served.url, "shop", "alice") as ws:
                frame = await exchange(ws, "my card is 4242")
        assert await snapshot(redis) == before
    assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
    assert texts(frame) == [bot_error_text("shop", "2.0.0")]
    events = turn_events(logs, "shop")
    assert [(e["channel"], e["outcome"], e["reason"], e["saved"]) for e in events] == [
        ("rest", "bot_error", failure.reason, False),
        ("web", "bot_error", failure.reason, False),
    ]
    assert "4242" not in repr(logs)  # the user's text is never logged (BOTGATE_LOG_TEXT is off)


async def test_a_retry_of_the_same_message_id_after_a_failure_runs_the_turn_again(
    redis: Redis, http_test_bot: RunningBot
) -> None:
    """Nothing is recorded for a failed message's id: sent again, it reaches the bot again, and once the bot works it
    is answered."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        admin = Admin(gw.http)
        await release(admin, definition("shop", "1.0.0", "http", url=http_test_bot.endpoint))
        await store(admin, definition("shop", "2.0.0", "http", url=http_test_bot.url + "/status/500"))
        await pin(admin, "shop", "retrier", "2.0.0")
        for _ in range(2):
            r = await post(gw.http, "shop", "retrier", "hi", message_id="m-retry")
            assert r.status_code == 502, r.text
        tries = [e for e in await received(http_test_bot) if (e["json"] or {}).get("user") == "retrier"]
        assert [(e["path"], e["json"]["message"]["id"]) for e in tries] == [("/status/500", "m-retry")] * 2
        await admin.ok("DELETE", "/bots/shop/pins/retrier")
        r = await post(gw.http, "shop", "retrier", "hi", message_id="m-retry")
        assert r.status_code == 200 and texts(r.json()) == ["echo 1 from 1.0.0: hi"], r.text
        again = await post(gw.http, "shop", "retrier", "hi", message_id="m-retry")
        assert again.json() == r.json()  # now it was answered, a repeat gets the same answer
