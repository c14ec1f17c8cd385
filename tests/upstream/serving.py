"""What the project-venv test bots share: their command line and how they are served."""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp


def parser(description: str) -> argparse.ArgumentParser:
    """A command line with the `--host/--port` that `ServerProcess` appends."""
    found = argparse.ArgumentParser(description=description)
    found.add_argument("--host", default="127.0.0.1")
    found.add_argument("--port", type=int, required=True)
    return found


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve `app` in this process until SIGTERM."""
    # Requests still open at shutdown (a /timeout turn) are dropped after a second instead of holding up the stop.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1)


async def json_body(request: Request) -> Any:
    """The request's JSON body, or raises BadBody (the bots answer 400 with its message)."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadBody(f"the body is not JSON: {error}") from None


class BadBody(ValueError):
    """A request these bots cannot read; answered 400 with the message (see `EXCEPTION_HANDLERS`)."""


async def bad_body(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"error": str(error)}, status_code=400)


EXCEPTION_HANDLERS = {BadBody: bad_body}


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})
