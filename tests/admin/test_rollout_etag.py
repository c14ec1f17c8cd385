"""The rollout's compare-and-set through the admin API: ETag on GET and PUT, If-Match, 412 with the current one."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from admin.bots import if_match
from tests.admin.support import Admin, settings
from tests.clock import ManualClock
from tests.support import running_gateway, snapshot

ROLLOUT = "/bots/greeter/rollout"


def canary(percent: float) -> dict[str, Any]:
    return {"stable": "1.0.0", "canary": {"version": "2.0.0", "percent": percent}}


async def test_a_stale_if_match_is_refused_with_412_and_overwrites_nothing(redis: Redis) -> None:
    """Someone changed the rollout after it was read: 412 precondition_failed naming the current rollout and its
    tag (also in ETag), and every key in Redis as it was."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        stale = (await admin.call("GET", ROLLOUT)).headers["ETag"]
        meanwhile = await admin.call("PUT", ROLLOUT, json=canary(10))
        before = await snapshot(redis)

        r = await admin.call("PUT", ROLLOUT, json=canary(50), headers={"If-Match": stale})

        assert r.status_code == 412
        error = r.json()["error"]
        assert error["code"] == "precondition_failed"
        assert "changed by someone else" in error["message"]
        assert error["details"]["etag"] == meanwhile.headers["ETag"] == r.headers["ETag"]
        assert error["details"]["rollout"] == meanwhile.json()
        assert await snapshot(redis) == before


async def test_a_current_if_match_applies_the_change_and_answers_the_new_tag(redis: Redis) -> None:
    """PUT with the tag GET gave: 200, and the answer's ETag is what GET says next."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        tag = (await admin.call("GET", ROLLOUT)).headers["ETag"]
        r = await admin.call("PUT", ROLLOUT, json=canary(10), headers={"If-Match": tag})
        assert r.status_code == 200, r.text
        again = await admin.call("GET", ROLLOUT)
        assert r.headers["ETag"] == again.headers["ETag"] != tag
        assert again.json() == r.json()
        assert again.json()["canary"]["percent"] == 10


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 200), ("*", 200), ("current", 200), ('"0000", current', 200), ("weak", 412), ('"0000"', 412), ("x", 412)],
    ids=["no If-Match", "any", "the current tag", "a list holding it", "the current tag, weak", "another tag", "junk"],
)
async def test_if_match_is_compared_strongly(redis: Redis, header: str | None, status: int) -> None:
    """No header or `*`: no condition. Otherwise one of the tags must be the current one, compared strongly."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        tag = (await admin.call("GET", ROLLOUT)).headers["ETag"]
        value = None if header is None else header.replace("current", tag).replace("weak", f"W/{tag}")
        headers = {} if value is None else {"If-Match": value}
        r = await admin.call("PUT", ROLLOUT, json=canary(10), headers=headers)
        assert r.status_code == status, r.text


async def test_the_tag_follows_the_stored_rollout(redis: Redis) -> None:
    """Setting the rollout it has already keeps the tag (nothing is written); any change gives a new one."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        first = await admin.call("PUT", ROLLOUT, json=canary(10))
        same = await admin.call("PUT", ROLLOUT, json=canary(10), headers={"If-Match": first.headers["ETag"]})
        assert same.headers["ETag"] == first.headers["ETag"]
        entries = (await admin.ok("GET", "/bots/greeter/audit"))["entries"]
        assert [e["action"] for e in entries].count("rollout") == 1
        guarded = {**canary(10)}
        guarded["canary"] = {**guarded["canary"], "guard": {}}
        changed = await admin.call("PUT", ROLLOUT, json=guarded, headers={"If-Match": same.headers["ETag"]})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != same.headers["ETag"]


async def test_since_is_kept_while_the_canary_stays_and_a_get_body_can_be_sent_back(
    redis: Redis, clock: ManualClock
) -> None:
    """Changing only the guard keeps `since`; the read-only `since` and `last_guard` of a GET body are ignored."""
    async with running_gateway(redis, clock, settings=settings()) as gw:
        admin = Admin(gw.http)
        set_at = await admin.ok("PUT", ROLLOUT, json=canary(10))
        clock.advance(60)
        body = await admin.ok("GET", ROLLOUT)
        body["canary"]["guard"] = {"min_conversations": 50}
        body["canary"]["since"] = "2000-01-01T00:00:00.000Z"
        kept = await admin.ok("PUT", ROLLOUT, json=body)
        assert kept["canary"]["since"] == set_at["canary"]["since"]
        assert kept["canary"]["guard"]["min_conversations"] == 50
        moved = await admin.ok("PUT", ROLLOUT, json=canary(20))
        assert moved["canary"]["since"] > set_at["canary"]["since"]


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, None),
        ("*", None),
        ('"a"', {'"a"'}),
        ('"a", W/"b" ,"c"', {'"a"', '"c"'}),
        ('W/"a"', set()),
        ("", set()),
    ],
    ids=["absent", "any", "one", "a list, weak dropped", "weak only", "empty"],
)
def test_if_match_headers_name_strong_tags(header: str | None, tags: set[str] | None) -> None:
    """The tags a header names, as they are compared."""
    assert if_match(header) == tags
