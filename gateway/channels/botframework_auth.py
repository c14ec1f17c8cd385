"""Inbound Bot Framework auth: the Bot Framework Service's bearer JWT, checked as its connector spec requires."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog

from bot_versions.errors import Forbidden, Unauthorized, Unavailable

OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
ISSUER = "https://api.botframework.com"
ALGORITHMS = ["RS256"]
SERVICE_URL_CLAIM = "serviceurl"
CLOCK_SKEW_S = 300  # the tolerance Bot Framework's own SDKs allow
KEYS_MAX_AGE_S = 24 * 3600  # keys rotate; the spec asks for a refresh at least daily
REFRESH_COOLDOWN_S = 300  # an unknown key id refreshes early, but not on every forged token
FETCH_TIMEOUT_S = 10.0
ROUTE = "/v1/bots/{bot}/activities"

log = structlog.get_logger("botgate.botframework")


@dataclass(frozen=True)
class SigningKey:
    """One of Bot Framework's public keys, with the channels it may sign for."""

    key: jwt.PyJWK
    endorsements: frozenset[str]


def parse_keys(jwks: Any) -> dict[str, SigningKey]:
    """The usable RSA keys of a JWKS document, by key id."""
    keys = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        try:
            keys[jwk["kid"]] = SigningKey(jwt.PyJWK(jwk, "RS256"), frozenset(jwk.get("endorsements") or ()))
        except (jwt.PyJWTError, KeyError, TypeError, AttributeError):
            continue  # a key we cannot read cannot have signed a token we accept
    return keys


class SigningKeys:
    """Bot Framework's signing keys from its OpenID metadata, fetched asynchronously and cached."""

    def __init__(self, openid_url: str = OPENID_URL, clock: Callable[[], float] = time.monotonic) -> None:
        self.openid_url = openid_url
        self.clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> SigningKey | None:
        """The key with this id, refreshing the set when it is old or the id is new to it."""
        async with self._lock:
            if self._stale(kid):
                self._keys = await self._fetch()
                self._fetched_at = self.clock()
        return self._keys.get(kid)

    def _stale(self, kid: str) -> bool:
        if self._fetched_at is None:
            return True
        age = self.clock() - self._fetched_at
        return age > KEYS_MAX_AGE_S or (kid not in self._keys and age > REFRESH_COOLDOWN_S)

    async def _fetch(self) -> dict[str, SigningKey]:
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_S) as http:
                metadata = (await http.get(self.openid_url)).raise_for_status().json()
                jwks = (await http.get(metadata["jwks_uri"])).raise_for_status().json()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise Unavailable(
                f"could not read Bot Framework's signing keys from {self.openid_url} ({type(exc).__name__})"
            ) from None
        return parse_keys(jwks)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Bot Framework activities need an `Authorization: Bearer <token>` header")
    return token.strip()


class ChannelAuth:
    """Accepts an activity only with a token from the Bot Framework Service for this bot's app id."""

    def __init__(self, app_id: str, keys: SigningKeys) -> None:
        self.app_id = app_id
        self.keys = keys

    async def check(self, authorization: str | None, activity: dict[str, Any]) -> None:
        """401 for a missing or invalid token, 403 for a valid one that does not cover this activity.

        Each refusal is logged once (`channel_auth_refused`: route and reason, never the token)."""
        try:
            await self._check(authorization, activity)
        except (Unauthorized, Forbidden) as exc:
            log.warning("channel_auth_refused", channel="botframework", route=ROUTE, reason=exc.message)
            raise

    async def _check(self, authorization: str | None, activity: dict[str, Any]) -> None:
        token = bearer_token(authorization)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the bearer token is not a JWT: {exc}") from None
        key = await self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized("the bearer token is not signed by a Bot Framework key")
        try:
            claims = jwt.decode(
                token,
                key.key.key,
                algorithms=ALGORITHMS,
                audience=self.app_id,
                issuer=ISSUER,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the bearer token was refused: {exc}") from None
        channel = activity.get("channelId")
        if channel and channel not in key.endorsements:
            raise Forbidden(f"the token's signing key is not endorsed for channel {channel!r}")
        if claims.get(SERVICE_URL_CLAIM) != activity.get("serviceUrl"):
            raise Forbidden("the token's serviceurl claim does not match the activity's serviceUrl")
