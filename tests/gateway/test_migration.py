"""Migration end to end: conversations under way move to a newer version that resumes theirs, at their next message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot_versions import keys
from gateway.redis_connection import connect
from gateway.settings import Settings
from middleware.routing import BUCKETS
from tests.admin.support import Admin, settings
from tests.bot_versions.runtimes.support import turn_events
from tests.clock import ManualClock
from tests.gateway.greeters import greeter_1, greeter_2, greeter_21, payload, stored_session, transcript_rows
from tests.redis_servers import RedisServer
from tests.support import Gateway, running_gateway, user_in_bucket


@asynccontextmanager
async def gateway(
    redis: Redis, tmp_path: Path, clock: ManualClock | None = None
) -> AsyncIterator[tuple[Gateway, Admin]]:
    """An in-process gateway with no bots of its own, and its admin API."""
    async with running_gateway(redis, clock, settings(tmp_path)) as gw:
        yield gw, Admin(gw.http)


async def transcript(admin: Admin, user: str, conversation: str) -> list[dict[str, Any]]:
    """The messages of one conversation, as the admin API shows them."""
    view = await admin.ok("GET", f"/bots/greeter/sessions/{user}/transcript")
    (found,) = [c for c in view["conversations"] if c["conversation"] == conversation]
    messages: list[dict[str, Any]] = found["messages"]
    return messages


async def active(admin: Admin) -> dict[str, int]:
    """Active sessions per version, as GET /bots/{bot} reports them."""
    view = await admin.ok("GET", "/bots/greeter")
    return {v["version"]: v["active_sessions"] for v in view["versions"]}


async def test_the_seed_story_a_user_mid_conversation_moves_to_the_version_that_resumes_theirs(
    redis: Redis, tmp_path: Path
) -> None:
    """Alice, at 2.0.0's ask_name with her language saved, is answered by 2.1.0 at ask_first_name; Carol stays."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_1())
        carol = gw.chat("greeter", "carol")
        assert await carol.says("hi") == ["What is your name?"]
        await admin.release(greeter_2())
        alice = gw.chat("greeter", "alice")
        assert await alice.says("hi") == ["Which language do you speak?"]
        assert await alice.says("French") == ["What is your name?"]
        conversation = alice.last["conversation"]
        assert (alice.last["version"], carol.last["version"]) == ("2.0.0", "1.0.0")

        await admin.release(greeter_21())
        await admin.rollout("greeter", stable="2.1.0")
        with capture_logs() as logs:
            r = await gw.http.post("/v1/bots/greeter/messages", json={"user": "alice", "text": "Alice"})
        assert r.status_code == 200, r.text
        assert r.headers["X-Bot-Version"] == "2.1.0"
        assert r.json() == {
            "replies": [{"text": "Thank you, Alice. And your last name?"}],
            "conversation": conversation,
            "version": "2.1.0",
            "status": "active",
        }
        session = await stored_session(redis, "alice")
        assert session is not None and session.state["step"] == "ask_last_name"
        assert payload(session) == {"language": "French", "first_name": "Alice"}

        messages = await transcript(admin, "alice", conversation)
        assert [(m["role"], m["version"], m.get("from"), m["text"]) for m in messages[-3:]] == [
            ("migration", "2.1.0", "2.0.0", "moved from 2.0.0 to 2.1.0"),
            ("user", "2.1.0", None, "Alice"),
            ("bot", "2.1.0", None, "Thank you, Alice. And your last name?"),
        ]
        assert [m["version"] for m in messages[:-3]] == ["2.0.0"] * 4
        assert await active(admin) == {"2.1.0": 1, "2.0.0": 0, "1.0.0": 1}
        (event,) = turn_events(logs)
        assert (event["decision"], event["version"], event["conversation"]) == ("migrate", "2.1.0", conversation)

        assert await carol.says("Carol") == ["Hello, Carol, from the original bot"]
        assert carol.last["version"] == "1.0.0"
        assert await alice.says("Martin") == ["Hello, Alice Martin, from the French greeter 2.1.0"]
        assert (alice.last["conversation"], alice.last["status"]) == (conversation, "ended")
        assert await active(admin) == {"2.1.0": 0, "2.0.0": 0, "1.0.0": 0}


