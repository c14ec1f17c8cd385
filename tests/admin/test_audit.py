"""How a change reads (`before -> after`) and the one `admin_change` event each change logs."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from admin.audit import change_text, summary
from admin.auth import AdminToken
from tests.admin.support import RW, Admin, greeter, settings
from tests.support import running_gateway


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "none"),
        ("draft", "draft"),
        ("2.1.0", "2.1.0"),
        ({"status": "published", "created_at_ms": 1, "digest": "d", "in_flight": "drain"}, "published"),
        ({"status": "unpublished", "created_at_ms": 1, "digest": "d", "in_flight": "reset"}, "unpublished (reset)"),
        ({"stable": None, "canary": None}, "stable highest release, canary none"),
        ({"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": 12.5}}, "stable 2.0.0, canary 2.1.0 at 12.5%"),
    ],
    ids=["nothing", "stored", "pin", "published", "unpublished with reset", "default rollout", "rollout"],
)
def test_a_value_of_the_audit_reads_in_a_few_words(value: Any, words: str) -> None:
    """Statuses, rollouts and pins as words, never as the stored JSON."""
    assert summary(value) == words


def test_a_change_reads_before_then_after() -> None:
    """`before -> after`; a rollout never set reads as the default one."""
    assert change_text("store", None, "draft") == "none -> draft"
    after = {"stable": "2.0.0", "canary": None}
    assert change_text("rollout", None, after) == "stable highest release, canary none -> stable 2.0.0, canary none"


async def test_each_admin_change_logs_exactly_one_event_naming_actor_action_subject_before_and_after(
    redis: Redis,
) -> None:
    """store, publish, rollout, pin, unpin and a reset: one admin_change each; a change that changes nothing, none."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        with capture_logs() as logs:
            await admin.store(greeter("3.0.0"))
            await admin.ok("POST", "/bots/greeter/versions/3.0.0/publish")
            await admin.ok("POST", "/bots/greeter/versions/3.0.0/publish")  # already published: no change
            await admin.rollout("greeter", "2.0.0")
            await admin.ok("PUT", "/bots/greeter/pins/alice", json={"version": "1.0.0"})
            await admin.ok("DELETE", "/bots/greeter/pins/alice")
            await admin.ok("DELETE", "/bots/greeter/sessions/alice")
    me = AdminToken.of(RW).identity
    changes = [{k: v for k, v in e.items() if k != "log_level"} for e in logs if e["event"] == "admin_change"]
    common = {"event": "admin_change", "bot": "greeter", "actor": me}
    assert changes == [
        {**common, "action": "store", "subject": "3.0.0", "before": "none", "after": "draft"},
        {**common, "action": "publish", "subject": "3.0.0", "before": "draft", "after": "published"},
        {**common, "action": "rollout", "subject": "greeter", "before": "stable highest release, canary none",
         "after": "stable 2.0.0, canary none"},
        {**common, "action": "pin", "user": "alice", "before": "none", "after": "1.0.0"},
        {**common, "action": "unpin", "user": "alice", "before": "1.0.0", "after": "none"},
        {**common, "action": "reset", "user": "alice", "before": "0 live conversation(s)",
         "after": "0 live conversation(s)"},
    ]  # fmt: skip
    assert RW not in str(logs)
