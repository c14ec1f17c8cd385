"""The `http` runtime's migration against a real bot process: the migrate event, then accept, decline or failure."""

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

from bot_versions.runtime import Activity
from gateway.channels.people import answer_people
from tests.admin.support import Admin, settings
from tests.gateway.greeters import stored_session, transcript_rows
from tests.support import Gateway, running_gateway, snapshot
from tests.upstream.fixtures import RunningBot

OLD, NEW = "1.0.0", "1.1.0"


def shop(bot: RunningBot, version: str, path: str, **extra: Any) -> dict[str, Any]:
    """A version of `shop` served by the http test bot at `path`; its bot_error message names the version."""
    return {
        "bot": "shop",
        "version": version,
        "runtime": "http",
        "http": {"url": bot.url + path, "timeout": 0.5},
        "messages": {"bot_error": f"Sorry, shop {version} is not answering."},
        **extra,
    }


def resuming(bot: RunningBot, path: str) -> dict[str, Any]:
    """Shop 1.1.0, taking over 1.0's conversations, served at `path`."""
    return shop(bot, NEW, path, resumes=">=1.0,<1.1")


@asynccontextmanager
async def gateway(redis: Redis, tmp_path: Path) -> AsyncIterator[tuple[Gateway, Admin]]:
    """An in-process gateway allowed to call the test bots (127.0.0.1), and its admin API."""
    allowed = replace(settings(tmp_path), upstream_hosts=frozenset({"127.0.0.1"}))
    async with running_gateway(redis, settings=allowed) as gw:
        yield gw, Admin(gw.http)


async def under_way(gw: Gateway, admin: Admin, bot: RunningBot, new_path: str) -> str:
    """Alice's conversation on 1.0.0 after one turn, then 1.1.0 (served at `new_path`) published: its id."""
    await admin.release(shop(bot, OLD, "/echo"))
    answer = await gw.chat("shop", "alice").send("hi")
    assert answer["replies"] == [{"text": "echo 1 from 1.0.0: hi"}]
    await admin.release(resuming(bot, new_path))
    conversation: str = answer["conversation"]
    return conversation


def received(bot: RunningBot, conversation: str) -> list[tuple[str, str, dict[str, Any]]]:
    """What the bot process was sent for this conversation: (path, event, body), in order."""
    entries = httpx.get(f"{bot.url}/received", params={"conversation": conversation}).json()
    return [(e["path"], e["json"]["event"], e["json"]) for e in entries]


