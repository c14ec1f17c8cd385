"""The guard loop in process, on a real Redis, with a manual clock: rollback, progression, concurrent operators, the
lease between two guards."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

import admin.guard as guard_module
from admin.guard import LEASE_KEY, RolloutGuard
from admin.guard_rule import Action
from middleware.health import minute_of, window_health
from middleware.keys import health
from middleware.routing import bucket
from tests.admin.support import Admin, greeter, settings
from tests.bot_versions.runtimes.support import definition
from tests.clock import ManualClock
from tests.support import Gateway, running_gateway, user_in_bucket
from tests.upstream.fixtures import RunningBot

QUIET = dataclasses.replace(settings(), guard_interval_s=3600)  # the app's own loop stays asleep: tests call it
GUARD = {"max_error_rate_increase": 0.02, "max_completion_drop": 0.05, "min_conversations": 100, "window": 900}
STABLE = {"started": 1000, "turns": 9900, "errors": 100, "completed": 800, "reset": 200}  # 1% errors, 80% completed
SICK = {"started": 200, "turns": 920, "errors": 80, "completed": 160, "reset": 40}  # 8% errors
TOO_FEW_TO_JUDGE = {"started": 40, "turns": 120, "errors": 50, "completed": 30, "reset": 10}  # 42% errors
HEALTHY = {"started": 200, "turns": 990, "errors": 10, "completed": 160, "reset": 40}  # as stable
ROLLOUT = "/bots/greeter/rollout"


async def fill(redis: Redis, now_ms: int, counts: Mapping[str, Mapping[str, int]]) -> None:
    """Add health events to greeter's bucket of the minute `now_ms` falls in, as the turns would."""
    key = health("greeter", minute_of(now_ms))
    for version, events in counts.items():
        for event, n in events.items():
            await redis.hincrby(key, f"{version}|{event}", n)


def guarded(percent: float, **extra: Any) -> dict[str, Any]:
    return {"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": percent, "guard": GUARD, **extra}}


async def canary_on(gw: Gateway, percent: float, **extra: Any) -> Admin:
    admin = Admin(gw.http)
    await admin.release(greeter("2.1.0"))
    await admin.ok("PUT", ROLLOUT, json=guarded(percent, **extra))
    return admin


def the_guard(gw: Gateway) -> RolloutGuard:
    found: RolloutGuard = gw.app.state.guard
    return found


