"""The `redis_server` fixture, overridden here: tests collected in this package run on a Redis Cluster.

The `redis` client fixture of tests/conftest.py is shared: given this fixture's `redis+cluster://` URL, it builds
the cluster client the gateway would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.redis_servers import RedisClusterNodes


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """Three masters on free ports, joined into one cluster for the test session, stopped at the end."""
    cluster = RedisClusterNodes(tmp_path_factory.mktemp("redis-cluster")).start()
    yield cluster
    cluster.stop()
