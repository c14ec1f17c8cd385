"""The example bots' conversations on the flow runtime; zipcode's calls go over real HTTP to the demo lookup."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from bot_versions.calls import HttpCaller
from bot_versions.examples import lookup
from bot_versions.flow import FlowRuntime
from bot_versions.runtime import Reply
from tests.bot_versions.support import Chat, FakeCaller, activity, example

SORRY = "Sorry, I cannot look that up right now. Please try again later."
INTRO = ["Let's find your town.", "Do you know your zip code?"]
STATES = ("California", "New York", "Texas", "Another state")


@pytest.mark.parametrize(("name", "greeting"), [("greeter-1.0.0.yaml", "original"), ("greeter-2.0.0.yaml", "updated")])
async def test_greeter(name: str, greeting: str) -> None:
    """The greeter asks a name on the first message and greets with it on the second, ending the conversation."""
    alice = Chat(FlowRuntime(example(name), FakeCaller()))
    assert await alice.send("hi") == ["What is your name?"]
    assert not alice.done
    assert await alice.send("  Ada ") == [f"Hello, Ada, from the {greeting} bot"]
    assert alice.done
    assert alice.state == {}


async def test_first_message_is_never_an_answer() -> None:
    """The message that starts a conversation runs the flow to its first question, even if it looks like an answer."""
    alice = Chat(FlowRuntime(example("greeter-1.0.0.yaml"), FakeCaller()))
    assert await alice.send("Ada") == ["What is your name?"]
    assert await alice.send("Bob") == ["Hello, Bob, from the original bot"]


async def test_next_conversation_starts_over() -> None:
    """After a conversation ends, the next message starts a new one from `start`."""
    alice = Chat(FlowRuntime(example("greeter-1.0.0.yaml"), FakeCaller()))
    await alice.send("hi")
    await alice.send("Ada")
    assert await alice.send("hi again") == ["What is your name?"]


async def test_reactor() -> None:
    """A reactor answers every message with its reply and ends each conversation."""
    bob = Chat(FlowRuntime(example("echo-1.0.0.yaml"), FakeCaller()))
    for text in ("hello", "{text} twice"):
        assert await bob.send(text) == [f"ECHO: {text}"]
        assert bob.done
        assert bob.state == {}


LOOKUP = f"{lookup.HOST}:{lookup.PORT}"  # the address zipcode's definition calls


@pytest.fixture(scope="module")
def lookup_url() -> Iterator[str]:
    """The demo lookup `botgate serve` starts, here on an ephemeral port."""
    server = lookup.start(port=0)
    yield f"http://{lookup.HOST}:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def zip_caller(lookup_url: str) -> AsyncIterator[HttpCaller]:
    """A real HTTP caller allowed to reach the lookup's fixed address, sent to the lookup as to a proxy."""
    async with httpx.AsyncClient(proxy=lookup_url, trust_env=False) as client:
        caller = HttpCaller([LOOKUP], client=client)
        yield caller
        await caller.aclose()


ZIPCODE_DIALOGUES = [
    pytest.param(
        [("hi", INTRO), ("Yes", ["What is your zip code?"]), ("90210", ["90210 is Beverly Hills, California."])],
        id="knows-zip",
    ),
    pytest.param(
        [
            ("hi", INTRO),
            ("maybe", ["Please answer yes or no.", "Do you know your zip code?"]),
            ("y", ["What is your zip code?"]),
            ("ninety", ["A zip code is a number, like 90210.", "What is your zip code?"]),
            ("12", ["12 is not a US zip code.", "What is your zip code?"]),
            ("10001", ["10001 is New York, New York."]),
        ],
        id="retries-and-range-check",
    ),
    pytest.param(
        [
            ("hi", INTRO),
            ("TRUE", ["What is your zip code?"]),
            ("12345", ["I don't know 12345 yet. Try 90210, 10001 or 78701.", "What is your zip code?"]),
            ("78701", ["78701 is Austin, Texas."]),
        ],
        id="unknown-zip-asks-again",
    ),
    pytest.param(
        [
            ("hi", INTRO),
            ("no", ["Which state are you in?"]),
            ("california", ["Which town in California?"]),
            ("Beverly Hills", ["The zip code of Beverly Hills, California is 90210."]),
        ],
        id="choice-by-label",
    ),
    pytest.param(
        [
            ("hi", INTRO),
            ("N", ["Which state are you in?"]),
            (" 2 ", ["Which town in New York?"]),
            ("New York", ["The zip code of New York, New York is 10001."]),
        ],
        id="choice-by-number",
    ),
    pytest.param(
        [
            ("hi", INTRO),
            ("false", ["Which state are you in?"]),
            ("Ohio", ["Sorry, I did not understand that.", "Which state are you in?"]),
            ("5", ["Sorry, I did not understand that.", "Which state are you in?"]),
            ("another STATE", ["Sorry, I only know California, New York and Texas so far."]),
        ],
        id="choice-retry-and-own-next",
    ),
    pytest.param(
        [
            ("hi", INTRO),
            ("no", ["Which state are you in?"]),
            ("Texas", ["Which town in Texas?"]),
            ("Springfield", ["I don't know Springfield in Texas yet. Try another town.", "Which town in Texas?"]),
            ("el paso", ["The zip code of El Paso, Texas is 79901."]),
        ],
        id="unknown-town-asks-again",
    ),
]


