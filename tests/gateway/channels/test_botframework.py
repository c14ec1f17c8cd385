"""The Bot Framework channel without auth (as the Emulator uses it): activities in, reply activities out."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot_versions.errors import Invalid
from gateway.channels.botframework import BotFramework, reply_envelope
from gateway.channels.botframework_connector import Connector
from tests.gateway.channels.servers import Recorder, Served, serving
from tests.gateway.channels.test_botframework_connector import assert_goes_where_it_says, ids, service_urls
from tests.support import Gateway, running_gateway, snapshot

URL = "/v1/bots/{bot}/activities"


def message(
    text: str,
    activity_id: str,
    user: str = "alice",
    conversation: str = "conv-1",
    group: bool = False,
    service_url: str | None = None,
) -> dict[str, Any]:
    """A message activity as a Bot Framework channel sends it; without a serviceUrl it asks for expectReplies."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id,
        "channelId": "emulator",
        "from": {"id": user, "name": user.title()},
        "recipient": {"id": "bot-app", "name": "greeter"},
        "conversation": {"id": conversation, "isGroup": group},
        "text": text,
        "timestamp": "2026-01-01T12:00:00.000Z",
    }
    if service_url is None:
        activity["deliveryMode"] = "expectReplies"
    else:
        activity["serviceUrl"] = service_url
    return activity


async def replies(gw: Gateway, activity: dict[str, Any], bot: str = "greeter") -> list[dict[str, Any]]:
    """POST an expectReplies activity and return the reply activities from the body."""
    r = await gw.http.post(URL.format(bot=bot), json=activity)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["activities"]
    return found


@pytest.fixture
def connector() -> Iterator[tuple[Served, Recorder]]:
    """A fake Bot Framework connector on 127.0.0.1 that records the replies posted to it."""
    recorder = Recorder()
    with serving(recorder.app()) as served:
        yield served, recorder


async def test_expect_replies_returns_reply_activities_in_the_body(redis: Redis) -> None:
    """The replies come back as message activities addressed to the sender, in reply to its activity."""
    async with running_gateway(redis) as gw:
        r = await gw.http.post(URL.format(bot="greeter"), json=message("hi", "a1"))
        assert r.status_code == 200 and r.headers["X-Bot-Version"] == "2.0.0"
        assert r.json() == {
            "activities": [
                {
                    "type": "message",
                    "from": {"id": "bot-app", "name": "greeter"},
                    "recipient": {"id": "alice", "name": "Alice"},
                    "conversation": {"id": "conv-1", "isGroup": False},
                    "replyToId": "a1",
                    "text": "What is your name?",
                    "channelId": "emulator",
                }
            ]
        }
        assert [a["text"] for a in await replies(gw, message("Alice", "a2"))] == ["Hello, Alice, from the updated bot"]


async def test_choices_become_im_back_suggested_actions(redis: Redis) -> None:
    """zipcode's state question carries one imBack button per choice; sending a label answers it."""
    async with running_gateway(redis) as gw:
        await replies(gw, message("hi", "a1"), bot="zipcode")
        [question] = await replies(gw, message("no", "a2"), bot="zipcode")
        assert question["text"] == "Which state are you in?"
        labels = ["California", "New York", "Texas", "Another state"]
        assert question["suggestedActions"] == {
            "actions": [{"type": "imBack", "title": label, "value": label} for label in labels]
        }
        assert [a["text"] for a in await replies(gw, message("New York", "a3"), bot="zipcode")] == [
            "Which town in New York?"
        ]


async def test_without_expect_replies_the_replies_are_posted_to_the_service_url(
    redis: Redis, connector: tuple[Served, Recorder]
) -> None:
    """Each reply is POSTed to {serviceUrl}/v3/conversations/{id}/activities/{activity id}, ids percent-encoded."""
    served, recorder = connector
    async with running_gateway(redis) as gw:
        activity = message("hi", "a:1", conversation="19:conv;x", service_url=served.url + "/")
        r = await gw.http.post(URL.format(bot="zipcode"), json=activity)
        assert r.status_code == 200 and r.content == b""
        assert [(method, path) for method, path, _, _ in recorder.received] == [
            ("POST", "/v3/conversations/19%3Aconv%3Bx/activities/a%3A1")
        ] * 2
        texts = [json.loads(body)["text"] for body in recorder.bodies()]
        assert texts == ["Let's find your town.", "Do you know your zip code?"]
        sent = json.loads(recorder.bodies()[0])
        assert (sent["replyToId"], sent["recipient"]["id"], sent["from"]["id"]) == ("a:1", "alice", "bot-app")
        assert "authorization" not in recorder.received[0][2]


