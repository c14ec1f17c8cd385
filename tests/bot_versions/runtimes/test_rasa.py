"""The `rasa` runtime: against a fake Rasa server speaking Rasa's REST channel (Rasa itself is too heavy to install
for the tests), and Rasa's answers read as replies (an in-process transport)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bot_versions.errors import BotFailed
from bot_versions.hosts import AllowList
from bot_versions.model import BotVersion
from bot_versions.runtime import Activity, Conversation, Reply, TurnResult
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.rasa import RasaRuntime
from bot_versions.runtimes.upstream import Upstream
from tests.admin.support import Admin
from tests.bot_versions.runtimes.support import UPSTREAM_HOSTS, chat, definition, release, runtime_settings, texts
from tests.bot_versions.test_runtimes import no_calls
from tests.support import HttpxTransport, running_gateway
from tests.upstream.fake_rasa import payload
from tests.upstream.fixtures import RunningBot

SIZES = ["Small", "Large"]


async def sent_by(rasa: RunningBot, sender: str) -> list[str]:
    """The messages the fake Rasa got from `sender`, in order."""
    async with httpx.AsyncClient() as client:
        found: list[str] = (await client.get(rasa.url + "/received", params={"sender": sender})).json()
    return found


async def test_buttons_become_choices_and_a_chosen_label_is_sent_as_its_payload(
    redis: Redis, fake_rasa: RunningBot
) -> None:
    """Rasa's buttons are the reply's choices; a label (any case) or its number goes to Rasa as the button's payload,
    and `sender` is the gateway's conversation id."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        await release(Admin(gw.http), definition("sizes", "1.0.0", "rasa", url=fake_rasa.endpoint))
        asked = await chat(gw.http, "sizes", "ann", "hello")
        assert asked["replies"] == [{"text": "What size? (model v1)", "choices": SIZES}]
        answered = await chat(gw.http, "sizes", "ann", "large")
        assert texts(answered) == ["A large one, coming up. (model v1)"]
        await chat(gw.http, "sizes", "bob", "hello")
        by_number = await chat(gw.http, "sizes", "bob", "1")
        assert texts(by_number) == ["A small one, coming up. (model v1)"]
        typed = await chat(gw.http, "sizes", "ann", "medium")  # no buttons on offer now: sent as typed
    assert await sent_by(fake_rasa, asked["conversation"]) == ["hello", payload("large"), "medium"]
    assert await sent_by(fake_rasa, by_number["conversation"]) == ["hello", payload("small")]
    assert texts(typed) == ["What size? (model v1)"]


async def test_a_new_conversation_is_a_new_sender_so_a_new_version_starts_a_clean_tracker(
    redis: Redis, fake_rasa: RunningBot, fake_rasa_v2: RunningBot
) -> None:
    """Mid-question on 1.0.0 and reset, the user's next conversation (on 2.0.0, the same Rasa server) is a new
    sender: a fresh tracker asks again instead of waiting for the size; 2.0.0 on its own server answers likewise."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        admin = Admin(gw.http)
        await release(admin, definition("sizes", "1.0.0", "rasa", url=fake_rasa.endpoint))
        old = await chat(gw.http, "sizes", "carol", "hello")
        await release(admin, definition("sizes", "2.0.0", "rasa", url=fake_rasa.endpoint))
        await release(admin, definition("sizes", "3.0.0", "rasa", url=fake_rasa_v2.endpoint))
        await admin.rollout("sizes", "2.0.0")
        stays = await chat(gw.http, "sizes", "carol", "what?")
        assert (stays["version"], texts(stays)) == ("1.0.0", ["Please pick a size. (model v1)"])
        await admin.ok("DELETE", "/bots/sizes/sessions/carol")
        new = await chat(gw.http, "sizes", "carol", "hello again")
        assert (new["version"], texts(new)) == ("2.0.0", ["What size? (model v1)"])
        assert new["conversation"] != old["conversation"]
        await admin.rollout("sizes", "3.0.0")
        await admin.ok("DELETE", "/bots/sizes/sessions/carol")
        newest = await chat(gw.http, "sizes", "carol", "hi")
        assert (newest["version"], texts(newest)) == ("3.0.0", ["What size? (model v2)"])
    assert await sent_by(fake_rasa, old["conversation"]) == ["hello", "what?"]
    assert await sent_by(fake_rasa, new["conversation"]) == ["hello again"]
    assert await sent_by(fake_rasa_v2, newest["conversation"]) == ["hi"]


def rasa_answering(answer: Any) -> RasaRuntime:
    """A rasa version whose server answers `answer` (a JSON value) to every message."""
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps(answer)))
    )
    env = RuntimeEnv(
        caller=no_calls,
        upstream=Upstream(AllowList(UPSTREAM_HOSTS, "BOTGATE_UPSTREAM_HOSTS"), transport=HttpxTransport(client)),
    )
    document = definition("sizes", "1.0.0", "rasa", url="http://127.0.0.1:5005/webhooks/rest/webhook")
    return RasaRuntime(BotVersion("sizes", "1.0.0", "rasa", document), env)


async def turn(runtime: RasaRuntime, text: str = "hi") -> TurnResult:
    return await runtime.turn({}, Activity("sizes", "rest", "ann", text, 0), Conversation("c1"))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([], TurnResult([], {}, False)),
        (
            [{"recipient_id": "c1", "text": "Hi"}, {"recipient_id": "c1", "text": "Bye"}],
            TurnResult([Reply("Hi"), Reply("Bye")]),
        ),
        ([{"recipient_id": "c1", "image": "http://img.example/cat.png"}], TurnResult([], {}, False)),
        (
            [
                {
                    "text": "Size?",
                    "buttons": [{"title": "Small", "payload": "/s"}, {"title": "Large"}, {"payload": "/x"}],
                }
            ],
            TurnResult([Reply("Size?", ("Small", "Large"))], {"buttons": [["Small", "/s"], ["Large", "Large"]]}),
        ),
        ([{"text": "Goodbye"}, {"custom": {"end_conversation": True}}], TurnResult([Reply("Goodbye")], {}, True)),
        ([{"custom": {"end_conversation": "yes"}}], TurnResult([], {}, False)),
    ],
)
async def test_rasas_messages_become_replies(answer: Any, expected: TurnResult) -> None:
    """Texts in order, buttons as choices (a button without a payload sends its title), other messages dropped,
    `{"custom": {"end_conversation": true}}` ends the conversation."""
    assert await turn(rasa_answering(answer)) == expected


@pytest.mark.parametrize(
    "answer",
    [{"text": "hi"}, None, ["hi"], [{"text": 42}], [{"text": "x" * 9000}], [{"text": "hi", "buttons": "Small"}] * 60],
)
async def test_an_answer_rasa_would_never_give_fails_the_turn(answer: Any) -> None:
    """Not an array, a message that is not an object, a text that is not text, replies over the limits: bot_error."""
    with pytest.raises(BotFailed) as failed:
        await turn(rasa_answering(answer))
    assert failed.value.reason in ("shape", "reply_too_large")
