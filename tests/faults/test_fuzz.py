"""Whatever a client sends: never a 500, never an exception escaping, and other users' sessions untouched."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from starlette.types import Message

from admin.rollout import parse_rollout
from bot_versions.errors import Invalid
from bot_versions.model import Status
from bot_versions.state import BotState, VersionMeta
from bot_versions.validation import load_version, validate
from gateway.settings import Settings
from middleware.keys import SessionKeys
from tests.support import Gateway, running_gateway, snapshot

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


@pytest.mark.parametrize("field", ["user", "text", "id", "space", "extra"])
async def test_a_lone_surrogate_in_any_field_is_refused_with_400(gateway: Gateway, redis: Redis, field: str) -> None:
    """JSON may spell `\\ud800`, which no store or log can carry: the parser refuses the body, whatever field."""
    message = {"user": "u", "text": "hi", field: "a\ud800"}
    before = await snapshot(redis)
    r = await gateway.http.post("/v1/bots/greeter/messages", content=json.dumps(message).encode(),
                                headers={"content-type": "application/json"})  # fmt: skip
    assert r.status_code == 400 and "lone surrogates" in r.json()["error"]["message"]
    assert await snapshot(redis) == before


# --- JSON that Python's parser chokes on, or lets through to break later, on every JSON route ---

HOLE = "\x00hole"  # marks where a hostile literal goes in a dumped body
surrogate_escapes = st.integers(0xD800, 0xDFFF).map(lambda c: f"\\u{c:04x}")
hostile_literals = st.one_of(
    st.integers(101, 6000).map(lambda n: "-" * (n % 2) + "9" * n),  # past 4300 digits json.loads raises ValueError
    st.integers(65, 20_000).map(lambda n: "[" * n + "]" * n),  # deep enough for a RecursionError
    st.integers(65, 4000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.sampled_from(["1e400", "-1E999", "9" * 400 + ".5", "NaN", "-Infinity"]),  # not finite as a float
    surrogate_escapes.map(lambda s: f'"a{s}b"'),  # a lone surrogate in a string...
    surrogate_escapes.map(lambda s: f'{{"{s}": 1}}'),  # ...or in a key
)
WIDE_ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]


def put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `body` with `value` at `path` (objects on the way made or replaced)."""
    out = dict(body)
    head, *rest = path
    inner = out.get(head)
    out[head] = put(inner if isinstance(inner, dict) else {}, tuple(rest), value) if rest else value
    return out


@dataclass(frozen=True)
class JsonRoute:
    """A route that reads a JSON body: plausible bodies for it, and where a hostile value may sit in one."""

    name: str
    method: str
    path: str
    plausible: st.SearchStrategy[dict[str, Any]]
    holes: tuple[tuple[str, ...], ...]

    def placed(self) -> st.SearchStrategy[str]:
        """Plausible bodies with a hostile literal in one place."""
        return st.builds(
            lambda body, path, literal: json.dumps(put(body, path, HOLE)).replace(json.dumps(HOLE), literal),
            self.plausible,
            st.sampled_from(self.holes),
            hostile_literals,
        )

    def hostile(self) -> st.SearchStrategy[bytes]:
        """Plausible bodies with a hostile literal in one place, or in UTF-16/UTF-32."""
        wide = st.builds(
            lambda body, encoding: json.dumps(body).encode(encoding), self.plausible, st.sampled_from(WIDE_ENCODINGS)
        )
        return self.placed().map(str.encode) | wide

    def other(self) -> st.SearchStrategy[bytes]:
        """Plausible bodies with any JSON value in one place, any JSON value, any bytes."""
        mutated = st.builds(put, self.plausible, st.sampled_from(self.holes), json_values)
        return (self.plausible | mutated | json_values).map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200)


versions = st.sampled_from(["1.0.0", "2.0.0", "3.0.0"])
JSON_ROUTES = [
    JsonRoute(
        "rest",
        "POST",
        "/v1/bots/greeter/messages",
        st.fixed_dictionaries({"user": users, "text": any_text}, optional={"id": users, "space": users}),
        (("user",), ("text",), ("id",), ("space",), ("extra",), ("extra", "inner")),
    ),
    JsonRoute(
        "botframework",
        "POST",
        "/v1/bots/greeter/activities",
        st.fixed_dictionaries(
            {
                "type": st.just("message"),
                "id": users,
                "channelId": st.just("emulator"),
                "deliveryMode": st.just("expectReplies"),
                "from": st.fixed_dictionaries({"id": users}),
                "recipient": st.fixed_dictionaries({"id": st.just("bot")}),
                "conversation": st.fixed_dictionaries({"id": users}),
                "text": any_text,
            }
        ),
        (
            ("text",),
            ("id",),
            ("channelId",),
            ("from", "id"),
            ("from", "name"),
            ("recipient", "id"),
            ("conversation", "id"),
            ("conversation", "isGroup"),
            ("channelData",),
            ("serviceUrl",),
        ),
    ),
    JsonRoute(
        "definition",
        "PUT",
        "/admin/v1/bots/fuzzbot/versions/1.0.0",
        plausible_definitions.map(lambda d: {**d, "version": "1.0.0"}),
        (("reply",), ("bot",), ("idle", "after"), ("messages", "idle_ask"), ("steps",), ("extra",)),
    ),
    JsonRoute(
        "rollout",
        "PUT",
        "/admin/v1/bots/greeter/rollout",
        st.fixed_dictionaries(
            {
                "stable": st.none() | versions,
                "canary": st.none() | st.fixed_dictionaries({"version": versions, "percent": st.integers(0, 100)}),
            }
        ),
        (("stable",), ("canary",), ("canary", "version"), ("canary", "percent")),
    ),
    JsonRoute(
        "pin",
        "PUT",
        "/admin/v1/bots/greeter/pins/fuzz-user",
        st.fixed_dictionaries({"version": versions}),
        (("version",), ("extra",)),
    ),
    JsonRoute(
        "unpublish",
        "POST",
        "/admin/v1/bots/greeter/versions/1.0.0/unpublish",
        st.fixed_dictionaries({}, optional={"in_flight": st.sampled_from(["drain", "reset"])}),
        (("in_flight",), ("extra",)),
    ),
]


