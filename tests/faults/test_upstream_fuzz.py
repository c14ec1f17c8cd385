"""Whatever an `http` bot answers: never a 500, and the conversation changes only when the answer keeps the contract
(then the bot gets back exactly the state it returned). The bot is an in-process transport answering the generated
bytes; the gateway and its redis-server are real."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot_versions.safe_json import JsonRefused, loads
from tests.admin.support import Admin
from tests.bot_versions.runtimes.support import definition, post, release, runtime_settings
from tests.support import Gateway, running_gateway, snapshot

MAX_ANSWER_BYTES = 256 * 1024
MAX_STATE_BYTES = 16 * 1024
# Examples share one gateway and one conversation (what a long-running gateway does with them), hence the check.
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

characters = st.characters(codec=None, exclude_categories=())  # every code point, lone surrogates included
texts = st.text(characters, max_size=30) | st.integers(8180, 8200).map(lambda n: "é" * n)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(characters, max_size=10)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
)
choices = st.lists(st.text(max_size=10) | st.integers(250, 260).map(lambda n: "c" * n), max_size=4)
replies = st.fixed_dictionaries({"text": texts}, optional={"choices": choices, "extra": json_values})
states = st.dictionaries(st.text(max_size=6), json_values, max_size=4) | st.integers(16_370, 16_400).map(
    lambda n: {"blob": "x" * (n - len('{"blob":""}'))}
)
answers = st.fixed_dictionaries(
    {"replies": st.lists(replies, max_size=5)},
    optional={"state": states, "done": st.booleans(), "unknown": json_values},
)


def break_one(answer: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """The answer with one of its keys set to another value (often of the wrong type)."""
    return {**answer, key: value}


broken = st.builds(break_one, answers, st.sampled_from(["replies", "state", "done"]), json_values)
bodies = (
    answers.map(lambda a: json.dumps(a).encode())
    | broken.map(lambda a: json.dumps(a).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=100)
    | st.integers(MAX_ANSWER_BYTES - 40, MAX_ANSWER_BYTES + 40).map(
        lambda n: b'{"replies": [], "state": {"blob": "' + b"x" * n + b'"}}'
    )
)
statuses = st.sampled_from([200, 200, 200, 201, 204, 301, 400, 409, 500, 503])


def keeps_the_contract(status: int, body: bytes) -> bool:
    """Whether a bot's answer keeps docs/runtimes.md's contract (the JSON text as the gateway's one parser reads it)."""
    if not 200 <= status < 300 or len(body) > MAX_ANSWER_BYTES:
        return False
    try:
        data = loads(body)
    except JsonRefused:
        return False
    if not isinstance(data, dict) or not isinstance(data.get("replies"), list):
        return False
    state, done = data.get("state", {}), data.get("done", False)
    if not isinstance(state, dict) or not isinstance(done, bool):
        return False
    if len(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_STATE_BYTES:
        return False
    return replies_keep_the_limits(data["replies"])


def replies_keep_the_limits(replies: list[Any]) -> bool:
    """Texts with lists of text choices, within every reply limit."""
    if len(replies) > 50:
        return False
    total = 0
    for reply in replies:
        if not isinstance(reply, dict) or not isinstance(reply.get("text"), str):
            return False
        offered = reply.get("choices", [])
        if not isinstance(offered, list) or not all(isinstance(choice, str) for choice in offered):
            return False
        if len(reply["text"]) > 8192 or len(offered) > 50 or any(len(choice) > 256 for choice in offered):
            return False
        total += len(reply["text"]) + sum(len(choice) for choice in offered)
    return total <= 32768


@dataclass
class ScriptedBot:
    """Answers every turn with `status` and `body`; remembers the state each turn was sent."""

    status: int = 200
    body: bytes = b""
    sent_states: list[Any] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent_states.append(json.loads(request.content)["state"])
        return httpx.Response(self.status, content=self.body, headers={"Content-Type": "application/json"})


@dataclass
class Fuzzed:
    gateway: Gateway
    bot: ScriptedBot
    expected_state: Any = None  # what the bot should be sent next: its last accepted state, or null


@pytest.fixture
async def fuzzed(redis: Redis) -> AsyncIterator[Fuzzed]:
    """A gateway whose http version `fuzzed 1.0.0` is the scripted bot."""
    bot = ScriptedBot()
    client = httpx.AsyncClient(transport=httpx.MockTransport(bot.handle))
    async with client, running_gateway(redis, settings=runtime_settings(), upstream_client=client) as gw:
        await release(Admin(gw.http), definition("fuzzed", "1.0.0", "http", url="http://127.0.0.1:9/turn"))
        yield Fuzzed(gw, bot)


@FUZZ
@given(status=statuses, body=bodies)
async def test_any_answer_is_a_turn_or_a_bot_error_that_changes_nothing(
    fuzzed: Fuzzed, redis: Redis, status: int, body: bytes
) -> None:
    """200 with the bot's replies when the answer keeps the contract, else 502 bot_error with Redis byte-for-byte as
    before; the bot is always sent the state it last returned (null once a conversation is done)."""
    fuzzed.bot.status, fuzzed.bot.body = status, body
    valid = keeps_the_contract(status, body)
    event("valid" if valid else "invalid")
    before = await snapshot(redis)
    r = await post(fuzzed.gateway.http, "fuzzed", "fuzz", "hi")
    assert fuzzed.bot.sent_states[-1] == fuzzed.expected_state
    if not valid:
        assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
        assert await snapshot(redis) == before
        return
    assert r.status_code == 200, r.text
    answer = loads(body)
    assert r.json()["replies"] == [
        {"text": reply["text"], **({"choices": reply["choices"]} if reply.get("choices") else {})}
        for reply in answer["replies"]
    ]
    assert r.json()["status"] == ("ended" if answer.get("done") else "active")
    assert await snapshot(redis) != before
    fuzzed.expected_state = None if answer.get("done") else answer.get("state", {})
