"""Our expectReplies bot on its own: the dialog as a pure function, then the process answering inline."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.upstream.expect_replies_bot import ASK_NAME, DRINKS, Say, Step, dialog
from tests.upstream.fixtures import RunningBot

AGAIN = Say("Please pick Tea or Coffee.", choices=DRINKS)


@pytest.mark.parametrize(
    ("step", "text", "says", "then"),
    [
        (None, "hi", [Say(ASK_NAME)], Step("name")),
        (Step("name"), "  Ada ", [Say("Hello, Ada! Tea or coffee?", choices=DRINKS)], Step("drink", "Ada")),
        (Step("drink", "Ada"), "tea", [Say("Tea for Ada, from expect-replies bot v9"), Say(end=True)], None),
        (Step("drink", "Ada"), "coffee", [Say("Coffee for Ada, from expect-replies bot v9"), Say(end=True)], None),
        (Step("drink", "Ada"), "Tea", [AGAIN], Step("drink", "Ada")),  # the title is not the imBack value
        (Step("drink", "Ada"), "water", [AGAIN], Step("drink", "Ada")),
    ],
)
def test_dialog_turns(step: Step | None, text: str, says: list[Say], then: Step | None) -> None:
    """Each step's answer and next step, for a label v9."""
    assert dialog(step, text, "v9") == (says, then)


def activity(conversation: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"m-{uuid.uuid4().hex[:8]}",
        "channelId": "botgate",
        "serviceUrl": "http://127.0.0.1:9/unused",
        "from": {"id": "alice"},
        "recipient": {"id": "bot"},
        "conversation": {"id": conversation},
        "text": text,
        "deliveryMode": "expectReplies",
        **extra,
    }


def turn(bot: RunningBot, conversation: str, text: str) -> list[dict[str, Any]]:
    answer = httpx.post(bot.endpoint, json=activity(conversation, text))
    assert answer.status_code == 200, answer.text
    activities: list[dict[str, Any]] = answer.json()["activities"]
    return activities


def test_a_whole_conversation_is_answered_inline(expect_replies_bot: RunningBot) -> None:
    """Asks the name, offers imBack choices, answers the chosen value, then sends endOfConversation."""
    conversation = f"c-{uuid.uuid4().hex}"
    (question,) = turn(expect_replies_bot, conversation, "hi")
    assert question["type"] == "message" and question["text"] == "What is your name?"
    (offer,) = turn(expect_replies_bot, conversation, "Ada")
    assert offer["text"] == "Hello, Ada! Tea or coffee?"
    assert offer["suggestedActions"]["actions"] == [
        {"type": "imBack", "title": "Tea", "value": "tea"},
        {"type": "imBack", "title": "Coffee", "value": "coffee"},
    ]
    assert offer["suggestedActions"]["to"] == ["alice"]
    answer, ending = turn(expect_replies_bot, conversation, "coffee")
    assert answer["text"] == "Coffee for Ada, from expect-replies bot v1"
    assert ending["type"] == "endOfConversation" and ending["code"] == "completedSuccessfully"


def test_replies_are_addressed_back_to_the_sender(expect_replies_bot: RunningBot) -> None:
    """from/recipient are swapped, the conversation kept, replyToId is the inbound id."""
    conversation = f"c-{uuid.uuid4().hex}"
    inbound = activity(conversation, "hi")
    (reply,) = httpx.post(expect_replies_bot.endpoint, json=inbound).json()["activities"]
    assert reply["from"] == {"id": "bot"} and reply["recipient"] == {"id": "alice"}
    assert reply["conversation"] == {"id": conversation}
    assert reply["replyToId"] == inbound["id"]
    assert reply["channelId"] == "botgate"


def test_conversation_ids_are_independent_and_the_label_tells_processes_apart(
    expect_replies_bot: RunningBot, expect_replies_bot_v2: RunningBot
) -> None:
    """A new id starts afresh; a conversation under way in v1 is unknown to v2."""
    first, second = f"c-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"
    turn(expect_replies_bot, first, "hi")
    assert turn(expect_replies_bot, second, "hi")[0]["text"] == "What is your name?"
    assert turn(expect_replies_bot_v2, first, "Ada")[0]["text"] == "What is your name?"
    turn(expect_replies_bot_v2, first, "Ada")
    assert turn(expect_replies_bot_v2, first, "tea")[0]["text"] == "Tea for Ada, from expect-replies bot v2"


def test_a_finished_conversation_starts_over(expect_replies_bot: RunningBot) -> None:
    """After endOfConversation the same id begins the dialog again."""
    conversation = f"c-{uuid.uuid4().hex}"
    for text in ("hi", "Ada", "tea"):
        turn(expect_replies_bot, conversation, text)
    assert turn(expect_replies_bot, conversation, "hi again")[0]["text"] == "What is your name?"


def test_other_activity_types_get_no_replies(expect_replies_bot: RunningBot) -> None:
    """A conversationUpdate is answered with an empty list of activities."""
    update = activity(f"c-{uuid.uuid4().hex}", "", type="conversationUpdate")
    answer = httpx.post(expect_replies_bot.endpoint, json=update)
    assert answer.status_code == 200 and answer.json() == {"activities": []}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"type": "message", "text": "hi"}',
    ],
)
def test_unreadable_activities_are_a_400(expect_replies_bot: RunningBot, body: bytes) -> None:
    """Not JSON, not an object, or no conversation.id: 400 with a message."""
    answer = httpx.post(expect_replies_bot.endpoint, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"]


def test_without_expect_replies_the_activity_is_refused(expect_replies_bot: RunningBot) -> None:
    """This bot cannot reply through serviceUrl: it says so with a 400, and the dialog does not move."""
    conversation = f"c-{uuid.uuid4().hex}"
    answer = httpx.post(expect_replies_bot.endpoint, json=activity(conversation, "hi", deliveryMode="normal"))
    assert answer.status_code == 400 and "expectReplies" in answer.json()["error"]
    assert turn(expect_replies_bot, conversation, "hi")[0]["text"] == "What is your name?"


def test_received_lists_the_activities_of_a_conversation(expect_replies_bot: RunningBot) -> None:
    """GET /received?conversation= returns what was sent, e.g. the imBack value chosen."""
    conversation = f"c-{uuid.uuid4().hex}"
    for text in ("hi", "Ada", "tea"):
        turn(expect_replies_bot, conversation, text)
    found = httpx.get(f"{expect_replies_bot.url}/received", params={"conversation": conversation}).json()
    assert [a["text"] for a in found] == ["hi", "Ada", "tea"]
