"""Outgoing HTTP requests of `call` steps, to allow-listed hosts only.

An allow-list entry is a host (`zip.example`: that host on any port) or a host and port
(`127.0.0.1:8080`: that port only); hosts compare exactly, ignoring case. Redirects are not
followed (a redirect could leave the allow-list), proxies and credentials from the environment
are not used, and a response is read up to `max_bytes`. Failure messages name the method and
the host, never the path or query, which may carry keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any, Protocol

import httpx

from bot_versions import safe_json
from bot_versions.bodies import declared_length, read_capped
from bot_versions.hosts import AllowList, NotAllowed

MAX_RESPONSE_BYTES = 64 * 1024


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
        self._allowed = AllowList(allowed_hosts, "BOTGATE_CALL_HOSTS")
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
            self._allowed.check(url)
        except NotAllowed as exc:
            raise CallFailed(f"the call's URL {exc}") from None
        return httpx.URL(url)

    async def _read(self, response: httpx.Response, where: str) -> bytes:
        declared = declared_length(response.headers.get("content-length"))
        body = await read_capped(response.aiter_bytes(), declared, self._max_bytes)
        if body is None:
            raise CallFailed(f"{where} answered more than {self._max_bytes} bytes")
        return body


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
    return safe_json.SURROGATE.sub("\ufffd", text)
