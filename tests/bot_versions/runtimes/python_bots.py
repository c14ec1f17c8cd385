"""Bot objects for the `python` runtime's tests (entries `tests.bot_versions.runtimes.python_bots:<name>`)."""

from __future__ import annotations

from typing import Any

from bot_versions.runtime import Activity, Reply, State, TurnResult


class Counter:
    """Counts the turns in its state; raises on "boom", answers broken TurnResults on "broken" and "no-choices"."""

    def turn(self, state: State, activity: Activity) -> Any:  # a sync turn is allowed too
        if activity.text == "boom":
            raise RuntimeError("the bot's own bug")
        if activity.text == "broken":
            return TurnResult(None)  # type: ignore[arg-type]  # what a buggy bot may return
        if activity.text == "no-choices":
            return TurnResult([Reply("Pick one", None)])  # type: ignore[arg-type]
        if activity.text == "dict":
            return {"replies": [{"text": "a dict answer"}], "state": {"n": 99}}
        n = int(state.get("n", 0)) + 1
        return TurnResult([Reply(f"turn {n}")], {"n": n})


counter = Counter()
not_a_bot = object()
