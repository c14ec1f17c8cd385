"""The ceiling: the REST channel's HTTP work alone, on the gateway's own stack, with no store at all.

Parse the message, answer like the echo bot: what uvicorn, Starlette and a JSON body cost per message. No gateway
can be faster than this app; the gap between it and the floor is what one Redis round trip or two cost.
"""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def message(request: Request) -> Response:
    body = orjson.loads(await request.body())
    answer = {"replies": [{"text": f"ECHO: {body['text']}"}], "status": "ended"}
    return Response(orjson.dumps(answer), media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route("/healthz", healthz), Route("/v1/bots/{bot}/messages", message, methods=["POST"])])
