"""The runtimes a version can name, and building the one it asks for.

`flow` is interpreted by the gateway; `http`, `activity` and `rasa` call a bot that runs elsewhere (through
`upstream.py`); `python` runs an object from an installed package.
"""

from __future__ import annotations

from collections.abc import Callable

from bot_versions.flow import FlowRuntime
from bot_versions.model import BotVersion
from bot_versions.runtime import Runtime
from bot_versions.runtimes.activity import ActivityRuntime
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.http import HttpRuntime
from bot_versions.runtimes.python import PythonRuntime
from bot_versions.runtimes.rasa import RasaRuntime

RUNTIMES: dict[str, Callable[[BotVersion, RuntimeEnv], Runtime]] = {
    "flow": lambda version, env: FlowRuntime(version, env.caller),
    "http": HttpRuntime,
    "activity": ActivityRuntime,
    "rasa": RasaRuntime,
    "python": PythonRuntime,
}


def build_runtime(version: BotVersion, env: RuntimeEnv) -> Runtime:
    """The runtime named by `version.runtime`, ready to run turns; raise ValueError for an unknown one."""
    try:
        factory = RUNTIMES[version.runtime]
    except KeyError:
        raise ValueError(f"unknown runtime {version.runtime!r}; known runtimes: {', '.join(RUNTIMES)}") from None
    return factory(version, env)
