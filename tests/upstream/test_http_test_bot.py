"""The `http` test bot on its own: each path's behaviour, the signature check, recording, concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.upstream.fixtures import RunningBot
from tests.upstream.http_test_bot import BAD_JSON, WRONG_SHAPES


def message_turn(conversation: str, text: str, state: Any = None, version: str = "2.0.0") -> dict[str, Any]:
    """A message event as the gateway sends it."""
    return {
        "event": "message",
        "bot": "shop",
        "version": version,
        "conversation": conversation,
        "user": "alice",
        "channel": "rest",
        "space": None,
        "message": {"id": "m-1", "text": text},
        "state": state,
    }


def migrate_turn(conversation: str, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": "migrate",
        "bot": "shop",
        "version": "2.1.0",
        "from_version": "2.0.3",
        "conversation": conversation,
        "user": "alice",
        "channel": "rest",
        "space": None,
        "state": state,
    }


def new_conversation() -> str:
    return uuid.uuid4().hex[:16]


def post(bot: RunningBot, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(bot.url + path, json=body, **kwargs)


def test_echo_round_trips_its_state(http_test_bot: RunningBot) -> None:
    """The count lives in state: 1 on a null state, 2 when the returned state comes back; "bye" sets done."""
    conversation = new_conversation()
    first = post(http_test_bot, "/echo", message_turn(conversation, "hi")).json()
    assert first == {"replies": [{"text": "echo 1 from 2.0.0: hi"}], "state": {"n": 1}, "done": False}
    second = post(http_test_bot, "/echo", message_turn(conversation, "bye", first["state"])).json()
    assert second == {"replies": [{"text": "echo 2 from 2.0.0: bye"}], "state": {"n": 2}, "done": True}


def test_echo_keeps_the_other_keys_of_its_state(http_test_bot: RunningBot) -> None:
    """Keys the bot did not write (e.g. after a migration) survive the next turn."""
    state = {"n": 4, "migrated_from": "2.0.3"}
    answer = post(http_test_bot, "/echo", message_turn(new_conversation(), "hi", state)).json()
    assert answer["state"] == {"n": 5, "migrated_from": "2.0.3"}


def test_every_request_is_recorded_with_its_headers_and_exact_body(http_test_bot: RunningBot) -> None:
    """GET /received?conversation= shows path, lowercased headers, body text and parsed body."""
    conversation = new_conversation()
    body = json.dumps(message_turn(conversation, "hi"), separators=(",", ":"))
    headers = {"Content-Type": "application/json", "X-Botgate-Bot": "shop", "X-Botgate-Version": "2.0.0"}
    httpx.post(f"{http_test_bot.url}/status/503", content=body, headers=headers)
    (entry,) = httpx.get(f"{http_test_bot.url}/received", params={"conversation": conversation}).json()
    assert entry["path"] == "/status/503"
    assert entry["headers"]["x-botgate-bot"] == "shop" and entry["headers"]["x-botgate-version"] == "2.0.0"
    assert entry["body"] == body
    assert entry["json"]["message"]["text"] == "hi"


def test_delete_received_forgets_what_was_recorded(http_test_bot: RunningBot) -> None:
    """DELETE /received empties the record."""
    post(http_test_bot, "/echo", message_turn(new_conversation(), "hi"))
    assert httpx.delete(f"{http_test_bot.url}/received").status_code == 204
    assert httpx.get(f"{http_test_bot.url}/received").json() == []


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_correctly_signed_turn_is_answered(http_test_bot_signed: RunningBot) -> None:
    """With --secret, a body signed with HMAC-SHA256 of its exact bytes gets its answer."""
    assert http_test_bot_signed.secret is not None
    body = json.dumps(message_turn(new_conversation(), "hi")).encode()
    headers = {"Content-Type": "application/json", "X-Botgate-Signature": sign(http_test_bot_signed.secret, body)}
    answer = httpx.post(http_test_bot_signed.endpoint, content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["state"] == {"n": 1}


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "sha256=" + "0" * 64,
        "other-secret",  # signed with another secret
        "reformatted",  # the right secret over other bytes of the same JSON
    ],
)
def test_a_turn_without_a_valid_signature_is_a_401(http_test_bot_signed: RunningBot, signature: str | None) -> None:
    """Missing, wrong, other secret, or not over the exact bytes: 401, and the request is still recorded."""
    assert http_test_bot_signed.secret is not None
    conversation = new_conversation()
    turn = message_turn(conversation, "hi")
    body = json.dumps(turn).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "other-secret":
        headers["X-Botgate-Signature"] = sign("not-the-secret", body)
    elif signature == "reformatted":
        headers["X-Botgate-Signature"] = sign(http_test_bot_signed.secret, json.dumps(turn, indent=1).encode())
    elif signature is not None:
        headers["X-Botgate-Signature"] = signature
    answer = httpx.post(http_test_bot_signed.endpoint, content=body, headers=headers)
    assert answer.status_code == 401
    recorded = httpx.get(f"{http_test_bot_signed.url}/received", params={"conversation": conversation}).json()
    assert len(recorded) == 1


def test_the_unsigned_bot_ignores_signatures(http_test_bot: RunningBot) -> None:
    """Without --secret any signature header, even a wrong one, is accepted."""
    headers = {"X-Botgate-Signature": "sha256=" + "0" * 64}
    assert post(http_test_bot, "/echo", message_turn(new_conversation(), "hi"), headers=headers).status_code == 200


@pytest.mark.parametrize("code", [201, 204, 302, 400, 404, 409, 500, 502, 503])
def test_status_answers_that_status(http_test_bot: RunningBot, code: int) -> None:
    """/status/{code} answers exactly that status (redirects not followed)."""
    assert post(http_test_bot, f"/status/{code}", message_turn(new_conversation(), "hi")).status_code == code


def test_a_status_outside_the_final_range_is_refused(http_test_bot: RunningBot) -> None:
    """/status/101 would not be a final answer: 400."""
    assert post(http_test_bot, "/status/101", message_turn(new_conversation(), "hi")).status_code == 400


async def wait_recorded(client: httpx.AsyncClient, bot: RunningBot, conversation: str) -> None:
    """Until the bot has recorded a request of `conversation` (bounded: fails after 10 s)."""
    deadline = time.monotonic() + 10
    while not (await client.get(f"{bot.url}/received", params={"conversation": conversation})).json():
        assert time.monotonic() < deadline, "the bot never recorded the request"
        await asyncio.sleep(0.02)


async def test_timeout_holds_its_request_while_other_requests_are_served(http_test_bot: RunningBot) -> None:
    """A /timeout request stays unanswered while an /echo sent after it is answered."""
    conversation = new_conversation()
    async with httpx.AsyncClient(timeout=30) as client:
        stuck = asyncio.create_task(client.post(f"{http_test_bot.url}/timeout", json=message_turn(conversation, "hi")))
        await wait_recorded(client, http_test_bot, conversation)
        answer = await client.post(http_test_bot.endpoint, json=message_turn(new_conversation(), "hi"))
        assert answer.status_code == 200
        assert not stuck.done()
        stuck.cancel()
        await asyncio.gather(stuck, return_exceptions=True)


async def test_slow_requests_are_all_in_flight_at_once(http_test_bot: RunningBot) -> None:
    """Ten /slow requests are held concurrently: the bot counts ten in flight together."""
    async with httpx.AsyncClient(timeout=30) as client:
        await client.delete(f"{http_test_bot.url}/received")
        held = [
            asyncio.create_task(
                client.post(f"{http_test_bot.url}/slow/20000", json=message_turn(new_conversation(), "x"))
            )
            for _ in range(10)
        ]
        deadline = time.monotonic() + 10
        while (await client.get(f"{http_test_bot.url}/stats")).json()["in_flight"] < 10:
            assert time.monotonic() < deadline, "the slow requests were not all in flight together"
            await asyncio.sleep(0.02)
        assert (await client.get(f"{http_test_bot.url}/stats")).json()["peak_in_flight"] == 10
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)


def test_slow_answers_as_echo(http_test_bot: RunningBot) -> None:
    """/slow/{ms} answers like /echo once the wait is over."""
    answer = post(http_test_bot, "/slow/10", message_turn(new_conversation(), "hi"))
    assert answer.json()["replies"] == [{"text": "echo 1 from 2.0.0: hi"}]


@pytest.mark.parametrize("variant", sorted(BAD_JSON))
def test_not_json_serves_its_body_with_a_200(http_test_bot: RunningBot, variant: str) -> None:
    """Each /not-json variant is a 200 carrying exactly the bytes of BAD_JSON."""
    answer = post(http_test_bot, f"/not-json/{variant}", message_turn(new_conversation(), "hi"))
    body, content_type = BAD_JSON[variant]
    assert answer.status_code == 200
    assert answer.content == body
    assert answer.headers["content-type"].startswith(content_type)


def test_plain_not_json_is_text(http_test_bot: RunningBot) -> None:
    """/not-json is a 200 text/plain that no JSON parser reads."""
    answer = post(http_test_bot, "/not-json", message_turn(new_conversation(), "hi"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)


@pytest.mark.parametrize("variant", sorted(WRONG_SHAPES))
def test_wrong_shape_serves_its_json_with_a_200(http_test_bot: RunningBot, variant: str) -> None:
    """Each /wrong-shape variant is a 200 whose JSON is that variant's value."""
    answer = post(http_test_bot, f"/wrong-shape/{variant}", message_turn(new_conversation(), "hi"))
    assert answer.status_code == 200 and answer.json() == WRONG_SHAPES[variant]


