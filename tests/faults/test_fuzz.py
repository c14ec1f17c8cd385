"""Whatever a client sends: never a 500, never an exception escaping, and other users' sessions untouched."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot_versions.errors import Invalid
from bot_versions.validation import load_version, validate
from gateway.settings import Settings
from middleware.keys import SessionKeys
from tests.support import Gateway, running_gateway

GUARDED = SessionKeys.of("greeter", "rest", "guardian")
# Examples share one gateway (the point is what a long-running gateway does with them), hence the fixture check.
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)
# Every code point: control characters, combining marks, emoji, and lone surrogates (JSON can spell them).
characters = st.characters(codec=None, exclude_categories=())
any_text = st.text(characters, max_size=40)
long_text = st.integers(4000, 5000).map(lambda n: "é" * n)
field_values = any_text | long_text | json_values
messages = st.fixed_dictionaries(
    {}, optional={name: field_values for name in ("user", "text", "id", "space")} | {"extra": json_values}
)
users = st.text(characters, min_size=1, max_size=12).filter(lambda u: u != "guardian")
plausible = st.fixed_dictionaries({"user": users, "text": any_text | long_text}, optional={"id": users, "space": users})
bodies = (
    plausible.map(lambda m: json.dumps(m, ensure_ascii=False).encode(errors="surrogatepass"))
    | messages.map(lambda m: json.dumps(m).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.integers(64 * 1024 - 100, 70 * 1024).map(lambda n: b'{"user": "u", "text": "' + b"x" * n + b'"}')
)


@pytest.fixture
async def gateway(redis: Redis) -> AsyncIterator[Gateway]:
    """A gateway in which the guardian is mid-conversation with greeter."""
    async with running_gateway(redis) as gw:
        await gw.chat("greeter", "guardian").send("hi")
        yield gw


async def guarded(redis: Redis) -> dict[bytes, bytes]:
    return await redis.hgetall(GUARDED.session)


@FUZZ
@given(bot=st.sampled_from(["greeter", "echo", "zipcode", "nobody"]), body=bodies)
async def test_any_chat_body_gets_an_answer_or_a_json_error(
    gateway: Gateway, redis: Redis, bot: str, body: bytes
) -> None:
    """200, or 400/404/413/422 with a JSON error; the guardian's session is unchanged."""
    before = await guarded(redis)
    r = await gateway.http.post(f"/v1/bots/{bot}/messages", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (200, 400, 404, 413, 422), r.text
    event(f"status {r.status_code}")
    if r.status_code != 200:
        error: dict[str, Any] = r.json()["error"]
        assert error["code"] and error["message"]
    assert await guarded(redis) == before


definitions = (
    st.fixed_dictionaries(
        {},
        optional={
            "bot": any_text | json_values,
            "version": st.sampled_from(["1.0.0", "2.1.0rc1", "v1", ""]) | json_values,
            "runtime": st.sampled_from(["flow", "python"]) | json_values,
            "reply": any_text | json_values,
            "start": st.sampled_from(["a", "b"]) | json_values,
            "idle": st.fixed_dictionaries({}, optional={"after": json_values, "policy": json_values}) | json_values,
            "messages": st.dictionaries(st.sampled_from(["idle_reset", "idle_ask", "nope"]), json_values) | json_values,
            "steps": st.dictionaries(
                st.sampled_from(["a", "b", "c"]),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "say": any_text,
                        "ask": any_text,
                        "next": st.sampled_from(["a", "b", "c", "z"]) | json_values,
                        "expect": st.sampled_from(["text", "number", "boolean", "choice", "date"]) | json_values,
                        "choices": json_values,
                        "branch": json_values,
                        "call": json_values,
                        "save": any_text | json_values,
                    },
                )
                | json_values,
            )
            | json_values,
        },
    )
    | json_values
)


@FUZZ
@given(document=definitions)
def test_any_definition_is_either_loaded_or_refused_with_its_problems(document: Any) -> None:
    """validate() lists problems (each with a path) or none; load_version agrees and raises only Invalid."""
    problems = validate(document)
    assert all(isinstance(p.path, str) and p.message for p in problems)
    try:
        load_version(document)
    except Invalid as exc:
        assert problems and exc.details
    else:
        assert not problems


ADMIN_TOKEN = "rw-fuzz-token-0123456789"
yaml_edges = st.sampled_from([
    "bot: fuzzbot\nversion: 1.0.0\nreply: 2020-01-01",
    "bot: fuzzbot\nversion: 2020-01-01\nreply: hi",
    "bot: fuzzbot\nversion: 1.0.0\nreply: !!binary aGk=",
    "bot: fuzzbot\nversion: 1.0.0\nreply: &a [*a]",
    "bot: fuzzbot\nversion: 1.0.0\nreply: .nan",
    "- just\n- a list",
    "{{{",
    "bot: fuzzbot\nversion: 1.0.0\nreply: !!python/object:os.system {}",
])  # fmt: skip
plausible_definitions = st.fixed_dictionaries(
    {"bot": st.just("fuzzbot"), "version": st.sampled_from(["1.0.0", "1.0.1", "2.0.0rc1"]), "reply": any_text}
)


@pytest.fixture
async def admin_gateway(redis: Redis) -> AsyncIterator[Gateway]:
    """A gateway with an admin token, in which the guardian is mid-conversation with greeter."""
    async with running_gateway(redis, settings=Settings(redis_url="redis://t", admin_tokens=(ADMIN_TOKEN,))) as gw:
        await gw.chat("greeter", "guardian").send("hi")
        yield gw


@FUZZ
@given(
    version=st.sampled_from(["1.0.0", "1.0.1", "2.0.0rc1", "not-a-version"]),
    body=(plausible_definitions | definitions).map(lambda d: ("application/json", json.dumps(d).encode()))
    | (yaml_edges | any_text).map(lambda t: ("application/yaml", t.encode(errors="surrogatepass"))),
)
async def test_any_definition_put_through_the_admin_api_gets_an_answer_or_a_json_error(
    admin_gateway: Gateway, redis: Redis, version: str, body: tuple[str, bytes]
) -> None:
    """201/200 when stored, else 400/404/409/413/415/422 with a JSON error; never 500; the guardian is untouched."""
    before = await guarded(redis)
    content_type, content = body
    r = await admin_gateway.http.put(
        f"/admin/v1/bots/fuzzbot/versions/{version}",
        content=content,
        headers={"content-type": content_type, "authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert r.status_code in (200, 201, 400, 404, 409, 413, 415, 422), r.text
    event(f"status {r.status_code}")
    if r.status_code >= 400:
        assert r.json()["error"]["code"]
    assert await guarded(redis) == before


@pytest.mark.parametrize("field", ["user", "text", "id", "space"])
async def test_a_lone_surrogate_in_any_field_is_refused_with_422(gateway: Gateway, field: str) -> None:
    """JSON may spell `\\ud800`, which no store or log can carry: it is refused before the session's keys are built."""
    message = {"user": "u", "text": "hi", field: "a\ud800"}
    r = await gateway.http.post("/v1/bots/greeter/messages", content=json.dumps(message).encode(),
                                headers={"content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422
    assert [d["path"] for d in r.json()["error"]["details"]] == [field]
