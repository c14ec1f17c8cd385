"""The greeter as a botgate `http` bot: standard library only, one file to copy and change.

    python greeter.py [--host 127.0.0.1] [--port 9001]

botgate POSTs every turn to /turn as JSON and keeps the conversation's state for us: the bot answers from the
request alone and keeps nothing between requests, so it can be restarted, scaled or redeployed at any time.
When BOTGATE_UPSTREAM_SECRET is set (the same value as the gateway's), a call must carry
`X-Botgate-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>` or it is answered 401.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

LANGUAGE = "Python"
SECRET = os.environ.get("BOTGATE_UPSTREAM_SECRET", "").encode()  # empty: signatures are not checked
MAX_BODY = 64 * 1024  # far above what botgate sends (state <= 16 KiB, a message <= 4096 characters)
MAX_NAME = 4096  # characters: keeps the greeting well within botgate's 8192 per reply


class Refused(Exception):
    """An answer other than 200: its status, error code and message go back to the caller as JSON."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def signature_ok(body: bytes, header: str | None) -> bool:
    """Whether the header is the HMAC of these exact bytes (compare_digest: no timing hint of how much matched)."""
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").encode("latin-1", "replace"))


def strip(text: str) -> str:
    # Only these four: str.strip() and JavaScript's trim() disagree on other whitespace, and both greeters must agree.
    return text.strip(" \t\r\n")


def message_turn(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one message: ask for the name first, greet with it next."""
    message, state = request.get("message"), request.get("state")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        raise Refused(400, "bad_request", "message.text must be a string")
    if state is None:  # the first message of a conversation (botgate sends null)
        return {"replies": [{"text": "What is your name?"}], "state": {"step": "ask_name"}, "done": False}
    if not isinstance(state, dict) or state.get("step") != "ask_name":
        raise Refused(400, "bad_request", "state must be null or a state this greeter returned")
    name = strip(message["text"])
    if not name:
        return {"replies": [{"text": "What is your name?"}], "state": {"step": "ask_name"}, "done": False}
    if len(name) > MAX_NAME:
        raise Refused(400, "bad_request", f"message.text must be at most {MAX_NAME} characters")
    greeting = f"Hello, {name}, from the {LANGUAGE} greeter"
    return {"replies": [{"text": greeting}], "state": {"step": "greeted"}, "done": True}


def migrate(request: dict[str, Any]) -> dict[str, Any]:
    """Take over a conversation from an older version, or decline with 409 so it stays there.

    The rule: this version continues any conversation that waits for the user's name, whichever version wrote it,
    and decides on the state alone (not on `from_version`). Such a state is `{"step": "ask_name", ...}`; it is
    adapted by keeping only the keys this version reads. Any other state is declined: a state the bot cannot
    read is never guessed at, the conversation finishes on the version that wrote it.
    """
    state = request.get("state")
    if not isinstance(state, dict) or not isinstance(request.get("from_version"), str):
        raise Refused(400, "bad_request", "a migrate event needs from_version (a string) and state (an object)")
    if state.get("step") != "ask_name":
        raise Refused(409, "cannot_migrate", "this version cannot continue that state")
    return {"state": {"step": "ask_name"}}


def refuse_constant(name: str) -> None:
    raise ValueError(name)  # NaN and Infinity are not JSON


def turn(body: bytes) -> dict[str, Any]:
    """The answer to one POST /turn body."""
    try:
        request = json.loads(body.decode("utf-8"), parse_constant=refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise Refused(400, "bad_request", "the body must be JSON in UTF-8") from None
    if not isinstance(request, dict):
        raise Refused(400, "bad_request", "the body must be a JSON object")
    if request.get("event") == "message":
        return message_turn(request)
    if request.get("event") == "migrate":
        return migrate(request)
    raise Refused(400, "bad_request", "event must be message or migrate")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: botgate reuses its connections
    timeout = 75  # seconds an idle connection is kept: longer than botgate keeps one, so botgate closes first

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self.answer(200, {"status": "ok"})
        elif path == "/turn":
            self.answer(405, error("method_not_allowed", "POST a turn to /turn"))
        else:
            self.answer(404, error("not_found", "the bot answers POST /turn and GET /healthz"))

    def do_POST(self) -> None:
        try:
            body = self.read_body()  # first, whatever the path: a body left unread would spoil the next request
            if urlsplit(self.path).path != "/turn":
                raise Refused(404, "not_found", "the bot answers POST /turn and GET /healthz")
            if SECRET and not signature_ok(body, self.headers.get("X-Botgate-Signature")):
                raise Refused(401, "unauthorized", "X-Botgate-Signature does not match the body")
            self.answer(200, turn(body))
        except Refused as refused:
            self.answer(refused.status, error(refused.code, refused.message))
        except Exception:  # a bug: answer 500 rather than drop the connection without a word
            self.log_error("the turn failed:\n%s", traceback.format_exc())
            self.answer(500, error("internal", "the bot failed"))

    def read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not (length.isascii() and length.isdigit()):
            self.close_connection = True  # the body's end is unknown: this connection cannot be reused
            raise Refused(400, "bad_request", "a turn needs a Content-Length")
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is left unread
            raise Refused(413, "too_large", f"the body must be at most {MAX_BODY} bytes")
        return self.rfile.read(int(length))

    def answer(self, status: int, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()  # ASCII: any string botgate sent can be sent back
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def main() -> None:
    parser = argparse.ArgumentParser(description=f"The {LANGUAGE} greeter, a botgate http bot.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    options = parser.parse_args()
    server = ThreadingHTTPServer((options.host, options.port), Handler)
    print(f"{LANGUAGE} greeter on http://{options.host}:{options.port}/turn", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
