"""Each runtime's `migrate` in the gateway: rasa and activity keep the upstream conversation, python asks its bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from tests.admin.support import Admin, settings
from tests.gateway.greeters import stored_session
from tests.support import Gateway, running_gateway
from tests.upstream.fixtures import RunningBot

MODULE = "tests.bot_versions.runtimes.migrating_bots"


@asynccontextmanager
async def gateway(redis: Redis, tmp_path: Path) -> AsyncIterator[tuple[Gateway, Admin]]:
    """An in-process gateway that may call the test bots and import MODULE, and its admin API."""
    allowed = replace(
        settings(tmp_path),
        upstream_hosts=frozenset({"127.0.0.1"}),
        python_modules=(MODULE,),
        public_url="http://gateway.test",  # activity bots reply to the in-process client's base
    )
    async with running_gateway(redis, settings=allowed) as gw:
        yield gw, Admin(gw.http)


def version(bot: str, number: str, runtime: str, block: dict[str, Any], resumes: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"bot": bot, "version": number, "runtime": runtime, runtime: block}
    if resumes is not None:
        document["resumes"] = resumes
    return document


def decisions(logs: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["decision"] for e in logs if e.get("event") == "turn"]


async def test_rasa_carries_on_with_the_same_sender(redis: Redis, tmp_path: Path, fake_rasa: RunningBot) -> None:
    """Both versions on one Rasa tracker store: the chosen button after the move answers the question asked before."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(version("sizes", "1.0.0", "rasa", {"url": fake_rasa.endpoint}))
        alice = gw.chat("sizes", "alice")
        assert (await alice.send("hi"))["replies"] == [{"text": "What size? (model v1)", "choices": ["Small", "Large"]}]
        conversation = alice.last["conversation"]
        await admin.release(version("sizes", "1.1.0", "rasa", {"url": fake_rasa.endpoint}, resumes="<1.1"))
        with capture_logs() as logs:
            assert await alice.says("Small") == ["A small one, coming up. (model v1)"]
        assert (alice.last["conversation"], alice.last["version"], decisions(logs)) == (
            conversation,
            "1.1.0",
            ["migrate"],
        )
        sent = httpx.get(f"{fake_rasa.url}/received", params={"sender": conversation}).json()
        assert sent == ["hi", '/size{"size":"small"}']


async def test_activity_carries_on_with_the_same_conversation_id(
    redis: Redis, tmp_path: Path, expect_replies_bot: RunningBot
) -> None:
    """The bot's dialog, keyed by conversation id, goes on after the move: it asked the name, it gets the name."""
    block = {"url": expect_replies_bot.endpoint, "delivery": "expectReplies"}
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(version("desk", "1.0.0", "activity", block))
        alice = gw.chat("desk", "alice")
        assert await alice.says("hi") == ["What is your name?"]
        conversation = alice.last["conversation"]
        await admin.release(version("desk", "1.1.0", "activity", block, resumes="<1.1"))
        assert await alice.says("Alice") == ["Hello, Alice! Tea or coffee?"]
        assert (alice.last["conversation"], alice.last["version"]) == (conversation, "1.1.0")
        assert await alice.says("Tea") == ["Tea for Alice, from expect-replies bot v1"]


@pytest.mark.parametrize(
    ("new", "decision", "reply", "state"),
    [
        ("adopter", "migrate", "Adopter 2: again", {"n": 2, "from": "1.0.0"}),
        ("counter", "migrate_declined", "Counter 2: again", {"n": 2}),
        ("refuser", "migrate_declined", "Counter 2: again", {"n": 2}),
        ("breaker", "migrate_failed", "Counter 2: again", {"n": 2}),
        ("shaper", "migrate_failed", "Counter 2: again", {"n": 2}),
    ],
    ids=["migrate returns a state", "no migrate", "migrate returns None", "migrate raises", "not a state"],
)
async def test_python_asks_the_bots_migrate(
    redis: Redis, tmp_path: Path, new: str, decision: str, reply: str, state: dict[str, Any]
) -> None:
    """A state takes the conversation over; no `migrate` or None declines; raising or a non-state fails, and stays."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(version("py", "1.0.0", "python", {"entry": f"{MODULE}:counter"}))
        alice = gw.chat("py", "alice")
        assert await alice.says("hi") == ["Counter 1: hi"]
        await admin.release(version("py", "1.1.0", "python", {"entry": f"{MODULE}:{new}"}, resumes="<1.1"))
        with capture_logs() as logs:
            assert await alice.says("again") == [reply]
        assert decisions(logs) == [decision]
        session = await stored_session(redis, "alice", "py")
        assert session is not None and session.state == state
        assert session.version == ("1.1.0" if decision == "migrate" else "1.0.0")
        assert session.declined == ("1.1.0" if decision == "migrate_declined" else "")
