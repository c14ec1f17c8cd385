"""The Bot Framework channel without auth (as the Emulator uses it): activities in, reply activities out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.gateway.channels.servers import Recorder, Served, serving
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
