"""The upstream bots' own tests: a stand-in connector for activity bots (the bots' fixtures are in tests/conftest.py,
shared with the runtimes' tests so each bot process starts once per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.upstream.capture import CaptureServer


@pytest.fixture(scope="session")
def connector() -> Iterator[CaptureServer]:
    """A stand-in Bot Framework connector the bots reply to (serviceUrl), shared by the session's tests."""
    server = CaptureServer().start()
    yield server
    server.stop()
