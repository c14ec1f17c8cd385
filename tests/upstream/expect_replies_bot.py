"""A Bot Framework bot of our own that answers `deliveryMode: expectReplies` inline: `{"activities": [...]}`.

Run with the project's venv: `python -m tests.upstream.expect_replies_bot --label v1 --port 3979`.
The dialog asks the user's name, then "Tea or coffee?" with suggested actions (imBack, whose value differs from
its title in case, so a test sees which one was sent back), then answers and sends `endOfConversation`.
Anything but an offered value re-asks. Its state is in memory, keyed by `conversation.id`.
An activity without `deliveryMode: expectReplies` is refused with 400: this bot has no other way to answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.upstream.serving import EXCEPTION_HANDLERS, BadBody, healthz, json_body, parser, serve

ASK_NAME = "What is your name?"
DRINKS = {"tea": "Tea", "coffee": "Coffee"}  # imBack value -> button title


@dataclass(frozen=True)
class Say:
    """One thing the bot says: a message (with suggested actions when `choices`) or the end of the conversation."""

    text: str | None = None
    choices: Mapping[str, str] | None = None  # value -> title
    end: bool = False


@dataclass(frozen=True)
class Step:
    """Where a conversation stands: which question was asked, and the name once known."""

    asked: str  # "name" or "drink"
    name: str = ""


def dialog(step: Step | None, text: str, label: str) -> tuple[list[Say], Step | None]:
    """One turn of the dialog: what to say, and the next step (None when the conversation is over)."""
    if step is None:
        return [Say(ASK_NAME)], Step("name")
    if step.asked == "name":
        name = text.strip()
        return [Say(f"Hello, {name}! Tea or coffee?", choices=DRINKS)], Step("drink", name)
    if text in DRINKS:
        said = f"{DRINKS[text]} for {step.name}, from expect-replies bot {label}"
        return [Say(said), Say(end=True)], None
    return [Say("Please pick Tea or Coffee.", choices=DRINKS)], step


def activity(inbound: Mapping[str, Any], say: Say) -> dict[str, Any]:
    """The outgoing activity for `say`, addressed back as a Bot Framework bot addresses a reply."""
    out: dict[str, Any] = {
        "type": "endOfConversation" if say.end else "message",
        "id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat(),
        "channelId": inbound.get("channelId"),
        "serviceUrl": inbound.get("serviceUrl"),
        "from": inbound.get("recipient"),
        "recipient": inbound.get("from"),
        "conversation": inbound.get("conversation"),
        "replyToId": inbound.get("id"),
    }
    if say.end:
        out["code"] = "completedSuccessfully"
        return out
    out["text"] = say.text
    out["inputHint"] = "expectingInput"
    if say.choices:
        actions = [{"type": "imBack", "title": title, "value": value} for value, title in say.choices.items()]
        user = (inbound.get("from") or {}).get("id")
        out["suggestedActions"] = {"actions": actions, "to": [user] if user else []}
    return out


def conversation_id(inbound: Any) -> str:
    if not isinstance(inbound, dict):
        raise BadBody("an activity is a JSON object")
    conversation = inbound.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        raise BadBody("the activity has no conversation.id")
    found: str = conversation["id"]
    return found


def make_app(label: str) -> Starlette:
    """`POST /api/messages`, `GET /received?conversation=` (the activities it was sent), `GET /healthz`."""
    steps: dict[str, Step] = {}
    received: list[dict[str, Any]] = []

    async def messages(request: Request) -> JSONResponse:
        inbound = await json_body(request)
        conversation = conversation_id(inbound)
        received.append(inbound)
        if inbound.get("deliveryMode") != "expectReplies":
            raise BadBody("this bot answers only activities with deliveryMode expectReplies")
        if inbound.get("type") != "message":
            return JSONResponse({"activities": []})
        text = inbound.get("text")
        said, step = dialog(steps.get(conversation), text if isinstance(text, str) else "", label)
        if step is None:
            steps.pop(conversation, None)
        else:
            steps[conversation] = step
        return JSONResponse({"activities": [activity(inbound, say) for say in said]})

    async def sent(request: Request) -> JSONResponse:
        conversation = request.query_params.get("conversation")
        return JSONResponse([a for a in received if conversation is None or a["conversation"]["id"] == conversation])

    routes = [
        Route("/api/messages", messages, methods=["POST"]),
        Route("/received", sent, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)


def main() -> None:
    command = parser("A Bot Framework bot that answers deliveryMode expectReplies inline.")
    command.add_argument("--label", default="v1", help="said in the last answer, so two processes differ")
    args = command.parse_args()
    serve(make_app(args.label), args.host, args.port)


if __name__ == "__main__":
    main()