async def test_a_canary_moves_only_the_users_in_its_bucket_and_raising_it_moves_more(
    redis: Redis, tmp_path: Path
) -> None:
    """At 20% only bucket-0-1999 users move; at 50% the next ones move at their next message; a pin keeps a user."""
    inside, middle, outside = user_in_bucket(0, 2000), user_in_bucket(2000, 5000), user_in_bucket(5000, BUCKETS)
    pinned = user_in_bucket(0, 2000, not_=(inside,))
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_2())
        await admin.rollout("greeter", stable="2.0.0")
        chats = {u: gw.chat("greeter", u) for u in (inside, middle, outside, pinned)}
        for chat in chats.values():
            assert await chat.says("hi") == ["Which language do you speak?"]
        await admin.release(greeter_21())
        await admin.ok("PUT", f"/bots/greeter/pins/{pinned}", json={"version": "2.0.0"})
        await admin.rollout("greeter", stable="2.0.0", canary="2.1.0", percent=20)

        answered = {u: await chat.says("French") for u, chat in chats.items()}
        assert answered == {
            inside: ["What is your first name?"],
            middle: ["What is your name?"],
            outside: ["What is your name?"],
            pinned: ["What is your name?"],
        }
        assert {u: c.last["version"] for u, c in chats.items()} == {
            inside: "2.1.0",
            middle: "2.0.0",
            outside: "2.0.0",
            pinned: "2.0.0",
        }

        await admin.rollout("greeter", stable="2.0.0", canary="2.1.0", percent=50)
        assert await chats[middle].says("Bob") == ["Thank you, Bob. And your last name?"]
        assert chats[middle].last["version"] == "2.1.0"
        assert await chats[outside].says("Olga") == ["Hello, Olga, from the French greeter 2.0.0"]
        assert await chats[pinned].says("Pat") == ["Hello, Pat, from the French greeter 2.0.0"]
        assert await active(admin) == {"2.1.0": 2, "2.0.0": 0}


async def test_never_to_an_older_version(redis: Redis, tmp_path: Path) -> None:
    """A stable held back to an older version, even one whose resumes covers the newer, leaves conversations alone."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_2())
        await admin.release(greeter_21())
        alice = gw.chat("greeter", "alice")
        assert await alice.says("hi") == ["Which language do you speak?"]
        assert alice.last["version"] == "2.1.0"
        # Validation refuses such a specifier; written straight into the registry, routing must still not follow it.
        older = greeter_2("2.0.5", resumes=">=2.0,<2.0.5")
        await admin.release(older)
        raw = await redis.hget(keys.config("greeter"), keys.version_field("2.0.5"))
        await redis.hset(
            keys.config("greeter"),
            keys.version_field("2.0.5"),
            raw.replace(b'"resumes":">=2.0,<2.0.5"', b'"resumes":">=2.0"'),
        )
        gw.services.catalog.invalidate("greeter")
        await admin.rollout("greeter", stable="2.0.5")
        assert (await admin.ok("GET", "/bots/greeter/versions/2.0.5"))["resumes"] == ">=2.0"
        assert await alice.says("French") == ["What is your first name?"]
        assert alice.last["version"] == "2.1.0"


async def test_never_to_a_draft_the_user_is_not_pinned_to(redis: Redis, tmp_path: Path) -> None:
    """A draft 2.1.0 takes over the conversation of the tester pinned to it, and nobody else's."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_2())
        alice, tess = gw.chat("greeter", "alice"), gw.chat("greeter", "tess")
        for chat in (alice, tess):
            await chat.send("hi")
            await chat.send("French")
        assert (await admin.store(greeter_21())).status_code == 201
        await admin.ok("PUT", "/bots/greeter/pins/tess", json={"version": "2.1.0"})
        assert await alice.says("Alice") == ["Hello, Alice, from the French greeter 2.0.0"]
        assert await tess.says("Tess") == ["Thank you, Tess. And your last name?"]
        assert tess.last["version"] == "2.1.0"