def tagged(route: JsonRoute) -> st.SearchStrategy[tuple[bool, bytes]]:
    """(hostile?, body): hostile bodies must be refused with 400, the others may get any answer but a 500."""
    return route.hostile().map(lambda b: (True, b)) | route.other().map(lambda b: (False, b))


@pytest.mark.parametrize("route", JSON_ROUTES, ids=lambda route: route.name)
@settings(FUZZ, max_examples=120)
@given(data=st.data())
async def test_every_json_route_refuses_hostile_json_with_400_and_never_answers_500(
    admin_gateway: Gateway, redis: Redis, route: JsonRoute, data: st.DataObject
) -> None:
    """Hostile JSON (long integers, deep nesting, lone surrogates, overflowing numbers, UTF-16/32) is a 400 that
    changes nothing; any other body gets an answer or a JSON error, never a 500, and a refusal changes nothing."""
    hostile, content = data.draw(tagged(route), label="body")
    before = await snapshot(redis)
    r = await admin_gateway.http.request(
        route.method,
        route.path,
        content=content,
        headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    event(f"{'hostile' if hostile else 'other'}: status {r.status_code}")
    assert r.status_code in (200, 201, 400, 404, 409, 413, 422), r.text
    if r.status_code >= 400:
        error: dict[str, Any] = r.json()["error"]
        assert error["code"] and error["message"]
        assert await snapshot(redis) == before
    if hostile:
        assert (r.status_code, r.json()["error"]["code"]) == (400, "bad_request"), r.text


WEB_FRAMES = JsonRoute(
    "web chat",
    "WS",
    "/v1/bots/greeter/ws",
    st.fixed_dictionaries({"text": any_text}, optional={"id": users}),
    (("text",), ("id",), ("extra",), ("extra", "inner")),
)


async def websocket_answers(gw: Gateway, path: str, query: str, frames: list[str]) -> list[dict[str, Any]]:
    """Drive the app's WebSocket route in process: connect, send each text frame, disconnect; the frames sent back,
    each encoded as UTF-8 the way the server would (a frame that cannot be encoded would cost the connection)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    for frame in frames:
        inbox.put_nowait({"type": "websocket.receive", "text": frame})
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": ("gateway.test", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"gateway.test")],
        "subprotocols": [],
    }
    await gw.app(scope, inbox.get, send)
    return [json.loads(m["text"].encode("utf-8")) for m in sent if m["type"] == "websocket.send"]


@settings(FUZZ, max_examples=150)
@given(
    frame=WEB_FRAMES.placed().map(lambda f: (True, f))
    | WEB_FRAMES.other().map(lambda b: (False, b.decode("utf-8", "replace")))
)
async def test_every_web_chat_frame_gets_an_answer_or_an_error_frame_and_hostile_json_a_bad_request(
    gateway: Gateway, redis: Redis, frame: tuple[bool, str]
) -> None:
    """Each frame is answered with one encodable frame, never the `internal` error; hostile JSON is `bad_request`
    and changes nothing."""
    hostile, text = frame
    before = await snapshot(redis)
    [answer] = await websocket_answers(gateway, "/v1/bots/greeter/ws", "user=fuzz-web", [text])
    error = answer.get("error")
    event(f"{'hostile' if hostile else 'other'}: {error['code'] if error else 'answered'}")
    if error is not None:
        assert error["code"] != "internal" and error["message"]
        assert await snapshot(redis) == before
    if hostile:
        assert error is not None and error["code"] == "bad_request", answer


def canaries(value: Any) -> Any:
    """A rollout body with `value` as the canary percent."""
    return {"stable": None, "canary": {"version": "2.0.0", "percent": value}}


@settings(max_examples=200, deadline=None)
@given(
    body=st.one_of(
        json_values,
        json_values.map(canaries),
        st.integers(-(10**500), 10**500).map(canaries),
        st.integers(300, 5000).map(lambda n: canaries(10**n)),
        st.floats().map(canaries),
    )
)
def test_any_rollout_body_is_a_rollout_or_invalid(body: Any) -> None:
    """parse_rollout raises only Invalid, whatever the percent (integers past a float's range included)."""
    state = BotState("greeter", {"2.0.0": VersionMeta(Status.PUBLISHED, 0, "d")})
    try:
        parse_rollout(body, state)
    except Invalid as exc:
        assert exc.details
        json.dumps(exc.details).encode("utf-8")
