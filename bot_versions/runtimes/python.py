"""The `python` runtime: an object in an installed package, `python: {entry: "package.module:attribute"}`.

The attribute (or, when it has no `turn`, what calling it returns) has `turn(state, activity)`, sync or async,
returning a TurnResult (or the `{"replies", "state", "done"}` shape an http bot answers), and optionally
`migrate(state, from_version) -> state | None` and `replayable = True`. Importing runs code, so only modules under
the prefixes in `BOTGATE_PYTHON_MODULES` may be named, checked before any import; with none set the runtime is off.
Storing a version whose entry cannot be imported is refused; a process that cannot import it fails its turns as an
http bot that cannot be reached would.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Sequence
from typing import Any

import structlog

from bot_versions.errors import BotFailed
from bot_versions.limits import replies_problem
from bot_versions.model import BotVersion
from bot_versions.runtime import Activity, Conversation, Reply, State, TurnResult
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.shapes import checked_state, turn_result
from bot_versions.runtimes.traits import RepeatsReplies
from bot_versions.runtimes.upstream import DEFAULT_TIMEOUT_S

log = structlog.get_logger("botgate.runtime")


def entry_problem(entry: str, prefixes: Sequence[str]) -> str | None:
    """Why `entry` cannot be this process's bot (not allowed, not importable, no `turn`), or None."""
    try:
        load_entry(entry, prefixes)
    except LookupError as exc:
        return str(exc)
    return None


def load_entry(entry: str, prefixes: Sequence[str]) -> Any:
    """The bot object `entry` names; LookupError saying why not. The prefix is checked before anything is imported."""
    module_name, _, attribute = entry.partition(":")
    if not module_name or not attribute:
        raise LookupError(f"{entry!r} is not package.module:attribute")
    if not any(module_name == p.rstrip(".") or module_name.startswith(p.rstrip(".") + ".") for p in prefixes):
        allowed = ", ".join(prefixes) if prefixes else "none: the python runtime is off"
        raise LookupError(f"{module_name} is not under a prefix of BOTGATE_PYTHON_MODULES ({allowed})")
    try:
        found: Any = importlib.import_module(module_name)
        for name in attribute.split("."):
            found = getattr(found, name)
    except Exception as exc:  # importing runs the module's code: whatever it raises means "cannot be imported"
        raise LookupError(f"{entry} cannot be imported: {type(exc).__name__}: {exc}") from None
    # A class has `turn` too, as a plain function: it is made into an instance like any factory, or `turn` would be
    # called unbound, with the state as `self`.
    if inspect.isclass(found) or (not callable(getattr(found, "turn", None)) and callable(found)):
        try:
            found = found()
        except Exception as exc:
            raise LookupError(f"{entry} could not be made: {type(exc).__name__}: {exc}") from None
    if not callable(getattr(found, "turn", None)):
        raise LookupError(f"{entry} has no turn(state, activity) method")
    return found


class PythonRuntime(RepeatsReplies):
    """Runs a bot object's `turn` in the gateway process, with the same checks as an http bot's answers."""

    def __init__(self, version: BotVersion, env: RuntimeEnv) -> None:
        spec = version.document["python"]
        self.who = f"{version.bot} {version.version}"
        self.timeout = min(float(spec.get("timeout", DEFAULT_TIMEOUT_S)), env.max_timeout_s)
        self.entry: str = spec["entry"]
        try:
            self.bot: Any = load_entry(self.entry, env.python_modules)
            self.problem: str | None = None
        except LookupError as exc:
            self.bot, self.problem = None, str(exc)
        self.replayable = bool(getattr(self.bot, "replayable", False))

    async def turn(self, state: State, activity: Activity, conversation: Conversation) -> TurnResult:
        """The bot's answer for the message, checked like an http bot's."""
        answer = await self._call("turn", state, activity)
        if isinstance(answer, TurnResult):
            return _checked(answer, self.who)
        return turn_result(answer, self.who)

    async def migrate(
        self, state: State, from_version: str, activity: Activity, conversation: Conversation
    ) -> State | None:
        """The bot's `migrate(state, from_version)`, or a refusal (None) when it has none."""
        if self.bot is not None and not callable(getattr(self.bot, "migrate", None)):
            return None
        new = await self._call("migrate", state, from_version)
        return None if new is None else checked_state(new, self.who)

    async def _call(self, method: str, *args: Any) -> Any:
        if self.bot is None:
            raise BotFailed(f"{self.who} cannot run here: {self.problem}", "import")
        try:
            async with asyncio.timeout(self.timeout):
                answer = getattr(self.bot, method)(*args)
                if inspect.isawaitable(answer):
                    answer = await answer
        except TimeoutError:
            raise BotFailed(f"{self.who} did not answer within {self.timeout:g} s", "timeout") from None
        except Exception as exc:  # the bot's own bug: it fails its turn, never the gateway
            log.warning("python_bot_raised", bot=self.who, error=type(exc).__name__, exc_info=exc)
            raise BotFailed(f"{self.who} raised {type(exc).__name__}", "exception") from None
        return answer


def _checked(result: TurnResult, who: str) -> TurnResult:
    replies = result.replies
    # Anything can be passed to TurnResult: a bot's bug is its failed turn, never the gateway's 500.
    if not isinstance(replies, list | tuple) or not isinstance(result.done, bool) or not all(map(_is_reply, replies)):
        raise BotFailed(f"{who} answered the wrong shape: a TurnResult of Reply objects and a bool `done`", "shape")
    problem = replies_problem(result.replies)
    if problem is not None:
        raise BotFailed(f"{who} answered too much: {problem}", "reply_too_large")
    return TurnResult(list(result.replies), checked_state(result.state, who), result.done)


def _is_reply(reply: Any) -> bool:
    return (
        isinstance(reply, Reply)
        and isinstance(reply.text, str)
        and isinstance(reply.choices, list | tuple)
        and all(isinstance(choice, str) for choice in reply.choices)
    )
