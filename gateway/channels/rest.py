"""The REST channel: `POST /v1/bots/{bot}/messages` with `{"user", "text", "id"?, "space"?}`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot_versions import safe_json
from bot_versions.errors import BotgateError
from bot_versions.runtime import Activity
from gateway.channels.body import parse_json, receive_body
from gateway.channels.fields import object_or_422, raise_problems, string_problems
from gateway.errors import botgate_error_response

if TYPE_CHECKING:
    from gateway.services import Services

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


class PostMessage:
    """`POST /v1/bots/{bot}/messages` as a plain ASGI endpoint: every chat message of the REST channel comes here.

    No Request or Response object is built for it and the answer is encoded once, by orjson (measured in
    docs/benchmarks.md); errors leave through the same JSON error responses as every other route.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gw: Services = scope["app"].state.services
        try:
            body = await receive_body(receive, _content_length(scope))
            activity = activity_from_json(scope["path_params"]["bot"], parse_json(body), gw.clock())
            response = (await gw.runner.handle(activity)).response()
        except BotgateError as exc:
            await botgate_error_response(exc)(scope, receive, send)
            return
        except ClientDisconnect:
            return  # gone before its message was whole: no turn ran, and there is no one to answer
        content = safe_json.dumps(response)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        if response.get("version"):  # as version_header() gives it to the other channels' Responses
            headers.append((b"x-bot-version", response["version"].encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _content_length(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.decode("latin-1")
    return None


class MessagesFirst:
    """Hands `POST /v1/bots/{bot}/messages` to `PostMessage` before the router looks at it.

    The router would try every other route's pattern first, and its exception layer wraps each call; for the one
    route every chat message takes, both cost more than the turn's Redis call (docs/benchmarks.md). Anything
    else, including a mounted app (a root path), goes the usual way, where the same endpoint is routed too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.endpoint = ROUTE.endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            match = ROUTE.path_regex.match(scope["path"])
            if match is not None:
                scope["path_params"] = match.groupdict()
                await self.endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


ROUTE = Route("/v1/bots/{bot}/messages", PostMessage(), methods=["POST"])
routes = [ROUTE]
