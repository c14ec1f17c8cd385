"""Choosing a version's runtime."""

from __future__ import annotations

from typing import Any

import pytest

from bot_versions.flow import FlowRuntime
from bot_versions.hosts import AllowList
from bot_versions.model import BotVersion
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.factory import RUNTIMES, build_runtime
from bot_versions.runtimes.http import HttpRuntime
from bot_versions.runtimes.upstream import Upstream

DOCUMENT = {"bot": "echo", "version": "1.0.0", "reply": "ECHO: {text}"}


async def no_calls(method: str, url: str, timeout: float) -> Any:
    """A caller that is never used."""
    raise AssertionError("not called")


def env() -> RuntimeEnv:
    return RuntimeEnv(caller=no_calls, upstream=Upstream(AllowList((), "BOTGATE_UPSTREAM_HOSTS")))


def test_a_flow_version_gets_a_flow_runtime() -> None:
    """A `flow` version gets a FlowRuntime."""
    version = BotVersion(bot="echo", version="1.0.0", runtime="flow", document=DOCUMENT)
    assert isinstance(build_runtime(version, env()), FlowRuntime)


def test_an_http_version_gets_an_http_runtime() -> None:
    """An `http` version gets an HttpRuntime on its URL."""
    document = {"bot": "shop", "version": "1.0.0", "runtime": "http", "http": {"url": "http://127.0.0.1:9/turn"}}
    runtime = build_runtime(BotVersion(bot="shop", version="1.0.0", runtime="http", document=document), env())
    assert isinstance(runtime, HttpRuntime) and runtime.endpoint.url == "http://127.0.0.1:9/turn"


def test_an_unknown_runtime_is_refused_with_the_known_ones_listed() -> None:
    """An unknown runtime is refused with the known ones listed."""
    version = BotVersion(bot="echo", version="1.0.0", runtime="cobol", document=DOCUMENT)
    with pytest.raises(ValueError, match=f"unknown runtime 'cobol'; known runtimes: {', '.join(RUNTIMES)}"):
        build_runtime(version, env())
