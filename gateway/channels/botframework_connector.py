"""Outbound Bot Framework: reply activities POSTed to the conversation's serviceUrl, with a token when configured."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bot_versions import safe_json
from bot_versions.errors import Unavailable
from bot_versions.safe_json import ascii_dumps
from bot_versions.url_segments import path_segment

TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"


def token_url_for(tenant_id: str | None) -> str:
    """Where a bot gets its reply tokens: its own tenant for single-tenant bots (Azure's default since 2025)."""
    if tenant_id is None:
        return TOKEN_URL
    return f"https://login.microsoftonline.com/{quote(tenant_id, safe='')}/oauth2/v2.0/token"


SCOPE = "https://api.botframework.com/.default"
TIMEOUT_S = 10.0
TOKEN_MARGIN_S = 300  # renew a little before expiry, so a token never lapses between fetch and use

# The whole of a serviceUrl the gateway accepts: scheme, host, optional port, and a path of plain segments. No
# userinfo, query, fragment, percent-encoding, backslash or space can match, so none can turn the fixed suffix
# into a query string, point the request at another host, or be read differently by the HTTP client.
SERVICE_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[a-z0-9._~-]+)*)/?",
    re.IGNORECASE | re.ASCII,
)
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class ServiceUrl:
    """A validated serviceUrl in parts: replies go to `{base}/v3/conversations/...` and nowhere else."""

    scheme: str  # http or https
    host: str  # a DNS name or an IPv4 address, or an IPv6 address in brackets; lowercase
    port: int | None
    path: str  # "" or "/segment/..." without a trailing slash

    @property
    def hostname(self) -> str:
        """The host without IPv6 brackets, as address checks take it."""
        return self.host.strip("[]")

    @property
    def base(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.path}"


def parse_service_url(url: str) -> ServiceUrl:
    """The parts of a serviceUrl; ValueError saying what is accepted when it is anything else."""
    match = SERVICE_URL.fullmatch(url)
    if match is None:
        raise ValueError(
            "must be an http or https URL of a host, an optional port and a path of letters, digits and -._~ "
            "(no user, query, fragment or percent-encoding)"
        )
    host, port = match["host"].lower(), match["port"]
    if not _valid_host(host):
        raise ValueError("must name a host: a DNS name, an IPv4 address or an IPv6 address in brackets")
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError("must have a port from 1 to 65535")
    segments = match["path"].split("/")[1:]
    if any(segment in (".", "..") for segment in segments):
        raise ValueError("must have a path without . or .. segments")
    return ServiceUrl(match["scheme"].lower(), host, None if port is None else int(port), match["path"])


def _valid_host(host: str) -> bool:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    labels = host.split(".")
    if labels[-1].isdigit() or labels[-1].startswith("0x"):
        # numbers are an IPv4 address, written in full: resolvers read `127.1` or `0x7f000001` as addresses too
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return len(host) <= 253 and all(LABEL.fullmatch(label) for label in labels)


def reply_url(service: ServiceUrl, conversation: str, activity: str) -> str:
    """`{serviceUrl}/v3/conversations/{conversation}/activities/{activity}`, each id exactly one path segment."""
    return f"{service.base}/v3/conversations/{path_segment(conversation)}/activities/{path_segment(activity)}"


class Connector:
    """Sends replies; `credentials` (app id, password) buy a client-credentials token, cached until near expiry."""

    def __init__(
        self,
        credentials: tuple[str, str] | None,
        token_url: str = TOKEN_URL,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.clock = clock
        self.transport = transport  # None: the network; tests record requests with their own
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def reply(self, service: ServiceUrl, conversation: str, activity: str, replies: list[dict[str, Any]]) -> None:
        """POST each reply in order; 503 when any cannot be delivered (the channel retries, duplicates run once)."""
        url = reply_url(service, conversation, activity)
        try:
            # A client per delivery: channels have no shutdown hook that could close a shared one.
            async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=self.transport) as http:
                headers = {**await self._headers(http), "Content-Type": "application/json"}
                for reply in replies:
                    (await http.post(url, content=ascii_dumps(reply), headers=headers)).raise_for_status()
        except httpx.HTTPError as exc:
            raise Unavailable(f"could not deliver the replies to {service.base}: {exc}") from None

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
            body = safe_json.loads((await http.post(self.token_url, data=form)).raise_for_status().content)
            return str(body["access_token"]), float(body.get("expires_in", 3600))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise Unavailable(
                f"could not get a Bot Framework token from {self.token_url} ({type(exc).__name__}: {exc}); "
                "check BOTGATE_MSAPP_ID and BOTGATE_MSAPP_PASSWORD"
            ) from None
