"""The floor: the least a session-keeping gateway does per message, on the gateway's own stack.

One Redis GET of the user's JSON session, update it, one SET, reply. Every gateway figure in
docs/benchmarks.md is divided by this app's, served by uvicorn with one worker like `botgate serve`.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def message(request: Request) -> JSONResponse:
    """Load the session, count the turn, save it, answer like the echo bot."""
    body = json.loads(await request.body())
    redis: Redis = request.app.state.redis
    key = f"floor:{request.path_params['bot']}:{body['user']}"
    raw = await redis.get(key)
    session = json.loads(raw) if raw else {"turns": 0}
    session["turns"] += 1
    session["last"] = body["text"]
    await redis.set(key, json.dumps(session, separators=(",", ":")))
    return JSONResponse({"replies": [{"text": f"ECHO: {body['text']}"}], "status": "ended"})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.redis = Redis.from_url(os.environ["BOTGATE_REDIS_URL"])
    yield
    await app.state.redis.aclose()


app = Starlette(
    routes=[Route("/healthz", healthz), Route("/v1/bots/{bot}/messages", message, methods=["POST"])],
    lifespan=lifespan,
)
