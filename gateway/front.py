"""The front door: `GET /` lists the bots with links to their web chat, the dashboard and the API reference;
`GET /docs` renders `/openapi.json` for people with Swagger UI, vendored in `gateway/web/docs/` (nothing is
fetched from elsewhere)."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot_versions.url_segments import path_segment
from gateway.pages import template
from gateway.services import services
from middleware.routing import stable_target
from middleware.store import store_errors

MAX_LISTED = 100  # an index page, not a catalogue: the admin API lists every bot


def bots_html(bots: list[tuple[str, str]], more: int) -> str:
    """The bots as a list of links to their web chat, each with the version new conversations start on."""
    if not bots:
        return "<p>No bot is published yet: store and publish one with <code>botgate publish FILE</code>.</p>"
    items = [
        f'<li><a href="chat/{path_segment(bot)}">{html.escape(bot)}</a> '
        f'<span class="version">{html.escape(version)}</span></li>'
        for bot, version in bots
    ]
    if more:
        items.append(f"<li>and {more} more (<code>botgate bots</code> lists them all)</li>")
    return "<ul>\n    " + "\n    ".join(items) + "\n  </ul>"


async def index_page(request: Request) -> Response:
    """The start page: the bots that have a published version, and where to go next."""
    svc = services(request)
    listed: list[tuple[str, str]] = []
    with store_errors():
        names = await svc.registry.bots()
        for bot in names[:MAX_LISTED]:
            state = await svc.catalog.state(bot)
            stable = stable_target(state) if state is not None else None
            if stable is not None:
                listed.append((bot, stable))
    body = template("index.html").substitute(bots=bots_html(listed, max(0, len(names) - MAX_LISTED)))
    return HTMLResponse(body)


async def docs_page(request: Request) -> Response:
    """The API reference for people: Swagger UI over /openapi.json."""
    return HTMLResponse(template("docs.html").template)


routes: list[BaseRoute] = [
    Route("/", index_page),
    Route("/docs", docs_page),
    Mount("/docs/assets", StaticFiles(packages=[("gateway", "web/docs")]), name="docs-assets"),
]
