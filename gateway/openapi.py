"""`/openapi.json`: the OpenAPI 3.1 document of every route the app serves, built from the routes it mounts.

The operations themselves are written out in `openapi_chat` and `openapi_admin`; this module keeps
the routes an app actually mounts, so the document never lists a route that is not there, and
`undocumented()` names any mounted route that has no description yet (a test keeps it empty).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from gateway import openapi_admin, openapi_chat, openapi_parts
from gateway.openapi_parts import JSON
from gateway.version import installed_version

DOCUMENTED: JSON = {
    **openapi_chat.PATHS,
    **{openapi_admin.PREFIX + path: item for path, item in openapi_admin.PATHS.items()},
    **openapi_admin.PAGES,
}


def mounted_paths(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[str]:
    """Path templates of every route, mounts expanded; a static-files mount has no routes and adds none."""
    for route in routes:
        if isinstance(route, Mount):
            yield from mounted_paths(route.routes, prefix + route.path)
        elif isinstance(route, (Route, WebSocketRoute)):
            yield prefix + route.path


def undocumented(routes: Sequence[BaseRoute]) -> list[str]:
    """Mounted paths the document has no description of."""
    return [path for path in dict.fromkeys(mounted_paths(routes)) if path not in DOCUMENTED]


def openapi_document(routes: Sequence[BaseRoute]) -> JSON:
    """The document of the mounted routes that are described, in mounting order."""
    paths = {path: DOCUMENTED[path] for path in dict.fromkeys(mounted_paths(routes)) if path in DOCUMENTED}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "botgate",
            "version": installed_version(),
            "description": "Chat channels and the admin API of botgate; docs/api.md explains each route.",
        },
        "paths": paths,
        "components": {
            "schemas": {**openapi_parts.SCHEMAS, **openapi_chat.SCHEMAS, **openapi_admin.SCHEMAS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token of BOTGATE_ADMIN_TOKENS."}
            },
        },
    }


async def openapi_json(request: Request) -> Response:
    """GET /openapi.json: the document of this app's routes."""
    return JSONResponse(openapi_document(request.app.routes))
