"""The connection to the store: a Redis URL, or the embedded in-process fakeredis."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.settings import Settings


def connect(settings: Settings) -> Redis:
    """A client for the configured store; commands time out so a dead store gives 503s, not hangs."""
    if settings.redis_url is None:
        import fakeredis  # imported here: only the embedded default needs it

        return fakeredis.FakeAsyncRedis()
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        # One quick retry rides over a dropped idle connection; more would only delay the 503.
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )
