"""The long-lived parts of one gateway process, built at start-up and shared by every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from bot_versions.calls import HttpCaller
from bot_versions.registry import Registry
from bot_versions.runtime_checks import StoreRules
from bot_versions.runtimes.upstream import Upstream
from gateway.settings import Settings
from middleware.catalog import Catalog
from middleware.inbox import RedisInbox
from middleware.runner import TurnRunner
from middleware.store import SessionStore

Clock = Callable[[], int]


@dataclass
class Services:
    """What the lifespan builds: the store, the registry view, the turn runner."""

    settings: Settings
    redis: Redis
    registry: Registry
    store: SessionStore
    catalog: Catalog
    runner: TurnRunner
    caller: HttpCaller
    upstream: Upstream
    inbox: RedisInbox
    clock: Clock

    @property
    def store_rules(self) -> StoreRules:
        """What a version stored through this gateway may name (the admin API checks definitions against it)."""
        return self.settings.store_rules()


def services(conn: HTTPConnection) -> Services:
    """The running gateway's services, from a request or WebSocket."""
    found: Services = conn.app.state.services
    return found
