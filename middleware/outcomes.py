"""What a finished turn adds to its versions' health, as a pure function of the turn's context."""

from __future__ import annotations

from middleware.context import Action, TurnContext
from middleware.decisions import STARTS_OVER, Decision
from middleware.session import SessionStatus


def turn_events(ctx: TurnContext, failed: bool) -> list[tuple[str, str]]:
    """(version, event) pairs for one turn: started, completed, reset, migrated, turns, errors (middleware/health.py).

    `failed`: the turn's logic failed (BotFailed, or an unexpected exception after a version was bound); nothing of
    it was saved, so it is a turn of the version that failed and an error, and nothing else. `turns` counts every turn
    a version ran, failed or not, so errors / turns is the share of its turns that failed.
    """
    events: list[tuple[str, str]] = []
    if ctx.migration_failure is not None and ctx.resumer is not None:
        # the resuming version failed to take the conversation: a turn of its that failed
        events += [(ctx.resumer, "turns"), (ctx.resumer, "errors")]
    after = ctx.session
    if failed:
        return [*events, (after.version, "turns"), (after.version, "errors")] if after is not None else events
    if not ctx.saved or after is None:
        return events
    before = ctx.before
    if ctx.decision in STARTS_OVER:
        if before is not None and before.is_live and ctx.decision is not Decision.NEW:
            events.append((before.version, "reset"))
        events.append((after.version, "started"))
    if ctx.moved_from is not None:
        events.append((ctx.moved_from, "migrated"))
    if ctx.action is Action.TURN and after.status is SessionStatus.ENDED:
        events.append((after.version, "completed"))
    events.append((after.version, "turns"))
    return events