def test_an_unknown_variant_is_a_404_naming_the_known_ones(http_test_bot: RunningBot) -> None:
    """A typo in a definition's path shows up as 404 with the list, not as the failure under test."""
    answer = post(http_test_bot, "/wrong-shape/nope", message_turn(new_conversation(), "hi"))
    assert answer.status_code == 404 and "replies-not-list" in answer.text


def compact_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def test_big_state_is_20_kib_unless_told(http_test_bot: RunningBot) -> None:
    """The state's compact JSON is 20480 bytes, or exactly ?bytes=N."""
    default = post(http_test_bot, "/big-state", message_turn(new_conversation(), "hi")).json()
    assert compact_size(default["state"]) == 20 * 1024
    exact = post(http_test_bot, "/big-state?bytes=16384", message_turn(new_conversation(), "hi")).json()
    assert compact_size(exact["state"]) == 16384


@pytest.mark.parametrize(
    ("variant", "broken"),
    [
        ("text", lambda replies: max(len(r["text"]) for r in replies) > 8192),
        ("count", lambda replies: len(replies) > 50),
        ("choices", lambda replies: max(len(r.get("choices", [])) for r in replies) > 50),
        ("choice-chars", lambda replies: max(len(c) for r in replies for c in r.get("choices", [])) > 256),
        (
            "turn",
            lambda replies: (
                sum(len(r["text"]) for r in replies) > 32768
                and max(len(r["text"]) for r in replies) <= 8192
                and len(replies) <= 50
            ),
        ),
    ],
)
def test_huge_reply_breaks_its_limit(http_test_bot: RunningBot, variant: str, broken: Any) -> None:
    """Each /huge-reply variant exceeds the contract limit it is named for."""
    answer = post(http_test_bot, f"/huge-reply/{variant}", message_turn(new_conversation(), "hi"))
    assert answer.status_code == 200 and broken(answer.json()["replies"])


