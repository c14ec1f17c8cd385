"""Admin auth: token parsing, constant-time checks, 401/403, token identities, the generated token."""

from __future__ import annotations

import hashlib

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from admin.auth import (
    AdminToken,
    TokenError,
    authenticate,
    authorize,
    configured_or_generated,
    parse_tokens,
)
from bot_versions.errors import Forbidden, Unauthorized
from gateway.settings import Settings
from tests.admin.support import RO, RW, Admin, bearer, settings
from tests.support import running_gateway


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ((), ()),
        (("abc",), ((hashlib.sha256(b"abc").digest(), False),)),
        (("ro:abc",), ((hashlib.sha256(b"abc").digest(), True),)),
        (("abc", "ro:def"), ((hashlib.sha256(b"abc").digest(), False), (hashlib.sha256(b"def").digest(), True))),
        (("abc", "abc"), ((hashlib.sha256(b"abc").digest(), False),)),
        (("ro:ro:x",), ((hashlib.sha256(b"ro:x").digest(), True),)),
    ],
    ids=["none", "read-write", "read-only", "both", "repeated", "only the first ro: is a prefix"],
)
def test_tokens_are_parsed_into_digests_and_rights(entries: tuple[str, ...], expected: tuple) -> None:
    """Each entry becomes a digest and a read-only flag; the same token twice is one token."""
    assert [(t.digest, t.read_only) for t in parse_tokens(entries)] == list(expected)


@pytest.mark.parametrize(
    ("entries", "secret"),
    [
        (("ro:",), None),
        (("has space",), "has space"),
        (("tab\tinside",), "tab\tinside"),
        (("naïve",), "naïve"),
        (("abc-token", "ro:abc-token"), "abc-token"),
    ],
    ids=["empty after ro:", "space", "tab", "non-ASCII", "same token with different rights"],
)
def test_malformed_token_lists_are_refused_without_showing_the_token(
    entries: tuple[str, ...], secret: str | None
) -> None:
    """A bad entry is named by its position, never by its value."""
    with pytest.raises(TokenError) as info:
        parse_tokens(entries)
    assert "entry" in str(info.value)
    assert secret is None or secret not in str(info.value)


def test_a_token_identity_is_a_digest_prefix_never_the_token() -> None:
    """token# and the first 8 hex digits of the token's SHA-256."""
    identity = AdminToken.of("s3cret-value").identity
    assert identity == "token#" + hashlib.sha256(b"s3cret-value").hexdigest()[:8]
    assert "s3cret" not in identity


TOKENS = parse_tokens(["alpha-token", "ro:beta-token"])


@pytest.mark.parametrize(
    ("header", "read_only"),
    [
        ("Bearer alpha-token", False),
        ("bearer alpha-token", False),
        ("BEARER   alpha-token  ", False),
        ("Bearer beta-token", True),
    ],
)
def test_a_configured_token_is_accepted_with_its_rights(header: str, read_only: bool) -> None:
    """The scheme is case-insensitive and surrounding spaces do not matter."""
    assert authenticate(header, TOKENS).read_only is read_only


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic alpha-token",
        "alpha-token",
        "Bearer alpha-tokenX",
        "Bearer ro:beta-token",
        "Bearer ălpha",
    ],
    ids=[
        "absent",
        "empty",
        "no token",
        "blank token",
        "other scheme",
        "no scheme",
        "longer",
        "with ro: prefix",
        "non-ASCII",
    ],
)
def test_anything_else_is_unauthorized(header: str | None) -> None:
    """No header, another scheme or an unknown token: Unauthorized."""
    with pytest.raises(Unauthorized):
        authenticate(header, TOKENS)


@pytest.mark.parametrize(
    ("method", "read_only", "allowed"),
    [
        ("GET", True, True),
        ("HEAD", True, True),
        ("PUT", True, False),
        ("POST", True, False),
        ("DELETE", True, False),
        ("PUT", False, True),
        ("DELETE", False, True),
    ],
)
def test_read_only_tokens_may_only_read(method: str, read_only: bool, allowed: bool) -> None:
    """A read-only token gets Forbidden for anything but GET and HEAD."""
    token = AdminToken.of("x", read_only)
    if allowed:
        authorize(token, method)
    else:
        with pytest.raises(Forbidden):
            authorize(token, method)


