"""The guard's lease across real `botgate serve` processes: one evaluates, and killing it hands the guard over."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from tests.admin.support import RW, bearer, greeter
from tests.processes import ServerProcess, live_gateway
from tests.redis_servers import RedisServer

T = TypeVar("T")
DEADLINE_S = 20  # generous: two processes on two shared cores; the lease itself is 0.6 s


def eventually(check: Callable[[], T], what: str) -> T:
    """Poll `check` until it returns something truthy; fail after DEADLINE_S saying what never happened."""
    deadline = time.monotonic() + DEADLINE_S
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what} within {DEADLINE_S} s"
        time.sleep(0.05)
    return found


def admin(gateway: ServerProcess, method: str, path: str, **kwargs: object) -> httpx.Response:
    r = httpx.request(method, f"{gateway.url}/admin/v1{path}", headers=bearer(RW), timeout=10, **kwargs)  # type: ignore[arg-type]
    assert r.is_success, r.text
    return r


def test_killing_the_lease_holder_hands_the_guard_to_the_other_process(tmp_path: Path) -> None:
    """Of two gateways one takes the lease; after kill -9 the other takes it and moves a canary along its steps."""
    server = RedisServer(tmp_path / "redis").start()
    env = {"BOTGATE_REDIS_URL": server.url, "BOTGATE_ADMIN_TOKENS": RW, "BOTGATE_GUARD_INTERVAL": "0.2"}
    gateways = [live_gateway(tmp_path / name, env) for name in ("a", "b")]
    try:
        for gateway in gateways:
            gateway.start()
        holders = eventually(
            lambda: [g for g in gateways if g.events("guard_lease_taken")], "neither gateway took the guard's lease"
        )
        assert len(holders) == 1
        holder, survivor = holders[0], next(g for g in gateways if g is not holders[0])
        assert survivor.events("guard_lease_taken") == []

        holder.kill()
        taken = eventually(lambda: survivor.events("guard_lease_taken"), "the survivor never took the lease")
        assert taken[0]["token"] != holder.events("guard_lease_taken")[0]["token"]

        admin(survivor, "PUT", "/bots/greeter/versions/2.1.0", json=greeter("2.1.0"))
        admin(survivor, "POST", "/bots/greeter/versions/2.1.0/publish")
        rollout = {"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": 50, "steps": [50], "hold": 1}}
        admin(survivor, "PUT", "/bots/greeter/rollout", json=rollout)
        promoted = eventually(lambda: survivor.events("guard_promote"), "the survivor never promoted the canary")
        assert (promoted[0]["bot"], promoted[0]["version"]) == ("greeter", "2.1.0")
        now = admin(survivor, "GET", "/bots/greeter/rollout").json()
        assert (now["stable"], now["canary"], now["last_guard"]["action"]) == ("2.1.0", None, "promote")
    finally:
        for gateway in gateways:
            gateway.stop()
        server.stop()
