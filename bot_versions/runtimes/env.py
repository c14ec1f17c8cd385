"""What runtimes may use of the gateway process, built once at start-up and shared by every version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot_versions.calls import Caller
from bot_versions.runtimes.upstream import Upstream


class Inbox(Protocol):
    """Where an `activity` bot's replies to one open turn are gathered, whichever gateway process receives them."""

    async def open(self, token: str, conversation: str, ttl_ms: int) -> None:
        """Accept replies for `token` (a turn of `conversation`) until closed or for `ttl_ms`."""
        ...

    async def close(self, token: str) -> list[str]:
        """Stop accepting replies for `token`; the replies received, as JSON texts, in arrival order."""
        ...


@dataclass(frozen=True)
class RuntimeEnv:
    """The gateway's parts a runtime may use: never Redis or a channel's request."""

    caller: Caller  # `call` steps of flow bots
    upstream: Upstream  # http, activity and rasa bots
    inbox: Inbox | None = None  # activity bots' replies
    connector_url: str | None = None  # the base of the serviceUrl given to activity bots
    python_modules: tuple[str, ...] = ()  # the module prefixes python versions may name
    max_timeout_s: float = 9.0  # an upstream call ends before the turn lock's lease does
