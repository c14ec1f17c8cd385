"""The `redis_server` and `redis` fixtures, overridden here: tests collected in this package run on a Redis Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from gateway.redis_connection import connect
from gateway.settings import Settings
from tests.redis_servers import RedisClusterNodes


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """Three masters on free ports, joined into one cluster for the test session, stopped at the end."""
    cluster = RedisClusterNodes(tmp_path_factory.mktemp("redis-cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def redis(redis_server: RedisClusterNodes) -> AsyncIterator[Redis]:
    """A cluster client, as the gateway builds it from a `redis+cluster://` URL, on a cluster emptied first."""
    client = connect(Settings(redis_url=redis_server.url))
    await client.flushdb()  # on every master
    yield client
    await client.aclose()
