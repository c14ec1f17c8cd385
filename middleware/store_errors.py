"""Every Redis failure, whatever redis-py raises, becomes a 503 the client can retry: never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from redis.exceptions import RedisError

from bot_versions.errors import Unavailable

log = structlog.get_logger("botgate.store")


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn any Redis failure into a 503 the client can retry, never a 500."""
    try:
        yield
    except RedisError as exc:
        log.warning("store_unavailable", error=type(exc).__name__)
        raise Unavailable("the session store is unavailable; retry shortly", retry_after=1) from exc
