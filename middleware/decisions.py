"""What session-bind does with an incoming message, as a pure function of the session and its version."""

from __future__ import annotations

from enum import StrEnum

from bot_versions.answers import parse_boolean
from bot_versions.model import IdlePolicy, IdlePolicyKind, InFlight, Status
from bot_versions.state import VersionMeta
from middleware.session import Session, SessionStatus

MAX_UNCLEAR = 3


class Decision(StrEnum):
    """The branch session-bind took; logged with every turn."""

    NEW = "new"  # no session, or its conversation ended: start one on the routed version
    IDLE_RESET = "idle_reset"  # idle past the limit, policy reset: tell the user, start over
    IDLE_ASK = "idle_ask"  # idle past the limit, policy ask: ask whether to continue
    MIGRATE = "migrate"  # the version routing picks now resumes the pinned one: move the conversation to it
    VERSION_RESET = "version_reset"  # pinned version unpublished with in_flight reset: start over
    CONFIRM_YES = "confirm_yes"  # continue: ask the last question again, same version
    CONFIRM_NO = "confirm_no"  # do not continue: start over on the routed version
    CONFIRM_AGAIN = "confirm_again"  # unclear answer to "continue?": ask again
    CONFIRM_RESET = "confirm_reset"  # too many unclear answers: start over
    STAY = "stay"  # carry on the conversation on its pinned version
    # Logged when a migration was tried and did not happen; the conversation carried on on its pinned version.
    MIGRATE_DECLINED = "migrate_declined"  # the resuming version declined this conversation
    MIGRATE_FAILED = "migrate_failed"  # the resuming version failed to take it (an error of that version)


STARTS_OVER = frozenset(
    {Decision.NEW, Decision.IDLE_RESET, Decision.VERSION_RESET, Decision.CONFIRM_NO, Decision.CONFIRM_RESET}
)


def is_idle(session: Session, idle: IdlePolicy, now_ms: int) -> bool:
    """Idle means silent for longer than the version's `idle.after`, compared in milliseconds."""
    return idle.kind is not IdlePolicyKind.NONE and now_ms - session.last_seen_ms > idle.after_ms


def decide(
    session: Session | None,
    idle: IdlePolicy,
    meta: VersionMeta | None,
    text: str,
    now_ms: int,
    resumer: str | None = None,
) -> Decision:
    """New conversation, then the idle policy, then migration (`resumer`: the version routing picks now, when it
    resumes the pinned one), then an unpublished version's reset, then the answer to "continue?", else stay."""
    if session is None or session.status is SessionStatus.ENDED:
        return Decision.NEW
    if is_idle(session, idle, now_ms):
        return Decision.IDLE_RESET if idle.kind is IdlePolicyKind.RESET else Decision.IDLE_ASK
    # A conversation asked "continue?" answers that first; it may move at its next message.
    if resumer is not None and session.status is SessionStatus.ACTIVE:
        return Decision.MIGRATE
    if meta is None or (meta.status is Status.UNPUBLISHED and meta.in_flight is InFlight.RESET):
        return Decision.VERSION_RESET
    if session.status is SessionStatus.CONFIRMING:
        return _confirmation(session, text)
    return Decision.STAY


def _confirmation(session: Session, text: str) -> Decision:
    answer = parse_boolean(text)
    if answer is True:
        return Decision.CONFIRM_YES
    if answer is False:
        return Decision.CONFIRM_NO
    return Decision.CONFIRM_RESET if session.unclear + 1 >= MAX_UNCLEAR else Decision.CONFIRM_AGAIN
