"""Idle policies on a manual clock: reset, and ask with yes, no and unclear answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from redis.asyncio import Redis

from bot_versions.model import Status
from bot_versions.validation import load_version
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.support import Gateway, running_gateway

ASK_AGAIN = "Sorry, I did not get that. Continue where you left off? Please answer yes or no."


def greeter(version: str, origin: str, policy: str) -> dict[str, Any]:
    return {
        "bot": "greeter",
        "version": version,
        "idle": {"after": 600, "policy": policy},
        "messages": {"idle_reset": f"Let's start over ({version})."},
        "start": "ask_name",
        "steps": {
            "ask_name": {"ask": "What is your name?", "save": "name", "next": "greet"},
            "greet": {"say": f"Hello, {{name}}, from the {origin} bot"},
        },
    }


def settings_with_original(tmp_path: Path, policy: str) -> Settings:
    (tmp_path / "greeter-1.0.0.yaml").write_text(yaml.safe_dump(greeter("1.0.0", "original", policy)))
    return Settings(redis_url="redis://test", bots_dir=tmp_path)


async def publish_updated(gw: Gateway, policy: str) -> None:
    await gw.services.registry.put(load_version(greeter("2.0.0", "updated", policy)), "test")
    await gw.services.registry.set_status("greeter", "2.0.0", Status.PUBLISHED, "test")
    gw.services.catalog.invalidate("greeter")


async def test_idle_reset_tells_the_user_and_takes_the_message_as_the_first_of_a_new_conversation(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """After 10 idle minutes under `reset`, the next message starts over on the newest version."""
    async with running_gateway(redis, clock, settings_with_original(tmp_path, "reset")) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        first = alice.last["conversation"]
        await publish_updated(gw, "reset")
        clock.advance(601)
        assert await alice.says("hello?") == ["Let's start over (1.0.0).", "What is your name?"]
        assert alice.last["version"] == "2.0.0"
        assert alice.last["conversation"] != first


async def test_a_silence_shorter_than_the_limit_continues_the_conversation(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """Under the limit, the next message is the answer to the question asked."""
    async with running_gateway(redis, clock, settings_with_original(tmp_path, "reset")) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        clock.advance(600)
        assert await alice.says("Alice") == ["Hello, Alice, from the original bot"]


async def test_idle_ask_then_yes_asks_the_last_question_again_on_the_pinned_version(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """'yes' continues on 1.0.0 even though 2.0.0 is now stable; the silence-breaking message is no answer."""
    async with running_gateway(redis, clock, settings_with_original(tmp_path, "ask")) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await publish_updated(gw, "ask")
        clock.advance(601)
        assert await alice.says("Alice") == ["Welcome back! Continue where you left off? (yes/no)"]
        assert alice.last["status"] == "confirming"
        assert await alice.says("YES") == ["What is your name?"]
        assert (alice.last["version"], alice.last["status"]) == ("1.0.0", "active")
        assert await alice.says("Alice") == ["Hello, Alice, from the original bot"]
        transcript = await redis.xrange(f"bg:t:{{greeter:rest:alice}}:{alice.last['conversation']}")
        assert [f[b"text"] for _, f in transcript][:3] == [b"hi", b"What is your name?", b"Alice"]


async def test_idle_ask_then_no_starts_a_new_conversation_on_the_newest_version(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """'no' re-routes: the new conversation runs 2.0.0 from its start."""
    async with running_gateway(redis, clock, settings_with_original(tmp_path, "ask")) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        first = alice.last["conversation"]
        await publish_updated(gw, "ask")
        clock.advance(601)
        await alice.send("hello?")
        assert await alice.says("no") == ["What is your name?"]
        assert alice.last["version"] == "2.0.0"
        assert alice.last["conversation"] != first
        assert await alice.says("Alice") == ["Hello, Alice, from the updated bot"]


async def test_three_unclear_answers_to_continue_reset_the_conversation(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """Unclear answers are asked again twice; the third resets and starts over."""
    async with running_gateway(redis, clock, settings_with_original(tmp_path, "ask")) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        clock.advance(601)
        await alice.send("hello?")
        assert await alice.says("maybe") == [ASK_AGAIN]
        assert await alice.says("perhaps") == [ASK_AGAIN]
        assert alice.last["status"] == "confirming"
        assert await alice.says("dunno") == ["Let's start over (1.0.0).", "What is your name?"]
        assert alice.last["status"] == "active"