def test_migrate_accept_returns_the_transformed_state(http_test_bot: RunningBot) -> None:
    """/migrate/accept answers 200 {"state": old state + where it came from}."""
    answer = post(http_test_bot, "/migrate/accept", migrate_turn(new_conversation(), {"n": 3}))
    assert answer.status_code == 200
    assert answer.json() == {"state": {"n": 3, "migrated_from": "2.0.3", "migrated_to": "2.1.0"}}


@pytest.mark.parametrize(("mode", "status"), [("decline", 409), ("fail", 500)])
def test_migrate_decline_and_fail(http_test_bot: RunningBot, mode: str, status: int) -> None:
    """/migrate/decline is a 409, /migrate/fail a 500."""
    assert post(http_test_bot, f"/migrate/{mode}", migrate_turn(new_conversation(), {"n": 3})).status_code == status


def test_migrate_accept_then_fail_accepts_migrations_and_fails_messages(http_test_bot: RunningBot) -> None:
    """/migrate/accept-then-fail takes a migration as /migrate/accept does, then answers message events 500."""
    answer = post(http_test_bot, "/migrate/accept-then-fail", migrate_turn(new_conversation(), {"n": 3}))
    assert answer.json() == {"state": {"n": 3, "migrated_from": "2.0.3", "migrated_to": "2.1.0"}}
    message = post(http_test_bot, "/migrate/accept-then-fail", message_turn(new_conversation(), "hi", {"n": 1}))
    assert message.status_code == 500


@pytest.mark.parametrize("mode", ["accept", "decline", "fail"])
def test_migrate_paths_answer_messages_as_echo(http_test_bot: RunningBot, mode: str) -> None:
    """A message event on any /migrate path is an ordinary echo turn."""
    answer = post(http_test_bot, f"/migrate/{mode}", message_turn(new_conversation(), "hi", {"n": 1}))
    assert answer.json()["state"] == {"n": 2}


def test_echo_refuses_a_migrate_event(http_test_bot: RunningBot) -> None:
    """/echo knows no migration: 400, which the gateway counts as a failed migration."""
    assert post(http_test_bot, "/echo", migrate_turn(new_conversation(), {"n": 1})).status_code == 400


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'"text"'])
def test_an_unreadable_turn_is_a_400(http_test_bot: RunningBot, body: bytes) -> None:
    """A body that is not a JSON object is refused with a message."""
    answer = httpx.post(http_test_bot.endpoint, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"]
