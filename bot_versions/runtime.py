"""The contract between the gateway and a bot version's runtime.

A runtime is a turn function over plain JSON state: it never sees Redis or the channel's request, which is what
lets the gateway own, pin and migrate the state of bots written in any language. It also says what the turn path
needs to know about it, so no stage has to read a definition to find out.
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
    failed_calls: int = 0  # calls to other services that failed and that the bot handled (flow `call` steps)


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where a turn runs: the gateway's conversation id, which upstream bots key their own state by."""

    id: str


class Runtime(Protocol):
    """A version's conversation logic.

    `turn` with an empty state starts a conversation: the activity is its first message, available to the bot but
    never taken as an answer. A failed turn raises `BotFailed` (or `Unavailable` when the version is too busy), and
    nothing of it is saved.
    """

    @property
    def replayable(self) -> bool:
        """Whether a turn may be computed twice with one result thrown away: nothing outside the gateway sees it."""
        ...

    @property
    def repeats_replies(self) -> bool:
        """Whether "continue? yes" repeats the replies of the last turn (kept with the session) rather than asking
        `reprompt`: a runtime whose dialog state the gateway cannot read cannot say what it asked last."""
        ...

    async def turn(self, state: State, activity: Activity, conversation: Conversation) -> TurnResult: ...

    def reprompt(self, state: State) -> list[Reply]:
        """The question the user was last asked, to ask again after "continue? yes"."""
        ...

    async def migrate(
        self, state: State, from_version: str, activity: Activity, conversation: Conversation
    ) -> State | None:
        """The state this version continues a conversation of `from_version` with, or None to decline."""
        ...
