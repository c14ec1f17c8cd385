"""An `http`-runtime bot for the gateway's tests, whose behaviour is picked by the URL path a definition names.

Run with the project's venv: `python -m tests.upstream.http_test_bot [--secret S] --port 9001`.

Turn paths (all POST; each request is recorded, then its signature checked when started with `--secret`):
- `/echo`: message events answer `echo {n} from {version}: {text}` with state `{..., "n": n}` (n counts the
  turns through state, so state round trips show); "bye" also sets `done`. Other events are a 400.
- `/migrate/{accept|decline|fail}`: migrate events get 200 `{"state": old state + migrated_from/to}`, 409 or
  500; message events behave as `/echo`. `/migrate/accept-then-fail` accepts migrate events as `accept` does and
  answers every message event 500 (a migration taken, then the new version failing its first turn).
- `/status/{code}`: answers that status. `/timeout`: answers after 60 s (longer than any test's timeout).
- `/slow/{ms}`: answers as `/echo` after `ms` milliseconds; many at once are served concurrently.
- `/not-json[/{variant}]`: 200 whose body is not strict JSON (`BAD_JSON`); `/wrong-shape/{variant}`: 200 JSON
  that breaks the protocol (`WRONG_SHAPES`); `/big-state?bytes=N`: a state of N bytes as compact JSON (default
  20 KiB, over the 16 KiB limit); `/huge-reply[/{variant}]`: replies over a reply limit (`HUGE_REPLIES`).
Test paths: `GET /received[?conversation=]` (every turn request: path, lowercased headers, body text, parsed
body), `DELETE /received` (forget them and the concurrency peak), `GET /stats` (requests in flight now and at
most so far), `GET /healthz`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.upstream.serving import EXCEPTION_HANDLERS, BadBody, healthz, parser, serve

TIMEOUT_SECONDS = 60.0
SLOW_LIMIT_MS = 60_000
BIG_STATE_BYTES = 20 * 1024
MIGRATIONS = {"accept": "accept", "decline": "decline", "fail": "fail", "accept-then-fail": "accept-then-fail"}

# The reply limits of the contract (bot_versions/limits.py): each variant breaks exactly one of them.
MAX_REPLIES = 50
MAX_REPLY_CHARS = 8192
MAX_CHOICES = 50
MAX_CHOICE_CHARS = 256
MAX_TURN_CHARS = 32768

HUGE_REPLIES: dict[str, list[dict[str, Any]]] = {
    "text": [{"text": "x" * (MAX_REPLY_CHARS + 1)}],
    "count": [{"text": "hi"}] * (MAX_REPLIES + 1),
    "choices": [{"text": "Pick one", "choices": [f"c{i}" for i in range(MAX_CHOICES + 1)]}],
    "choice-chars": [{"text": "Pick one", "choices": ["x" * (MAX_CHOICE_CHARS + 1)]}],
    # Every reply within its own limit, the turn over its total.
    "turn": [{"text": "x" * MAX_REPLY_CHARS}] * (MAX_TURN_CHARS // MAX_REPLY_CHARS + 1),
}

WRONG_SHAPES: dict[str, Any] = {
    "not-object": [{"text": "hi"}],
    "null": None,
    "replies-missing": {"state": {}},
    "replies-not-list": {"replies": "hello"},
    "reply-not-object": {"replies": ["hello"]},
    "text-not-string": {"replies": [{"text": 42}]},
    "choices-not-list": {"replies": [{"text": "Size?", "choices": "Small"}]},
    "choice-not-string": {"replies": [{"text": "Size?", "choices": ["Small", 2]}]},
    "state-not-object": {"replies": [], "state": ["n", 1]},
    "state-string": {"replies": [], "state": '{"n": 1}'},
    "done-not-bool": {"replies": [], "done": "yes"},
    "done-number": {"replies": [], "done": 1},
}

# Bodies served as 200 that a strict JSON parser refuses: (bytes, content type).
BAD_JSON: dict[str, tuple[bytes, str]] = {
    "text": (b"this is not JSON", "text/plain"),
    "truncated": (b'{"replies": [', "application/json"),
    "nan": (b'{"replies": [], "state": {"n": NaN}}', "application/json"),
    "lone-surrogate": (b'{"replies": [{"text": "\\ud800"}]}', "application/json"),
    "deep": (b'{"replies": [], "state": ' + b'{"a": ' * 100 + b"1" + b"}" * 101, "application/json"),
    "utf-16": ('{"replies": []}'.encode("utf-16"), "application/json"),
}


def signature(secret: str, body: bytes) -> str:
    """The `X-Botgate-Signature` value the gateway sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def echo(turn: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a message event: the text back, with a turn count kept in state."""
    message = turn.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    state = turn.get("state")
    state = state if isinstance(state, dict) else {}
    count = state.get("n")
    n = (count if isinstance(count, int) else 0) + 1
    reply = {"text": f"echo {n} from {turn.get('version')}: {text}"}
    return {"replies": [reply], "state": {**state, "n": n}, "done": text == "bye"}


def migrated(turn: Mapping[str, Any]) -> dict[str, Any]:
    """The state a migrate event is accepted with: the old one, saying where it came from."""
    state = turn.get("state")
    old = state if isinstance(state, dict) else {}
    return {**old, "migrated_from": turn.get("from_version"), "migrated_to": turn.get("version")}


def big_state(size: int) -> dict[str, str]:
    """A state whose compact JSON is exactly `size` bytes."""
    empty = len(json.dumps({"blob": ""}, separators=(",", ":")))
    if size < empty:
        raise BadBody(f"bytes must be at least {empty}")
    return {"blob": "x" * (size - empty)}


class Unsigned(Exception):
    """A turn request whose X-Botgate-Signature is missing or wrong (answered 401)."""


async def unsigned(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"error": "missing or wrong X-Botgate-Signature"}, status_code=401)


class HttpTestBot:
    """The routes, and what the bot saw: every turn request, and how many were in flight at once."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak = 0

    async def read(self, request: Request) -> dict[str, Any]:
        """Record the request, check its signature, and return its JSON body."""
        raw = await request.body()
        entry: dict[str, Any] = {
            "path": request.url.path,
            "headers": dict(request.headers),
            "body": raw.decode("utf-8", "replace"),
            "json": None,
        }
        self.received.append(entry)
        problem = None
        try:
            entry["json"] = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            problem = f"the body is not JSON: {error}"
        if self.secret is not None:  # checked before the body is judged: an unsigned request learns nothing
            sent = request.headers.get("x-botgate-signature", "")
            if not hmac.compare_digest(sent.encode(), signature(self.secret, raw).encode()):
                raise Unsigned()
        if problem is not None:
            raise BadBody(problem)
        if not isinstance(entry["json"], dict):
            raise BadBody("a turn is a JSON object")
        return entry["json"]

    async def echo(self, request: Request) -> Response:
        return message_turn(await self.read(request))

    async def migrate(self, request: Request) -> Response:
        turn = await self.read(request)
        mode = variant(MIGRATIONS, request.path_params["mode"])
        if turn.get("event") != "migrate":
            if mode == "accept-then-fail":
                return JSONResponse({"error": "message turn failed"}, status_code=500)
            return message_turn(turn)
        if mode in ("accept", "accept-then-fail"):
            return JSONResponse({"state": migrated(turn)})
        if mode == "decline":
            return JSONResponse({"error": "declined"}, status_code=409)
        return JSONResponse({"error": "migration failed"}, status_code=500)

    async def status(self, request: Request) -> Response:
        await self.read(request)
        code = request.path_params["code"]
        if not 200 <= code <= 599:
            raise BadBody("the status must be between 200 and 599")
        if code in (204, 304):  # these carry no body
            return Response(status_code=code)
        return JSONResponse({"error": f"status {code} on purpose"}, status_code=code)

    async def timeout(self, request: Request) -> Response:
        turn = await self.read(request)
        await asyncio.sleep(TIMEOUT_SECONDS)
        return message_turn(turn)

    async def slow(self, request: Request) -> Response:
        ms = request.path_params["ms"]
        if ms > SLOW_LIMIT_MS:
            raise BadBody(f"at most {SLOW_LIMIT_MS} ms")
        turn = await self.read(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(ms / 1000)
        finally:
            self.in_flight -= 1
        return message_turn(turn)

    async def not_json(self, request: Request) -> Response:
        await self.read(request)
        body, content_type = variant(BAD_JSON, request.path_params.get("variant", "text"))
        return Response(body, media_type=content_type)

    async def wrong_shape(self, request: Request) -> Response:
        await self.read(request)
        body = json.dumps(variant(WRONG_SHAPES, request.path_params["variant"]))
        return Response(body, media_type="application/json")

    async def big_state(self, request: Request) -> Response:
        await self.read(request)
        size = request.query_params.get("bytes", str(BIG_STATE_BYTES))
        if not size.isdigit():
            raise BadBody("bytes must be a number")
        return JSONResponse({"replies": [{"text": "big state"}], "state": big_state(int(size))})

    async def huge_reply(self, request: Request) -> Response:
        await self.read(request)
        return JSONResponse({"replies": variant(HUGE_REPLIES, request.path_params.get("variant", "text"))})

    async def show_received(self, request: Request) -> Response:
        conversation = request.query_params.get("conversation")
        found = [
            entry
            for entry in self.received
            if conversation is None
            or (isinstance(entry["json"], dict) and entry["json"].get("conversation") == conversation)
        ]
        return JSONResponse(found)

    async def forget_received(self, request: Request) -> Response:
        self.received.clear()
        self.peak = self.in_flight
        return Response(status_code=204)

    async def stats(self, request: Request) -> Response:
        return JSONResponse({"in_flight": self.in_flight, "peak_in_flight": self.peak})


def message_turn(turn: Mapping[str, Any]) -> JSONResponse:
    if turn.get("event") != "message":
        raise BadBody(f"this path answers message events, not {turn.get('event')!r}")
    return JSONResponse(echo(turn))


def make_app(secret: str | None = None) -> Starlette:
    """The bot's routes; `secret` set makes every turn request need a valid X-Botgate-Signature."""
    bot = HttpTestBot(secret)
    routes = [
        Route("/echo", bot.echo, methods=["POST"]),
        Route("/migrate/{mode:str}", bot.migrate, methods=["POST"]),
        Route("/status/{code:int}", bot.status, methods=["POST"]),
        Route("/timeout", bot.timeout, methods=["POST"]),
        Route("/slow/{ms:int}", bot.slow, methods=["POST"]),
        Route("/not-json", bot.not_json, methods=["POST"]),
        Route("/not-json/{variant:str}", bot.not_json, methods=["POST"]),
        Route("/wrong-shape/{variant:str}", bot.wrong_shape, methods=["POST"]),
        Route("/big-state", bot.big_state, methods=["POST"]),
        Route("/huge-reply", bot.huge_reply, methods=["POST"]),
        Route("/huge-reply/{variant:str}", bot.huge_reply, methods=["POST"]),
        Route("/received", bot.show_received, methods=["GET"]),
        Route("/received", bot.forget_received, methods=["DELETE"]),
        Route("/stats", bot.stats, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={**EXCEPTION_HANDLERS, Unsigned: unsigned})


def variant(table: Mapping[str, Any], name: str) -> Any:
    if name not in table:
        raise HTTPException(404, f"unknown variant {name!r}: expected one of {', '.join(table)}")
    return table[name]


def main() -> None:
    command = parser("An http-runtime bot whose URL path picks its behaviour.")
    command.add_argument("--secret", help="require X-Botgate-Signature made with this secret (else 401)")
    args = command.parse_args()
    serve(make_app(args.secret), args.host, args.port)


if __name__ == "__main__":
    main()
