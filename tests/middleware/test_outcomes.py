"""What a finished turn adds to its versions' health, as a table."""

from __future__ import annotations

import pytest

from bot_versions.errors import BotFailed
from bot_versions.runtime import Activity
from middleware.context import Action, TurnContext
from middleware.decisions import Decision
from middleware.keys import SessionKeys
from middleware.outcomes import turn_events
from middleware.session import Session, SessionStatus
from middleware.store import Lease

A, C, E = SessionStatus.ACTIVE, SessionStatus.CONFIRMING, SessionStatus.ENDED
KEYS = SessionKeys.of("greeter", "rest", "alice")


def s(version: str, status: SessionStatus) -> Session:
    return Session("c", version, status)


def ctx(
    before: Session | None,
    after: Session | None,
    decision: Decision,
    action: Action = Action.TURN,
    saved: bool = True,
    moved_from: str | None = None,
) -> TurnContext:
    context = TurnContext(Activity("greeter", "rest", "alice", "hi", 0), KEYS, Lease(KEYS, "t", before))
    context.session, context.decision, context.action, context.saved = after, decision, action, saved
    context.moved_from = moved_from
    return context


@pytest.mark.parametrize(
    ("turn", "events"),
    [
        (ctx(None, s("1.0.0", A), Decision.NEW), [("1.0.0", "started"), ("1.0.0", "turns")]),
        (
            ctx(None, s("1.0.0", E), Decision.NEW),
            [("1.0.0", "started"), ("1.0.0", "completed"), ("1.0.0", "turns")],
        ),
        (ctx(s("1.0.0", A), s("1.0.0", A), Decision.STAY), [("1.0.0", "turns")]),
        (ctx(s("1.0.0", A), s("1.0.0", E), Decision.STAY), [("1.0.0", "completed"), ("1.0.0", "turns")]),
        (
            ctx(s("1.0.0", A), s("2.0.0", A), Decision.IDLE_RESET),
            [("1.0.0", "reset"), ("2.0.0", "started"), ("2.0.0", "turns")],
        ),
        (
            ctx(s("1.0.0", C), s("2.0.0", A), Decision.CONFIRM_NO),
            [("1.0.0", "reset"), ("2.0.0", "started"), ("2.0.0", "turns")],
        ),
        (
            ctx(s("1.0.0", A), s("2.0.0", A), Decision.VERSION_RESET),
            [("1.0.0", "reset"), ("2.0.0", "started"), ("2.0.0", "turns")],
        ),
        (ctx(s("1.0.0", E), s("2.0.0", A), Decision.NEW), [("2.0.0", "started"), ("2.0.0", "turns")]),
        (
            ctx(s("2.0.0", A), s("2.1.0", A), Decision.MIGRATE, moved_from="2.0.0"),
            [("2.0.0", "migrated"), ("2.1.0", "turns")],
        ),
        (ctx(s("1.0.0", A), s("1.0.0", C), Decision.IDLE_ASK, Action.NOTICE), [("1.0.0", "turns")]),
        (ctx(s("1.0.0", A), s("1.0.0", A), Decision.STAY, saved=False), []),
        (ctx(None, None, Decision.NEW, saved=False), []),
    ],
    ids=[
        "a first message starts a conversation",
        "a reactor starts and completes one",
        "a steady turn is a turn",
        "the bot ending it completes it",
        "an idle reset resets the old and starts a new one",
        "no to continue resets",
        "an unpublish reset resets",
        "after an ended one, only a start",
        "a migration counts on the version it left",
        "asking to continue is a turn, not a start",
        "an unsaved turn (busy, fenced) counts nothing",
        "nothing bound counts nothing",
    ],
)
def test_turn_events(turn: TurnContext, events: list[tuple[str, str]]) -> None:
    """Each kind of turn adds exactly its events, on the right versions."""
    assert turn_events(turn, failed=False) == events


def test_a_failed_turn_is_an_error_of_the_version_that_failed_and_nothing_else() -> None:
    """Nothing of a failed turn was saved: a turn of its version that failed, not a start."""
    turn = ctx(None, s("3.0.0", A), Decision.NEW, saved=False)
    assert turn_events(turn, failed=True) == [("3.0.0", "turns"), ("3.0.0", "errors")]


def test_a_failed_migration_is_an_error_of_the_resuming_version_and_the_turn_goes_on() -> None:
    """The conversation carried on on its version (a turn there); the version that failed to take it ran a turn that
    failed."""
    turn = ctx(s("2.0.0", A), s("2.0.0", A), Decision.MIGRATE_FAILED)
    turn.resumer, turn.migration_failure = "2.1.0", BotFailed("2.1.0 answered 500", "status")
    assert turn_events(turn, failed=False) == [("2.1.0", "turns"), ("2.1.0", "errors"), ("2.0.0", "turns")]
