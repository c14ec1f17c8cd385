"""Building the runtime a version asks for."""

from __future__ import annotations

from collections.abc import Callable

from bot_versions.calls import Caller
from bot_versions.flow import FlowRuntime
from bot_versions.model import BotVersion
from bot_versions.runtime import Runtime

RUNTIMES: dict[str, Callable[[BotVersion, Caller], Runtime]] = {"flow": FlowRuntime}


def build_runtime(version: BotVersion, caller: Caller) -> Runtime:
    """The runtime named by `version.runtime`, ready to run turns; raise ValueError for an unknown one."""
    try:
        factory = RUNTIMES[version.runtime]
    except KeyError:
        raise ValueError(f"unknown runtime {version.runtime!r}; known runtimes: {', '.join(RUNTIMES)}") from None
    return factory(version, caller)
