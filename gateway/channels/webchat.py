"""The web chat channel: the page at `/chat/{bot}` and its WebSocket `/v1/bots/{bot}/ws?user=...`."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot_versions.errors import BadRequest, BotgateError, Invalid, NotFound, TooLarge, Unavailable
from bot_versions.runtime import Activity
from gateway.channels.body import MAX_BODY, parse_json
from gateway.channels.fields import object_or_422, raise_problems, string_problems
from gateway.channels.people import answer_people
from gateway.pages import template
from gateway.services import Services, services

log = structlog.get_logger("botgate.webchat")

CHANNEL = "web"
FRAME_FIELDS = {"text": True, "id": False}
# Close codes the page reads: it reconnects after any other close, never after these.
CLOSE_NO_USER = 1008  # policy violation: the URL carries no ?user=
CLOSE_TRY_AGAIN = 1013  # the store is down; the page reconnects with backoff
CLOSE_UNKNOWN_BOT = 4404


def page(name: str, bot: str) -> str:
    """One of the shipped pages, with the bot's name filled in (HTML-escaped)."""
    return template(name).substitute(bot=html.escape(bot, quote=True))


async def chat_page(request: Request) -> Response:
    """The chat page, or a 404 page naming the bot that does not exist."""
    bot = request.path_params["bot"]
    try:
        await services(request).catalog.require_state(bot)
    except NotFound:
        return HTMLResponse(page("missing.html", bot), status_code=404)
    except Unavailable:
        pass  # serve the page anyway: it says the gateway is busy and reconnects by itself
    return HTMLResponse(page("chat.html", bot))


def error_frame(exc: BotgateError) -> dict[str, Any]:
    """The JSON error body every channel uses, plus `retry_after` when the client should retry."""
    frame: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    if isinstance(exc, Unavailable):
        frame["retry_after"] = exc.retry_after
    return frame


def read_frame(message: Mapping[str, Any]) -> dict[str, Any]:
    """A text frame's `{"text", "id"?}`, or the error that says what was wrong with it."""
    text = message.get("text")
    if text is None:
        raise BadRequest('frames must be JSON text, like {"text": "hi"}; got a binary frame')
    # surrogatepass: measuring must not fail; the parser refuses a lone surrogate with a 400 just below
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY:
        raise TooLarge(f"the frame is over {MAX_BODY} bytes; at most {MAX_BODY} are accepted")
    data = object_or_422(parse_json(text, "the frame"))
    raise_problems(string_problems(data, FRAME_FIELDS), "the frame has missing or wrong fields")
    return data


async def answer(gw: Services, bot: str, user: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """The frame to send back for one received frame: the chat response object or an error, with its `id`."""
    frame_id = None
    try:
        data = read_frame(message)
        frame_id = data.get("id")
        activity = Activity(bot, CHANNEL, user, data["text"], gw.clock(), message_id=frame_id)
        out = dict(await answer_people(gw.runner, activity))
    except BotgateError as exc:
        out = error_frame(exc)
    except Exception as exc:  # a bug must not cost the user their connection; it is logged like a 500
        log.error("unhandled_error", path=f"/v1/bots/{bot}/ws", error=type(exc).__name__, exc_info=exc)
        out = {
            "error": {
                "code": "internal",
                "message": "the gateway failed to handle this frame; it has been logged",
                "details": None,
            }
        }
    if frame_id is not None:
        out["id"] = frame_id
    return out


async def refuse(websocket: WebSocket, exc: BotgateError, code: int) -> None:
    """Say why in an error frame, then close with `code`."""
    await websocket.send_json(error_frame(exc))
    await websocket.close(code)


async def chat_socket(websocket: WebSocket) -> None:
    """Answer each `{"text"}` frame with the chat response object, in order, until the page goes away."""
    bot = websocket.path_params["bot"]
    user = websocket.query_params.get("user")
    gw = services(websocket)
    # Accept first, then refuse with a frame: a browser cannot read the status of a refused handshake.
    await websocket.accept()
    try:
        if not user:
            problem = {"path": "user", "message": "is required, e.g. /v1/bots/greeter/ws?user=alice"}
            return await refuse(websocket, Invalid("the URL has no ?user=", details=[problem]), CLOSE_NO_USER)
        try:
            await gw.catalog.require_state(bot)
        except NotFound as exc:
            return await refuse(websocket, exc, CLOSE_UNKNOWN_BOT)
        except Unavailable as exc:
            return await refuse(websocket, exc, CLOSE_TRY_AGAIN)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            await websocket.send_json(await answer(gw, bot, user, message))
    except WebSocketDisconnect:
        return


routes = [
    Mount("/chat/assets", StaticFiles(packages=[("gateway", "web/assets")]), name="chat-assets"),
    Route("/chat/{bot}", chat_page, methods=["GET"]),
    WebSocketRoute("/v1/bots/{bot}/ws", chat_socket),
]
