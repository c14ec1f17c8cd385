"""The Twilio SMS channel: `POST /v1/bots/{bot}/twilio`, form-encoded as Twilio sends it, answered with TwiML."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot_versions.errors import BadRequest, Forbidden, NotFound
from bot_versions.runtime import Activity
from gateway.channels.body import read_body
from gateway.channels.fields import raise_problems, string_problems
from gateway.channels.people import answer_people
from gateway.channels.rest import version_header
from gateway.services import services
from gateway.settings import Settings
from middleware.receive import normalise_text

CHANNEL = "twilio"
ROUTE = "/v1/bots/{bot}/twilio"
log = structlog.get_logger("botgate.twilio")
FIELDS = {"From": True, "Body": True, "MessageSid": False}


def read_form(body: bytes) -> ImmutableMultiDict[str, str]:
    """The posted form; every value kept, as the signature covers them all."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    return ImmutableMultiDict(parse_qsl(text, keep_blank_values=True))


def signed_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: the public one when the gateway sits behind a proxy, else the one requested."""
    if settings.public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.public_url.rstrip("/") + request.url.path + query


def check_signature(request: Request, settings: Settings, token: str, form: ImmutableMultiDict[str, str]) -> None:
    """403 unless `X-Twilio-Signature` is Twilio's signature of this URL and form."""
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        _refused(request, "no X-Twilio-Signature header")
        raise Forbidden("the request has no X-Twilio-Signature header")
    if not RequestValidator(token).validate(signed_url(request, settings), form, signature):
        _refused(request, "X-Twilio-Signature does not match")
        raise Forbidden(
            "X-Twilio-Signature does not match this request; check BOTGATE_TWILIO_AUTH_TOKEN "
            "and, behind a proxy, BOTGATE_PUBLIC_URL"
        )


def _refused(request: Request, reason: str) -> None:
    """One event per refused request: route and reason, never the signature or the form."""
    bot = request.path_params.get("bot")
    log.warning("channel_auth_refused", channel=CHANNEL, route=ROUTE, bot=bot, reason=reason)


def sms_text(reply: dict[str, Any]) -> str:
    """A reply as one SMS: its text, then its choices as numbered lines (a number answers a choice)."""
    lines = [reply["text"], *(f"{n}. {label}" for n, label in enumerate(reply.get("choices") or (), start=1))]
    # XML 1.0 cannot carry control characters; normalise_text drops them as it does for incoming text.
    return normalise_text("\n".join(lines))


def twiml(response: dict[str, Any]) -> Response:
    """TwiML with one `<Message>` per reply, built by Twilio's own (escaping) builder."""
    out = MessagingResponse()
    for reply in response["replies"]:
        out.message(sms_text(reply))
    return Response(out.to_xml(), media_type="text/xml", headers=version_header(response))


async def post_sms(request: Request) -> Response:
    """Check the signature, run the SMS's turn and answer its replies as TwiML."""
    gw = services(request)
    token = gw.settings.twilio_auth_token
    if token is None:
        raise NotFound("the Twilio channel is off: set BOTGATE_TWILIO_AUTH_TOKEN to turn it on")
    form = read_form(await read_body(request))
    check_signature(request, gw.settings, token, form)
    raise_problems(string_problems(form, FIELDS), "the Twilio request has missing fields")
    activity = Activity(
        bot=request.path_params["bot"],
        channel=CHANNEL,
        user=form["From"],
        text=form["Body"],
        received_at_ms=gw.clock(),
        message_id=form.get("MessageSid"),
    )
    return twiml(await answer_people(gw.runner, activity))


routes = [Route(ROUTE, post_sms, methods=["POST"])]