@pytest.mark.parametrize("dialogue", ZIPCODE_DIALOGUES)
async def test_zipcode(zip_caller: HttpCaller, dialogue: list[tuple[str, list[str]]]) -> None:
    """The zipcode bot follows every branch, over real HTTP calls to the demo lookup, and ends after its answer."""
    alice = Chat(FlowRuntime(example("zipcode-1.1.0.yaml"), zip_caller))
    for text, replies in dialogue:
        assert not alice.done
        assert await alice.send(text) == replies
        assert len(json.dumps(alice.state)) < 1024
    assert alice.done


async def test_zipcode_calls_reach_the_lookup(zip_server: Any, proxied_client: httpx.AsyncClient) -> None:
    """Call URLs are built from answers, each value escaped as one piece of the path."""
    bot = FlowRuntime(example("zipcode-1.1.0.yaml"), HttpCaller([LOOKUP], client=proxied_client))
    state = (await bot.turn({}, activity("hi"))).state
    state = (await bot.turn(state, activity("no"))).state
    state = (await bot.turn(state, activity("California"))).state
    await bot.turn(state, activity("Beverly Hills"))
    assert ("GET", LOOKUP, f"http://{LOOKUP}/town/California/Beverly%20Hills") in zip_server.requests


async def test_zipcode_choices_are_offered(zip_caller: HttpCaller) -> None:
    """A choice question's reply carries its labels."""
    bot = FlowRuntime(example("zipcode-1.1.0.yaml"), zip_caller)
    state = (await bot.turn({}, activity("hi"))).state
    result = await bot.turn(state, activity("no"))
    assert result.replies == [Reply("Which state are you in?", STATES)]


async def test_zipcode_host_not_allowed(proxied_client: httpx.AsyncClient) -> None:
    """When the allow-list does not name the lookup, the call fails and the bot says so gracefully."""
    alice = Chat(FlowRuntime(example("zipcode-1.1.0.yaml"), HttpCaller(["other.example"], client=proxied_client)))
    await alice.send("hi")
    await alice.send("yes")
    assert await alice.send("90210") == [SORRY]
    assert alice.done


async def test_a_failed_call_is_logged_with_its_reason_and_never_its_path(proxied_client: httpx.AsyncClient) -> None:
    """One call_failed event names bot, version, step and why; the URL's path (the user's answers) stays out."""
    # the test server plays the lookup's address and knows no town of Texas: 404
    alice = Chat(FlowRuntime(example("zipcode-1.1.0.yaml"), HttpCaller([LOOKUP], client=proxied_client)))
    await alice.send("hi")
    await alice.send("no")
    await alice.send("Texas")
    with capture_logs() as logs:
        assert await alice.send("Austin") == [SORRY]
    assert logs == [
        {
            "event": "call_failed",
            "log_level": "warning",
            "bot": "zipcode",
            "version": "1.1.0",
            "step": "lookup_zip",
            "reason": f"GET to {lookup.HOST} was answered 404",
        }
    ]


async def test_reprompt() -> None:
    """reprompt repeats the waiting question with its choices, and nothing when no question waits."""
    bot = FlowRuntime(example("zipcode-1.1.0.yaml"), FakeCaller())
    assert bot.reprompt({}) == []
    state = (await bot.turn({}, activity("hi"))).state
    assert bot.reprompt(state) == [Reply("Do you know your zip code?")]
    state = (await bot.turn(state, activity("no"))).state
    assert bot.reprompt(state) == [Reply("Which state are you in?", STATES)]
