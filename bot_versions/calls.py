"""Outgoing HTTP requests of `call` steps, to allow-listed hosts only.

An allow-list entry is a host (`zip.example`: that host on any port) or a host and port
(`127.0.0.1:8080`: that port only); hosts compare exactly, ignoring case. Redirects are not
followed (a redirect could leave the allow-list), proxies and credentials from the environment
are not used, and a response is read up to `max_bytes`. Failure messages name the method and
the host, never the path or query, which may carry keys.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from bot_versions import safe_json

MAX_RESPONSE_BYTES = 64 * 1024
SURROGATE = re.compile(r"[\ud800-\udfff]")
DEFAULT_PORTS = {"http": 80, "https": 443}


class CallFailed(Exception):
    """A call was refused, failed, timed out, or was answered with an error."""


class Caller(Protocol):
    """How a flow makes its `call` steps: the parsed JSON answer (or its text), or CallFailed."""

    async def __call__(self, method: str, url: str, timeout: float) -> Any: ...


class HttpCaller:
    """A Caller over httpx that only reaches allow-listed hosts."""

    def __init__(
        self,
        allowed_hosts: Collection[str],
        client: httpx.AsyncClient | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._allowed = frozenset(_parse_entry(entry) for entry in allowed_hosts)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._max_bytes = max_bytes

    async def __call__(self, method: str, url: str, timeout: float) -> Any:
        target = self._check(url)
        where = f"{method} to {target.host}"
        try:
            async with asyncio.timeout(timeout):
                request = self._client.build_request(
                    method, target, timeout=timeout, headers={"Accept": "application/json"}
                )
                response = await self._client.send(request, stream=True, follow_redirects=False)
                try:
                    if not response.is_success:
                        raise CallFailed(f"{where} was answered {response.status_code}")
                    body = await self._read(response, where)
                finally:
                    await response.aclose()
        # `from None` everywhere: httpx's messages carry the whole URL, query included
        except (TimeoutError, httpx.TimeoutException):
            raise CallFailed(f"{where} timed out after {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise CallFailed(f"{where} failed: {type(exc).__name__}") from None
        return _decode(response, body, where)

    async def aclose(self) -> None:
        """Close the HTTP client, if this caller created it."""
        if self._owns_client:
            await self._client.aclose()

    def _check(self, url: str) -> httpx.URL:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL:
            raise CallFailed("the call's URL is not a valid URL") from None
        if target.scheme not in DEFAULT_PORTS or not target.host:
            raise CallFailed("the call's URL is not an http or https URL")
        host = target.host.lower()
        port = target.port or DEFAULT_PORTS[target.scheme]
        if (host, None) not in self._allowed and (host, port) not in self._allowed:
            raise CallFailed(f"{host} is not an allowed host for calls (see BOTGATE_CALL_HOSTS)")
        return target

    async def _read(self, response: httpx.Response, where: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise CallFailed(f"{where} answered more than {self._max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _parse_entry(entry: str) -> tuple[str, int | None]:
    """An allow-list entry as (host, port or None for any port); raise ValueError when it is neither."""
    invalid = ValueError(f"{entry!r} is not a host or host:port for the call allow-list")
    try:
        parts = urlsplit(f"//{entry.strip()}")
        port = parts.port
    except ValueError:
        raise invalid from None
    if not parts.hostname or parts.username is not None or parts.path or parts.query or parts.fragment:
        raise invalid
    return parts.hostname.lower(), port


def _decode(response: httpx.Response, body: bytes, where: str) -> Any:
    """A JSON answer's value (read by the one safe parser), or any other answer's text."""
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return safe_json.loads(body)
        except safe_json.JsonRefused:
            # the flow's on_error path; what was wrong with the answer is no business of the user's
            raise CallFailed(f"{where} answered JSON that could not be read") from None
    try:
        text = body.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    # a charset such as utf-7 or unicode_escape can spell a lone surrogate; no store or log can carry one
    return SURROGATE.sub("\ufffd", text)