async def test_a_canary_with_a_clear_error_regression_is_rolled_back(redis: Redis, clock: ManualClock) -> None:
    """The canary is removed, the audit and `last_guard` say why with the figures, this process routes new
    conversations to stable at once, and a user mid-conversation on the canary finishes there."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        admin = await canary_on(gw, 100)
        alice = gw.chat("greeter", "alice")
        assert (await alice.send("hi"))["version"] == "2.1.0"
        await fill(redis, clock(), {"2.1.0": SICK, "2.0.0": STABLE})

        changes = await the_guard(gw).evaluate_once(clock())

        assert [(c.bot, c.decision.action) for c in changes] == [("greeter", Action.ROLLBACK)]
        rollout = await admin.ok("GET", ROLLOUT)
        assert (rollout["stable"], rollout["canary"]) == ("2.0.0", None)
        last = rollout["last_guard"]
        assert (last["action"], last["figures"]["rule"]) == ("rollback", "error_rate")
        assert last["why"].startswith("failed turns ")
        assert last["figures"]["canary"]["errors"] >= 80 and last["figures"]["error_rate"]["z"] > 1.645

        entry = (await admin.ok("GET", "/bots/greeter/audit?limit=1"))["entries"][0]
        assert (entry["actor"], entry["action"], entry["subject"]) == ("guard", "rollout", "greeter")
        assert entry["before"]["canary"]["version"] == "2.1.0"
        assert entry["after"]["canary"] is None
        assert entry["after"]["last_guard"] == last

        assert await alice.says("Ada") == ["Hello, Ada, from 2.1.0"]
        assert (await gw.chat("greeter", "bob").send("hi"))["version"] == "2.0.0"


async def test_an_http_canary_whose_turns_fail_is_rolled_back_by_the_health_its_turns_wrote(
    redis: Redis, clock: ManualClock, http_test_bot: RunningBot
) -> None:
    """No counts written by hand: half the users meet a canary whose bot answers 500, the gateway counts those
    turns as errors of 2.1.0, the guard reads them and rolls the canary back; new conversations go to stable."""
    allowed = dataclasses.replace(QUIET, upstream_hosts=frozenset({"127.0.0.1"}))
    async with running_gateway(redis, clock, settings=allowed) as gw:
        admin = Admin(gw.http)
        failing = http_test_bot.url + "/status/500"  # the test bot answers every turn there with a 500
        await admin.release(definition("greeter", "2.1.0", "http", url=failing, timeout=2))
        body = guarded(50)
        body["canary"]["guard"] = {**GUARD, "min_conversations": 20}
        await admin.ok("PUT", ROLLOUT, json=body)
        statuses: dict[str, list[int]] = {"2.1.0": [], "2.0.0": []}
        for i in range(80):
            user = f"u{i}"
            side = "2.1.0" if bucket("greeter", user) < 5000 else "2.0.0"
            for text in ("hi", "Ada"):
                answer = await gw.http.post("/v1/bots/greeter/messages", json={"user": user, "text": text})
                statuses[side].append(answer.status_code)
        assert set(statuses["2.1.0"]) == {502} and set(statuses["2.0.0"]) == {200}
        assert min(len(v) for v in statuses.values()) >= 2 * 20  # each side past the guard's minimum
        await gw.services.store.flush()  # health waits up to a second in the process otherwise

        changes = await the_guard(gw).evaluate_once(clock())

        assert [(c.bot, c.decision.action) for c in changes] == [("greeter", Action.ROLLBACK)]
        rollout = await admin.ok("GET", ROLLOUT)
        assert (rollout["canary"], rollout["last_guard"]["figures"]["rule"]) == (None, "error_rate")
        counted = rollout["last_guard"]["figures"]["canary"]
        assert (counted["turns"], counted["errors"]) == (len(statuses["2.1.0"]), len(statuses["2.1.0"]))
        assert (await gw.chat("greeter", user_in_bucket(0, 5000)).send("hi"))["version"] == "2.0.0"


async def test_a_healthy_canary_advances_at_each_hold_and_is_then_promoted(redis: Redis, clock: ManualClock) -> None:
    """5% -> 25% -> 50% -> 100% one hold apart, then stable; each step an audit entry by the guard."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        admin = await canary_on(gw, 5, steps=[5, 25, 50, 100], hold=600)
        guard = the_guard(gw)
        seen = []
        for _ in range(5):
            await fill(redis, clock(), {"2.1.0": HEALTHY, "2.0.0": STABLE})
            assert await guard.evaluate_once(clock()) == []  # holding
            clock.advance(600)
            await fill(redis, clock(), {"2.1.0": HEALTHY, "2.0.0": STABLE})
            changes = await guard.evaluate_once(clock())
            seen += [(c.decision.action, c.decision.percent) for c in changes]
            rollout = await admin.ok("GET", ROLLOUT)
            if rollout["canary"] is None:
                break
            assert rollout["canary"]["since"] == rollout["last_guard"]["at"]  # the hold starts again
            state = await gw.services.catalog.require_state("greeter")  # this process applies it at once
            assert state.rollout.canary is not None and state.rollout.canary.percent == rollout["canary"]["percent"]

        assert seen == [(Action.ADVANCE, 25), (Action.ADVANCE, 50), (Action.ADVANCE, 100), (Action.PROMOTE, None)]
        assert (rollout["stable"], rollout["canary"], rollout["last_guard"]["action"]) == ("2.1.0", None, "promote")
        entries = (await admin.ok("GET", "/bots/greeter/audit?limit=4"))["entries"]
        assert [e["actor"] for e in entries] == ["guard"] * 4
        assert [(e["after"]["canary"] or {}).get("percent") for e in entries] == [None, 100, 50, 25]
        assert (await gw.chat("greeter", "new-user").send("hi"))["version"] == "2.1.0"


