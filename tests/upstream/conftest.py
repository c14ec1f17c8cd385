"""The upstream bots' own tests: the session's bot processes, and a stand-in connector for activity bots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.upstream.capture import CaptureServer
from tests.upstream.fixtures import (  # noqa: F401
    botbuilder_python,
    dialog_bot,
    dialog_bot_legacy,
    dialog_bot_v2,
    expect_replies_bot,
    expect_replies_bot_v2,
    fake_rasa,
    fake_rasa_v2,
    http_test_bot,
    http_test_bot_signed,
    upstream_logs,
)


@pytest.fixture(scope="session")
def connector() -> Iterator[CaptureServer]:
    """A stand-in Bot Framework connector the bots reply to (serviceUrl), shared by the session's tests."""
    server = CaptureServer().start()
    yield server
    server.stop()