async def test_never_twice_in_one_turn(redis: Redis, tmp_path: Path) -> None:
    """2.2.0 resumes only 2.1: a 2.0.0 conversation does not hop through 2.1.0 to it; it moves one version a turn."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_2())
        alice = gw.chat("greeter", "alice")
        assert await alice.says("hi") == ["Which language do you speak?"]
        conversation = alice.last["conversation"]
        await admin.release(greeter_21())
        await admin.release(greeter_21("2.2.0", resumes=">=2.1,<2.2", resume_at={}))
        await admin.rollout("greeter", stable="2.2.0")
        assert await alice.says("French") == ["What is your name?"]
        assert alice.last["version"] == "2.0.0"

        await admin.rollout("greeter", stable="2.1.0")
        assert await alice.says("Alice") == ["Thank you, Alice. And your last name?"]
        assert alice.last["version"] == "2.1.0"
        await admin.rollout("greeter", stable="2.2.0")
        assert await alice.says("Martin") == ["Hello, Alice Martin, from the French greeter 2.2.0"]
        moves = [(r["from"], r["version"]) for r in await transcript_rows(redis, "alice", conversation)
                 if r["role"] == "migration"]  # fmt: skip
        assert moves == [("2.0.0", "2.1.0"), ("2.1.0", "2.2.0")]


async def test_idle_reset_is_applied_before_migration(redis: Redis, tmp_path: Path, clock: ManualClock) -> None:
    """Idle past 2.0.0's limit with policy reset: the message starts a new conversation on 2.1.0, no move."""
    async with gateway(redis, tmp_path, clock) as (gw, admin):
        await admin.release(greeter_2(idle={"after": 600, "policy": "reset"}))
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await alice.send("French")
        first = alice.last["conversation"]
        await admin.release(greeter_21())
        clock.advance(601)
        with capture_logs() as logs:
            replies = await alice.says("Alice")
        assert replies == ["It has been a while, so let's start over.", "Which language do you speak?"]
        assert (alice.last["version"], turn_events(logs)[0]["decision"]) == ("2.1.0", "idle_reset")
        assert alice.last["conversation"] != first
        assert all(r["role"] != "migration" for r in await transcript_rows(redis, "alice", alice.last["conversation"]))


async def test_idle_ask_is_applied_before_migration_and_the_move_follows_the_answer(
    redis: Redis, tmp_path: Path, clock: ManualClock
) -> None:
    """Idle with policy ask: "continue?" on 2.0.0, yes re-asks 2.0.0's question, and the answer then moves."""
    async with gateway(redis, tmp_path, clock) as (gw, admin):
        await admin.release(greeter_2(idle={"after": 600, "policy": "ask"}))
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await alice.send("French")
        await admin.release(greeter_21())
        clock.advance(601)
        assert await alice.says("Alice") == ["Welcome back! Continue where you left off? (yes/no)"]
        assert (alice.last["version"], alice.last["status"]) == ("2.0.0", "confirming")
        assert await alice.says("yes") == ["What is your name?"]
        assert alice.last["version"] == "2.0.0"
        with capture_logs() as logs:
            assert await alice.says("Alice") == ["Thank you, Alice. And your last name?"]
        assert (alice.last["version"], turn_events(logs)[0]["decision"]) == ("2.1.0", "migrate")


