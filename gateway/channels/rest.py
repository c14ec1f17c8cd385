"""The REST channel: `POST /v1/bots/{bot}/messages` with `{"user", "text", "id"?, "space"?}`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot_versions.runtime import Activity
from gateway.channels.body import parse_json, read_body
from gateway.channels.fields import object_or_422, raise_problems, string_problems
from gateway.services import services

CHANNEL = "rest"
FIELDS = {"user": True, "text": True, "id": False, "space": False}


def activity_from_json(bot: str, data: Any, now_ms: int) -> Activity:
    """Read a message body, or 422 listing every missing or mistyped field."""
    data = object_or_422(data)
    raise_problems(string_problems(data, FIELDS))
    return Activity(
        bot=bot,
        channel=CHANNEL,
        user=data["user"],
        text=data["text"],
        received_at_ms=now_ms,
        space=data.get("space"),
        message_id=data.get("id"),
    )


def version_header(response: dict[str, Any]) -> dict[str, str] | None:
    """`X-Bot-Version` naming the version that answered, for any channel's HTTP response."""
    return {"X-Bot-Version": response["version"]} if response.get("version") else None


def chat_response(response: dict[str, Any]) -> JSONResponse:
    """The chat response object, with the answering version in `X-Bot-Version`."""
    return JSONResponse(response, headers=version_header(response))


async def post_message(request: Request) -> Response:
    gw = services(request)
    data = parse_json(await read_body(request))
    activity = activity_from_json(request.path_params["bot"], data, gw.clock())
    ctx = await gw.runner.handle(activity)
    return chat_response(ctx.response())


routes = [Route("/v1/bots/{bot}/messages", post_message, methods=["POST"])]
