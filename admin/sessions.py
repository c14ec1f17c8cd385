"""Admin routes for a user's sessions: read them, reset them, read their transcripts."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from admin.audit import change_event
from admin.requests import url_bot, url_user
from admin.services import actor, admin_services, bot_state
from admin.views import sessions_view, transcript_view
from middleware.session_admin import reset_user, transcripts, user_sessions

log = structlog.get_logger("botgate.admin")


async def get_sessions(request: Request) -> Response:
    """The user's sessions with the bot across channels and spaces, and their pin."""
    svc = admin_services(request)
    bot, user = url_bot(request), url_user(request)
    state = await bot_state(svc, bot)
    return JSONResponse(sessions_view(state, user, await user_sessions(svc.store, bot, user)))


async def delete_sessions(request: Request) -> Response:
    """Reset the user's sessions: each live conversation ends, and the next message starts a new one."""
    svc = admin_services(request)
    bot, user = url_bot(request), url_user(request)
    state = await bot_state(svc, bot)
    live = sum(s.session.is_live for s in await user_sessions(svc.store, bot, user))
    sessions = await reset_user(svc.store, bot, user, svc.clock())
    before, after = f"{live} live conversation(s)", "0 live conversation(s)"
    log.info("admin_change", **change_event(bot, actor(request), "reset", user, before, after))
    return JSONResponse(sessions_view(state, user, sessions))


async def get_transcript(request: Request) -> Response:
    """The user's kept conversations, newest first, each message with its version."""
    svc = admin_services(request)
    bot, user = url_bot(request), url_user(request)
    await bot_state(svc, bot)
    return JSONResponse(transcript_view(bot, user, await transcripts(svc.store, bot, user)))
