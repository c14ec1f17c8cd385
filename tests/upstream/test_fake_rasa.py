"""The fake Rasa server on its own: Rasa's REST channel format, a tracker per sender, payloads recorded."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.upstream.fake_rasa import chosen_size
from tests.upstream.fixtures import RunningBot

BUTTONS = [
    {"title": "Small", "payload": '/size{"size":"small"}'},
    {"title": "Large", "payload": '/size{"size":"large"}'},
]


@pytest.mark.parametrize(
    ("message", "size"),
    [
        ('/size{"size":"small"}', "small"),
        ('/size{"size": "large"}', "large"),
        ('  /size{"size":"large"} ', "large"),
        ('/size{"size":"medium"}', None),
        ("/size", None),
        ("/size{not json}", None),
        ('/other{"size":"large"}', None),
        ('/size["large"]', None),
        ("Large", None),
        ("large", None),
    ],
)
def test_chosen_size(message: str, size: str | None) -> None:
    """Only a /size payload naming a known size chooses one; free text never does."""
    assert chosen_size(message) == size


def say(rasa: RunningBot, sender: str, message: str) -> list[dict[str, Any]]:
    answer = httpx.post(rasa.endpoint, json={"sender": sender, "message": message})
    assert answer.status_code == 200, answer.text
    uttered: list[dict[str, Any]] = answer.json()
    return uttered


def new_sender() -> str:
    return f"s-{uuid.uuid4().hex}"


def test_a_greeting_asks_for_a_size_with_buttons(fake_rasa: RunningBot) -> None:
    """The answer is Rasa's array of {recipient_id, text, buttons[{title, payload}]}."""
    sender = new_sender()
    assert say(fake_rasa, sender, "hello") == [
        {"recipient_id": sender, "text": "What size? (model v1)", "buttons": BUTTONS},
    ]


def test_a_button_payload_completes_the_order(fake_rasa: RunningBot) -> None:
    """The Large button's payload answers "A large one, coming up." with no buttons key at all."""
    sender = new_sender()
    say(fake_rasa, sender, "hi")
    assert say(fake_rasa, sender, '/size{"size":"large"}') == [
        {"recipient_id": sender, "text": "A large one, coming up. (model v1)"},
    ]


def test_anything_but_a_payload_asks_again(fake_rasa: RunningBot) -> None:
    """Typing the button's title is not its payload: the model asks to pick, with the buttons again."""
    sender = new_sender()
    say(fake_rasa, sender, "hi")
    assert say(fake_rasa, sender, "Large") == [
        {"recipient_id": sender, "text": "Please pick a size. (model v1)", "buttons": BUTTONS},
    ]


def test_restart_says_nothing_and_forgets_the_tracker(fake_rasa: RunningBot) -> None:
    """/restart is answered by an empty array; the next message greets again."""
    sender = new_sender()
    say(fake_rasa, sender, "hi")
    assert say(fake_rasa, sender, "/restart") == []
    assert say(fake_rasa, sender, '/size{"size":"small"}')[0]["text"] == "What size? (model v1)"


def test_received_records_every_message_of_a_sender(fake_rasa: RunningBot) -> None:
    """GET /received?sender= lists the texts and payloads that sender sent, in order."""
    sender, other = new_sender(), new_sender()
    say(fake_rasa, sender, "hi")
    say(fake_rasa, other, "hello")
    say(fake_rasa, sender, '/size{"size":"small"}')
    found = httpx.get(f"{fake_rasa.url}/received", params={"sender": sender})
    assert found.json() == ["hi", '/size{"size":"small"}']


def test_senders_have_their_own_trackers_and_models_their_own_label(
    fake_rasa: RunningBot, fake_rasa_v2: RunningBot
) -> None:
    """One sender mid-order does not affect another; a v2 process starts the sender clean and says v2."""
    sender, other = new_sender(), new_sender()
    say(fake_rasa, sender, "hi")
    assert say(fake_rasa, other, '/size{"size":"small"}')[0]["text"] == "What size? (model v1)"
    assert say(fake_rasa_v2, sender, '/size{"size":"small"}')[0]["text"] == "What size? (model v2)"
    assert say(fake_rasa, sender, '/size{"size":"small"}')[0]["text"] == "A small one, coming up. (model v1)"


def test_root_and_channel_health_answer_as_rasa_does(fake_rasa: RunningBot) -> None:
    """GET / says "Hello from Rasa: <version>"; GET /webhooks/rest/ is {"status": "ok"}."""
    root = httpx.get(f"{fake_rasa.url}/")
    assert root.status_code == 200 and root.text == "Hello from Rasa: 3.6.20"
    assert httpx.get(f"{fake_rasa.url}/webhooks/rest/").json() == {"status": "ok"}
    assert httpx.get(f"{fake_rasa.url}/healthz").status_code == 200


def test_a_sender_left_out_is_rasas_default_sender(fake_rasa: RunningBot) -> None:
    """Without "sender" the message is the "default" sender's, as in Rasa."""
    answer = httpx.post(fake_rasa.endpoint, json={"message": "hi"})
    assert answer.json()[0]["recipient_id"] == "default"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"sender": "s"}', b'{"sender": "s", "message": 3}'])
def test_unreadable_requests_are_a_400(fake_rasa: RunningBot, body: bytes) -> None:
    """A body that is not {"sender", "message": str} is refused with a message."""
    answer = httpx.post(fake_rasa.endpoint, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"]
