"""Operators' view of migration: each version's `resumes`, and the dry run of what routing a version would move."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from admin.views import resumable_view
from bot_versions.model import InFlight, Status
from bot_versions.state import BotState, Canary, Rollout, VersionMeta
from middleware.keys import active_counts
from tests.admin.support import Admin, settings
from tests.gateway.greeters import greeter_1, greeter_2, greeter_21
from tests.support import Gateway, running_gateway, snapshot


async def under_way(gw: Gateway, user: str, *texts: str) -> None:
    for text in texts:
        await gw.chat("greeter", user).send(text)


async def test_every_version_view_shows_its_resumes(redis: Redis, tmp_path: Path) -> None:
    """GET /bots, GET /bots/{bot} and GET .../versions/{version} carry `resumes` (null for a version with none)."""
    async with running_gateway(redis, settings=settings(tmp_path)) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter_2())
        assert (await admin.store(greeter_21())).status_code == 201
        expected = {"2.1.0": ">=2.0,<2.1", "2.0.0": None}
        (listed,) = (await admin.ok("GET", "/bots"))["bots"]
        assert {v["version"]: v["resumes"] for v in listed["versions"]} == expected
        one = await admin.ok("GET", "/bots/greeter")
        assert {v["version"]: v["resumes"] for v in one["versions"]} == expected
        assert (await admin.ok("GET", "/bots/greeter/versions/2.1.0"))["resumes"] == ">=2.0,<2.1"
        published = await admin.ok("POST", "/bots/greeter/versions/2.1.0/publish")
        assert published["resumes"] == ">=2.0,<2.1"  # publishing keeps it


async def test_the_dry_run_counts_the_conversations_under_way_on_each_version_it_resumes(
    redis: Redis, tmp_path: Path
) -> None:
    """Live sessions on 2.0.0 and 2.0.1 count, 1.0.0's and ended ones do not; routed_now follows pins and publishing."""
    async with running_gateway(redis, settings=settings(tmp_path)) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter_1())
        await under_way(gw, "carol", "hi")
        await admin.release(greeter_2())
        await under_way(gw, "alice", "hi")
        await under_way(gw, "bob", "hi", "French")
        await under_way(gw, "dan", "hi", "French", "Dan")  # ended
        await admin.release(greeter_2("2.0.1"))
        await under_way(gw, "erin", "hi")
        await admin.rollout("greeter", stable="2.0.1")
        assert (await admin.store(greeter_21())).status_code == 201

        path = "/bots/greeter/versions/2.1.0/resumable"
        assert await admin.ok("GET", path) == {
            "bot": "greeter",
            "version": "2.1.0",
            "resumes": ">=2.0,<2.1",
            "routed_now": "no",
            "sessions": 3,
            "by_version": {"2.0.0": 2, "2.0.1": 1},
        }
        await admin.ok("PUT", "/bots/greeter/pins/tess", json={"version": "2.1.0"})
        assert (await admin.ok("GET", path))["routed_now"] == "pinned"
        await admin.ok("POST", "/bots/greeter/versions/2.1.0/publish")
        await admin.rollout("greeter", stable="2.0.1", canary="2.1.0", percent=5)
        assert (await admin.ok("GET", path))["routed_now"] == "canary"
        await admin.rollout("greeter", stable="2.1.0")
        assert (await admin.ok("GET", path))["routed_now"] == "stable"


async def test_the_dry_run_reads_the_counters_and_changes_nothing(redis: Redis, tmp_path: Path) -> None:
    """The answer is the per-version counters' (no scan of sessions), and Redis is the same after it."""
    async with running_gateway(redis, settings=settings(tmp_path)) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter_2())
        await under_way(gw, "alice", "hi")
        assert (await admin.store(greeter_21())).status_code == 201
        await redis.hset(active_counts("greeter"), "2.0.0", 42)
        before = await snapshot(redis)
        moving = await admin.ok("GET", "/bots/greeter/versions/2.1.0/resumable")
        assert (moving["sessions"], moving["by_version"]) == (42, {"2.0.0": 42})
        assert await snapshot(redis) == before


@pytest.mark.parametrize(
    "path",
    [
        "/bots/greeter/versions/9.9.9/resumable",
        "/bots/nobody/versions/2.1.0/resumable",
        "/bots/greeter/versions/not-a-version/resumable",
    ],
    ids=["unknown version", "unknown bot", "not a version"],
)
async def test_the_dry_run_of_what_is_not_there_is_refused(redis: Redis, tmp_path: Path, path: str) -> None:
    """An unknown version or bot, or what cannot be a version, is a 404 with a JSON error."""
    async with running_gateway(redis, settings=settings(tmp_path)) as gw:
        admin = Admin(gw.http)
        await admin.release(greeter_2())
        r = await admin.call("GET", path)
        assert r.status_code == 404, r.text
        assert "error" in r.json()


def meta(status: Status, resumes: str | None = None) -> VersionMeta:
    return VersionMeta(status, 0, "d", InFlight.DRAIN, resumes)


@pytest.mark.parametrize(
    ("version", "counts", "sessions", "by_version"),
    [
        ("2.1.0", {"2.0.0": 3, "2.0.5": 0, "1.0.0": 4, "2.1.0": 7, "2.2.0": 1}, 3, {"2.0.0": 3}),
        ("2.1.0", {"2.0.10": 1, "2.0.9": 2}, 3, {"2.0.9": 2, "2.0.10": 1}),
        ("2.1.0", {}, 0, {}),
        ("2.0.0", {"1.0.0": 4}, 0, {}),
    ],
    ids=["only live, older, covered versions", "ordered by version", "nothing under way", "resumes nothing"],
)
def test_the_resumable_view_counts_only_older_covered_versions_with_sessions(
    version: str, counts: dict[str, int], sessions: int, by_version: dict[str, int]
) -> None:
    """Versions outside the specifier, the version itself, newer ones and empty counters are left out."""
    state = BotState(
        bot="greeter",
        versions={
            "1.0.0": meta(Status.PUBLISHED),
            "2.0.0": meta(Status.PUBLISHED),
            "2.1.0": meta(Status.DRAFT, ">=2.0,<2.1"),
            "2.2.0": meta(Status.DRAFT),
        },
        rollout=Rollout(stable=None, canary=Canary("2.0.0", 0)),
        pins={},
    )
    view = resumable_view(state, version, counts)
    assert (view["sessions"], view["by_version"]) == (sessions, by_version)
    assert list(view["by_version"]) == list(by_version)
