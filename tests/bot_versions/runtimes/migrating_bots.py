"""Bot objects for the `python` runtime's migration tests (BOTGATE_PYTHON_MODULES names this module)."""

from __future__ import annotations

from typing import Any


class Counter:
    """Counts its turns in state, saying which class answered; has no `migrate`, so it takes no conversation over."""

    def turn(self, state: dict[str, Any], activity: Any) -> dict[str, Any]:
        n = int(state.get("n", 0)) + 1
        return {"replies": [{"text": f"{type(self).__name__} {n}: {activity.text}"}], "state": {**state, "n": n}}


class Adopter(Counter):
    """Takes over any conversation, noting where it came from."""

    def migrate(self, state: dict[str, Any], from_version: str) -> dict[str, Any]:
        return {**state, "from": from_version}


class Refuser(Counter):
    """Declines every conversation."""

    def migrate(self, state: dict[str, Any], from_version: str) -> None:
        return None


class Breaker(Counter):
    """Fails every migration."""

    def migrate(self, state: dict[str, Any], from_version: str) -> dict[str, Any]:
        raise RuntimeError("cannot read that state")


class Shaper(Counter):
    """Answers a migration with something that is not a state."""

    def migrate(self, state: dict[str, Any], from_version: str) -> Any:
        return ["not", "a", "state"]


counter, adopter, refuser, breaker, shaper = Counter(), Adopter(), Refuser(), Breaker(), Shaper()
