"""A fake Rasa server speaking Rasa's REST channel, with a tiny "model" that asks for a size with buttons.

Run with the project's venv: `python -m tests.upstream.fake_rasa --model-label v1 --port 5005`.

As Rasa's `rest` channel does: `POST /webhooks/rest/webhook` with `{"sender": "...", "message": "..."}` is
answered by a JSON array of the bot's messages, `{"recipient_id": sender, "text": ..., "buttons": [{"title",
"payload"}]}`, keys without a value left out, `[]` when the bot says nothing; `GET /webhooks/rest/` answers
`{"status": "ok"}` and `GET /` answers "Hello from Rasa: <version>". A button's `payload` is what a client sends
back as the message when it is chosen, in Rasa's `/intent{"entity": "value"}` form.

The model keeps a tracker per sender in memory: a first message (a greeting) asks "What size?" with buttons
Small/Large; the payload of one of them answers "A {size} one, coming up."; anything else "Please pick a size."
with the buttons again; `/restart` forgets the sender's tracker and says nothing. Every answer ends with
"(model {label})", so two processes act as two model versions. `GET /received?sender=` lists every message
that sender sent, in order, so tests can check that a chosen label went out as its button's payload.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tests.upstream.serving import EXCEPTION_HANDLERS, BadBody, healthz, json_body, parser, serve

RASA_VERSION = "3.6.20"
SIZES = ("small", "large")
DEFAULT_SENDER = "default"  # what Rasa calls a sender that sent no id
PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$", re.DOTALL)


def payload(size: str) -> str:
    """The payload of the button for `size`, in Rasa's `/intent{"entity": "value"}` form."""
    return "/size" + json.dumps({"size": size}, separators=(",", ":"))


BUTTONS = [{"title": size.title(), "payload": payload(size)} for size in SIZES]


def chosen_size(message: str) -> str | None:
    """The size a `/size{"size": ...}` payload names, or None for anything else (free text included)."""
    match = PAYLOAD.match(message.strip())
    if match is None or match["intent"] != "size" or match["entities"] is None:
        return None
    try:
        entities = json.loads(match["entities"])
    except json.JSONDecodeError:
        return None
    size = entities.get("size") if isinstance(entities, dict) else None
    return size if size in SIZES else None


def predict(asking: bool, message: str, label: str) -> tuple[list[dict[str, Any]], bool]:
    """The model: what the bot utters for `message`, and whether it is asking for a size afterwards."""
    suffix = f" (model {label})"
    if message.strip() == "/restart":
        return [], False
    if not asking:
        return [{"text": "What size?" + suffix, "buttons": BUTTONS}], True
    size = chosen_size(message)
    if size is None:
        return [{"text": "Please pick a size." + suffix, "buttons": BUTTONS}], True
    return [{"text": f"A {size} one, coming up." + suffix}], False


def make_app(label: str, version: str = RASA_VERSION) -> Starlette:
    """Rasa's root and REST channel routes, plus `/received` for tests and `/healthz`."""
    asking: dict[str, bool] = {}  # the trackers: sender -> waiting for a size
    received: dict[str, list[str]] = {}

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"Hello from Rasa: {version}")

    async def channel_health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def webhook(request: Request) -> JSONResponse:
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            raise BadBody('expected {"sender": "...", "message": "..."}')
        sender = body.get("sender")
        sender = sender if isinstance(sender, str) else DEFAULT_SENDER
        message: str = body["message"]
        received.setdefault(sender, []).append(message)
        uttered, asking[sender] = predict(asking.get(sender, False), message, label)
        return JSONResponse([{"recipient_id": sender, **utterance} for utterance in uttered])

    async def sent(request: Request) -> JSONResponse:
        sender = request.query_params.get("sender")
        if sender is None:
            raise BadBody("name the sender: /received?sender=...")
        return JSONResponse(received.get(sender, []))

    routes = [
        Route("/", hello, methods=["GET"]),
        Route("/webhooks/rest/", channel_health, methods=["GET"]),
        Route("/webhooks/rest/webhook", webhook, methods=["POST"]),
        Route("/received", sent, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)


def main() -> None:
    command = parser("A fake Rasa server speaking Rasa's REST channel.")
    command.add_argument("--model-label", default="v1", help="ends every answer, so two processes differ")
    command.add_argument("--rasa-version", default=RASA_VERSION, help="what GET / says")
    args = command.parse_args()
    serve(make_app(args.model_label, args.rasa_version), args.host, args.port)


if __name__ == "__main__":
    main()
