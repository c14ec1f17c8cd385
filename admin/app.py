"""The admin API: every route of DESIGN.md's admin table, mounted at /admin/v1 behind bearer-token auth."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from admin import bots, sessions, versions
from admin.auth import AdminAuth, AdminToken
from middleware.store import store_errors

PREFIX = "/admin/v1"
Endpoint = Callable[[Request], Awaitable[Response]]


def _store_guarded(endpoint: Endpoint) -> Endpoint:
    """A Redis failure anywhere in an admin route answers 503 with Retry-After, never 500."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        with store_errors():
            return await endpoint(request)

    return guarded


def _route(path: str, endpoint: Endpoint, method: str) -> Route:
    return Route(path, _store_guarded(endpoint), methods=[method])


ROUTES = [
    _route("/bots", bots.list_bots, "GET"),
    _route("/bots/{bot}", bots.get_bot, "GET"),
    _route("/bots/{bot}/versions/{version}", versions.put_version, "PUT"),
    _route("/bots/{bot}/versions/{version}", versions.get_version, "GET"),
    _route("/bots/{bot}/versions/{version}/publish", versions.publish, "POST"),
    _route("/bots/{bot}/versions/{version}/unpublish", versions.unpublish, "POST"),
    _route("/bots/{bot}/rollout", bots.get_rollout, "GET"),
    _route("/bots/{bot}/rollout", bots.put_rollout, "PUT"),
    _route("/bots/{bot}/pins/{user}", bots.put_pin, "PUT"),
    _route("/bots/{bot}/pins/{user}", bots.delete_pin, "DELETE"),
    _route("/bots/{bot}/sessions/{user}", sessions.get_sessions, "GET"),
    _route("/bots/{bot}/sessions/{user}", sessions.delete_sessions, "DELETE"),
    _route("/bots/{bot}/sessions/{user}/transcript", sessions.get_transcript, "GET"),
    _route("/bots/{bot}/audit", bots.get_audit, "GET"),
]


def admin_mount(tokens: Sequence[AdminToken]) -> Mount:
    """The admin API as a mount for the gateway app; every request needs one of `tokens`."""
    return Mount(PREFIX, routes=ROUTES, middleware=[Middleware(AdminAuth, tokens=tuple(tokens))])
