"""The connector endpoint `activity` bots reply to, as they would to Azure Bot Service's.

Each turn gives its bot a `serviceUrl` of its own, `/v1/connector/{turn token}`; the bot POSTs its reply activities
to `{serviceUrl}/v3/conversations/{conversation id}/activities[/{replyToId}]` while the turn is open. Anyone who can
reach the gateway can reach this route, so a reply is taken only with an open turn's unguessable token and that
turn's conversation id; anything else is refused with 404 and changes nothing.
"""

from __future__ import annotations

import json
import re
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot_versions.errors import NotFound, TooLarge
from gateway.channels.body import parse_json, read_body
from gateway.channels.fields import object_or_422, raise_problems, string_problems
from gateway.services import services

TOKEN = re.compile(r"[0-9a-f]{32}")
PREFIX = "/v1/connector/{token}/v3/conversations/{conversation}/activities"


async def post_activity(request: Request) -> Response:
    """Take one reply activity for an open turn; 200 with the id Bot Framework's connector would give it."""
    token, conversation = request.path_params["token"], request.path_params["conversation"]
    if not TOKEN.fullmatch(token):
        raise NotFound("no turn is open for this connector URL")
    activity = object_or_422(parse_json(await read_body(request)))
    raise_problems(string_problems(activity, {"type": True}), "the activity has missing or wrong fields")
    taken = await services(request).inbox.deliver(token, conversation, json.dumps(activity, ensure_ascii=False))
    if taken == 0:
        raise NotFound(
            "no turn is open for this connector URL and conversation: replies are taken only while the turn that "
            "gave the serviceUrl waits for the bot's answer"
        )
    if taken < 0:
        raise TooLarge("this turn has taken as many reply activities as it accepts")
    return JSONResponse({"id": secrets.token_hex(8)})


routes = [
    Route(PREFIX, post_activity, methods=["POST"]),
    Route(PREFIX + "/{reply_to}", post_activity, methods=["POST"]),
]
