"""Reading what a bot answered for a turn: replies, state and done, every wrong shape a `BotFailed`.

Shared by the `http` runtime (JSON from a bot service) and the `python` runtime (objects from a package), so both
are held to the same contract: replies within the reply limits, a state that is a JSON object of at most 16 KiB.
"""

from __future__ import annotations

import json
from typing import Any

from bot_versions.errors import BotFailed
from bot_versions.limits import replies_problem
from bot_versions.problems import kind_of
from bot_versions.runtime import Reply, State, TurnResult

MAX_STATE_BYTES = 16 * 1024


def turn_result(data: Any, who: str) -> TurnResult:
    """A `{"replies", "state"?, "done"?}` answer as a TurnResult; BotFailed naming the first thing wrong."""
    if not isinstance(data, dict):
        raise _shape(who, f"the answer must be a JSON object, not {kind_of(data)}")
    replies = data.get("replies")
    if not isinstance(replies, list):
        raise _shape(who, f"`replies` must be a list, not {kind_of(replies)}")
    done = data.get("done", False)
    if not isinstance(done, bool):
        raise _shape(who, f"`done` must be true or false, not {kind_of(done)}")
    result = TurnResult([reply_of(item, f"replies[{n}]", who) for n, item in enumerate(replies)],
                        checked_state(data.get("state", {}), who), done)  # fmt: skip
    problem = replies_problem(result.replies)
    if problem is not None:
        raise BotFailed(f"{who} answered too much: {problem}", "reply_too_large")
    return result


def reply_of(item: Any, path: str, who: str) -> Reply:
    """One `{"text", "choices"?}` reply."""
    if not isinstance(item, dict):
        raise _shape(who, f"`{path}` must be an object with a text, not {kind_of(item)}")
    text, choices = item.get("text"), item.get("choices", [])
    if not isinstance(text, str):
        raise _shape(who, f"`{path}.text` must be a string, not {kind_of(text)}")
    if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
        raise _shape(who, f"`{path}.choices` must be a list of strings")
    return Reply(text, tuple(choices))


def checked_state(state: Any, who: str) -> State:
    """A state the gateway can keep: a JSON object of at most MAX_STATE_BYTES as compact JSON."""
    if not isinstance(state, dict):
        raise _shape(who, f"`state` must be a JSON object, not {kind_of(state)}")
    try:
        size = len(json.dumps(state, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError, RecursionError):
        raise _shape(who, "`state` must be plain JSON data (objects, lists, strings, finite numbers)") from None
    except UnicodeEncodeError:
        raise _shape(who, "`state` must be Unicode text, without lone surrogates") from None
    if size > MAX_STATE_BYTES:
        raise BotFailed(f"{who} answered a state of {size} bytes; at most {MAX_STATE_BYTES} are kept", "state_too_big")
    return state


def _shape(who: str, problem: str) -> BotFailed:
    return BotFailed(f"{who} answered the wrong shape: {problem}", "shape")
