"""Helpers for runtime tests: a fake caller, one user's chat, messages, the example bots."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot_versions.calls import Caller, CallFailed
from bot_versions.examples import examples_dir
from bot_versions.hosts import AllowList
from bot_versions.loader import load_file
from bot_versions.model import BotVersion
from bot_versions.runtime import Activity, Conversation, Runtime, State
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.upstream import Upstream


class FakeCaller:
    """Answers every call with `result`, or raises CallFailed when `result` is None; records the calls."""

    def __init__(self, result: Any = None) -> None:
        self.result = result
        self.calls: list[tuple[str, str, float]] = []

    async def __call__(self, method: str, url: str, timeout: float) -> Any:
        self.calls.append((method, url, timeout))
        if self.result is None:
            raise CallFailed("refused")
        return self.result


@dataclass
class Chat:
    """One user talking to a runtime, turn by turn, keeping the state as the gateway would."""

    runtime: Runtime
    state: State = field(default_factory=dict)
    done: bool = False

    async def send(self, text: str) -> list[str]:
        """Send a message; the texts of the replies."""
        result = await self.runtime.turn(self.state, activity(text), Conversation("c-1"))
        # what the store would keep: plain JSON
        self.state = json.loads(json.dumps(result.state))
        self.done = result.done
        return [reply.text for reply in result.replies]


def activity(text: str) -> Activity:
    """A message from alice."""
    return Activity(bot="demo", channel="rest", user="alice", text=text, received_at_ms=0)


def example(name: str) -> BotVersion:
    """A shipped example bot."""
    return load_file(examples_dir() / name)


async def never_called(method: str, url: str, timeout: float) -> Any:
    """A caller for bots that make no calls."""
    raise AssertionError("this bot makes no calls")


def runtime_env(caller: Caller = never_called, upstream_hosts: tuple[str, ...] = ()) -> RuntimeEnv:
    """The parts of a gateway process runtimes use, for tests that build runtimes without a gateway."""
    return RuntimeEnv(caller=caller, upstream=Upstream(AllowList(upstream_hosts, "BOTGATE_UPSTREAM_HOSTS")))
