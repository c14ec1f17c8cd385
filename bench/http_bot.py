"""The bench's `http`-runtime bot: echoes each message and ends the conversation, as the echo flow bot does.

Served alone it is the "called directly" row (wrk speaks the runtime's protocol to it, bench/wrk/http_turns.lua);
behind the gateway, published as `hecho` with `replayable: true` (a new version in each run: its port changes),
it is the "through the gateway" row.
"""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

NAME = "hecho"


def definition(url: str, version: str) -> dict[str, object]:
    """A version of this bot at `url` (versions are immutable: a bot at a new address is a new version)."""
    return {
        "bot": NAME,
        "version": version,
        "runtime": "http",
        "description": "The bench's echo bot as a service",
        "http": {"url": f"{url}/turn", "timeout": 5, "replayable": True},
    }


async def turn(request: Request) -> Response:
    message = orjson.loads(await request.body())["message"]
    answer = {"replies": [{"text": f"ECHO: {message['text']}"}], "state": {}, "done": True}
    return Response(orjson.dumps(answer), media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route("/healthz", healthz), Route("/turn", turn, methods=["POST"])])
