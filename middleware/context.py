"""The typed context one turn carries through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot_versions.errors import BotFailed
from bot_versions.model import BotVersion
from bot_versions.runtime import Activity, Reply
from middleware.decisions import Decision
from middleware.keys import SessionKeys
from middleware.session import Session
from middleware.store import Lease


class Action(StrEnum):
    """What the turn stage does once bind has decided."""

    TURN = "turn"  # run the runtime on the message
    REPROMPT = "reprompt"  # ask the last question again
    NOTICE = "notice"  # only the gateway's own notices are said


@dataclass(slots=True)
class TurnContext:
    """One turn: the activity, the session before and after, the version, the replies."""

    activity: Activity
    keys: SessionKeys
    lease: Lease | None = None
    decision: Decision | None = None
    resumer: str | None = None  # bind decided to move the conversation to this version (the turn stage tries)
    moved_from: str | None = None  # the version the conversation moved from in this turn
    migration_failure: BotFailed | None = None  # the resuming version failed to take the conversation
    action: Action = Action.TURN
    version: BotVersion | None = None
    session: Session | None = None  # the session the turn runs in; bind sets it, turn and send advance it
    notices: list[Reply] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    stored_response: dict[str, Any] | None = None  # a duplicate's first answer
    failed_calls: int = 0  # the bot's calls to other services that failed this turn (and that it handled)
    saved: bool = False

    @property
    def before(self) -> Session | None:
        """The session as it was loaded under the lock."""
        return self.lease.session if self.lease else None

    def response(self) -> dict[str, Any]:
        """The channel-neutral answer: replies, conversation, version, status."""
        if self.stored_response is not None:
            return self.stored_response
        return {
            "replies": [r.to_json() for r in self.replies],
            "conversation": self.session.conversation if self.session else None,
            "version": self.session.version if self.session else None,
            "status": self.session.status.value if self.session else None,
        }
