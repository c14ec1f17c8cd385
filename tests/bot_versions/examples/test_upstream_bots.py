"""The example http bots (Python and Node greeters), each a real process, speaking the protocol of docs/runtimes.md."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.bot_versions.examples.conftest import Bots
from tests.bot_versions.examples.upstream import (
    MESSAGE_ANSWER,
    MIGRATE_ANSWER,
    REQUEST,
    Bot,
    message,
    migrate,
    signature,
)

ASK = {"replies": [{"text": "What is your name?"}], "state": {"step": "ask_name"}, "done": False}


def answer(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a response that has this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def greeted(bot: Bot, name: str) -> dict[str, Any]:
    return {"replies": [{"text": f"Hello, {name}, from the {bot.language} greeter"}], "state": {"step": "greeted"}}


def test_healthz(bot: Bot) -> None:
    """GET /healthz answers 200."""
    assert bot.http.get(bot.url + "/healthz").status_code == 200


def test_conversation(bot: Bot) -> None:
    """State null asks the name; the state it returned, sent back, gets the greeting and ends the conversation."""
    first = message("hi", None)
    REQUEST.validate(first)
    asked = answer(bot.send(first))
    MESSAGE_ANSWER.validate(asked)
    assert asked == ASK
    second = message("Ann", asked["state"])
    REQUEST.validate(second)
    done = answer(bot.send(second))
    MESSAGE_ANSWER.validate(done)
    assert done == {**greeted(bot, "Ann"), "done": True}


def test_state_round_trips_as_returned(bot: Bot, upstream_bots: Bots) -> None:
    """The state it returned is all a next turn needs: sent back to another process, conversation or user, it greets."""
    state = answer(bot.send(message("hi", None)))["state"]
    other = upstream_bots.get("Node" if bot.language == "Python" else "Python")
    for target in (bot, other):
        event = message("  Ann\n", state, conversation="0123456789abcdef", user="bob")
        REQUEST.validate(event)
        assert answer(target.send(event)) == {**greeted(target, "Ann"), "done": True}


def test_blank_name_asks_again(bot: Bot) -> None:
    """An answer of only spaces, tabs and newlines asks the name again and keeps the conversation open."""
    assert answer(bot.send(message(" \t\r\n ", {"step": "ask_name"}))) == ASK


def test_name_too_long(bot: Bot) -> None:
    """A name over 4096 characters (code points, as botgate counts) is refused: the greeting stays within limits."""
    assert answer(bot.send(message("😀" * 4096, {"step": "ask_name"})))["done"] is True
    refused = answer(bot.send(message("😀" * 4097, {"step": "ask_name"})), 400)
    assert refused["error"]["code"] == "bad_request"


def test_state_it_did_not_write_is_refused(bot: Bot) -> None:
    """A state this greeter never returns is a 400, not a guess."""
    for state in ({"step": "greeted"}, {}, {"name": "Ann"}):
        assert answer(bot.send(message("Ann", state)), 400)["error"]["code"] == "bad_request"


def test_signed_call_is_accepted(signed_bot: Bot) -> None:
    """With a secret, a call signed over its exact body bytes is answered."""
    assert answer(signed_bot.send(message("hi", None))) == ASK


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Botgate-Signature": signature(b"{}")},
        {"X-Botgate-Signature": signature(json.dumps(message("hi", None)).encode(), "another-secret")},
        {"X-Botgate-Signature": signature(json.dumps(message("hi", None), indent=1).encode())},
        {"X-Botgate-Signature": signature(json.dumps(message("hi", None)).encode()).upper()},
        {"X-Botgate-Signature": signature(json.dumps(message("hi", None)).encode()).removeprefix("sha256=")},
        {"X-Botgate-Signature": "sha256=" + "z" * 64},
        {"X-Botgate-Signature": b"sha256=\xe9"},
    ],
    ids=[
        "missing",
        "other body",
        "other secret",
        "same JSON other bytes",
        "uppercase",
        "no prefix",
        "not hex",
        "latin-1",
    ],
)
def test_unsigned_or_wrongly_signed_call_is_401(signed_bot: Bot, headers: dict[str, str | bytes]) -> None:
    """With a secret, a call whose signature is missing or is not the HMAC of its exact bytes is a 401."""
    body = json.dumps(message("hi", None)).encode()
    refused = answer(signed_bot.post(body, headers), 401)
    assert refused == {"error": {"code": "unauthorized", "message": "X-Botgate-Signature does not match the body"}}


def test_without_a_secret_signatures_are_not_checked(bot: Bot) -> None:
    """Without a secret, calls are answered signed or not, whatever their signature says."""
    body = json.dumps(message("hi", None)).encode()
    assert answer(bot.post(body, {})) == ASK
    assert answer(bot.post(body, {"X-Botgate-Signature": "sha256=0"})) == ASK


@pytest.mark.parametrize(
    "state",
    [{"step": "ask_name"}, {"step": "ask_name", "asked_at": "2025-05-01T12:00:00Z", "tries": 2}],
    ids=["same shape", "older shape with more keys"],
)
def test_migrate_accepts_a_conversation_waiting_for_the_name(bot: Bot, state: dict[str, Any]) -> None:
    """A migrate event whose state waits for the name is taken over, the state kept to the keys this version reads."""
    event = migrate(state)
    REQUEST.validate(event)
    accepted = answer(bot.send(event))
    MIGRATE_ANSWER.validate(accepted)
    assert accepted == {"state": {"step": "ask_name"}}
    assert answer(bot.send(message("Ann", accepted["state"])))["done"] is True


@pytest.mark.parametrize("state", [{"step": "greeted"}, {}, {"stage": "ask_name"}], ids=["done", "empty", "unknown"])
def test_migrate_declines_a_state_it_cannot_read(bot: Bot, state: dict[str, Any]) -> None:
    """A migrate event whose state this version cannot read is declined with 409."""
    event = migrate(state)
    REQUEST.validate(event)
    declined = answer(bot.send(event), 409)
    assert declined == {"error": {"code": "cannot_migrate", "message": "this version cannot continue that state"}}


MALFORMED = {
    "empty": b"",
    "not json": b"hello",
    "trailing data": b'{"event": "message"} {}',
    "not utf-8": b'{"event": "message", "message": {"text": "\xff"}, "state": null}',
    "utf-8 bom": b"\xef\xbb\xbf" + json.dumps(message("hi", None)).encode(),
    "utf-16": json.dumps(message("hi", None)).encode("utf-16"),
    "nan": json.dumps(message("hi", {"step": "ask_name", "n": float("nan")})).encode(),
    "infinity": json.dumps(message("hi", None, space=float("inf"))).encode(),
    "array": b"[]",
    "string": b'"message"',
    "no event": json.dumps({k: v for k, v in message("hi", None).items() if k != "event"}).encode(),
    "unknown event": json.dumps(message("hi", None, event="typing")).encode(),
    "event not a string": json.dumps(message("hi", None, event=["message"])).encode(),
    "no message": json.dumps({k: v for k, v in message("hi", None).items() if k != "message"}).encode(),
    "message not an object": json.dumps(message("hi", None, message="hi")).encode(),
    "text missing": json.dumps(message("hi", None, message={"id": "m-1"})).encode(),
    "text not a string": json.dumps(message("hi", None, message={"id": "m-1", "text": 7})).encode(),
    "state a list": json.dumps(message("hi", ["ask_name"])).encode(),
    "state a string": json.dumps(message("hi", "ask_name")).encode(),
    "migrate state null": json.dumps(migrate(None)).encode(),
    "migrate state a list": json.dumps(migrate([])).encode(),
    "migrate without from_version": json.dumps(
        {k: v for k, v in migrate({"step": "ask_name"}).items() if k != "from_version"}
    ).encode(),
    "migrate from_version a number": json.dumps(migrate({"step": "ask_name"}, from_version=2)).encode(),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_body_is_400(bot: Bot, body: bytes) -> None:
    """A body that is not a well-formed event is a 400 with a JSON error."""
    refused = answer(bot.send(body), 400)
    assert refused["error"]["code"] == "bad_request"
    assert isinstance(refused["error"]["message"], str)


def test_body_without_content_length_is_400(bot: Bot) -> None:
    """A chunked body, without Content-Length, is a 400 (botgate always sends the length)."""
    body = json.dumps(message("hi", None)).encode()
    response = bot.http.post(bot.url + "/turn", content=iter([body]), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert answer(response, 400) == {"error": {"code": "bad_request", "message": "a turn needs a Content-Length"}}
    assert answer(bot.send(message("hi", None))) == ASK


def test_body_over_64_kib_is_413(bot: Bot) -> None:
    """A body over 64 KiB is refused unread with 413, and the bot goes on answering."""
    refused = answer(bot.send(json.dumps(message("x" * 65536, None)).encode()), 413)
    assert refused["error"]["code"] == "too_large"
    assert answer(bot.send(message("hi", None))) == ASK


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("POST", "/", 404, "not_found"),
        ("POST", "/turns", 404, "not_found"),
        ("GET", "/turn", 405, "method_not_allowed"),
    ],
)
def test_other_routes(bot: Bot, method: str, path: str, status: int, code: str) -> None:
    """Other routes are a JSON error, and a body sent to them does not spoil the next request on the connection."""
    body = json.dumps(message("hi", None)).encode()
    response = bot.http.request(method, bot.url + path, content=body if method == "POST" else None)
    assert answer(response, status)["error"]["code"] == code
    assert answer(bot.send(message("hi", None))) == ASK


PARITY = {
    **{f"malformed: {name}": body for name, body in MALFORMED.items()},
    "first message": message("hi", None),
    "name": message("Ann", {"step": "ask_name"}),
    "name with extra state keys": message("Ann", {"step": "ask_name", "more": [1, {"a": None}]}),
    "name padded with spaces, tabs and newlines": message("\t Ann Lee \r\n", {"step": "ask_name"}),
    "name padded with other whitespace": message("\u00a0Ann\u2003\ufeff\x1f\x85", {"step": "ask_name"}),
    "name in other scripts": message("Zoë 山田 😀", {"step": "ask_name"}),
    "name a lone surrogate": b'{"event":"message","message":{"id":null,"text":"\\ud800"},"state":{"step":"ask_name"}}',
    "name of 4096 astral characters": message("😀" * 4096, {"step": "ask_name"}),
    "name of 4097 astral characters": message("😀" * 4097, {"step": "ask_name"}),
    "blank name": message("  ", {"step": "ask_name"}),
    "greeted state": message("Ann", {"step": "greeted"}),
    "message without state": {k: v for k, v in message("hi", None).items() if k != "state"},
    "duplicate keys": b'{"event":"migrate","event":"message","message":{"text":"hi"},"state":null}',
    "migrate": migrate({"step": "ask_name", "more": 1}),
    "migrate declined": migrate({"step": "done"}),
    "body over 64 KiB": json.dumps(message("x" * 65536, None)).encode(),
}


@pytest.mark.parametrize("event", PARITY.values(), ids=PARITY.keys())
def test_python_and_node_answer_alike(upstream_bots: Bots, event: Any) -> None:
    """The Python and the Node greeter give the same status and JSON answer to the same request."""
    python = upstream_bots.get("Python").send(event)
    node = upstream_bots.get("Node").send(event)
    assert (python.status_code, python.headers["content-type"]) == (node.status_code, node.headers["content-type"])
    node_answer = json.loads(node.text.replace("from the Node greeter", "from the Python greeter"))
    assert python.json() == node_answer
