"""Choosing a version's runtime."""

from __future__ import annotations

from typing import Any

import pytest

from bot_versions.flow import FlowRuntime
from bot_versions.model import BotVersion
from bot_versions.runtimes import build_runtime

DOCUMENT = {"bot": "echo", "version": "1.0.0", "reply": "ECHO: {text}"}


async def no_calls(method: str, url: str, timeout: float) -> Any:
    """A caller that is never used."""
    raise AssertionError("not called")


def test_flow() -> None:
    """A `flow` version gets a FlowRuntime."""
    version = BotVersion(bot="echo", version="1.0.0", runtime="flow", document=DOCUMENT)
    assert isinstance(build_runtime(version, no_calls), FlowRuntime)


def test_unknown_runtime() -> None:
    """An unknown runtime is refused with the known ones listed."""
    version = BotVersion(bot="echo", version="1.0.0", runtime="python", document=DOCUMENT)
    with pytest.raises(ValueError, match="unknown runtime 'python'; known runtimes: flow"):
        build_runtime(version, no_calls)
