"""What the admin routes need from the gateway process, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from starlette.requests import Request

from admin.auth import ACTOR_KEY
from bot_versions.errors import NotFound
from bot_versions.registry import Registry
from bot_versions.runtime_checks import StoreRules
from bot_versions.state import BotState
from middleware.catalog import Catalog
from middleware.store import SessionStore


class AdminServices(Protocol):
    """The parts of a running gateway the admin API uses; the host app keeps them on `app.state.services`."""

    redis: Redis
    registry: Registry
    store: SessionStore
    catalog: Catalog
    clock: Callable[[], int]  # milliseconds since the epoch (tests move it by hand)

    @property
    def store_rules(self) -> StoreRules: ...


def admin_services(request: Request) -> AdminServices:
    """The running gateway's services (the admin routes are mounted inside the gateway app)."""
    found: AdminServices = request.app.state.services
    return found


def actor(request: Request) -> str:
    """The identity of the token that made this request, for the audit (AdminAuth put it there)."""
    identity: str = request.scope["state"][ACTOR_KEY]
    return identity


async def bot_state(services: AdminServices, bot: str) -> BotState:
    """The bot's state as stored now (not the catalog's cached copy); NotFound when it has no version."""
    state = await services.registry.state(bot)
    if state is None:
        raise NotFound(f"there is no bot named {bot!r}")
    return state
