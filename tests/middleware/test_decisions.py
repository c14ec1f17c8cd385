"""Session-bind's decision table: new conversation, idle policy, unpublished reset, confirmation, stay."""

from __future__ import annotations

import pytest

from bot_versions.model import IdlePolicy, IdlePolicyKind, InFlight, Status
from bot_versions.state import VersionMeta
from middleware.decisions import Decision, decide, is_idle
from middleware.session import Session, SessionStatus

NOW = 1_000_000
ASK = IdlePolicy(IdlePolicyKind.ASK, after_ms=600_000)
RESET = IdlePolicy(IdlePolicyKind.RESET, after_ms=600_000)
NONE = IdlePolicy()
LIVE = VersionMeta(Status.PUBLISHED, 0, "d")


def session(status: SessionStatus = SessionStatus.ACTIVE, silent_ms: int = 0, unclear: int = 0) -> Session:
    return Session("c1", "1.0.0", status, last_seen_ms=NOW - silent_ms, unclear=unclear)


@pytest.mark.parametrize(
    ("sess", "idle", "meta", "text", "expected"),
    [
        (None, NONE, None, "hi", Decision.NEW),
        (session(SessionStatus.ENDED, silent_ms=10**9), RESET, LIVE, "hi", Decision.NEW),
        (session(silent_ms=600_001), RESET, LIVE, "hi", Decision.IDLE_RESET),
        (session(silent_ms=600_001), ASK, LIVE, "hi", Decision.IDLE_ASK),
        (session(silent_ms=600_000), ASK, LIVE, "hi", Decision.STAY),
        (session(silent_ms=10**9), NONE, LIVE, "hi", Decision.STAY),
        (session(), NONE, VersionMeta(Status.UNPUBLISHED, 0, "d", InFlight.RESET), "hi", Decision.VERSION_RESET),
        (session(), NONE, VersionMeta(Status.UNPUBLISHED, 0, "d", InFlight.DRAIN), "hi", Decision.STAY),
        (session(), NONE, None, "hi", Decision.VERSION_RESET),
        (
            session(silent_ms=600_001),
            RESET,
            VersionMeta(Status.UNPUBLISHED, 0, "d", InFlight.RESET),
            "x",
            Decision.IDLE_RESET,
        ),
        (session(SessionStatus.CONFIRMING), ASK, LIVE, "Yes", Decision.CONFIRM_YES),
        (session(SessionStatus.CONFIRMING), ASK, LIVE, "n", Decision.CONFIRM_NO),
        (session(SessionStatus.CONFIRMING), ASK, LIVE, "maybe", Decision.CONFIRM_AGAIN),
        (session(SessionStatus.CONFIRMING, unclear=1), ASK, LIVE, "maybe", Decision.CONFIRM_AGAIN),
        (session(SessionStatus.CONFIRMING, unclear=2), ASK, LIVE, "maybe", Decision.CONFIRM_RESET),
        (session(SessionStatus.CONFIRMING, silent_ms=600_001), ASK, LIVE, "yes", Decision.IDLE_ASK),
    ],
    ids=[
        "no session starts one",
        "an ended conversation starts a new one, however long ago",
        "idle past the limit with reset resets",
        "idle past the limit with ask asks",
        "exactly at the limit is not idle",
        "policy none never idles",
        "unpublished with in_flight reset resets",
        "unpublished with drain stays",
        "a pinned version missing from the registry resets",
        "idle is decided before unpublishing",
        "yes to continue",
        "no to continue",
        "an unclear answer asks again",
        "a second unclear answer asks again",
        "the third unclear answer resets",
        "a confirmation left idle is asked again",
    ],
)
def test_decide(
    sess: Session | None, idle: IdlePolicy, meta: VersionMeta | None, text: str, expected: Decision
) -> None:
    """Bind decides in DESIGN.md's order."""
    assert decide(sess, idle, meta, text, NOW) == expected


def test_idle_is_compared_in_milliseconds() -> None:
    """A silence one millisecond over the limit counts; the limit itself does not."""
    assert is_idle(session(silent_ms=600_001), ASK, NOW)
    assert not is_idle(session(silent_ms=600_000), ASK, NOW)


UNPUBLISHED_RESET = VersionMeta(Status.UNPUBLISHED, 0, "d", InFlight.RESET)


@pytest.mark.parametrize(
    ("sess", "idle", "meta", "text", "resumer", "expected"),
    [
        (session(), NONE, LIVE, "Alice", "2.1.0", Decision.MIGRATE),
        (session(), NONE, LIVE, "Alice", None, Decision.STAY),
        (session(silent_ms=600_000), RESET, LIVE, "Alice", "2.1.0", Decision.MIGRATE),
        (session(silent_ms=600_001), RESET, LIVE, "Alice", "2.1.0", Decision.IDLE_RESET),
        (session(silent_ms=600_001), ASK, LIVE, "Alice", "2.1.0", Decision.IDLE_ASK),
        (session(SessionStatus.CONFIRMING), ASK, LIVE, "yes", "2.1.0", Decision.CONFIRM_YES),
        (session(SessionStatus.CONFIRMING), ASK, LIVE, "no", "2.1.0", Decision.CONFIRM_NO),
        (session(SessionStatus.CONFIRMING), ASK, LIVE, "maybe", "2.1.0", Decision.CONFIRM_AGAIN),
        (session(SessionStatus.CONFIRMING), ASK, UNPUBLISHED_RESET, "yes", "2.1.0", Decision.VERSION_RESET),
        (session(), NONE, UNPUBLISHED_RESET, "Alice", "2.1.0", Decision.MIGRATE),
        (session(), NONE, UNPUBLISHED_RESET, "Alice", None, Decision.VERSION_RESET),
        (session(), NONE, VersionMeta(Status.UNPUBLISHED, 0, "d", InFlight.DRAIN), "Alice", "2.1.0", Decision.MIGRATE),
        (session(SessionStatus.ENDED), NONE, LIVE, "hi", "2.1.0", Decision.NEW),
        (None, NONE, None, "hi", "2.1.0", Decision.NEW),
    ],
    ids=[
        "a resuming version routed now moves the conversation",
        "without one the conversation stays",
        "not idle yet: migrate",
        "idle reset is applied first",
        "idle ask is applied first",
        "a confirming session answers yes first",
        "a confirming session answers no first",
        "a confirming session's unclear answer is asked again",
        "a confirming session on a reset version resets as before",
        "unpublish-reset loses to migration",
        "unpublish-reset without a resuming version resets",
        "a draining version's conversation migrates",
        "an ended conversation starts a new one",
        "no session starts one",
    ],
)
def test_decide_with_a_resuming_version(
    sess: Session | None, idle: IdlePolicy, meta: VersionMeta | None, text: str, resumer: str | None, expected: Decision
) -> None:
    """Migration comes after a new conversation and the idle policy, before the unpublished reset and staying."""
    assert decide(sess, idle, meta, text, NOW, resumer) == expected