async def test_a_connector_that_fails_gets_503_and_the_channels_retry_runs_the_turn_once(
    redis: Redis, connector: tuple[Served, Recorder]
) -> None:
    """Delivery failed: 503 so the channel retries; the retry re-sends the stored replies without a second turn."""
    served, recorder = connector

    def down(request: Request, body: bytes) -> Response:
        return JSONResponse({"error": "down"}, status_code=500)

    path = "/v3/conversations/conv-1/activities/a1"
    recorder.answers[path] = down
    async with running_gateway(redis) as gw:
        activity = message("hi", "a1", service_url=served.url)
        r = await gw.http.post(URL.format(bot="greeter"), json=activity)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        before = await snapshot(redis)
        del recorder.answers[path]
        assert (await gw.http.post(URL.format(bot="greeter"), json=activity)).status_code == 200
        assert await snapshot(redis) == before
        assert [json.loads(body)["text"] for body in recorder.bodies()] == ["What is your name?"] * 2


async def test_conversation_updates_and_other_types_are_accepted_and_run_nothing(redis: Redis) -> None:
    """conversationUpdate, typing and unknown types get 200 (an empty activities list under expectReplies)."""
    async with running_gateway(redis) as gw:
        before = await snapshot(redis)
        update = {"type": "conversationUpdate", "membersAdded": [{"id": "alice"}], "conversation": {"id": "c"}}
        assert (await gw.http.post(URL.format(bot="greeter"), json=update)).status_code == 200
        typing = {"type": "typing", "deliveryMode": "expectReplies"}
        r = await gw.http.post(URL.format(bot="greeter"), json=typing)
        assert r.status_code == 200 and r.json() == {"activities": []}
        assert (await gw.http.post(URL.format(bot="greeter"), json={"type": "somethingNew"})).status_code == 200
        assert await snapshot(redis) == before


def without(activity: dict[str, Any], *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(activity))
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return copy


def changed(activity: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**activity, **fields}


BASE = message("hi", "a1")
POSTED = without(BASE, "deliveryMode")  # replies go to serviceUrl, so it must be there and usable


def case(activity: dict[str, Any] | list[Any], status: int, paths: list[str], name: str) -> Any:
    return pytest.param(json.dumps(activity).encode(), status, paths, id=name)


@pytest.mark.parametrize(
    ("content", "status", "paths"),
    [
        pytest.param(b"{not json", 400, None, id="not json"),
        case([], 422, [""], "not an object"),
        case(without(BASE, "type"), 422, ["type"], "no type"),
        case(changed(BASE, type=7), 422, ["type"], "type not a string"),
        case(without(BASE, "id"), 422, ["id"], "no id"),
        case(without(BASE, "from"), 422, ["from"], "no from"),
        case(without(BASE, "from", "id"), 422, ["from.id"], "no from.id"),
        case(changed(BASE, conversation="c1"), 422, ["conversation"], "conversation not an object"),
        case(changed(BASE, recipient=[]), 422, ["recipient"], "recipient not an object"),
        case(changed(BASE, text=["hi"]), 422, ["text"], "text not a string"),
        case(POSTED, 422, ["serviceUrl"], "no serviceUrl"),
        case(changed(POSTED, serviceUrl="ftp://x"), 422, ["serviceUrl"], "serviceUrl not http"),
        case(changed(POSTED, serviceUrl="https://smba.example/amer/"), 422, ["serviceUrl"], "serviceUrl elsewhere"),
        case(changed(BASE, **{"from": {"id": ""}}), 422, ["user"], "empty from.id"),
    ],
)
async def test_malformed_activities_are_400_or_422_and_change_nothing(
    redis: Redis, content: bytes, status: int, paths: list[str] | None
) -> None:
    """Each malformed activity gets its status and a JSON error naming the field; the store is untouched."""
    async with running_gateway(redis) as gw:
        await replies(gw, message("hi", "a0", user="bob"))
        before = await snapshot(redis)
        r = await gw.http.post(URL.format(bot="greeter"), content=content, headers={"content-type": "application/json"})
        assert r.status_code == status, r.text
        error = r.json()["error"]
        assert error["message"]
        if paths is not None:
            assert [d["path"] for d in error["details"]] == paths
        assert await snapshot(redis) == before


async def test_an_activity_without_text_is_an_empty_message(redis: Redis) -> None:
    """A message with only attachments has no text; it still runs a turn, as the empty message."""
    async with running_gateway(redis) as gw:
        activity = without(message("", "a1"), "text")
        assert [a["text"] for a in await replies(gw, activity, bot="echo")] == ["ECHO: "]


async def test_running_open_is_announced_at_start_up(redis: Redis) -> None:
    """With no app id and password the endpoint says at start-up that it runs without auth."""
    async with running_gateway(redis) as gw:
        assert any("Bot Framework endpoint running without auth" in line for line in gw.announced)


