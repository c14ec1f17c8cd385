"""Reading an HTTP answer whole, up to a size limit: for `call` steps (httpx) and for upstream bots (aiohttp)."""

from __future__ import annotations

from collections.abc import AsyncIterable


async def read_capped(chunks: AsyncIterable[bytes], declared: int | None, max_bytes: int) -> bytes | None:
    """The whole body from its `chunks`, or None as soon as it is known to pass `max_bytes`: declared (the
    Content-Length, when there is one) or read so far."""
    if declared is not None and declared > max_bytes:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            return None
        parts.append(chunk)
    return b"".join(parts)


def declared_length(value: str | None) -> int | None:
    """A Content-Length header's value as a number, when it is one."""
    return int(value) if value is not None and value.isascii() and value.isdigit() else None
