"""Admin routes for a bot as a whole: listing, rollout, per-user pins, audit."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from admin.requests import problem, read_document, url_bot, url_user
from admin.rollout import parse_pin, parse_rollout
from admin.services import actor, admin_services, bot_state
from admin.views import audit_view, bot_view, pin_view
from bot_versions.errors import Invalid
from middleware.session_admin import active_sessions

AUDIT_DEFAULT = 100
AUDIT_MAX = 1000


async def list_bots(request: Request) -> Response:
    """Every bot with its rollout and versions."""
    svc = admin_services(request)
    views = []
    for bot in await svc.registry.bots():
        state = await svc.registry.state(bot)
        if state is not None:
            views.append(bot_view(state, await active_sessions(svc.redis, bot)))
    return JSONResponse({"bots": views})


async def get_bot(request: Request) -> Response:
    """One bot: rollout as set and as applied, versions with their active sessions, pins."""
    svc = admin_services(request)
    bot = url_bot(request)
    state = await bot_state(svc, bot)
    return JSONResponse(bot_view(state, await active_sessions(svc.redis, bot)))


async def get_rollout(request: Request) -> Response:
    """The bot's stable and canary choice as set, the guard's last change, and the ETag a change must name."""
    svc = admin_services(request)
    bot = url_bot(request)
    await bot_state(svc, bot)
    rollout, tag = await svc.registry.rollout(bot)
    return JSONResponse(rollout.to_json(), headers={"ETag": tag})


async def put_rollout(request: Request) -> Response:
    """Replace the stable and canary choice; both must name published versions. With `If-Match`, only while the
    rollout is still the one read (else 412 with the current one); without it, whatever is stored is replaced."""
    svc = admin_services(request)
    bot = url_bot(request)
    state = await bot_state(svc, bot)
    rollout = parse_rollout(await read_document(request), state)
    expected = if_match(request.headers.get("if-match"))
    stored, tag = await svc.registry.set_rollout(bot, rollout, actor(request), if_match=expected)
    svc.catalog.invalidate(bot)
    return JSONResponse(stored.to_json(), headers={"ETag": tag})


def if_match(header: str | None) -> frozenset[str] | None:
    """The entity tags an `If-Match` header names (RFC 9110): None for no condition (no header, or `*`: the rollout
    always exists). Weak tags (`W/"..."`) never match, as strong comparison requires, so they are dropped; what is
    left is compared exactly, so a malformed header matches nothing and answers 412."""
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    return frozenset(tag for tag in tags if tag and not tag.startswith("W/"))


async def put_pin(request: Request) -> Response:
    """Pin a user's next conversations to a version (a draft too, for testers)."""
    svc = admin_services(request)
    bot, user = url_bot(request), url_user(request)
    version = parse_pin(await read_document(request), await bot_state(svc, bot))
    await svc.registry.pin(bot, user, version, actor(request))
    svc.catalog.invalidate(bot)
    return JSONResponse(pin_view(await bot_state(svc, bot), user))


async def delete_pin(request: Request) -> Response:
    """Remove a user's pin: their next conversation is routed as everyone else's."""
    svc = admin_services(request)
    bot, user = url_bot(request), url_user(request)
    await bot_state(svc, bot)
    await svc.registry.pin(bot, user, None, actor(request))
    svc.catalog.invalidate(bot)
    return JSONResponse(pin_view(await bot_state(svc, bot), user))


async def get_audit(request: Request) -> Response:
    """The bot's changes, newest first (`?limit=`, default 100, at most 1000)."""
    svc = admin_services(request)
    bot = url_bot(request)
    limit = _limit(request.query_params.get("limit"))
    await bot_state(svc, bot)
    return JSONResponse(audit_view(bot, await svc.registry.audit(bot, count=limit)))


def _limit(raw: str | None) -> int:
    if raw is None:
        return AUDIT_DEFAULT
    # isdigit() alone accepts digits such as '²' that int() refuses
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= AUDIT_MAX:
        details = [problem("limit", f"must be a whole number from 1 to {AUDIT_MAX}")]
        raise Invalid("limit is out of range", details=details)
    return int(raw)
