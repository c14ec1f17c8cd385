"""The rollout's compare-and-set in the registry: the If-Match check and the write are one atomic step."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot_versions.errors import PreconditionFailed
from bot_versions.registry import Registry, rollout_etag
from bot_versions.state import Canary, Rollout
from tests.clock import ManualClock


async def test_a_write_landing_between_the_check_and_the_set_is_not_overwritten(
    redis: Redis, clock: ManualClock
) -> None:
    """The tag matched when read, but another writer changed the rollout before the set: 412, theirs stands."""
    registry, other = Registry(redis, clock), Registry(redis, clock)
    _, tag = await registry.rollout("greeter")
    theirs = Rollout(stable="1.0.0")

    calls = 0

    def change(current: Rollout) -> Rollout:
        nonlocal calls
        calls += 1
        return Rollout(canary=Canary("2.0.0", 50))

    original = registry._cas

    async def cas_after_a_race(**kwargs: object) -> object:
        # the other writer lands after this one's read and check, before its compare-and-set
        await other.set_rollout("greeter", theirs, "token#other")
        return await original(**kwargs)

    registry._cas = cas_after_a_race  # type: ignore[method-assign]
    with pytest.raises(PreconditionFailed) as info:
        await registry.change_rollout("greeter", change, "token#mine", if_match={tag})
    assert calls == 1
    stored, now = await other.rollout("greeter")
    assert stored.stable == "1.0.0" and stored.canary is None
    assert info.value.details == {"rollout": stored.to_json(), "etag": now}
    entries = await other.audit("greeter")
    assert [e.actor for e in entries] == ["token#other"]


async def test_without_if_match_a_concurrent_write_is_retried_on_the_new_value(
    redis: Redis, clock: ManualClock
) -> None:
    """No condition: the change is computed again on what the other writer stored, and both are audited."""
    registry, other = Registry(redis, clock), Registry(redis, clock)
    original = registry._cas
    raced = False

    async def cas_after_a_race(**kwargs: object) -> object:
        nonlocal raced
        if not raced:
            raced = True
            await other.set_rollout("greeter", Rollout(stable="1.0.0"), "token#other")
        return await original(**kwargs)

    registry._cas = cas_after_a_race  # type: ignore[method-assign]
    stored, tag = await registry.change_rollout(
        "greeter", lambda current: Rollout(stable=current.stable, canary=Canary("2.0.0", 5)), "token#mine"
    )
    assert (stored.stable, stored.canary) == ("1.0.0", Canary("2.0.0", 5))
    assert tag == (await registry.rollout("greeter"))[1]
    assert [e.actor for e in await registry.audit("greeter")] == ["token#mine", "token#other"]


def test_the_tag_is_strong_and_names_the_stored_text() -> None:
    """A quoted hash of the stored text: equal texts, equal tags; any difference, another tag."""
    assert rollout_etag('{"a":1}') == rollout_etag('{"a":1}') != rollout_etag('{"a":2}')
    assert rollout_etag(None).startswith('"') and rollout_etag(None).endswith('"')
    assert not rollout_etag(None).startswith("W/")
