"""Outbound Bot Framework: reply activities POSTed to the conversation's serviceUrl, with a token when configured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from bot_versions.errors import Unavailable

TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"


def token_url_for(tenant_id: str | None) -> str:
    """Where a bot gets its reply tokens: its own tenant for single-tenant bots (Azure's default since 2025)."""
    if tenant_id is None:
        return TOKEN_URL
    return f"https://login.microsoftonline.com/{quote(tenant_id, safe='')}/oauth2/v2.0/token"
SCOPE = "https://api.botframework.com/.default"
TIMEOUT_S = 10.0
TOKEN_MARGIN_S = 300  # renew a little before expiry, so a token never lapses between fetch and use


def reply_url(service_url: str, conversation: str, activity: str) -> str:
    """`{serviceUrl}/v3/conversations/{conversation}/activities/{activity}`, ids percent-encoded."""
    conversation, activity = quote(conversation, safe=""), quote(activity, safe="")
    return f"{service_url.rstrip('/')}/v3/conversations/{conversation}/activities/{activity}"


class Connector:
    """Sends replies; `credentials` (app id, password) buy a client-credentials token, cached until near expiry."""

    def __init__(
        self,
        credentials: tuple[str, str] | None,
        token_url: str = TOKEN_URL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def reply(self, service_url: str, conversation: str, activity: str, replies: list[dict[str, Any]]) -> None:
        """POST each reply in order; 503 when any cannot be delivered (the channel retries, duplicates run once)."""
        url = reply_url(service_url, conversation, activity)
        try:
            # A client per delivery: channels have no shutdown hook that could close a shared one.
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
                headers = await self._headers(http)
                for reply in replies:
                    (await http.post(url, json=reply, headers=headers)).raise_for_status()
        except httpx.HTTPError as exc:
            raise Unavailable(f"could not deliver the replies to {service_url}: {exc}") from None

    async def _headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        if self.credentials is None:
            return {}  # the Emulator, which accepts replies without a token
        async with self._lock:
            if self._token is None or self.clock() >= self._expires_at:
                self._token, lifetime = await self._fetch_token(http, *self.credentials)
                self._expires_at = self.clock() + lifetime - TOKEN_MARGIN_S
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch_token(self, http: httpx.AsyncClient, app_id: str, password: str) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": password, "scope": SCOPE}
        try:
            body = (await http.post(self.token_url, data=form)).raise_for_status().json()
            return str(body["access_token"]), float(body.get("expires_in", 3600))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise Unavailable(
                f"could not get a Bot Framework token from {self.token_url} ({type(exc).__name__}: {exc}); "
                "check BOTGATE_MSAPP_ID and BOTGATE_MSAPP_PASSWORD"
            ) from None
