"""The catalog's caches on a real redis-server: right answers, and never more entries than their bounds."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot_versions.model import Status
from bot_versions.registry import Registry
from bot_versions.state import BotState
from bot_versions.validation import load_version
from middleware.catalog import Catalog
from tests.bot_versions.support import runtime_env

KNOWN = ("greeter", "echo")
# The names a client may put in a URL: slugs a bot could have (the known ones too), and anything else.
slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True)
names = st.sampled_from(KNOWN) | slugs | st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


class CountingRegistry(Registry):
    """A registry that counts its reads of bot states and definitions."""

    reads = 0

    async def state(self, bot: str) -> BotState | None:
        self.reads += 1
        return await super().state(bot)


class Clock:
    """A monotonic clock moved by hand."""

    now = 0.0

    def __call__(self) -> float:
        return self.now


def reply_bot(bot: str, version: str = "1.0.0") -> Any:
    return load_version({"bot": bot, "version": version, "reply": f"{bot} {version}: {{text}}"})


async def stored(redis: Redis, *bots: str) -> CountingRegistry:
    registry = CountingRegistry(redis)
    for bot in bots:
        await registry.put(reply_bot(bot), "test")
        await registry.set_status(bot, "1.0.0", Status.PUBLISHED, "test")
    return registry


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(names, max_size=60))
async def test_any_stream_of_names_stays_within_the_bounds_and_finds_exactly_the_real_bots(
    redis: Redis, sequence: list[str]
) -> None:
    """Whatever names arrive, in any order: known bots are found, others are not, and no cache passes its bound."""
    registry = await stored(redis, *KNOWN)
    catalog = Catalog(registry, runtime_env(), max_bots=1, max_unknown=3, max_versions=1)
    for name in sequence:
        state = await catalog.state(name)
        assert (state is not None) == (name in KNOWN)
        if state is not None:
            assert state.bot == name and await catalog.replayable(name)
        sizes = catalog.sizes()
        assert sizes["states"] <= 1 and sizes["unknown"] <= 3 and sizes["versions"] <= 1
        assert sizes["replayable"] <= 1 and sizes["loading"] == 0


async def test_random_names_do_not_push_a_real_bots_state_out(redis: Redis) -> None:
    """Unknown names have their own bound: greeter's state is still served without a read after 100 of them."""
    registry = await stored(redis, "greeter")
    catalog = Catalog(registry, runtime_env(), max_bots=1, max_unknown=4, clock=Clock())
    assert await catalog.state("greeter") is not None
    for n in range(100):
        assert await catalog.state(f"nobody-{n}") is None
    reads = registry.reads
    assert await catalog.state("greeter") is not None
    assert registry.reads == reads
    assert catalog.sizes()["unknown"] == 4


async def test_a_name_no_bot_can_have_is_neither_read_nor_remembered(redis: Redis) -> None:
    """`Greeter`, `greeter\\n`, `a/b` and a 64-character name are not slugs: no Redis read, no entry."""
    registry = await stored(redis, "greeter")
    catalog = Catalog(registry, runtime_env())
    for name in ("Greeter", "greeter\n", "a/b", "x" * 64, "", "{greeter}"):
        assert await catalog.state(name) is None
    assert registry.reads == 0
    assert catalog.sizes()["unknown"] == 0


async def test_a_missing_bot_is_remembered_for_max_age_then_read_again(redis: Redis) -> None:
    """A bot stored after a miss is found once the miss is older than max_age (or at once after invalidate)."""
    clock = Clock()
    registry = await stored(redis)
    catalog = Catalog(registry, runtime_env(), max_age=0.5, clock=clock)
    assert await catalog.state("late") is None
    await stored(redis, "late")
    assert await catalog.state("late") is None  # still the remembered miss
    clock.now += 0.5
    assert await catalog.state("late") is not None
    assert catalog.sizes()["unknown"] == 0
    catalog.invalidate("late")
    assert catalog.sizes()["states"] == 0


async def test_a_version_dropped_from_a_full_cache_is_built_again(redis: Redis) -> None:
    """With room for one version, alternating between two still gives each its own definition and runtime."""
    registry = await stored(redis, "echo")
    await registry.put(reply_bot("echo", "2.0.0"), "test")
    catalog = Catalog(registry, runtime_env(), max_versions=1)
    for version in ("1.0.0", "2.0.0", "1.0.0", "2.0.0"):
        definition, _ = await catalog.version("echo", version)
        assert definition.version == version
        assert catalog.sizes()["versions"] == 1


async def test_turns_that_miss_at_once_build_a_versions_runtime_once(redis: Redis) -> None:
    """Ten concurrent first turns of a version read its definition, but build its runtime (and a bot's factory) once."""
    registry = await stored(redis, "greeter")
    catalog = Catalog(registry, runtime_env())
    found = await asyncio.gather(*(catalog.version("greeter", "1.0.0") for _ in range(10)))
    assert len({id(runtime) for _, runtime in found}) == 1
