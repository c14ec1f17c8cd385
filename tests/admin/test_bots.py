"""Bots through the admin API: listing, per-version counts from the counters, rollout as set and as applied, audit."""

from __future__ import annotations

from redis.asyncio import Redis

from admin.views import iso
from middleware.keys import active_counts
from tests.admin.support import Admin, greeter, settings
from tests.clock import START_MS
from tests.support import running_gateway

SET_AT = iso(START_MS)  # the gateway's (manual) clock when a canary is set: its `since`


async def test_every_bot_is_listed_with_its_rollout_and_versions(redis: Redis) -> None:
    """GET /bots: each example bot, versions newest first."""
    async with running_gateway(redis, settings=settings()) as gw:
        bots = (await Admin(gw.http).ok("GET", "/bots"))["bots"]
        assert [b["bot"] for b in bots] == ["echo", "greeter", "zipcode"]
        greeter_view = bots[1]
        assert [v["version"] for v in greeter_view["versions"]] == ["2.0.0", "1.0.0"]
        assert greeter_view["rollout"] == {"stable": None, "canary": None, "last_guard": None}
        assert greeter_view["serving"] == {"stable": "2.0.0", "canary": None}


async def test_active_sessions_are_read_from_the_counters(redis: Redis) -> None:
    """The counts are the counters' values (not a scan of sessions), zero for a version nobody is on."""
    async with running_gateway(redis, settings=settings()) as gw:
        await gw.chat("greeter", "alice").send("hi")
        await redis.hincrby(active_counts("greeter"), "1.0.0", 41)
        view = await Admin(gw.http).ok("GET", "/bots/greeter")
        assert {v["version"]: v["active_sessions"] for v in view["versions"]} == {"2.0.0": 1, "1.0.0": 41}


async def test_the_bot_view_shows_the_rollout_as_set_and_as_routing_applies_it(redis: Redis) -> None:
    """An explicit stable that is later unpublished stays in `rollout` while `serving` falls back."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter("2.1.0rc1"))
        await admin.rollout("greeter", "1.0.0", "2.1.0rc1", 5)
        await admin.ok("PUT", "/bots/greeter/pins/tess", json={"version": "2.1.0rc1"})
        await admin.ok("POST", "/bots/greeter/versions/1.0.0/unpublish")
        view = await admin.ok("GET", "/bots/greeter")
        assert view["rollout"] == {
            "stable": "1.0.0",
            "canary": {
                "version": "2.1.0rc1",
                "percent": 5,
                "guard": None,
                "steps": None,
                "hold": None,
                "since": SET_AT,
            },
            "last_guard": None,
        }
        assert view["serving"] == {"stable": "2.0.0", "canary": {"version": "2.1.0rc1", "percent": 5}}
        assert view["pins"] == {"tess": "2.1.0rc1"}
        assert [(v["version"], v["status"], v["in_flight"]) for v in view["versions"]] == [
            ("2.1.0rc1", "published", None),
            ("2.0.0", "published", None),
            ("1.0.0", "unpublished", "drain"),
        ]


async def test_the_audit_lists_changes_newest_first_with_before_and_after(redis: Redis) -> None:
    """Store, publish, rollout, pin and unpin each leave one entry; `limit` keeps the newest."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter("2.1.0"))
        await admin.rollout("greeter", None, "2.1.0", 10)
        await admin.ok("PUT", "/bots/greeter/pins/tess", json={"version": "2.1.0"})
        await admin.ok("DELETE", "/bots/greeter/pins/tess")

        entries = (await admin.ok("GET", "/bots/greeter/audit?limit=5"))["entries"]
        assert [(e["action"], e["subject"]) for e in entries] == [
            ("unpin", "tess"),
            ("pin", "tess"),
            ("rollout", "greeter"),
            ("publish", "2.1.0"),
            ("store", "2.1.0"),
        ]
        assert (entries[0]["before"], entries[0]["after"]) == ("2.1.0", None)
        assert entries[2]["before"] is None
        assert entries[2]["after"] == {
            "stable": None,
            "canary": {"version": "2.1.0", "percent": 10, "guard": None, "steps": None, "hold": None, "since": SET_AT},
            "last_guard": None,
        }
        assert entries[3]["before"]["status"] == "draft" and entries[3]["after"]["status"] == "published"
