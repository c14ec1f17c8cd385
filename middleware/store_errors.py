"""Every Redis failure, whatever redis-py raises, becomes a 503 the client can retry: never a 500."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import structlog
from redis.exceptions import RedisError

from bot_versions.errors import Unavailable

log = structlog.get_logger("botgate.store")


class StoreErrors:
    """A block whose Redis failures become a 503 the client can retry; `on_failure` runs first.

    A class rather than a `@contextmanager`: it wraps every turn's Redis call, and a generator per block costs more.
    """

    __slots__ = ("on_failure",)

    def __init__(self, on_failure: Callable[[], None] | None = None) -> None:
        self.on_failure = on_failure

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if isinstance(exc, RedisError):
            log.warning("store_unavailable", error=type(exc).__name__)
            if self.on_failure is not None:
                self.on_failure()
            raise Unavailable("the session store is unavailable; retry shortly", retry_after=1) from exc


_PLAIN = StoreErrors()


def store_errors() -> StoreErrors:
    """Turn any Redis failure in the block into a 503 the client can retry, never a 500."""
    return _PLAIN
