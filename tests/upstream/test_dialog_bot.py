"""The botbuilder-python dialog bot on its own: replies POSTed to serviceUrl, a dialog per conversation id."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.upstream.capture import CaptureServer
from tests.upstream.fixtures import RunningBot


def message(conversation: str, text: str, service_url: str, **extra: Any) -> dict[str, Any]:
    """A message activity as a channel (the Emulator, or the gateway) sends it."""
    return {
        "type": "message",
        "id": f"m-{uuid.uuid4().hex[:8]}",
        "channelId": "botgate",
        "serviceUrl": service_url,
        "from": {"id": "alice"},
        "recipient": {"id": "bot"},
        "conversation": {"id": conversation},
        "text": text,
        **extra,
    }


def send(bot: RunningBot, activity: dict[str, Any]) -> httpx.Response:
    return httpx.post(bot.endpoint, json=activity, timeout=30)


def new_conversation() -> str:
    return f"conv-{uuid.uuid4().hex[:12]}"


def said(connector: CaptureServer, conversation: str) -> list[tuple[str, str | None]]:
    """(type, text) of every activity the bot sent in that conversation, in order."""
    return [(c.body["type"], c.body.get("text")) for c in connector.for_conversation(conversation)]


def test_the_first_message_is_answered_at_the_bot_framework_reply_path_before_the_post_returns(
    dialog_bot: RunningBot, connector: CaptureServer
) -> None:
    """The question is POSTed to {serviceUrl}/v3/conversations/{id}/activities/{replyToId} during the turn."""
    conversation = new_conversation()
    inbound = message(conversation, "hi", connector.url)
    answer = send(dialog_bot, inbound)
    assert answer.status_code == 201  # CloudAdapter answers a message turn with an empty 201
    (reply,) = connector.for_conversation(conversation)
    assert reply.method == "POST"
    assert reply.path == f"/v3/conversations/{conversation}/activities/{inbound['id']}"
    assert reply.body["type"] == "message"
    assert reply.body["text"] == "What is your name?"
    assert reply.body["replyToId"] == inbound["id"]
    assert reply.body["recipient"] == {"id": "alice"}
    assert reply.body["from"] == {"id": "bot"}
    assert reply.body["conversation"] == {"id": conversation}
    assert "authorization" not in {name.lower() for name in reply.headers}  # no app id: no token, as with the Emulator


def test_the_answer_is_greeted_with_the_label_then_the_conversation_ends(
    dialog_bot: RunningBot, connector: CaptureServer
) -> None:
    """Asks, greets "Hello, {name}, from dialog bot v1", then sends endOfConversation."""
    conversation = new_conversation()
    send(dialog_bot, message(conversation, "hi", connector.url))
    answer = message(conversation, "Ada", connector.url)
    send(dialog_bot, answer)
    assert said(connector, conversation) == [
        ("message", "What is your name?"),
        ("message", "Hello, Ada, from dialog bot v1"),
        ("endOfConversation", None),
    ]
    ending = connector.for_conversation(conversation)[-1]
    assert ending.path == f"/v3/conversations/{conversation}/activities/{answer['id']}"
    assert ending.body["code"] == "completedSuccessfully"


def test_two_conversation_ids_have_independent_dialogs(dialog_bot: RunningBot, connector: CaptureServer) -> None:
    """Interleaved conversations each get their own question and their own greeting."""
    first, second = new_conversation(), new_conversation()
    send(dialog_bot, message(first, "hi", connector.url))
    send(dialog_bot, message(second, "hello", connector.url))
    send(dialog_bot, message(second, "Bob", connector.url))
    send(dialog_bot, message(first, "Ada", connector.url))
    assert said(connector, first)[:2] == [
        ("message", "What is your name?"),
        ("message", "Hello, Ada, from dialog bot v1"),
    ]
    assert said(connector, second)[:2] == [
        ("message", "What is your name?"),
        ("message", "Hello, Bob, from dialog bot v1"),
    ]


def test_another_process_starts_a_conversation_under_way_from_scratch(
    dialog_bot: RunningBot, dialog_bot_v2: RunningBot, connector: CaptureServer
) -> None:
    """v2 has no dialog for a conversation v1 was in the middle of: it asks the name again, and greets as v2."""
    conversation = new_conversation()
    send(dialog_bot, message(conversation, "hi", connector.url))
    send(dialog_bot_v2, message(conversation, "Ada", connector.url))
    send(dialog_bot_v2, message(conversation, "Ada", connector.url))
    assert said(connector, conversation) == [
        ("message", "What is your name?"),
        ("message", "What is your name?"),
        ("message", "Hello, Ada, from dialog bot v2"),
        ("endOfConversation", None),
    ]


def test_the_stock_cloud_adapter_fails_expect_replies_with_a_500_after_running_the_turn(
    dialog_bot: RunningBot, connector: CaptureServer
) -> None:
    """botbuilder 4.17's CloudAdapter cannot serialize ExpectedReplies: 500, nothing sent, yet the dialog moved on."""
    conversation = new_conversation()
    failed = send(dialog_bot, message(conversation, "hi", connector.url, deliveryMode="expectReplies"))
    assert failed.status_code == 500
    assert connector.for_conversation(conversation) == []
    send(dialog_bot, message(conversation, "Ada", connector.url))
    assert said(connector, conversation)[0] == ("message", "Hello, Ada, from dialog bot v1")


def test_the_legacy_adapter_answers_expect_replies_inline(
    dialog_bot_legacy: RunningBot, connector: CaptureServer
) -> None:
    """BotFrameworkHttpAdapter answers 200 {"activities": [...]} and posts nothing to serviceUrl."""
    conversation = new_conversation()
    first = send(dialog_bot_legacy, message(conversation, "hi", connector.url, deliveryMode="expectReplies"))
    second = send(dialog_bot_legacy, message(conversation, "Ada", connector.url, deliveryMode="expectReplies"))
    assert first.status_code == second.status_code == 200
    assert [(a["type"], a.get("text")) for a in first.json()["activities"]] == [("message", "What is your name?")]
    assert [(a["type"], a.get("text")) for a in second.json()["activities"]] == [
        ("message", "Hello, Ada, from dialog bot legacy"),
        ("endOfConversation", None),
    ]
    assert connector.for_conversation(conversation) == []


def test_healthz_answers(dialog_bot: RunningBot) -> None:
    """GET /healthz is 200 (what ServerProcess waits for)."""
    assert httpx.get(f"{dialog_bot.url}/healthz").status_code == 200
