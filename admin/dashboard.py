"""The operator's dashboard: one static page at `/admin/` with its assets, and `GET /admin/v1/whoami` for it.

The page and its files need no token (they hold no data); every figure on the page comes from the admin API,
called with the token the operator types in. The page only ever talks to its own origin, which the
Content-Security-Policy below enforces: no inline script or style, nothing fetched from anywhere else.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from admin.auth import READ_ONLY_KEY
from admin.services import actor

PAGE_PATH = "/admin/"
ASSETS_PATH = "/admin/assets"
GZIP_FROM = 1024  # bytes: the page and its scripts shrink to about a third; tiny files are not worth it

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",  # every form is handled by the page's scripts
        "frame-ancestors 'none'",
    ]
)
# Asset names carry no version: a browser revalidates them on each load (304 when unchanged), so an upgraded
# gateway never runs an old script against a new page.
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
PAGE_HEADERS = {
    **ASSET_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@cache
def page_html() -> str:
    """The page, read once from the package."""
    return (resources.files("admin") / "dashboard" / "index.html").read_text(encoding="utf-8")


async def dashboard_page(request: Request) -> Response:
    """The dashboard page; it asks for a token itself."""
    return HTMLResponse(page_html(), headers=PAGE_HEADERS)


class DashboardAssets(StaticFiles):
    """The page's scripts and styles and the vendored chart library, with the page's caching and sniffing rules."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(ASSET_HEADERS)
        return response


async def whoami(request: Request) -> Response:
    """The token's identity, as the audit records it, and whether it may change anything."""
    read_only: bool = request.scope["state"][READ_ONLY_KEY]
    return JSONResponse({"identity": actor(request), "read_only": read_only})


def dashboard_routes() -> list[BaseRoute]:
    """The page and its assets, for mounting beside (not behind) the admin API's auth."""
    assets = DashboardAssets(packages=[("admin", "dashboard/assets")])
    return [
        Route(PAGE_PATH, GZipMiddleware(request_response(dashboard_page), GZIP_FROM), methods=["GET"]),
        Mount(ASSETS_PATH, GZipMiddleware(assets, GZIP_FROM), name="dashboard-assets"),
    ]
