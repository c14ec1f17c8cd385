"""Version lifecycle through the admin API: store, read, publish and unpublish, with users mid-conversation."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from tests.admin.support import Admin, as_yaml, greeter, settings
from tests.support import running_gateway

ORIGINAL = "greeter-1.0.0.yaml"


async def test_a_definition_is_stored_as_a_draft_once(redis: Redis) -> None:
    """201 with Location, then 200 for the same content as JSON or YAML, 409 for different content."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        first = await admin.store(greeter("2.1.0"))
        assert first.status_code == 201
        assert first.headers["location"] == "/admin/v1/bots/greeter/versions/2.1.0"
        assert first.json()["status"] == "draft"
        assert (await admin.store(greeter("2.1.0"))).status_code == 200
        yaml_again = await admin.call(
            "PUT",
            "/bots/greeter/versions/2.1.0",
            content=as_yaml(greeter("2.1.0")),
            headers={"Content-Type": "application/yaml"},
        )
        assert yaml_again.status_code == 200
        different = await admin.store(greeter("2.1.0", "Hi {name}, something else"))
        assert different.status_code == 409
        assert different.json()["error"]["code"] == "conflict"


async def test_a_version_reads_back_with_its_definition_status_and_counts(redis: Redis) -> None:
    """GET a version: the stored definition, status, active sessions, creation time."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        await gw.chat("greeter", "alice").send("hi")
        view = await admin.ok("GET", "/bots/greeter/versions/2.0.0")
        assert view["status"] == "published"
        assert view["active_sessions"] == 1
        assert view["definition"]["version"] == "2.0.0"
        assert view["created_at"].endswith("Z")


async def test_an_invalid_definition_is_refused_with_every_problem_and_its_path(redis: Redis) -> None:
    """422 lists each problem of the document, the URL disagreeing with it included."""
    async with running_gateway(redis, settings=settings()) as gw:
        broken = {
            "bot": "greeter",
            "version": "2.2.0",
            "start": "ask",
            "steps": {"ask": {"ask": "Name? {x.__class__}", "next": "nowhere"}},
        }
        r = await Admin(gw.http).call("PUT", "/bots/greeter/versions/2.1.0", json=broken)
        assert r.status_code == 422
        paths = [d["path"] for d in r.json()["error"]["details"]]
        assert "steps.ask.next" in paths
        assert "steps.ask.ask" in paths
        assert "version" in paths


async def test_publishing_through_the_api_moves_only_new_conversations(redis: Redis, tmp_path: Path) -> None:
    """Alice, mid-conversation on 1.0.0 when 2.1.0 is published, finishes there; her next conversation is 2.1.0."""
    async with running_gateway(redis, settings=settings(tmp_path, ORIGINAL)) as gw:
        admin = Admin(gw.http)
        alice = gw.chat("greeter", "alice")
        assert await alice.says("hi") == ["What is your name?"]
        assert alice.last["version"] == "1.0.0"

        published = await admin.release(greeter("2.1.0"))
        assert published["status"] == "published"

        assert await alice.says("Alice") == ["Hello, Alice, from the original bot"]
        assert alice.last["version"] == "1.0.0"
        assert await alice.says("hi") == ["What is your name?"]
        assert alice.last["version"] == "2.1.0"
        assert await alice.says("Alice") == ["Hello, Alice, from 2.1.0"]


async def test_unpublish_with_drain_lets_conversations_under_way_finish(redis: Redis, tmp_path: Path) -> None:
    """Drain: Alice finishes on 1.0.0; her next conversation starts on 2.1.0."""
    async with running_gateway(redis, settings=settings(tmp_path, ORIGINAL)) as gw:
        admin = Admin(gw.http)
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await admin.release(greeter("2.1.0"))
        view = await admin.ok("POST", "/bots/greeter/versions/1.0.0/unpublish")
        assert (view["status"], view["in_flight"], view["active_sessions"]) == ("unpublished", "drain", 1)

        assert await alice.says("Alice") == ["Hello, Alice, from the original bot"]
        await alice.send("hi")
        assert alice.last["version"] == "2.1.0"


async def test_unpublish_with_reset_restarts_conversations_under_way(redis: Redis, tmp_path: Path) -> None:
    """Reset: Alice's next message is told the bot was updated and starts 2.1.0's conversation."""
    async with running_gateway(redis, settings=settings(tmp_path, ORIGINAL)) as gw:
        admin = Admin(gw.http)
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await admin.release(greeter("2.1.0"))
        await admin.ok("POST", "/bots/greeter/versions/1.0.0/unpublish", json={"in_flight": "reset"})

        assert await alice.says("Alice") == ["This bot has been updated, so let's start over.", "What is your name?"]
        assert alice.last["version"] == "2.1.0"


async def test_unpublishing_the_only_version_stops_new_conversations_while_drains_finish(
    redis: Redis, tmp_path: Path
) -> None:
    """Bob gets 404 saying nothing is published; Alice, mid-conversation, still finishes on 1.0.0."""
    async with running_gateway(redis, settings=settings(tmp_path, ORIGINAL)) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        await Admin(gw.http).ok("POST", "/bots/greeter/versions/1.0.0/unpublish", json={"in_flight": "drain"})

        r = await gw.http.post("/v1/bots/greeter/messages", json={"user": "bob", "text": "hi"})
        assert r.status_code == 404
        assert "no published version" in r.json()["error"]["message"]
        assert await alice.says("Alice") == ["Hello, Alice, from the original bot"]


async def test_publishing_again_changes_nothing_and_records_nothing(redis: Redis) -> None:
    """A second publish is a no-op: one audit entry, not two."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter("2.1.0"))
        await admin.ok("POST", "/bots/greeter/versions/2.1.0/publish")
        audit = await admin.ok("GET", "/bots/greeter/audit")
        actions = [(e["action"], e["subject"]) for e in audit["entries"] if e["subject"] == "2.1.0"]
        assert actions == [("publish", "2.1.0"), ("store", "2.1.0")]
