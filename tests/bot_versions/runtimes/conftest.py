"""Gateway processes for the runtimes whose bots call back over HTTP (`activity`): two `botgate serve` on one private
redis-server, started once per test session. The upstream bots' fixtures come from tests/upstream/fixtures.py (imported
in tests/conftest.py, so every package shares one process per bot)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.processes import ServerProcess, botgate_serve
from tests.redis_servers import RedisServer, free_port

TOKEN = "runtime-tests-admin-token"


@dataclass(frozen=True)
class Gateways:
    """Two gateway processes sharing one Redis. `a` gives activity bots `b`'s URL as the serviceUrl base
    (BOTGATE_PUBLIC_URL), so a reply to a turn `a` holds always reaches `b`; `b` gives its own (BOTGATE_SERVE_URL)."""

    a: ServerProcess
    b: ServerProcess
    redis: RedisServer


@pytest.fixture(scope="session")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateways]:
    """The session's two gateway processes (JSON logs), on a redis-server of their own: the per-test `redis`
    fixture empties the session's shared one, which would take their bots away. Tests use their own bot names."""
    work = tmp_path_factory.mktemp("gateways")
    redis = RedisServer(work / "redis").start()
    bots = work / "bots"
    bots.mkdir()  # no bot at start-up: each test stores its own versions
    env = {
        "BOTGATE_REDIS_URL": redis.url,
        "BOTGATE_BOTS_DIR": str(bots),
        "BOTGATE_ADMIN_TOKENS": TOKEN,
        "BOTGATE_UPSTREAM_HOSTS": "127.0.0.1",
        "BOTGATE_LOG_FORMAT": "json",
        "BOTGATE_PUBLIC_URL": "",
    }
    b = ServerProcess(botgate_serve(), env, work / "gateway-b.log")
    a = ServerProcess(botgate_serve(), {**env, "BOTGATE_PUBLIC_URL": b.url}, work / "gateway-a.log", port=free_port())
    try:
        b.start()
        a.start()
        yield Gateways(a, b, redis)
    finally:
        a.stop()
        b.stop()
        redis.stop()
