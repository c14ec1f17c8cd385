"""Fixtures shared by every test package: a private redis-server, a clean client, a manual clock, one headless
Chromium for the session's browser tests (tests/browser.py), and the upstream test bots (each started on first use,
once per session, whichever package uses it).

tests/cluster overrides only `redis_server` (a private Redis Cluster); the `redis` client fixture is this one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from gateway.redis_connection import connect
from gateway.settings import Settings
from tests.browser import browser, chromium  # noqa: F401 (fixtures: one Chromium for every browser test)
from tests.clock import ManualClock
from tests.redis_servers import RedisClusterNodes, RedisServer
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
    node_greeter,
    python_greeter,
    upstream_logs,
)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the test session, on a free port, stopped at the end."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisServer | RedisClusterNodes) -> AsyncIterator[Redis]:
    """A client as the gateway builds it from the server's URL (a cluster client for a cluster), emptied first:
    the server belongs to this test session alone."""
    client = connect(Settings(redis_url=redis_server.url))
    await client.flushdb()  # on every master of a cluster
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
