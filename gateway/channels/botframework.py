"""The Bot Framework channel: `POST /v1/bots/{bot}/activities` with Activity JSON (Azure Bot Service, Emulator)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot_versions.errors import Invalid
from bot_versions.runtime import Activity
from bot_versions.safe_json import ascii_dumps
from gateway.channels.body import parse_json, read_body
from gateway.channels.botframework_auth import OPENID_URL, ChannelAuth, SigningKeys
from gateway.channels.botframework_connector import (
    Connector,
    ServiceUrl,
    parse_service_url,
    token_url_for,
)
from gateway.channels.fields import object_or_422, raise_problems, string_problems
from gateway.channels.people import answer_people
from gateway.channels.rest import version_header
from gateway.services import services
from gateway.settings import Settings

CHANNEL = "botframework"
EXPECT_REPLIES = "expectReplies"
MESSAGE_FIELDS = {"id": True, "text": False, "serviceUrl": False, "channelId": False}


@dataclass
class BotFramework:
    """The channel's parts for one app: inbound auth (None: open, as the Emulator expects) and the connector."""

    auth: ChannelAuth | None
    connector: Connector

    @classmethod
    def from_settings(
        cls, settings: Settings, openid_url: str = OPENID_URL, token_url: str | None = None
    ) -> BotFramework:
        """Auth and token-bearing replies with an app id and password; open without them."""
        token_url = token_url or token_url_for(settings.msapp_tenant_id)
        if settings.msapp_id and settings.msapp_password:
            auth = ChannelAuth(settings.msapp_id, SigningKeys(openid_url))
            return cls(auth, Connector((settings.msapp_id, settings.msapp_password), token_url))
        return cls(None, Connector(None, token_url))


def botframework(request: Request) -> BotFramework:
    """This app's Bot Framework parts, built on first use; tests put their own in `app.state.botframework`."""
    state = request.app.state
    found: BotFramework | None = getattr(state, "botframework", None)
    if found is None:
        found = state.botframework = BotFramework.from_settings(services(request).settings)
    return found


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def service_url_problem(url: str, open_endpoint: bool) -> str | None:
    """Why replies cannot be POSTed to `url`, if they cannot."""
    try:
        service = parse_service_url(url)
    except ValueError as exc:
        return str(exc)
    if open_endpoint and not is_loopback(service.hostname):
        # Without auth anyone could make the gateway POST anywhere; the Emulator's connector is on this machine.
        return (
            "must be on this machine while the endpoint runs without auth (no BOTGATE_MSAPP_ID/PASSWORD); "
            "set them, or use deliveryMode expectReplies"
        )
    return None


def check_message(data: dict[str, Any], expect_replies: bool, open_endpoint: bool) -> ServiceUrl | None:
    """Where replies go (None: in the response body), or 422 listing every field the activity lacks or has wrong."""
    problems = string_problems(data, MESSAGE_FIELDS)
    for part, required in (("from", True), ("conversation", True), ("recipient", False)):
        value = data.get(part)
        if isinstance(value, dict):
            problems += string_problems(value, {"id": True}, prefix=f"{part}.")
        elif value is not None or required:
            problems.append({"path": part, "message": 'must be an object with an "id"'})
    service_url = data.get("serviceUrl")
    if not expect_replies and service_url is None:
        problems.append({"path": "serviceUrl", "message": "is required unless deliveryMode is expectReplies"})
    elif isinstance(service_url, str) and (problem := service_url_problem(service_url, open_endpoint)):
        problems.append({"path": "serviceUrl", "message": problem})
    raise_problems(problems, "the activity has missing or wrong fields")
    return None if expect_replies else parse_service_url(data["serviceUrl"])


def activity_of(bot: str, data: dict[str, Any], now_ms: int) -> Activity:
    """The turn's Activity: user `from.id`, space `conversation.id` in group conversations."""
    conversation = data["conversation"]
    return Activity(
        bot=bot,
        channel=CHANNEL,
        user=data["from"]["id"],
        text=data.get("text") or "",  # a message with only attachments has no text
        received_at_ms=now_ms,
        space=conversation["id"] if conversation.get("isGroup") is True else None,
        message_id=data["id"],
    )


def reply_envelope(bot: str, inbound: dict[str, Any]) -> dict[str, Any]:
    """Every field of the reply activities but text and actions, made and checked before the turn runs.

    The inbound activity's accounts are echoed as they came: a value that could not be written back out would
    otherwise fail the answer after the turn was saved. After safe_json none can fail; this keeps it so.
    """
    out: dict[str, Any] = {
        "type": "message",
        "from": inbound.get("recipient") or {"id": bot},
        "recipient": inbound["from"],
        "conversation": inbound["conversation"],
        "replyToId": inbound["id"],
    }
    if inbound.get("channelId"):
        out["channelId"] = inbound["channelId"]
    try:
        ascii_dumps(out)
    except (ValueError, TypeError, RecursionError):
        problem = {"path": "", "message": "recipient, from, conversation and channelId must be plain JSON data"}
        raise Invalid("the activity cannot be answered", details=[problem]) from None
    return out


def reply_activity(envelope: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    """A reply as a Bot Framework message activity; choices become imBack suggested actions."""
    out = {**envelope, "text": reply["text"]}
    if reply.get("choices"):
        out["suggestedActions"] = {
            "actions": [{"type": "imBack", "title": label, "value": label} for label in reply["choices"]]
        }
    return out


async def post_activity(request: Request) -> Response:
    """Authenticate, run a message activity's turn, and answer or deliver its replies."""
    gw = services(request)
    bf = botframework(request)
    data = object_or_422(parse_json(await read_body(request)))
    if bf.auth is not None:
        await bf.auth.check(request.headers.get("authorization"), data)
    raise_problems(string_problems(data, {"type": True}), "the activity has missing or wrong fields")
    expect_replies = data.get("deliveryMode") == EXPECT_REPLIES
    if data["type"] != "message":
        # conversationUpdate, typing, ...: acknowledged so the channel does not retry, and otherwise ignored.
        return JSONResponse({"activities": []}) if expect_replies else Response(status_code=200)
    service = check_message(data, expect_replies, open_endpoint=bf.auth is None)
    bot = request.path_params["bot"]
    envelope = reply_envelope(bot, data)  # everything that can be refused is refused before the turn saves
    response = await answer_people(gw.runner, activity_of(bot, data, gw.clock()))
    replies = [reply_activity(envelope, reply) for reply in response["replies"]]
    if service is None:
        body = ascii_dumps({"activities": replies})  # ASCII with escapes: cannot fail, whatever the texts hold
        return Response(body, media_type="application/json", headers=version_header(response))
    await bf.connector.reply(service, data["conversation"]["id"], data["id"], replies)
    return Response(status_code=200, headers=version_header(response))


routes = [Route("/v1/bots/{bot}/activities", post_activity, methods=["POST"])]
