"""Seed 004's story: users mid-conversation stay on their version while a new one is published."""

from __future__ import annotations

from pathlib import Path

import yaml
from redis.asyncio import Redis

from bot_versions.examples import examples_dir
from bot_versions.model import Status
from bot_versions.registry import Registry
from bot_versions.validation import load_version
from gateway.settings import Settings
from middleware.keys import active_counts
from tests.support import running_gateway

ORIGINAL_ONLY = "greeter-1.0.0.yaml"


def only(tmp_path: Path, *names: str) -> Settings:
    for name in names:
        (tmp_path / name).write_text((examples_dir() / name).read_text())
    return Settings(redis_url="redis://test", bots_dir=tmp_path)


async def publish_updated_greeter(registry: Registry) -> None:
    """Publish greeter 2.0.0 straight into the store, as an operator would, with no restart."""
    updated = load_version(yaml.safe_load((examples_dir() / "greeter-2.0.0.yaml").read_text()))
    await registry.put(updated, "test")
    await registry.set_status("greeter", "2.0.0", Status.PUBLISHED, "test")


async def test_a_user_mid_conversation_finishes_on_the_version_they_started_on(redis: Redis, tmp_path: Path) -> None:
    """Alice answers 1.0.0's question after 2.0.0 is published and still gets 1.0.0's answer; then moves on."""
    async with running_gateway(redis, settings=only(tmp_path, ORIGINAL_ONLY)) as gw:
        alice = gw.chat("greeter", "alice")
        assert await alice.says("hi") == ["What is your name?"]
        assert alice.last["version"] == "1.0.0"

        await publish_updated_greeter(gw.services.registry)
        gw.services.catalog.invalidate("greeter")

        assert await alice.says("Alice") == ["Hello, Alice, from the original bot"]
        assert alice.last == {**alice.last, "version": "1.0.0", "status": "ended"}

        assert await alice.says("hi again") == ["What is your name?"]
        assert alice.last["version"] == "2.0.0"
        assert await alice.says("Alice") == ["Hello, Alice, from the updated bot"]

        bob = gw.chat("greeter", "bob")
        await bob.send("hi")
        assert bob.last["version"] == "2.0.0"


async def test_the_answering_version_is_in_the_header(redis: Redis) -> None:
    """Every chat response names its version in X-Bot-Version."""
    async with running_gateway(redis) as gw:
        r = await gw.http.post("/v1/bots/greeter/messages", json={"user": "u", "text": "hi"})
        assert r.headers["X-Bot-Version"] == r.json()["version"] == "2.0.0"


async def test_active_counters_follow_conversations_across_versions(redis: Redis, tmp_path: Path) -> None:
    """1.0.0 counts Alice until her conversation ends; her next one counts on 2.0.0."""
    async with running_gateway(redis, settings=only(tmp_path, ORIGINAL_ONLY)) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        counts = gw.services.redis
        assert await counts.hget(active_counts("greeter"), "1.0.0") == b"1"
        await publish_updated_greeter(gw.services.registry)
        gw.services.catalog.invalidate("greeter")
        await alice.send("Alice")
        assert await counts.hget(active_counts("greeter"), "1.0.0") == b"0"
        await alice.send("hi")
        assert await counts.hget(active_counts("greeter"), "2.0.0") == b"1"