@pytest.fixture
async def recorded(redis: Redis) -> AsyncIterator[tuple[Gateway, list[httpx.Request]]]:
    """An open gateway whose connector records the requests it sends instead of sending them."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": f"reply-{len(sent)}"})

    async with running_gateway(redis) as gw:
        gw.app.state.botframework = BotFramework(None, Connector(None, transport=httpx.MockTransport(record)))
        yield gw, sent


SHARED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
activity_ids = itertools.count()


@SHARED
@given(url=service_urls, conversation=ids)
@example(url="http://127.0.0.1:9/admin/v1/bots/greeter/rollout?", conversation="c")
@example(url="http://127.0.0.1:9/admin/v1/bots/greeter/rollout#", conversation="c")
@example(url="http://evil.example@127.0.0.1:9/x", conversation="c")
async def test_the_open_endpoint_posts_only_to_the_service_urls_suffix_on_this_machine(
    recorded: tuple[Gateway, list[httpx.Request]], redis: Redis, url: str, conversation: str
) -> None:
    """Generated serviceUrls: 422 at serviceUrl changing nothing, or POSTs to loopback at exactly the suffix."""
    gw, sent = recorded
    sent.clear()
    activity = message("hi", f"a{next(activity_ids)}", conversation=conversation, service_url=url)
    before = await snapshot(redis)
    r = await gw.http.post(URL.format(bot="echo"), json=activity)
    event(f"status {r.status_code}")
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert [d["path"] for d in r.json()["error"]["details"]] == ["serviceUrl"]
        assert await snapshot(redis) == before and not sent
        return
    assert sent and all(request.url.host in ("127.0.0.1", "localhost", "::1") or
                        request.url.host.startswith("127.") for request in sent)  # fmt: skip
    for request in sent:
        assert_goes_where_it_says(url, request.url, conversation, activity["id"])


def nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


# Values the parser lets through, to be echoed back as they came: any JSON types, 100-digit integers, nesting to
# 60 levels, any text; and values it refuses with 400 (lone surrogates as \ud800 escapes, NaN, longer integers).
parseable = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**100) + 1, 10**100 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
) | st.integers(30, 60).map(nested)
refused = (
    st.integers(10**100, 10**120)
    | st.sampled_from([float("nan"), float("inf")])
    | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
    | st.integers(65, 70).map(nested)
)
odd_values = st.integers(0, 9).flatmap(lambda n: refused if n == 0 else parseable)  # refused: 1 in 10
account_fields = {"name": odd_values, "role": odd_values, "aadObjectId": odd_values, "properties": odd_values}
accounts = st.one_of(
    st.fixed_dictionaries({"id": ids}, optional=account_fields),
    st.fixed_dictionaries({"id": ids}, optional=account_fields),
    st.fixed_dictionaries({"id": odd_values}, optional=account_fields),
)
odd_accounts = accounts | st.none() | odd_values
conversations = st.one_of(
    st.fixed_dictionaries({"id": ids}, optional={"isGroup": odd_values, "name": odd_values, "tenantId": odd_values}),
    st.fixed_dictionaries({"id": ids | odd_values}, optional={"isGroup": odd_values}),
    odd_values,
)


@SHARED
@given(
    sender=accounts,
    recipient=odd_accounts,
    conversation=conversations,
    channel=st.none() | ids | odd_values,
    expect_replies=st.booleans(),
)
async def test_odd_accounts_are_refused_before_the_turn_or_echoed_back(
    recorded: tuple[Gateway, list[httpx.Request]],
    redis: Redis,
    sender: Any,
    recipient: Any,
    conversation: Any,
    channel: Any,
    expect_replies: bool,
) -> None:
    """Whatever from, recipient, conversation and channelId hold: never a 500; a 4xx changes nothing; a 200
    delivers replies that echo them (the turn is saved only when its answer can be written)."""
    gw, sent = recorded
    sent.clear()
    activity = message("hi", f"a{next(activity_ids)}", service_url=None if expect_replies else "http://127.0.0.1:9")
    activity.update({"from": sender, "recipient": recipient, "conversation": conversation, "channelId": channel})
    before = await snapshot(redis)
    r = await gw.http.post(URL.format(bot="greeter"), content=json.dumps(activity).encode())
    event(f"status {r.status_code}")
    assert r.status_code in (200, 400, 422), r.text
    if r.status_code != 200:
        assert r.json()["error"]["code"] in ("bad_request", "invalid")
        assert await snapshot(redis) == before and not sent
        return
    replies = r.json()["activities"] if expect_replies else [json.loads(request.content) for request in sent]
    assert replies
    for reply in replies:
        assert (reply["recipient"], reply["conversation"]) == (sender, conversation)
        assert reply["from"] == (recipient or {"id": "greeter"})
        assert reply.get("channelId") == (channel or None)


def test_an_envelope_that_cannot_be_written_is_refused_before_the_turn() -> None:
    """reply_envelope refuses values JSON cannot write (NaN, a cycle) with 422, which the route runs pre-turn."""
    cycle: dict[str, Any] = {"id": "c"}
    cycle["self"] = cycle
    for odd in ({"id": "b", "n": float("nan")}, cycle):
        inbound = {"id": "a1", "from": {"id": "u"}, "conversation": {"id": "c"}, "recipient": odd}
        with pytest.raises(Invalid, match="cannot be answered"):
            reply_envelope("greeter", inbound)
