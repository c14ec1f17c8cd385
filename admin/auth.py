"""Admin bearer tokens: reading BOTGATE_ADMIN_TOKENS, checking a request's token, naming it in the audit.

A token is kept only as its SHA-256 digest. Requests are checked by comparing digests with
`hmac.compare_digest` against every configured token, so neither the position of a match nor
the length of a token shows in the timing. The audit names a token by its identity,
`token#` and the first 8 hex digits of its digest, which an operator can compute from a token
they hold (`printf %s "$TOKEN" | sha256sum | cut -c1-8`) but which does not reveal the token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from bot_versions.errors import Forbidden, Unauthorized

READ_ONLY_PREFIX = "ro:"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")  # what an HTTP header carries unchanged: visible ASCII
ACTOR_KEY = "admin_actor"
READ_ONLY_KEY = "admin_read_only"

log = structlog.get_logger("botgate.admin")


class TokenError(ValueError):
    """BOTGATE_ADMIN_TOKENS is malformed; the message names the entry by position, never by value."""


@dataclass(frozen=True, slots=True)
class AdminToken:
    """One accepted token: its digest (the token itself is not kept) and whether it may only read."""

    digest: bytes
    read_only: bool = False

    @classmethod
    def of(cls, secret: str, read_only: bool = False) -> AdminToken:
        return cls(_digest(secret), read_only)

    @property
    def identity(self) -> str:
        """The name the audit records for changes made with this token."""
        return "token#" + self.digest.hex()[:8]


def _digest(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(raw).digest()


def parse_tokens(entries: Sequence[str]) -> tuple[AdminToken, ...]:
    """Read BOTGATE_ADMIN_TOKENS entries (`ro:` prefix = read-only); raise TokenError saying which entry is wrong."""
    tokens: dict[bytes, AdminToken] = {}
    for position, entry in enumerate(entries, start=1):
        read_only = entry.startswith(READ_ONLY_PREFIX)
        secret = entry.removeprefix(READ_ONLY_PREFIX)
        if not TOKEN_TEXT.fullmatch(secret):
            raise TokenError(
                f"BOTGATE_ADMIN_TOKENS entry {position} is not a token: "
                "a token is one or more visible ASCII characters, with no spaces or commas"
            )
        token = AdminToken.of(secret, read_only)
        earlier = tokens.setdefault(token.digest, token)
        if earlier.read_only != read_only:
            raise TokenError(
                f"BOTGATE_ADMIN_TOKENS entry {position} repeats an earlier token with different rights; "
                "give each token once, with or without ro:"
            )
    return tuple(tokens.values())


def generate_token() -> str:
    """A fresh random read-write token, for a gateway started with none configured."""
    # hex, not URL-safe base64: a token starting with '-' would read as an option in `botgate ... --token`
    return secrets.token_hex(32)


def configured_or_generated(entries: Sequence[str]) -> tuple[tuple[AdminToken, ...], str | None]:
    """The configured tokens, or else one generated read-write token, returned too so it can be shown once."""
    tokens = parse_tokens(entries)
    if tokens:
        return tokens, None
    secret = generate_token()
    return (AdminToken.of(secret),), secret


def token_notice(token: str) -> str:
    """The lines that show a generated token: printed once at start-up, never logged."""
    return (
        f"Admin token (generated for this run; set BOTGATE_ADMIN_TOKENS to choose your own): {token}\n"
        f"  for the CLI: export BOTGATE_TOKEN={token}"
    )


def authenticate(authorization: str | None, tokens: Sequence[AdminToken]) -> AdminToken:
    """The token an Authorization header carries; raise Unauthorized when there is none or it is not accepted."""
    credentials = bearer_credentials(authorization)
    if not credentials:
        raise Unauthorized("the admin API needs a token: send the header 'Authorization: Bearer <token>'")
    # tokens are ASCII, so any non-ASCII text presented (however it was decoded) can never match
    presented = _digest(credentials.encode("utf-8", "surrogatepass"))
    found: AdminToken | None = None
    for token in tokens:  # no early exit: every token costs the same comparison
        if hmac.compare_digest(presented, token.digest):
            found = token
    if found is None:
        raise Unauthorized("the token is not one of BOTGATE_ADMIN_TOKENS")
    return found


def authorize(token: AdminToken, method: str) -> None:
    """Let a read-only token read; raise Forbidden when it tries to change anything."""
    if token.read_only and method.upper() not in READ_METHODS:
        raise Forbidden(f"this token is read-only ({token.identity}); {method} needs a read-write token")


class AdminAuth:
    """ASGI middleware in front of the admin routes: a valid token to read, a read-write one to change.

    Each refusal is logged once (`admin_token_refused`: method, route template, reason, and for a read-only token
    its identity), never with the token or the path as sent (a user id in it may be personal).
    """

    def __init__(self, app: ASGIApp, tokens: Sequence[AdminToken], routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.tokens = tuple(tokens)
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = Headers(scope=scope).get("authorization")
            try:
                token = authenticate(authorization, self.tokens)
            except Unauthorized:
                self._refused(scope, refusal_reason(authorization))
                raise
            try:
                authorize(token, scope["method"])
            except Forbidden:
                self._refused(scope, "read-only token", actor=token.identity)
                raise
            state = scope.setdefault("state", {})
            state[ACTOR_KEY] = token.identity
            state[READ_ONLY_KEY] = token.read_only
        await self.app(scope, receive, send)

    def _refused(self, scope: Scope, reason: str, **fields: str) -> None:
        route = self.route_of(scope)
        log.warning("admin_token_refused", method=scope["method"], route=route, reason=reason, **fields)

    def route_of(self, scope: Scope) -> str:
        """The template of the admin route a request is for (`/admin/v1/bots/{bot}/pins/{user}`), or `unknown`."""
        for route in self.routes:
            if route.matches(scope)[0] is not Match.NONE:
                return scope.get("root_path", "") + getattr(route, "path", "")
        return "unknown"


def bearer_credentials(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; empty when the header carries none."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def refusal_reason(authorization: str | None) -> str:
    """Why a request's Authorization header was not accepted, in words that never include the token."""
    return "not one of BOTGATE_ADMIN_TOKENS" if bearer_credentials(authorization) else "no bearer token"
