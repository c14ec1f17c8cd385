"""Reading an HTTP answer whole, up to a size limit: for `call` steps and for upstream bots alike."""

from __future__ import annotations

import httpx


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes | None:
    """The body of a streamed response, or None as soon as it is known to pass `max_bytes` (declared or read)."""
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
