"""The contract between the gateway and a bot version's runtime.

A runtime is a pure turn function over plain JSON state: it never sees Redis or
HTTP requests, which is what lets the gateway own, pin and migrate the state of
bots written in any language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = Any
State = dict[str, JSON]


@dataclass(frozen=True, slots=True)
class Activity:
    """One incoming message, normalised by a channel adapter."""

    bot: str
    channel: str
    user: str
    text: str
    received_at_ms: int
    space: str | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message back to the user; `choices` are the labels of a `choice` question."""

    text: str
    choices: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"text": self.text}
        if self.choices:
            out["choices"] = list(self.choices)
        return out

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Reply:
        return cls(text=str(data["text"]), choices=tuple(data.get("choices") or ()))


@dataclass(frozen=True, slots=True)
class TurnResult:
    """What a runtime answers for one turn: replies, the new state, and whether the conversation ended."""

    replies: list[Reply]
    state: State = field(default_factory=dict)
    done: bool = False


class Runtime(Protocol):
    """A version's conversation logic.

    `turn` with an empty state starts a conversation: the activity is its first
    message, available to templates but never taken as an answer.
    """

    async def turn(self, state: State, activity: Activity) -> TurnResult: ...

    def reprompt(self, state: State) -> list[Reply]:
        """The question the user was last asked, to ask again after "continue? yes"."""
        ...
