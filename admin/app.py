"""The admin side of the gateway: the API at /admin/v1 behind bearer-token auth, and the dashboard page beside it.

Routes match the path as the client sent it, segment by segment, each segment percent-decoded on its own: a user
id may hold any character a channel accepts, `/` included, and must name exactly that user.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

from admin import bots, dashboard, health, sessions, versions
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


def raw_route_path(raw_path: bytes, root_path: str) -> str | None:
    """The part of the path as sent (still percent-encoded) below `root_path`, the mount's decoded prefix.

    None when no run of whole segments decodes to the prefix (`/admin/v1%2Fbots` has no `/bots` below `/admin/v1`).
    """
    # latin-1 maps each byte to one character and back, so the text can be matched and its bytes recovered
    segments = raw_path.split(b"?", 1)[0].decode("latin-1").split("/")
    for count in range(1, len(segments) + 1):
        if unquote_to_bytes("/".join(segments[:count]).encode("latin-1")).decode(errors="replace") == root_path:
            return "/" + "/".join(segments[count:])
    return None


def decoded_segment(segment: str) -> str:
    """One raw segment percent-decoded and read as UTF-8; UnicodeDecodeError when its bytes are not UTF-8."""
    return unquote_to_bytes(segment.encode("latin-1")).decode("utf-8")


class RawPathRoute(Route):
    """A route matched on the raw path: each `{param}` is one percent-encoded segment, decoded exactly.

    Starlette matches the decoded path, where `%2F` is already `/`: a user id `a/b` would match no route, and user
    `a/transcript` would reach the transcript of user `a`. Matching the raw path keeps every segment whole. A
    segment that is not UTF-8 once decoded can name nothing, so it matches nothing (404).
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        raw_path = scope.get("raw_path")
        if raw_path is None:  # ASGI lets a server leave it out: then the decoded path is all there is
            return super().matches(scope)
        route_path = raw_route_path(raw_path, scope.get("root_path", ""))
        match = None if route_path is None else self.path_regex.fullmatch(route_path)
        if match is None:
            return Match.NONE, {}
        try:
            params: dict[str, Any] = {name: decoded_segment(value) for name, value in match.groupdict().items()}
        except UnicodeDecodeError:
            return Match.NONE, {}
        child: Scope = {"endpoint": self.endpoint, "path_params": {**scope.get("path_params", {}), **params}}
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child
        return Match.FULL, child


class RawPathMount(Mount):
    """A mount matched on the raw path too: the decoded path can hold a newline, which Starlette's `.*` stops at."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raw_path = scope.get("raw_path")
        if scope["type"] not in ("http", "websocket") or raw_path is None:
            return super().matches(scope)
        root_path = scope.get("root_path", "")
        below = raw_route_path(raw_path, root_path)
        if below is None or not below.startswith(self.path + "/"):
            return Match.NONE, {}
        return Match.FULL, {
            "path_params": dict(scope.get("path_params", {})),
            "app_root_path": scope.get("app_root_path", root_path),  # as Mount.matches sets it, for url_for
            "root_path": root_path + self.path,
            "endpoint": self.app,
        }


def _route(path: str, endpoint: Endpoint, method: str) -> Route:
    return RawPathRoute(path, _store_guarded(endpoint), methods=[method])


ROUTES = [
    _route("/whoami", dashboard.whoami, "GET"),
    _route("/bots", bots.list_bots, "GET"),
    _route("/bots/{bot}", bots.get_bot, "GET"),
    _route("/bots/{bot}/versions/{version}", versions.put_version, "PUT"),
    _route("/bots/{bot}/versions/{version}", versions.get_version, "GET"),
    _route("/bots/{bot}/versions/{version}/publish", versions.publish, "POST"),
    _route("/bots/{bot}/versions/{version}/unpublish", versions.unpublish, "POST"),
    _route("/bots/{bot}/versions/{version}/resumable", versions.resumable, "GET"),
    _route("/bots/{bot}/rollout", bots.get_rollout, "GET"),
    _route("/bots/{bot}/rollout", bots.put_rollout, "PUT"),
    _route("/bots/{bot}/pins/{user}", bots.put_pin, "PUT"),
    _route("/bots/{bot}/pins/{user}", bots.delete_pin, "DELETE"),
    _route("/bots/{bot}/sessions/{user}", sessions.get_sessions, "GET"),
    _route("/bots/{bot}/sessions/{user}", sessions.delete_sessions, "DELETE"),
    _route("/bots/{bot}/sessions/{user}/transcript", sessions.get_transcript, "GET"),
    _route("/bots/{bot}/audit", bots.get_audit, "GET"),
    _route("/bots/{bot}/health", health.get_health, "GET"),
]


def admin_mount(tokens: Sequence[AdminToken]) -> Mount:
    """The admin API as a mount for the gateway app; every request needs one of `tokens`."""
    auth = Middleware(AdminAuth, tokens=tuple(tokens), routes=ROUTES)
    return RawPathMount(PREFIX, routes=ROUTES, middleware=[auth])


def admin_routes(tokens: Sequence[AdminToken]) -> list[BaseRoute]:
    """Everything under /admin: the dashboard page and its assets (no token: they hold no data), and the API."""
    return [*dashboard.dashboard_routes(), admin_mount(tokens)]
