"""The greeter as a `python` runtime bot: an object with `turn(state, activity)`, run inside the gateway process.

Its definition is `upstream/python-runtime/greeter-3.0.0.yaml` (entry
`bot_versions.examples.python_greeter:greeter`); a gateway runs it only when `BOTGATE_PYTHON_MODULES` covers the
module, e.g. `BOTGATE_PYTHON_MODULES=bot_versions.examples`.
Like the http greeters it keeps nothing of its own: where the conversation stands is in `state`, which the gateway
stores with the conversation and hands back on its next message (`{}` on the first).
"""

from __future__ import annotations

from bot_versions.runtime import Activity, Reply, State, TurnResult

ASK = "What is your name?"
MAX_NAME = 4096  # characters: the greeting stays within the 8192 of one reply


class Greeter:
    """Asks the user's name, then greets them with it and ends the conversation."""

    # A turn has no effect outside its answer, so the gateway may compute one twice and keep one result.
    replayable = True

    def __init__(self, language: str = "Python runtime") -> None:
        self.language = language

    async def turn(self, state: State, activity: Activity) -> TurnResult:
        """Ask for the name on the first message (and while none is given), greet with it next."""
        name = activity.text.strip()[:MAX_NAME]
        if state.get("step") != "ask_name" or not name:
            return TurnResult([Reply(ASK)], {"step": "ask_name"})
        return TurnResult([Reply(f"Hello, {name}, from the {self.language} greeter")], {"step": "greeted"}, done=True)

    def migrate(self, state: State, from_version: str) -> State | None:
        """Take over a conversation of an older greeter that waits for the name; decline any other (None)."""
        return {"step": "ask_name"} if state.get("step") == "ask_name" else None


greeter = Greeter()