async def test_too_few_conversations_change_nothing(redis: Redis, clock: ManualClock) -> None:
    """A sick canary (50 of 120 turns failed) with 90 conversations to count (started, plus failed turns: under the
    minimum of 100) is neither rolled back nor advanced, however long it has held."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        admin = await canary_on(gw, 5, steps=[5, 25], hold=60)
        before = await admin.call("GET", ROLLOUT)
        clock.advance(600)
        await fill(redis, clock(), {"2.1.0": TOO_FEW_TO_JUDGE, "2.0.0": STABLE})
        assert await the_guard(gw).evaluate_once(clock()) == []
        after = await admin.call("GET", ROLLOUT)
        assert after.headers["ETag"] == before.headers["ETag"]


async def test_an_operators_change_between_the_guards_read_and_write_stands(
    redis: Redis, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard's write is a compare-and-set on what it read: the operator's change is kept, and the guard judges
    it at its next round."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        operator = await canary_on(gw, 10)
        await fill(redis, clock(), {"2.1.0": SICK, "2.0.0": STABLE})

        async def operator_meanwhile(*args: Any) -> Any:
            await operator.ok("PUT", ROLLOUT, json=guarded(20))  # after the guard read the rollout, before it writes
            return await window_health(*args)

        monkeypatch.setattr(guard_module, "window_health", operator_meanwhile)
        assert await the_guard(gw).evaluate_once(clock()) == []
        rollout = await operator.ok("GET", ROLLOUT)
        assert (rollout["canary"]["percent"], rollout["last_guard"]) == (20, None)
        entry = (await operator.ok("GET", "/bots/greeter/audit?limit=1"))["entries"][0]
        assert (entry["actor"], entry["after"]["canary"]["percent"]) != ("guard", 20)
        assert entry["actor"].startswith("token#")

        monkeypatch.undo()
        changes = await the_guard(gw).evaluate_once(clock())
        assert [c.decision.action for c in changes] == [Action.ROLLBACK]
        assert (await operator.ok("GET", ROLLOUT))["canary"] is None


def two_guards(gw: Gateway, clock: ManualClock, interval_s: float = 60) -> tuple[RolloutGuard, RolloutGuard]:
    """Two guards on the gateway's Redis, as two processes would have."""
    svc = gw.services
    return tuple(  # type: ignore[return-value]
        RolloutGuard(svc.redis, svc.registry, svc.catalog, interval_s, clock, token=name) for name in ("a", "b")
    )


async def test_only_the_lease_holder_changes_anything(redis: Redis, clock: ManualClock) -> None:
    """While one guard holds the lease the other's rounds do nothing; once it lets go, the other takes over."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        operator = await canary_on(gw, 10)
        first, second = two_guards(gw, clock)
        assert await first.hold_lease()
        await fill(redis, clock(), {"2.1.0": SICK, "2.0.0": STABLE})

        assert await second.evaluate_once(clock()) == []
        assert (await operator.ok("GET", ROLLOUT))["canary"] is not None
        assert [c.decision.action for c in await first.evaluate_once(clock())] == [Action.ROLLBACK]
        assert await redis.get(LEASE_KEY) == b"a"

        await operator.ok("PUT", ROLLOUT, json=guarded(10))
        await first.stop()  # gives the lease up
        assert [c.decision.action for c in await second.evaluate_once(clock())] == [Action.ROLLBACK]
        assert await redis.get(LEASE_KEY) == b"b"


async def test_a_holder_that_stops_renewing_loses_the_lease_within_a_lease(redis: Redis, clock: ManualClock) -> None:
    """The lease is a few intervals long; when its holder goes quiet, the other guard gets it once it runs out."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        first, second = two_guards(gw, clock, interval_s=0.05)
        assert await first.hold_lease()
        assert await first.hold_lease()  # renewed by its holder
        assert not await second.hold_lease()
        lease_ms = await redis.pttl(LEASE_KEY)
        assert 0 < lease_ms <= first.lease_ms == 150

        deadline = time.monotonic() + 5
        while not await second.hold_lease():
            assert time.monotonic() < deadline, "the lease of a silent holder never ran out"
            await asyncio.sleep(0.01)
        assert not await first.hold_lease()
        assert not first.holding and second.holding


async def test_the_gateway_runs_the_guard_and_gives_its_lease_up_on_shutdown(redis: Redis, clock: ManualClock) -> None:
    """The lifespan starts the loop (it takes the lease at its first round) and stops it, releasing the lease."""
    fast = dataclasses.replace(settings(), guard_interval_s=0.05)
    async with running_gateway(redis, clock, settings=fast) as gw:
        token = the_guard(gw).token.encode()
        deadline = time.monotonic() + 5
        while await redis.get(LEASE_KEY) != token:
            assert time.monotonic() < deadline, "the gateway's guard never took the lease"
            await asyncio.sleep(0.01)
    assert await redis.get(LEASE_KEY) is None


async def test_a_bot_the_guard_cannot_read_does_not_stop_the_others(redis: Redis, clock: ManualClock) -> None:
    """One bot's unreadable rollout is logged and skipped; greeter's sick canary is still rolled back."""
    async with running_gateway(redis, clock, settings=QUIET) as gw:
        await canary_on(gw, 10)
        await redis.hset("bg:b:{echo}:conf", "rollout", '{"stable": null, "canary": {"version": 7}}')
        await fill(redis, clock(), {"2.1.0": SICK, "2.0.0": STABLE})
        changes = await the_guard(gw).evaluate_once(clock())
        assert [(c.bot, c.decision.action) for c in changes] == [("greeter", Action.ROLLBACK)]
