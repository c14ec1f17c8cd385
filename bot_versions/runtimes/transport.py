"""How calls to upstream bots go over the wire: aiohttp's pooled client.

aiohttp rather than httpx (which `call` steps and the CLI use) because upstream calls are on every turn of an
upstream bot: measured side by side on the same bot, httpx spent several times more client CPU per call, and far
more with calls in flight at once (docs/benchmarks.md, "The upstream client"). The transport is a small seam, so a
test can put any answer on the wire without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import yarl

from bot_versions.bodies import read_capped

POOL_CONNECTIONS = 512  # across all bots; a version's own bound (max_in_flight) is usually what binds first
CHUNK = 64 * 1024


class Refused(Exception):
    """The bot could not be reached: connection refused, no route, name not found."""


class Broken(Exception):
    """The call failed on the way (the connection dropped, a malformed answer); the message names only the kind."""


@dataclass(frozen=True, slots=True)
class Raw:
    """An answer as it came: status, media type, and the body (None when it passed the size limit)."""

    status: int
    media_type: str
    body: bytes | None


class Transport(Protocol):
    """POSTs a body and reads the whole answer, up to a limit; raises Refused or Broken, never a client's error."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], max_bytes: int) -> Raw: ...

    def target(self, url: str) -> tuple[str, int]:
        """The host (lowercase) and port this transport connects to for `url`; ValueError when it cannot send it."""
        ...

    async def aclose(self) -> None: ...


def aiohttp_target(url: str) -> tuple[str, int]:
    """Where aiohttp connects for `url`: its host (lowercase) and port, read by yarl as aiohttp reads it."""
    parsed = yarl.URL(url)
    if parsed.host is None or parsed.port is None:
        raise ValueError("no host")
    return parsed.host.lower(), parsed.port


class AiohttpTransport:
    """One pooled aiohttp session per process, made on first use (it belongs to the running event loop)."""

    def __init__(self, connections: int = POOL_CONNECTIONS) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], max_bytes: int) -> Raw:
        try:
            async with self._open().post(url, data=body, headers=headers, allow_redirects=False) as response:
                data = await read_capped(response.content.iter_chunked(CHUNK), response.content_length, max_bytes)
                return Raw(response.status, response.content_type.lower(), data)
        except aiohttp.ClientConnectorError:
            raise Refused() from None
        except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp cannot send
            raise Broken(type(exc).__name__) from None

    def target(self, url: str) -> tuple[str, int]:
        return aiohttp_target(url)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            # No proxies or credentials from the environment, no cookies kept between bots' answers.
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=0)
            # Answers are asked for uncompressed and read as sent: a compressed body is never inflated unbounded.
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                headers={"Accept-Encoding": "identity"},
            )
        return self._session
