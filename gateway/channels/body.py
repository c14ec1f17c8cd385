"""Reading request bodies with a size limit, shared by every channel."""

from __future__ import annotations

from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from bot_versions import safe_json
from bot_versions.errors import BadRequest, TooLarge

MAX_BODY = 64 * 1024


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` (header or stream)."""
    return await receive_body(request.receive, request.headers.get("content-length"), limit)


async def receive_body(receive: Receive, declared: str | None, limit: int = MAX_BODY) -> bytes:
    """The body from an ASGI `receive`, given its Content-Length header (if any); 413 as `read_body`.

    A body that comes in one message (nearly every chat message) is returned as it came, with no copy.
    """
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is {declared} bytes; at most {limit} are accepted")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over {limit} bytes; at most {limit} are accepted")
        if not message.get("more_body", False):
            return b"".join([*chunks, chunk]) if chunks else chunk
        chunks.append(chunk)


def parse_json(body: bytes | str, what: str = "the body") -> Any:
    """Decode a JSON body with the one safe parser, or 400 saying why it cannot be read."""
    try:
        return safe_json.loads(body)
    except safe_json.JsonRefused as exc:
        raise BadRequest(f"{what} cannot be read: {exc.message}") from None