async def test_unpublish_with_reset_loses_to_migration(redis: Redis, tmp_path: Path) -> None:
    """2.0.0 unpublished with reset: Alice moves to 2.1.0 instead; Carol on 1.0.0, which nothing resumes, resets."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_1())
        carol = gw.chat("greeter", "carol")
        await carol.send("hi")
        await admin.release(greeter_2())
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await alice.send("French")
        conversation = alice.last["conversation"]
        await admin.release(greeter_21())
        for version in ("1.0.0", "2.0.0"):
            await admin.ok("POST", f"/bots/greeter/versions/{version}/unpublish", json={"in_flight": "reset"})
        assert await alice.says("Alice") == ["Thank you, Alice. And your last name?"]
        assert (alice.last["conversation"], alice.last["version"]) == (conversation, "2.1.0")
        assert await carol.says("Carol") == [
            "This bot has been updated, so let's start over.",
            "Which language do you speak?",
        ]
        assert carol.last["version"] == "2.1.0"


async def test_a_flow_step_with_no_counterpart_stays_and_drains(redis: Redis, tmp_path: Path) -> None:
    """2.1.0 has no ask_language: Alice, standing there, finishes on 2.0.0 (not asked again); Bob at ask_name moves."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_2())
        alice, bob = gw.chat("greeter", "alice"), gw.chat("greeter", "bob")
        await alice.send("hi")
        await bob.send("hi")
        await bob.send("French")
        await admin.release(greeter_21(language_step="ask_locale"))
        with capture_logs() as logs:
            assert await alice.says("French") == ["What is your name?"]
        assert (alice.last["version"], turn_events(logs)[0]["decision"]) == ("2.0.0", "migrate_declined")
        session = await stored_session(redis, "alice")
        assert session is not None and session.declined == "2.1.0"
        with capture_logs() as logs:
            assert await alice.says("Alice") == ["Hello, Alice, from the French greeter 2.0.0"]
        assert turn_events(logs)[0]["decision"] == "stay"
        assert await bob.says("Bob") == ["Thank you, Bob. And your last name?"]
        assert bob.last["version"] == "2.1.0"
        assert await alice.says("hi") == ["Which language do you speak?"]
        assert alice.last["version"] == "2.1.0"


async def test_a_process_whose_view_predates_the_new_version_carries_the_moved_conversation_on(
    redis_server: RedisServer, redis: Redis, tmp_path: Path
) -> None:
    """Moved to 2.1.0 by one process, Alice's next message on a process that has not yet seen 2.1.0 is not reset."""
    other = connect(Settings(redis_url=redis_server.url))
    try:
        async with gateway(redis, tmp_path) as (a, admin), running_gateway(other, settings=settings(tmp_path)) as b:
            await admin.release(greeter_2())
            b.services.catalog.max_age = 3600.0  # b keeps the view it reads first: 2.0.0 alone
            assert await b.chat("greeter", "alice").says("hi") == ["Which language do you speak?"]
            await admin.release(greeter_21())
            assert await a.chat("greeter", "alice").says("French") == ["What is your first name?"]
            with capture_logs() as logs:
                assert await b.chat("greeter", "alice").says("Alice") == ["Thank you, Alice. And your last name?"]
            assert turn_events(logs)[0]["decision"] == "stay"
    finally:
        await other.aclose()


async def script_calls(redis: Redis) -> dict[str, int]:
    """Calls per command since the last CONFIG RESETSTAT (commands a script runs are counted, but are no round trip)."""
    stats = await redis.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): int(v["calls"])
        for name, v in stats.items()
        if name != "cmdstat_config|resetstat"
    }


async def test_a_migrating_turn_costs_one_redis_call_more_than_a_steady_one_the_counters_move(
    redis: Redis, tmp_path: Path
) -> None:
    """A steady turn is one script call; a migrating one two (the save with its migration line, then the counters)."""
    async with gateway(redis, tmp_path) as (gw, admin):
        await admin.release(greeter_2())
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await admin.release(greeter_21())
        await gw.chat("greeter", "bob").send("hi")  # this process reads the new view once, before measuring
        await redis.config_resetstat()
        await alice.send("French")
        migrating = await script_calls(redis)
        await redis.config_resetstat()
        await alice.send("Alice")
        steady = await script_calls(redis)
    assert (migrating["evalsha"], steady["evalsha"]) == (2, 1)
    assert (migrating["xadd"], steady["xadd"]) == (3, 2)  # the migration line, the message, the reply
    # The second call moved the counters (one session off 2.0.0, onto 2.1.0) and carried the turns' health counts.
    assert migrating["hincrby"] >= 2 and "hincrby" not in steady
