"""The floors: the least a session-keeping gateway does per message, on the gateway's own stack.

`app`, the floor: one Redis GET of the user's JSON session, update it, one SET, reply. Every gateway figure in
docs/benchmarks.md is divided by this app's, served by uvicorn with one worker like `botgate serve`.

`one_call`: the same update as one Lua script (EVALSHA), so one round trip per message: the limit for a gateway
that keeps a session in one call per turn, as botgate's steady turns do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

UPDATE = """
local raw = redis.call('GET', KEYS[1])
local session = raw and cjson.decode(raw) or {turns = 0}
session.turns = session.turns + 1
session.last = ARGV[1]
redis.call('SET', KEYS[1], cjson.encode(session))
"""
UPDATE_SHA = hashlib.sha1(UPDATE.encode()).hexdigest()

Update = Callable[[Redis, str, str], Awaitable[None]]


async def get_and_set(redis: Redis, key: str, text: str) -> None:
    """Load the session, count the turn, save it: two round trips."""
    raw = await redis.get(key)
    session = json.loads(raw) if raw else {"turns": 0}
    session["turns"] += 1
    session["last"] = text
    await redis.set(key, json.dumps(session, separators=(",", ":")))


async def in_one_call(redis: Redis, key: str, text: str) -> None:
    """The same update, done by Redis in one script call."""
    await redis.evalsha(UPDATE_SHA, 1, key, text)


def floor_app(update: Update) -> Starlette:
    """Answer like the echo bot, keeping each user's session with `update`."""

    async def message(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        await update(request.app.state.redis, f"floor:{request.path_params['bot']}:{body['user']}", body["text"])
        return JSONResponse({"replies": [{"text": f"ECHO: {body['text']}"}], "status": "ended"})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.redis = Redis.from_url(os.environ["BOTGATE_REDIS_URL"])
        await app.state.redis.script_load(UPDATE)
        yield
        await app.state.redis.aclose()

    routes = [Route("/healthz", healthz), Route("/v1/bots/{bot}/messages", message, methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan)


app = floor_app(get_and_set)
one_call = floor_app(in_one_call)