def events(logs: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [e for e in logs if e.get("event") == name]


async def test_an_accepted_migration_sends_the_old_state_then_runs_the_message_on_the_new_version(
    redis: Redis, tmp_path: Path, http_test_bot: RunningBot
) -> None:
    """The bot gets the migrate event (from_version, the old state), then the message with the state it returned."""
    async with gateway(redis, tmp_path) as (gw, admin):
        conversation = await under_way(gw, admin, http_test_bot, "/migrate/accept")
        with capture_logs() as logs:
            r = await gw.http.post("/v1/bots/shop/messages", json={"user": "alice", "text": "again"})
        assert r.headers["X-Bot-Version"] == NEW
        assert r.json() == {
            "replies": [{"text": "echo 2 from 1.1.0: again"}],
            "conversation": conversation,
            "version": NEW,
            "status": "active",
        }
        sent = received(http_test_bot, conversation)
        assert [(path, event) for path, event, _ in sent] == [
            ("/echo", "message"),
            ("/migrate/accept", "migrate"),
            ("/migrate/accept", "message"),
        ]
        migrate, message = sent[1][2], sent[2][2]
        assert migrate == {
            "event": "migrate",
            "bot": "shop",
            "version": NEW,
            "from_version": OLD,
            "conversation": conversation,
            "user": "alice",
            "channel": "rest",
            "space": None,
            "state": {"n": 1},
        }
        assert message["version"] == NEW
        assert message["state"] == {"n": 1, "migrated_from": OLD, "migrated_to": NEW}
        session = await stored_session(redis, "alice", "shop")
        assert session is not None and session.version == NEW
        assert session.state == {"state": {"n": 2, "migrated_from": OLD, "migrated_to": NEW}}
        assert events(logs, "turn")[0]["decision"] == "migrate"


async def test_a_declined_migration_leaves_the_conversation_on_its_version_and_is_not_asked_again(
    redis: Redis, tmp_path: Path, http_test_bot: RunningBot
) -> None:
    """409: the message is answered by 1.0.0 with its own state, and the next message sends no migrate event."""
    async with gateway(redis, tmp_path) as (gw, admin):
        conversation = await under_way(gw, admin, http_test_bot, "/migrate/decline")
        alice = gw.chat("shop", "alice")
        with capture_logs() as logs:
            assert await alice.says("again") == ["echo 2 from 1.0.0: again"]
            assert await alice.says("third") == ["echo 3 from 1.0.0: third"]
        assert (alice.last["conversation"], alice.last["version"]) == (conversation, OLD)
        assert [e["decision"] for e in events(logs, "turn")] == ["migrate_declined", "stay"]
        sent = received(http_test_bot, conversation)
        assert [(path, event) for path, event, _ in sent] == [
            ("/echo", "message"),
            ("/migrate/decline", "migrate"),
            ("/echo", "message"),
            ("/echo", "message"),
        ]
        assert sent[2][2]["state"] == {"n": 1}  # the state the old version returned, untouched by the migration
        session = await stored_session(redis, "alice", "shop")
        assert session is not None and (session.version, session.declined) == (OLD, NEW)
        assert session.state == {"state": {"n": 3}}
        assert all(row["role"] != "migration" for row in await transcript_rows(redis, "alice", conversation, "shop"))


@pytest.mark.parametrize(("path", "reason"), [("/migrate/fail", "status"), ("/timeout", "timeout")])
async def test_a_failed_migration_leaves_no_trace_and_the_conversation_carries_on_where_it_was(
    redis: Redis, tmp_path: Path, http_test_bot: RunningBot, path: str, reason: str
) -> None:
    """500 or a timeout: 1.0.0 answers; only the turn's own writes are saved; migrate_failed logged; asked again."""
    async with gateway(redis, tmp_path) as (gw, admin):
        conversation = await under_way(gw, admin, http_test_bot, path)
        before_session = await stored_session(redis, "alice", "shop")
        before = await snapshot(redis)
        alice = gw.chat("shop", "alice")
        with capture_logs() as logs:
            assert await alice.says("again") == ["echo 2 from 1.0.0: again"]
        assert (alice.last["conversation"], alice.last["version"]) == (conversation, OLD)
        (turn,) = events(logs, "turn")
        assert (turn["decision"], turn["outcome"]) == ("migrate_failed", "ok")
        (failed,) = events(logs, "migrate_failed")
        assert (failed["version"], failed["from_version"], failed["reason"]) == (NEW, OLD, reason)

        after = await snapshot(redis)
        session_key = next(k for k in before if k.startswith(b"bg:s:"))
        transcript_key = next(k for k in before if k.startswith(b"bg:t:"))
        assert {k for k in set(before) | set(after) if before.get(k) != after.get(k)} == {session_key, transcript_key}
        session = await stored_session(redis, "alice", "shop")
        assert before_session is not None and session is not None
        assert session == before_session.evolve(
            state={"state": {"n": 2}},
            turns=2,
            last=[{"text": "echo 2 from 1.0.0: again"}],
            sync=0,  # the first save's counter entry is known written: a plain turn's bookkeeping
            revision=before_session.revision + 1,
        )
        rows = await transcript_rows(redis, "alice", conversation, "shop")
        assert [(r["role"], r["version"]) for r in rows[-2:]] == [("user", OLD), ("bot", OLD)]
        assert all(r["role"] != "migration" for r in rows)

        if reason == "status":  # a failure is not a refusal: the next message asks again
            assert await alice.says("third") == ["echo 3 from 1.0.0: third"]
            migrations = [event for _, event, _ in received(http_test_bot, conversation) if event == "migrate"]
            assert len(migrations) == 2


async def test_a_migration_whose_message_turn_then_fails_leaves_the_session_byte_for_byte_unchanged(
    redis: Redis, tmp_path: Path, http_test_bot: RunningBot
) -> None:
    """Accepted, then 1.1.0 fails the message: REST 502, Redis as before, and people get the apology on 1.0.0."""
    async with gateway(redis, tmp_path) as (gw, admin):
        conversation = await under_way(gw, admin, http_test_bot, "/migrate/accept-then-fail")
        before = await snapshot(redis)
        r = await gw.http.post("/v1/bots/shop/messages", json={"user": "alice", "text": "again"})
        assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error"
        assert await snapshot(redis) == before

        activity = Activity("shop", "rest", "alice", "again", gw.services.clock())
        answer = await answer_people(gw.services.runner, activity)
        assert answer == {
            "replies": [{"text": "Sorry, shop 1.1.0 is not answering."}],
            "conversation": conversation,
            "version": OLD,
            "status": "active",
        }
        assert await snapshot(redis) == before
        sent = [(path, event) for path, event, _ in received(http_test_bot, conversation)]
        assert sent[1:] == [("/migrate/accept-then-fail", "migrate"), ("/migrate/accept-then-fail", "message")] * 2