def test_with_no_tokens_configured_one_is_generated() -> None:
    """The generated token is returned, so it can be shown once, and it is the one accepted."""
    tokens, generated = configured_or_generated(())
    assert generated is not None and len(generated) >= 32
    assert authenticate(f"Bearer {generated}", tokens).read_only is False
    assert configured_or_generated(("given",))[1] is None


async def test_requests_without_a_valid_token_get_401_with_a_bearer_challenge(redis: Redis) -> None:
    """401, WWW-Authenticate: Bearer, and a JSON error, for every admin path, known or not."""
    async with running_gateway(redis, settings=settings()) as gw:
        for path, headers in [
            ("/admin/v1/bots", {}),
            ("/admin/v1/bots/greeter", bearer("wrong")),
            ("/admin/v1/no/such/route", {}),
        ]:
            r = await gw.http.get(path, headers=headers)
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["error"]["code"] == "unauthorized"


async def test_a_read_only_token_reads_but_gets_403_on_writes(redis: Redis) -> None:
    """GET works with the ro: token; PUT answers 403."""
    async with running_gateway(redis, settings=settings()) as gw:
        reader = Admin(gw.http, RO)
        assert (await reader.call("GET", "/bots/greeter")).status_code == 200
        r = await reader.call("PUT", "/bots/greeter/rollout", json={"stable": None, "canary": None})
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "forbidden"


async def test_health_readiness_and_the_openapi_document_need_no_token(redis: Redis) -> None:
    """/healthz, /readyz and /openapi.json stay open."""
    async with running_gateway(redis, settings=settings()) as gw:
        for path in ("/healthz", "/readyz", "/openapi.json"):
            assert (await gw.http.get(path)).status_code == 200, path


async def test_the_audit_names_the_token_by_identity(redis: Redis) -> None:
    """Changes are recorded as token#<digest prefix>, and the token itself is stored nowhere."""
    async with running_gateway(redis, settings=settings()) as gw:
        await Admin(gw.http).rollout("greeter", "1.0.0")
        audit = await Admin(gw.http).ok("GET", "/bots/greeter/audit")
        assert audit["entries"][0]["actor"] == AdminToken.of(RW).identity
        for key in await redis.keys("*"):
            assert RW.encode() not in (await redis.dump(key) or b"")


async def test_a_generated_token_is_announced_once_and_opens_the_admin_api(redis: Redis) -> None:
    """With BOTGATE_ADMIN_TOKENS unset the start-up announces one token, which then works."""
    async with running_gateway(redis, settings=Settings(redis_url="redis://test")) as gw:
        lines = [line for line in gw.announced if "Admin token" in line]
        assert len(lines) == 1
        token = lines[0].split("BOTGATE_TOKEN=")[1].strip()
        assert (await gw.http.get("/admin/v1/bots", headers=bearer(token))).status_code == 200


async def test_each_refused_token_is_logged_once_with_route_and_reason_never_the_token(redis: Redis) -> None:
    """admin_token_refused: method, route template (no user id), reason; a read-only refusal names the identity."""
    async with running_gateway(redis, settings=settings()) as gw:
        with capture_logs() as logs:
            await gw.http.get("/admin/v1/bots/greeter/sessions/alice", headers=bearer("not-a-token-of-ours"))
            await gw.http.get("/admin/v1/bots")
            await Admin(gw.http, RO).call("PUT", "/bots/greeter/pins/alice", json={"version": "1.0.0"})
    refused = [e for e in logs if e["event"] == "admin_token_refused"]
    assert refused == [
        {
            "event": "admin_token_refused",
            "log_level": "warning",
            "method": "GET",
            "route": "/admin/v1/bots/{bot}/sessions/{user}",
            "reason": "not one of BOTGATE_ADMIN_TOKENS",
        },
        {"event": "admin_token_refused", "log_level": "warning", "method": "GET", "route": "/admin/v1/bots",
         "reason": "no bearer token"},
        {"event": "admin_token_refused", "log_level": "warning", "method": "PUT",
         "route": "/admin/v1/bots/{bot}/pins/{user}", "reason": "read-only token", "actor": AdminToken.of(RO).identity},
    ]  # fmt: skip
    assert "not-a-token-of-ours" not in str(logs) and RO not in str(logs) and "alice" not in str(refused)
