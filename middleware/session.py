"""What the gateway keeps per bot + channel + user (+ space)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from bot_versions.safe_json import dumps, loads_own


class SessionStatus(StrEnum):
    """`active` and `confirming` count as a session on its version; `ended` counts nowhere."""

    ACTIVE = "active"
    CONFIRMING = "confirming"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Session:
    """One session: its current conversation, the version it is pinned to, and the runtime's state."""

    conversation: str
    version: str
    status: SessionStatus
    state: dict[str, Any] = field(default_factory=dict)
    started_at_ms: int = 0
    last_seen_ms: int = 0
    turns: int = 0
    unclear: int = 0
    sync: int = 0  # the revision whose counter entry is not known to be written (0: none); see middleware/counters.py
    # The last turn's replies (JSON), for runtimes whose "continue? yes" repeats them rather than asking again.
    last: list[dict[str, Any]] = field(default_factory=list)
    declined: str = ""  # a version that declined to resume this conversation: it is not asked again
    revision: int = 0

    @property
    def is_live(self) -> bool:
        return self.status is not SessionStatus.ENDED

    def to_json(self) -> bytes:
        # The revision is kept beside the document, where the store's scripts can compare it. Not asdict():
        # its deep copy of the state was the costliest step of saving a turn (docs/benchmarks.md).
        return dumps({name: getattr(self, name) for name in _DOCUMENT_FIELDS})

    @classmethod
    def from_json(cls, text: str | bytes, revision: int) -> Session:
        data = loads_own(text)
        data["status"] = SessionStatus(data["status"])
        return cls(revision=revision, **data)

    def evolve(self, **changes: Any) -> Session:
        """A copy with `changes`. Not dataclasses.replace, which looks the fields up again on every call: a turn
        makes several copies (docs/benchmarks.md)."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)
        return Session(**values)


_FIELDS = tuple(f.name for f in fields(Session))
_DOCUMENT_FIELDS = tuple(name for name in _FIELDS if name != "revision")


def counted_version(session: Session | None) -> str:
    """The version the counters count a session on: its pinned version while its conversation is live, else ''."""
    return session.version if session is not None and session.is_live else ""


def owes_count(before: Session | None, after: Session, written: int) -> bool:
    """Whether saving `after` over `before` needs a counter entry.

    A first session (it must be indexed under its user), a session whose live version changes, and a session whose
    last entry is not known to be written (`before.sync` above `written`, the newest this process saw land) do.
    """
    if before is None or counted_version(before) != counted_version(after):
        return True
    return before.sync > written
